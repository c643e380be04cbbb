"""In GitHub Actions, nothing mlci prints starts a workflow command (issue 12, finding 7).

The runner's rule is modelled here as actions/runner reads it: each line of a step's
standard output and standard error (StreamReader.ReadLine: a line ends at \\n, \\r or
\\r\\n) goes to ActionCommandManager.TryProcessCommand, which tries ActionCommand.TryParseV2
(after TrimStart(), the line starts with "::"; the name runs from the third character to a
space or the next "::") and then ActionCommand.TryParse ("##[" anywhere; the name runs from
after it to a space or "]"). A name counts only when it is a registered command, compared
without case. Those .NET calls compare by culture (ICU on Linux), which ignores controls and
zero-width characters, so the model also finds a "::" or "##[" that only such a comparison
sees, at every place it could: it sees at least what the runner sees.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlci.commands import Terminal, workflow_command
from tests.cli import run_main
from tests.repo_helpers import commit, init_repo, sh, write

# Runner.Worker: "stop-commands" and every IActionCommandExtension's Command.
REGISTERED = {
    "stop-commands", "error", "warning", "notice", "debug", "add-mask", "add-path", "set-env",
    "set-output", "save-state", "group", "endgroup", "echo", "add-matcher", "remove-matcher",
}
# char.IsWhiteSpace, what TrimStart() removes.
NET_SPACE = set("\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {chr(c) for c in range(0x2000, 0x200B)}
# What an ICU comparison may skip: controls and default-ignorable characters.
IGNORED = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                     "\u2060-\u206f\ufe00-\ufe0f\ufeff]")

HOSTILE = [
    "::error file=x::y",
    "::add-mask::secret",
    "::stop-commands::abc",
    "##[error]boom",
    "##[add-mask]secret",
    "  \t::warning title=t::w",
    "\u3000::notice::fullwidth space before",
    "name ##[set-output name=x]1",
    "::ERROR::upper case",
    "a\r::error::after a carriage return",
]
# Not commands even by ICU's rule (the name is read at fixed offsets, so it would start with
# ":"), but close enough that the guard breaks them too.
NEAR = ["\u200b::error::zero-width first", ":\x00:error::nul between", "#\u200b#[error]x", "\x1c::error::x"]


def read_lines(text: str) -> list[str]:
    """StreamReader.ReadLine."""
    return re.split(r"\r\n|\r|\n", text)


def _matches(text: str, at: int, value: str, culture: bool) -> bool:
    if not culture:
        return text.startswith(value, at)
    return IGNORED.sub("", text[at:]).startswith(value)


def _indexes(text: str, value: str, start: int, culture: bool) -> list[int]:
    return [i for i in range(start, len(text)) if _matches(text, i, value, culture)]


def _name(info: str, stop: str) -> str:
    return re.split(f"[ {re.escape(stop)}]", info, maxsplit=1)[0]


def commands_in_line(line: str, *, culture: bool) -> list[str]:
    """The registered commands the runner could read in ``line`` (TryParseV2, then TryParse)."""
    found = []
    message = line.lstrip("".join(NET_SPACE))
    if _matches(message, 0, "::", culture):
        for end in _indexes(message, "::", 2, culture):
            found.append(_name(message[2:end], ":"))
    for prefix in _indexes(line, "##[", 0, culture):
        close = line.find("]", prefix)
        if close >= 0:
            found.append(_name(line[prefix + 3:close], "]"))
    return [name for name in found if name.lower() in REGISTERED]


def commands_seen(output: str) -> list[str]:
    """Every command the runner could obey in ``output``, by the literal rule and by ICU's."""
    return [name for line in read_lines(output) for culture in (False, True)
            for name in commands_in_line(line, culture=culture)]


def test_the_model_sees_each_hostile_line_as_a_command() -> None:
    for text in HOSTILE:
        assert commands_seen(text), text
    for text in NEAR:
        assert not commands_seen(text), text
    assert commands_seen("::add-mask::x\n##[error]y") == ["add-mask", "add-mask", "error", "error"]
    assert not commands_seen("mlci: a::b ## [x] :: ::unknown::y")


def _written(pieces: list[str], actions: bool = True) -> str:
    out = io.StringIO()
    echo = Terminal(lambda: out, env={"GITHUB_ACTIONS": "true"} if actions else {})
    for piece in pieces:
        echo(piece, nl=False)
    return out.getvalue()


@pytest.mark.parametrize("text", HOSTILE + NEAR)
def test_echo_breaks_every_command_and_reads_the_same(text: str) -> None:
    for pieces in ([text + "\n"], list(text + "\n"), ["  ", text, "\n"]):  # whole, a character at a time, after blanks
        out = _written(pieces)
        assert commands_seen(out) == [], (pieces, out)
        assert out.replace("\u200b", "") == "".join(pieces).replace("\u200b", "")  # only zero-width spaces added


def test_outside_actions_nothing_changes() -> None:
    text = "\n".join(HOSTILE) + "\n"
    assert _written([text], actions=False) == text


def test_mlci_own_workflow_commands_stay_working() -> None:
    out = io.StringIO()
    echo = Terminal(lambda: out, env={"GITHUB_ACTIONS": "true"})
    echo("::error::from the user", nl=False)
    echo(workflow_command("error", "line 1\nline 2 ::x", file="mlci.yaml", title="a:b,c"))
    echo("::warning::from the user again")
    lines = read_lines(out.getvalue())
    assert lines[1] == "::error file=mlci.yaml,title=a%3Ab%2Cc::line 1%0Aline 2 ::x"  # a line of its own
    assert [bool(commands_seen(line)) for line in lines] == [False, True, False, False]  # ours only
    assert set(commands_seen(lines[1])) == {"error"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list(":#[] \t\r\n\u200b\x00\u3000ero-adskmtp=x")), max_size=30),
                max_size=6))
def test_no_text_written_in_any_pieces_starts_a_command(pieces: list[str]) -> None:
    out = _written(pieces)
    assert commands_seen(out) == []
    assert out.replace("\u200b", "") == "".join(pieces).replace("\u200b", "")


# -- through the command line --------------------------------------------------------------

NAMES = ["::error file=x::y", "::add-mask::secret", "::stop-commands::abc", "##[error]legacy"]


@pytest.fixture
def hostile_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Metrics named like commands, one gated, so they land in tables, reasons and rules."""
    path = init_repo(tmp_path / "repo", metrics={name: 0.5 for name in NAMES} | {"accuracy": 0.9})
    write(path, "mlci.yaml", "metrics:\n  'metrics.json:::error file=x::y':\n    min: 0.9\n")
    commit(path, "policy")
    sh(path, "git", "checkout", "-q", "-b", "feature")
    write(path, "metrics.json", {name: 0.25 for name in NAMES} | {"accuracy": "::add-mask::value"})
    write(path, "params.yaml", {"train": {"C": 0.5, "::add-mask::p": "##[error]v"}})
    commit(path, "hostile names")
    monkeypatch.chdir(path)
    for name in [name for name in os.environ if name.startswith("GITHUB_")] + ["GH_TOKEN"]:
        monkeypatch.delenv(name, raising=False)
    return path


def _outputs(capsys: pytest.CaptureFixture[str]) -> str:
    both = ""
    for args in (["report"], ["report", "--format", "md"], ["gate"], ["gate", "--format", "md"]):
        code, out, err = run_main([*args, "--base", "main"] if args[0] == "report" else args, capsys)
        assert code in (0, 1), err
        both += out + err
    return both


def test_report_and_gate_print_no_command_in_actions(hostile_repo: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    outside = _outputs(capsys)
    assert commands_seen(outside)  # what the runner would have obeyed before: the finding
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    inside = _outputs(capsys)
    assert commands_seen(inside) == []
    assert inside.replace("\u200b", "") == outside  # the same report, only made inert
    assert "::error file=x::y" in inside.replace("\u200b", "")


def test_error_messages_on_stderr_start_no_command(hostile_repo: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    write(hostile_repo, "mlci.yaml", "metrics:\n  '##[add-mask]k':\n    min: high\n")
    commit(hostile_repo, "a broken policy")
    code, _, err = run_main(["report", "--base", "HEAD"], capsys)
    assert code == 2 and "##\u200b[add-mask]k" in err
    assert commands_seen(err) == []
    code, _, err = run_main(["report", "--base", "##[add-mask]rev"], capsys)
    assert code == 2 and "add-mask" in err and commands_seen(err) == []


def test_repro_echoes_stage_output_without_its_commands(hostile_repo: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A stage is the PR's code: what it prints reaches the log through `mlci repro`."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    train = (hostile_repo / "train.py").read_text()
    write(hostile_repo, "train.py", "import sys\nprint('::add-mask::from-stage')\nprint('##[error]legacy', file=sys.stderr)\n"
                                    "print('  ::stop-commands::tok')\n" + train)
    commit(hostile_repo, "a noisy stage")
    code, out, err = run_main(["repro"], capsys)
    assert code == 0, err
    assert "add-mask" in out and "stop-commands" in out and "legacy" in out
    assert commands_seen(out + err) == []


def test_real_process_in_actions(hostile_repo: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")} | {"GITHUB_ACTIONS": "true"}
    proc = subprocess.run([sys.executable, "-m", "mlci", "report", "--base", "main"], cwd=hostile_repo, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "add-mask" in proc.stdout and commands_seen(proc.stdout + proc.stderr) == []
    report = json.loads((hostile_repo / "mlci-report" / "report.json").read_text())
    assert {row["key"] for row in report["metrics"]} >= set(NAMES)  # the bundle keeps the names as they are
