"""The one helper through which mlci runs other programs."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from mlci.errors import CommandFailed


def run(
    cmd: Sequence[str],
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> tuple[int, str, str]:
    """Run ``cmd`` and return (exit code, stdout, stderr).

    With ``check`` a non-zero exit raises :class:`CommandFailed` whose text
    shows the command, its code and the last line of its output. Output that is not UTF-8
    (a file name in Latin-1, a stage printing bytes) is kept visible, as ``\\xe9``: it is
    shown and parsed, never a reason to fail. :func:`run_bytes` gives the bytes themselves.
    """
    code, out, err = run_bytes(cmd, cwd=cwd, env=env, check=check)
    return code, shown(out), shown(err)


def run_bytes(
    cmd: Sequence[str],
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input: bytes | None = None,  # noqa: A002 - subprocess's name
) -> tuple[int, bytes, bytes]:
    """:func:`run`, with the output as the bytes the program wrote (a file's content from git),
    and ``input`` for its standard input (none by default)."""
    try:
        proc = subprocess.run(
            list(cmd),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            capture_output=True,
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
        )
    except FileNotFoundError as exc:
        raise CommandFailed(list(cmd), 127, f"{cmd[0]}: command not found") from exc
    if check and proc.returncode != 0:
        raise CommandFailed(list(cmd), proc.returncode, shown(proc.stderr or proc.stdout))
    return proc.returncode, proc.stdout, proc.stderr


class Background:
    """A program started by :func:`background`: whether it has exited, and what it printed last."""

    def __init__(self, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
        self._process, self._log = process, log

    def exit_code(self) -> int | None:
        """None while it runs."""
        return self._process.poll()

    def last_line(self) -> str:
        """The last line it printed (either stream), at most 500 characters; "it printed nothing"."""
        self._log.flush()
        self._log.seek(0, os.SEEK_END)
        self._log.seek(max(0, self._log.tell() - 20_000))
        lines = [line.strip() for line in shown(self._log.read()).splitlines() if line.strip()]
        return lines[-1][:500] if lines else "it printed nothing"


@contextmanager
def background(cmd: Sequence[str], *, cwd: str | Path | None = None, stop_timeout_s: float = 30.0) -> Iterator[Background]:
    """``cmd`` running while the block runs (a server), in a session of its own, its output kept in
    a temporary file; then SIGTERM to its whole session, and SIGKILL after ``stop_timeout_s``.
    CommandFailed when it cannot be started."""
    with tempfile.TemporaryFile(mode="w+b") as log:
        try:
            process = subprocess.Popen(list(cmd), cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            raise CommandFailed(list(cmd), 127, f"{cmd[0]}: {exc.strerror or exc}") from exc
        try:
            yield Background(process, log)
        finally:
            _stop(process, stop_timeout_s)


def _stop(process: subprocess.Popen[bytes], timeout_s: float) -> None:
    try:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


def shown(data: bytes) -> str:
    """A program's output as text: UTF-8, any other byte written as ``\\xNN``."""
    return data.decode("utf-8", "backslashreplace")


def stream(
    cmd: Sequence[str],
    *,
    echo: Callable[[str], None],
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[int, list[tuple[float, str]]]:
    """Run ``cmd`` (in ``env``, default os.environ), passing each line of its output
    (stdout and stderr merged, newline stripped) to ``echo`` as it comes.

    Returns (exit code, lines), each line with the ``time.monotonic()`` at which it
    arrived. ``PYTHONUNBUFFERED=1`` is set unless ``env`` sets it, so that a Python
    child's lines come as it prints them. A missing program raises
    :class:`CommandFailed` with code 127.
    """
    lines: list[tuple[float, str]] = []
    child_env = dict(os.environ if env is None else env)
    child_env.setdefault("PYTHONUNBUFFERED", "1")
    try:
        proc = subprocess.Popen(
            list(cmd), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, encoding="utf-8", errors="backslashreplace", bufsize=1,
            env=child_env,
        )
    except FileNotFoundError as exc:
        raise CommandFailed(list(cmd), 127, f"{cmd[0]}: command not found") from exc
    assert proc.stdout is not None
    with proc.stdout:
        for line in proc.stdout:
            text = line.rstrip("\n")
            lines.append((time.monotonic(), text))
            echo(text)
    return proc.wait(), lines


def clean_git_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment without GIT_* variables leaked from a hook or a parent git."""
    source = os.environ if env is None else env
    keep = {"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
            "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_TERMINAL_PROMPT", "GIT_SSH_COMMAND"}
    return {k: v for k, v in source.items() if not k.startswith("GIT_") or k in keep}
