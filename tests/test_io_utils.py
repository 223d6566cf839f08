"""Atomic writes: the target is never missing, never lost, never half-written, and gets the
permissions a plain write would give."""

import os
import stat

import pytest

from dal_tf.utils import atomic_io


def tree(path):
    return {os.path.relpath(os.path.join(d, f), path): open(os.path.join(d, f)).read()
            for d, _, files in os.walk(path) for f in files}


def write_version(out, version):
    with atomic_io.atomic_directory(out) as tmp:
        os.makedirs(os.path.join(tmp, "sub"))
        for name in ("a.txt", os.path.join("sub", "b.txt")):
            with open(os.path.join(tmp, name), "w") as handle:
                handle.write(version)


def leftovers(parent):
    return [name for name in os.listdir(parent) if name.startswith(".")]


def test_directory_is_replaced_whole_with_plain_permissions(tmp_path):
    out = str(tmp_path / "out")
    write_version(out, "one")
    write_version(out, "two")
    assert tree(out) == {"a.txt": "two", os.path.join("sub", "b.txt"): "two"}
    assert leftovers(tmp_path) == []
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o777 & ~umask  # not mkdtemp's 0700


def test_a_failure_while_writing_leaves_the_old_directory(tmp_path):
    out = str(tmp_path / "out")
    write_version(out, "one")
    with pytest.raises(RuntimeError):
        with atomic_io.atomic_directory(out) as tmp:
            open(os.path.join(tmp, "a.txt"), "w").write("half")
            raise RuntimeError("killed")
    assert tree(out)["a.txt"] == "one" and leftovers(tmp_path) == []


def test_a_failing_swap_leaves_the_old_directory_in_place(tmp_path, monkeypatch):
    out = str(tmp_path / "out")
    write_version(out, "one")

    def broken(a, b):
        raise OSError(5, "I/O error", b)

    monkeypatch.setattr(atomic_io, "exchange", broken)
    with pytest.raises(OSError):
        write_version(out, "two")
    assert tree(out)["a.txt"] == "one" and leftovers(tmp_path) == []


def test_without_a_swap_a_failing_second_rename_puts_the_old_directory_back(tmp_path, monkeypatch):
    out = str(tmp_path / "out")
    write_version(out, "one")
    monkeypatch.setattr(atomic_io, "exchange", lambda a, b: False)  # a system without renameat2
    real_replace = os.replace

    def second_rename_fails(source, target):
        if os.path.basename(source).startswith(".tmp-out-"):
            raise OSError(28, "No space left on device", target)
        real_replace(source, target)

    monkeypatch.setattr(atomic_io.os, "replace", second_rename_fails)
    with pytest.raises(OSError):
        write_version(out, "two")
    assert tree(out)["a.txt"] == "one" and leftovers(tmp_path) == []
    monkeypatch.setattr(atomic_io.os, "replace", real_replace)
    write_version(out, "three")  # and the fallback itself works
    assert tree(out)["a.txt"] == "three" and leftovers(tmp_path) == []


def test_swap_exchanges_two_directories_in_one_step(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    (tmp_path / "b" / "x").write_text("b")
    if not atomic_io.exchange(str(tmp_path / "a"), str(tmp_path / "b")):
        pytest.skip("this file system cannot swap paths")
    assert (tmp_path / "a" / "x").read_text() == "b" and (tmp_path / "b" / "x").read_text() == "a"


def test_file_write_is_all_or_nothing_with_plain_permissions(tmp_path):
    path = str(tmp_path / "r.json")
    atomic_io.atomic_write_json(path, {"a": 1})
    with pytest.raises(RuntimeError):
        with atomic_io.atomic_file(path) as tmp:
            open(tmp, "w").write("{half")
            raise RuntimeError("killed")
    assert open(path).read() == '{\n  "a": 1\n}\n' and leftovers(tmp_path) == []
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask
