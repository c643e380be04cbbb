"""What every check is made of: its spec (from mlci.yaml), its measurement (I/O, collected
before judging) and its judgement (pure). A check is one :class:`Check`; the registry in
``mlci.checks`` lists them in the order their gates are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlci.report import GateKind, GateResult

from mlci.evidence import Evidence

ConfigPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Source:
    """Where a check's section of mlci.yaml sits: for its specs' lines and error messages."""

    file: str
    lines: Mapping[ConfigPath, int]
    where: Callable[[ConfigPath], str]  # "mlci.yaml:12: checks.data[0]"

    def line(self, path: ConfigPath) -> int | None:
        return self.lines.get(path)


@dataclass(frozen=True)
class Workspace:
    """What a measurement may look at: the repository's root, and the paths it leaves out
    (the bundle directory)."""

    root: Path
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    """One kind of check.

    ``path``: its section of mlci.yaml (``("metrics",)``, ``("checks", "data")``).
    ``parse(section, source)``: the specs of that section (ConfigError on a mistake).
    ``measure(spec, workspace)``: everything the judgement needs from outside (files, git,
    timings); None when the evidence every check shares is enough. It may raise CheckError
    or MissingExtra, which fail the gate. ``extra``: the mlci extra a spec's measurement
    needs (checked before measuring), or None.
    ``judge(spec, measured, evidence)``: the gates, pure: no file, process, network or clock.
    ``subject(spec)`` and ``informational(spec)`` / ``line(spec)``: for a gate that could not
    be measured or judged. ``count(spec)``: how many gates the spec stands for in the policy.
    """

    kind: GateKind
    path: ConfigPath
    parse: Callable[[Any, Source], tuple[Any, ...]]
    judge: Callable[[Any, Any, Evidence], Sequence[GateResult]]
    subject: Callable[[Any], str]
    measure: Callable[[Any, Workspace], Any] | None = None
    extra: Callable[[Any], str | None] = lambda spec: None
    informational: Callable[[Any], bool] = lambda spec: bool(getattr(spec, "informational", False))
    line: Callable[[Any], int | None] = lambda spec: getattr(spec, "line", None)
    count: Callable[[Any], int] = lambda spec: 1

    @property
    def key(self) -> str:
        return ".".join(str(p) for p in self.path)
