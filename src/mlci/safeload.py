"""Reading files and JSON that may be hostile (a bundle from a fork, a PR's policy), within limits.

:func:`read_text` reads only a regular file (a FIFO would block, a device never end), of at
most a given size, as UTF-8, and, given the folder it belongs to, not through a symlink that
leaves it. :func:`load_json` parses JSON within a size, a nesting depth and a length of
numbers (Python refuses integers of more than 4,300 digits with a ValueError). Each failure
is one line naming the file, raised as the caller's kind of error (an MlciError, a
CheckError). YAML has its limits in :mod:`mlci.yamlfile`, which the install step runs with
nothing but PyYAML.

Only the standard library and mlci.errors: the json module does the parsing, and the limits
are a few checks around it, not worth a dependency.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlci.errors import MlciError

MAX_DEPTH = 64  # nesting of arrays and objects: the bundle's schema needs 6, an event payload about 8
MAX_NUMBER = 100  # characters of one number: a float's repr needs 24, a 64-bit integer 20


def read_text(path: str | Path, max_bytes: int, *, error: type[Exception] = MlciError,
              within: str | Path | None = None, shown: str | None = None) -> str:
    """The UTF-8 text of the regular file ``path``, at most ``max_bytes`` long.

    ``within``: the folder the file belongs to; a symlink that resolves outside it is refused.
    FileNotFoundError passes through (the caller knows what a missing file means); anything
    else is ``error`` naming the file (as ``shown``, when given).
    """
    return decode(read_bytes(path, max_bytes, error=error, within=within, shown=shown), shown or str(path), error=error)


def read_bytes(path: str | Path, max_bytes: int, *, error: type[Exception] = MlciError,
               within: str | Path | None = None, shown: str | None = None) -> bytes:
    """:func:`read_text`'s checks, and the bytes as they are."""
    path = Path(path)
    name = shown or str(path)
    if within is not None and path.is_symlink():
        target, folder = path.resolve(), Path(within).resolve()
        if target != folder and folder not in target.parents:
            raise error(f"{name}: a symlink to {target}, outside {within}; not read")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise error(f"{name}: cannot read it: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{name}: not a regular file ({_kind(info.st_mode)}); not read")
        if info.st_size > max_bytes:
            raise error(f"{name}: {info.st_size:,} bytes, more than the {max_bytes:,} mlci reads")
        with os.fdopen(fd, "rb") as file:
            fd = -1
            data = file.read(max_bytes + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > max_bytes:  # it grew while being read
        raise error(f"{name}: more than the {max_bytes:,} bytes mlci reads")
    return data


def decode(data: bytes, file: str | Path, *, error: type[Exception] = MlciError) -> str:
    """``data`` as UTF-8; ``error`` naming file and line of the first byte that is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(f"{file}:{line}: not UTF-8 text: the byte 0x{data[exc.start]:02X}") from None


def load_json(text: str, file: str | Path, *, error: type[Exception] = MlciError, max_bytes: int | None = None,
              max_depth: int = MAX_DEPTH, beyond: type[Exception] | None = None) -> Any:
    """The JSON value of ``text``: ``error`` naming ``file`` (and the line) when it is not JSON;
    ``beyond`` (default: ``error``) when it is longer than ``max_bytes``, nested deeper than
    ``max_depth``, or has a number of more than MAX_NUMBER characters."""
    beyond = beyond or error
    if max_bytes is not None and len(text) > max_bytes:
        raise beyond(f"{file}: {len(text):,} characters, more than the {max_bytes:,} mlci reads")
    try:
        data = json.loads(text, parse_int=_int, parse_float=_float)
    except json.JSONDecodeError as exc:
        raise error(f"{file}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except _LongNumber as exc:
        raise beyond(f"{file}: not valid JSON here: a number of {exc.digits:,} characters "
                     f"(at most {MAX_NUMBER})") from None
    except RecursionError:  # the json module's own guard, deeper than any limit below
        raise beyond(f"{file}: nested more than {max_depth} levels deep") from None
    if _depth(data, max_depth) > max_depth:
        raise beyond(f"{file}: nested more than {max_depth} levels deep")
    return data


class _LongNumber(ValueError):
    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER:
        raise _LongNumber(len(text))
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER:
        raise _LongNumber(len(text))
    return float(text)


def _depth(data: Any, limit: int) -> int:
    """How deep ``data`` nests (a stack, not recursion), stopping once past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            stack.extend((child, depth + 1) for child in _values(value))
    return deepest


def _values(value: dict[str, Any] | list[Any]) -> Iterator[Any]:
    return iter(value.values()) if isinstance(value, dict) else iter(value)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a file"
