"""The verbs: one module per command, each ``run(settings) -> exit code``.

A module's ``Settings`` is everything the verb needs, typed, with the defaults a user
gets; ``run`` does the work and returns 0, or 1 when the verb's answer is "no" (a gate
failed, a stage failed). A user's mistake raises an MlciError, which ``cli.main`` turns
into its one-line message and exit code. cli.py only builds Settings from click; the demo
builds them too, and runs the same verbs a user runs.

Everything the commands print goes through a :class:`Terminal` (``echo`` for standard
output, ``echo_err`` for standard error). In GitHub Actions it keeps what it prints from
being read as a workflow command: metric names, values, reasons and DVC's output are the
user's (a PR's) text, and the runner obeys a line such as ``::add-mask::…`` or
``##[error]…`` from any process of the step.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from typing import TextIO

DEFAULT_OUT = "mlci-report"

# Where a command writes what a person reads: ``echo(text)`` ends the line, ``echo(text, nl=False)``
# does not. A Terminal fits (and click.echo); the default writes to standard output.
Echo = Callable[..., None]

# How the Actions runner finds workflow commands (actions/runner): it reads a step's standard
# output and standard error line by line (Runner.Sdk/ProcessInvoker.cs, StreamReader.ReadLine: a
# line ends at \n, \r or \r\n) and gives each line to ActionCommandManager.TryProcessCommand
# (Runner.Worker/Handlers/OutputManager.cs), which tries ActionCommand.TryParseV2, then TryParse
# (Runner.Common/ActionCommand.cs):
#   - ``::name props::data``: the line, after TrimStart() (.NET white space), starts with "::";
#     the name is read from the third character on, up to a space or the next "::";
#   - ``##[name props]data`` (the legacy form): "##[" anywhere in the line; the name follows it.
# Either way the name must be a registered command (error, warning, add-mask, stop-commands, ...).
# So mlci breaks both shapes, whatever the name: a zero-width space between the two colons that
# would start a line and between "##" and "[". It is no .NET white space (TrimStart keeps it), and
# as the name is read at fixed offsets, a comparison that ignores it still reads a name that starts
# with ":" or "[", which no command has. Text to a person looks the same.
_LINE_END = re.compile(r"(\r\n|\r|\n)")
_LEGACY = re.compile(r"##\[")
# What may come before a line's "::" and still let it start a command: .NET white space (all of it
# is Python white space too), and, should the runner compare as ICU does, characters such a
# comparison ignores (controls, soft hyphen, zero-width and direction marks, the BOM).
_LEAD = re.compile("[\\s\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                   "\u2060-\u206f\ufe00-\ufe0f\ufeff]*")
_ZWSP = "\u200b"


class WorkflowCommand(str):
    """A workflow command mlci means to give (see :func:`workflow_command`): printed as it is."""


def workflow_command(name: str, message: str, **properties: str) -> WorkflowCommand:
    """``::name k=v,…::message``, escaped as the runner unescapes (ActionCommand.cs): the
    message and the values stay on their line and cannot end the properties early."""
    props = ",".join(f"{key}={_escape(value, _PROPERTY)}" for key, value in properties.items())
    return WorkflowCommand(f"::{name}{' ' + props if props else ''}::{_escape(message, _DATA)}")


_DATA = (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"))
_PROPERTY = (*_DATA, (":", "%3A"), (",", "%2C"))


def _escape(text: str, mapping: tuple[tuple[str, str], ...]) -> str:
    for char, escaped in mapping:
        text = text.replace(char, escaped)
    return text


class CommandGuard:
    """Breaks every workflow command in text written in pieces, as the runner would split it in lines.

    It remembers the end of the line written so far, so that a command cut between two writes
    (``echo("  :", nl=False)`` then ``echo(":error::x")``) is broken too.
    """

    def __init__(self) -> None:
        self._carry = ""  # what matters of the current line: its start while blank, else its last 2 characters

    def __call__(self, text: str) -> str:
        parts = _LINE_END.split(text)  # line, end, line, end, ..., line
        for index in range(0, len(parts), 2):
            prefix = self._carry if index == 0 else ""
            parts[index] = _break_commands(prefix, parts[index])
        last = parts[-1] if len(parts) > 1 else self._carry + parts[-1]
        self._carry = _carry(last)
        return "".join(parts)

    def at_line_start(self) -> bool:
        return self._carry == ""


def _break_commands(prefix: str, piece: str) -> str:
    """``piece`` with a zero-width space where the line ``prefix + piece`` would start a command.

    ``prefix`` was written already: only places within ``piece`` can change (an insertion
    before the second ":" or before the "[" always is in it, or was made when ``prefix`` was)."""
    line = prefix + piece
    if ":" not in line and "#" not in line:
        return piece
    at = {match.end() - 1 for match in _LEGACY.finditer(line)}
    start = _lead(line)
    if line.startswith("::", start):
        at.add(start + 1)
    cut = len(prefix)
    out, last = [], 0
    for position in sorted(p - cut for p in at if p >= cut):
        out += [piece[last:position], _ZWSP]
        last = position
    out.append(piece[last:])
    return "".join(out)


def _lead(line: str) -> int:
    """Where the line starts for the runner, or earlier."""
    match = _LEAD.match(line)
    return match.end() if match else 0


def _carry(line: str) -> str:
    """What a later piece of ``line`` needs to know of it: its start while blank (or a lone
    ":"), else a stand-in that cannot start a command and its last two characters."""
    stripped = line[_lead(line):]
    if stripped in ("", ":"):
        return stripped
    return "." + line[-2:]


def in_actions(env: Mapping[str, str] | None = None) -> bool:
    """In a GitHub Actions step (GITHUB_ACTIONS=true), where the runner reads workflow commands."""
    return (os.environ if env is None else env).get("GITHUB_ACTIONS") == "true"


class Terminal:
    """Writes what a command prints, flushed (CI logs show each line when it is written).

    In GitHub Actions (``env``, default os.environ) every workflow command in the text is
    broken (:class:`CommandGuard`) but a :class:`WorkflowCommand`, mlci's own, which gets a
    line of its own. Outside Actions the text is written as it is.
    """

    def __init__(self, stream: Callable[[], TextIO] = lambda: sys.stdout, env: Mapping[str, str] | None = None) -> None:
        self._stream = stream
        self._env = env
        self._guard = CommandGuard()

    def __call__(self, text: str, nl: bool = True) -> None:
        if isinstance(text, WorkflowCommand):
            text = ("" if self._guard.at_line_start() else "\n") + text + "\n"
            self._guard("\n")  # the runner starts a new line after it
        else:
            text = str(text) + ("\n" if nl else "")
            if in_actions(self._env):
                text = self._guard(text)
        out = self._stream()
        out.write(text)
        out.flush()


# The commands' defaults; cli.py passes the same two, so that each stream has one guard.
echo = Terminal()
echo_err = Terminal(lambda: sys.stderr)
