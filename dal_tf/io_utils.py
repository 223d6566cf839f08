"""Writes that never leave a half-written file or directory: write a temporary sibling, then rename."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile


def atomic_write_text(path: str, text: str):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide results from other users
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def atomic_write_json(path: str, data) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


@contextlib.contextmanager
def atomic_directory(out: str):
    """Yields a new empty directory beside `out` to fill; when the block succeeds it becomes `out`
    in one rename (an existing `out` is moved aside first, then deleted), otherwise it is removed."""
    out = os.path.abspath(out)
    parent, name = os.path.split(out)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=f".tmp-{name}-")
    os.chmod(tmp, 0o755)  # mkdtemp's 0700 would hide the result from other users
    try:
        yield tmp
        # os.replace cannot overwrite a non-empty directory.
        old = tempfile.mkdtemp(dir=parent, prefix=f".old-{name}-") if os.path.lexists(out) else None
        if old:
            os.replace(out, os.path.join(old, name))
        os.replace(tmp, out)
        if old:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
