"""safeload: regular files only, within a size, never through a symlink out of its folder; JSON
within a depth and a length of numbers; every failure one line naming the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlci.errors import BundleError, MlciError
from mlci.safeload import MAX_DEPTH, decode, load_json, read_text


def test_reads_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{}")
    assert read_text(tmp_path / "a.json", 10) == "{}"


def test_a_missing_file_passes_through(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_text(tmp_path / "nope", 10)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(BundleError, match=r"fifo: not a regular file \(a FIFO\); not read"):
        read_text(tmp_path / "fifo", 10, error=BundleError)


def test_a_directory_and_a_device_are_refused(tmp_path: Path) -> None:
    with pytest.raises(MlciError, match=r"not a regular file \(a directory\)"):
        read_text(tmp_path, 10)
    with pytest.raises(MlciError, match=r"not a regular file \(a character device\)"):
        read_text("/dev/zero", 10)


def test_too_large(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 11)
    with pytest.raises(MlciError, match=r"big: 11 bytes, more than the 10 mlci reads"):
        read_text(tmp_path / "big", 10)


def test_symlinks_within_the_folder_only(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "real").write_text("ok")
    (tmp_path / "secret").write_text("no")
    (tmp_path / "in" / "inside").symlink_to("real")
    (tmp_path / "in" / "outside").symlink_to(tmp_path / "secret")
    assert read_text(tmp_path / "in" / "inside", 10, within=tmp_path / "in") == "ok"
    with pytest.raises(MlciError, match=r"outside: a symlink to .*secret, outside .*; not read"):
        read_text(tmp_path / "in" / "outside", 10, within=tmp_path / "in")


def test_not_utf8_names_the_line() -> None:
    with pytest.raises(MlciError, match=r"^f.json:3: not UTF-8 text: the byte 0xFF$"):
        decode(b"{\n\n\xff}", "f.json")


def test_json_and_its_errors() -> None:
    assert load_json('{"a": [1, 2.5, "x"]}', "f") == {"a": [1, 2.5, "x"]}
    with pytest.raises(BundleError, match=r"^f:2: not valid JSON: Expecting value$"):
        load_json("[\n", "f", error=BundleError)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 100_000])
def test_deep_json_is_refused(depth: int) -> None:
    with pytest.raises(MlciError, match=rf"^f: nested more than {MAX_DEPTH} levels deep$"):
        load_json("[" * depth + "]" * depth, "f")
    assert load_json("[" * MAX_DEPTH + "]" * MAX_DEPTH, "f") is not None


@pytest.mark.parametrize("number", ["9" * 5000, "1." + "5" * 5000, "-" + "1" * 101])
def test_long_numbers_are_refused(number: str) -> None:
    with pytest.raises(MlciError, match=r"^f: not valid JSON here: a number of [\d,]+ characters \(at most 100\)$"):
        load_json(f'{{"a": {number}}}', "f")


def test_too_many_characters() -> None:
    with pytest.raises(MlciError, match="more than the 5 mlci reads"):
        load_json(json.dumps("123456"), "f", max_bytes=5)


def test_a_json_bomb_in_bounded_memory(tmp_path: Path) -> None:
    """Deep and long input in a child limited to 1 GB of address space: a clean error, no crash."""
    script = textwrap.dedent("""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from mlci.errors import MlciError
        from mlci.safeload import load_json
        for text in ("[" * 5_000_000, '{"a": ' + "9" * 5_000_000 + "}"):
            try:
                load_json(text, "f")
            except MlciError as exc:
                print(exc)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["f: nested more than 64 levels deep",
                                        "f: not valid JSON here: a number of 5,000,000 characters (at most 100)"]
