"""Writes that never leave a half-written, missing or lost file or directory.

Everything is written to a temporary sibling, flushed to disk (fsync), given the permissions a
plain write would have (0666 / 0777 less the umask, not mkstemp's 0600), and then put in place:
a file by one rename; a directory by atomically swapping it with the old one (Linux's
renameat2(RENAME_EXCHANGE)), so that readers see the old or the new, never nothing. Where the swap
is not available, the old directory is renamed aside and the new one into place; if the second
rename fails, the old one is renamed back.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import tempfile

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync(path: str):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: str):
    """Flushes every file and directory under root to disk, root last."""
    for directory, _, files in os.walk(root, topdown=False):
        for name in files:
            _fsync(os.path.join(directory, name))
        _fsync(directory)


def exchange(a: str, b: str) -> bool:
    """Swaps the paths a and b in one step; False where the system or file system cannot."""
    rename_at2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if rename_at2 is None:
        return False
    if rename_at2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), b)


def replace_directory(new: str, out: str):
    """Puts the directory `new` at `out`, where an older directory may be; `new` is consumed."""
    if not os.path.lexists(out):
        os.replace(new, out)
    elif exchange(new, out):
        shutil.rmtree(new)  # now the old contents
    else:
        old = tempfile.mkdtemp(dir=os.path.dirname(out), prefix=f".old-{os.path.basename(out)}-")
        os.replace(out, os.path.join(old, "out"))
        try:
            os.replace(new, out)
        except BaseException:
            os.replace(os.path.join(old, "out"), out)
            shutil.rmtree(old)
            raise
        shutil.rmtree(old)
    _fsync(os.path.dirname(out))


@contextlib.contextmanager
def atomic_directory(out: str):
    """Yields a new empty directory beside `out` to fill; when the block succeeds it replaces `out`
    (see the module's docstring), otherwise it is removed and `out` is left as it was."""
    out = os.path.abspath(out)
    parent, name = os.path.split(out)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=f".tmp-{name}-")
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
        fsync_tree(tmp)
        replace_directory(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_file(path: str):
    """Yields a temporary path beside `path` to write; when the block succeeds it becomes `path`
    in one rename, otherwise it is removed."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    os.close(fd)
    try:
        yield tmp
        _fsync(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
        _fsync(directory)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str, text: str):
    with atomic_file(path) as tmp:
        with open(tmp, "w") as handle:
            handle.write(text)


def atomic_write_json(path: str, data) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
