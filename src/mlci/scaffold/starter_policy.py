"""The starter mlci.yaml: a gate per metric (or per wildcard), with comments saying why."""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence

import yaml

from mlci import ACTION_MAJOR, ACTION_REPOSITORY
from mlci.scaffold.gates import Gate, MetricsFile, gates_for

DOCS_URL = f"https://github.com/{ACTION_REPOSITORY}/blob/{ACTION_MAJOR}/docs/configuration.md"

# The regression guard of every gate: relative, so one number suits metrics of any scale.
MAX_DROP = "2%"
# Timings move a lot between two runs of the same code on CI runners.
TIMING_MAX_DROP = "20%"


def yaml_number(value: float) -> str:
    """A number as YAML 1.1 (PyYAML) reads back as the same number: ``1e-05`` would be a string."""
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa if '.' in mantissa else mantissa + '.0'}e{exponent}"
    return text


def yaml_key(text: str) -> str:
    """A mapping key that reads back as ``text``: plain when it can be, else double-quoted by
    YAML's own emitter, which escapes what YAML reads as a line break (U+2028, U+0085) or
    cannot hold (controls)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_./-]*", text) and yaml.safe_load(f"{text}: 0") == {text: 0}:
        return text
    return yaml.safe_dump(text, default_style='"', allow_unicode=True, width=math.inf).rstrip("\n")


# What a YAML comment cannot hold as it is: line breaks YAML knows besides \n (U+0085, U+2028,
# U+2029 would end the comment, and the rest of the name would be read as YAML), characters
# YAML refuses, and bidi controls (the comment would read otherwise than it parses).
_NOT_FOR_A_COMMENT = re.compile("[^\t\x20-\x7e\xa0-\u2027\u202f-\u2065\u206a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def comment_safe(text: str) -> str:
    """``text`` for a YAML comment: each character it cannot hold as an escape (``\\u2028``)."""
    return _NOT_FOR_A_COMMENT.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def _examples(members: Sequence[str], shown: int = 3) -> str:
    listed = ", ".join(members[:shown])
    return f"{listed}, ..." if len(members) > shown else listed


def _gate_lines(gate: Gate) -> list[str]:
    head = f"  {yaml_key(gate.pattern)}:"
    if len(gate.members) > 1:
        head += f"  # {len(gate.members)} metrics: {comment_safe(_examples(gate.members))}"
    lines = [head]
    if gate.kind in ("count", "not_finite"):
        why = "a count" if gate.kind == "count" else "not a finite number now"
        return [*lines, f"    informational: true  # {why}: shown, never failing"]
    if gate.direction == "lower":
        lines.append("    direction: lower")
    if gate.kind == "timing":
        return [*lines, f'    max_drop: "{TIMING_MAX_DROP}"', "    informational: true  # timings vary between runs: shown, never failing"]
    lines.append(f'    max_drop: "{MAX_DROP}"')
    if gate.worst is not None:
        lines.append(f"    # {'min' if gate.direction == 'higher' else 'max'}: {yaml_number(gate.worst)}")
    return lines


def why_no_gates(file: MetricsFile) -> str:
    """Why a metrics file has no gates, as a predicate: "metrics.json has not been produced yet"."""
    if file.problem is None:
        return "has no numbers"
    if file.problem == "file not found":
        return "has not been produced yet (its stage has not run here)"
    return f"could not be read ({file.problem})"


def _comment(text: str, indent: str = "") -> list[str]:
    """``text`` as YAML comment lines of at most 88 characters, never breaking a `code span`."""
    glued = re.sub(r"`[^`]*`", lambda m: m.group(0).replace(" ", "\0"), comment_safe(text))
    lines = textwrap.wrap(glued, width=88, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}# ",
                          break_long_words=False, break_on_hyphens=False)
    return [line.replace("\0", " ") for line in lines]


def _listing(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def policy_text(files: Sequence[MetricsFile]) -> str:
    """The starter mlci.yaml: a gate per metric (or per wildcard), with comments saying why."""
    from mlci.config import SCHEMA_URL

    drafted = gates_for(files)
    gates = [g for _, file_gates in drafted for g in file_gates]
    kinds = {g.kind for g in gates}
    lines = [f"# yaml-language-server: $schema={SCHEMA_URL}"]
    lines += _comment("The quality policy mlci applies to pull requests, written by `mlci init` from the metrics "
                      f"DVC shows ({', '.join(f.path for f in files) or 'none yet'}). On a pull request, the base "
                      "branch's copy of this file applies.")
    lines += [f"# Every key: {DOCS_URL}", "version: 1", ""]
    if gates:
        lines += _comment(f'One gate per metric (a * stands for keys of the same shape). max_drop: "{MAX_DROP}" '
                          f"fails a pull request that makes the metric more than {MAX_DROP} worse than its base "
                          "(relative to the base's value): loose enough for run-to-run noise, tight enough for a "
                          "real regression. Tighten it, or make it absolute (0.01), once you know the noise.")
        if any(g.direction == "lower" for g in gates):
            lines += _comment("direction: lower (lower is better) is a guess from the name: check it.")
        lines += _comment("A commented-out min or max is the value now (a wildcard's worst): uncomment it for a floor.")
        shown_only = [word for kind, word in (("timing", "timings"), ("count", "counts"),
                                               ("not_finite", "values that are not finite numbers")) if kind in kinds]
        if shown_only:
            lines += _comment(f"{_listing(shown_only).capitalize()} are informational: shown, never failing.")
        lines.append("metrics:")
        several = len(drafted) > 1
        for file, file_gates in drafted:
            name = "" if several else f"{file.path}: "
            if several and (file_gates or file.others):
                lines.append(f"  # {file.path}")
            lines += [line for gate in file_gates for line in _gate_lines(gate)]
            if file.others:
                lines += _comment(f"{name}not numbers, so no gates: {_examples(file.others, 5)}", "  ")
            if file.problem is not None:
                lines += _comment(f"{file.path} {why_no_gates(file)}, so it has no gates. Run `dvc repro`, then add "
                                  "its gates here (or run `mlci init --force` again, which rewrites this file).", "  ")
    else:
        if files:
            reasons = "; ".join(f"{f.path} {why_no_gates(f)}" for f in files)
            lines += _comment(f"No gates yet: {reasons}. Run `dvc repro`, then `mlci init --force` to write a "
                              "gate per metric, or add them by hand:")
            example_file = files[0].path
        else:
            lines += _comment("No gates yet: no dvc.yaml of this project declares a metrics file. Declare one "
                              "(a stage's `metrics:`), run `dvc repro`, then `mlci init --force`; or add gates "
                              "by hand:")
            example_file = "your metrics file"
        lines += [
            "# metrics:",
            f"#   accuracy:          # a key of {example_file}, as `dvc metrics show` prints it",
            f'#     max_drop: "{MAX_DROP}"   # at most {MAX_DROP} worse than the base',
        ]
    lines += [
        "",
        "# More checks (data validation, fairness, model size and latency): see the link above.",
        "# checks:",
        "#   reproducible: true  # dvc.lock and the outputs kept in git must match what CI reproduces",
    ]
    return "\n".join(lines) + "\n"
