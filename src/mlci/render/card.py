"""The model card: the body of a version's GitHub release (shared/examples/model-card.md).

What it is and where it came from first, then how good it is against the previous version,
the gates it passed, what it was built from, the environment, and how to get it. Every string
from the project is escaped as in the PR comment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from mlci.release.records import Artifact
from mlci.release.lineage import Entry
from mlci.release.plan import Merged
from mlci.render import view
from mlci.render.escape import md_code, md_escape
from mlci.render.fmt import format_param, plural
from mlci.report import GateResult, MetricRow, ParamRow

KIND_NAMES = {"metric": "metrics", "pipeline": "the pipeline"}
_HEX = re.compile(r"[0-9a-f]{6,64}(\.dir)?")
MAX_ROWS = 50  # metrics, params and lineage rows each: a card is read, not searched
HASH_SHOWN = 6


@dataclass(frozen=True)
class Card:
    artifact: Artifact
    version: str
    tag: str
    commit: str
    previous: str | None  # the previous version, e.g. "v1.3.2"
    bump: str  # why this version: "minor bump: label release:minor", "its first version"
    merged: Merged | None
    metrics: tuple[MetricRow, ...]  # against the previous version (or the first version's own values)
    gates: tuple[GateResult, ...]  # what this commit's report judged
    policy_file: str | None
    params: tuple[ParamRow, ...]
    lineage: tuple[Entry, ...]
    environment: tuple[tuple[str, str], ...]  # (library, version)
    repository: str | None = None  # owner/name, for the `dvc artifacts get` line
    server_url: str = "https://github.com"


def model_card(card: Card) -> str:
    parts = [f"## {md_escape(card.artifact.name)} {card.version}", "", _origin(card), ""]
    if card.artifact.description:
        parts += [md_escape(card.artifact.description), ""]
    parts += _quality(card)
    parts += [_gates(card), ""]
    parts += _lineage(card)
    if card.params:
        shown = ", ".join(f"{md_code(f'{row.key}={format_param(row.head)}')}" for row in card.params[:MAX_ROWS])
        more = f" and {len(card.params) - MAX_ROWS:,} more" if len(card.params) > MAX_ROWS else ""
        parts += [f"Params: {shown}{more}.", ""]
    if card.environment:
        parts += ["### Environment", " · ".join(f"{md_escape(name)} {md_escape(ver)}" for name, ver in card.environment), ""]
    parts += _use(card)
    return "\n".join(parts).rstrip() + "\n"


def _origin(card: Card) -> str:
    pr = card.merged
    if pr is not None and pr.number is not None:
        title = f" {md_escape(repr_title(pr.title))}" if pr.title else ""
        source = f"from #{pr.number}{title} (merged as {md_code(card.commit[:7])})"
    else:
        source = f"from {md_code(card.commit[:7])}"
    return f"Registered by mlci {source} · tag {_plain(card.tag)} · {md_escape(card.bump)}"


def repr_title(title: str) -> str:
    return '"' + " ".join(title.split())[:200] + '"'


def _quality(card: Card) -> list[str]:
    rows = [r for r in card.metrics if r.status != "removed"][:MAX_ROWS]
    if not rows:
        return []
    gates: dict[str, list[GateResult]] = {}
    for gate in card.gates:
        if gate.kind == "metric":
            gates.setdefault(gate.subject, []).append(gate)
    if card.previous is None:
        lines = ["### Quality", "| metric | value |", "|---|--:|"]
        for row in rows:
            name, _, head, _ = view.metric_cells(row, False, md_escape)
            lines.append(f"| {name} | {head} |")
        return [*lines, ""]
    lines = [f"### Quality, against {card.previous}", f"| metric | {card.previous} | {card.version} | change |",
             "|---|--:|--:|--:|"]
    for row in rows:
        direction = view.gate_direction(gates.get(row.id) or gates.get(row.key))
        name, base, head, change = view.metric_cells(row, False, md_escape, direction)
        lines.append(f"| {name} | {base} | {head} | {change} |")
    return [*lines, ""]


def _gates(card: Card) -> str:
    blocking = [g for g in card.gates if not g.informational]
    kinds = list(dict.fromkeys(KIND_NAMES.get(g.kind, g.kind) for g in blocking))
    where = f" (policy {md_code(card.policy_file)} at {md_code(card.commit[:7])})" if card.policy_file else ""
    if not blocking:
        return (f"No gate judged this commit{where}: its policy sets none." if card.policy_file
                else "No gate judged this commit: the project has no mlci.yaml.")
    passed = sum(1 for g in blocking if g.status in ("pass", "warn", "skipped"))
    word = "All" if passed == len(blocking) else f"{passed} of"
    served = [f"Served as {md_escape(g.subject)}: {md_escape(g.reason)}." for g in card.gates if g.kind == "serving"]
    return "\n\n".join([f"{word} {plural(len(blocking), 'gate')} passed{where}: {', '.join(kinds)}.", *served])


def _lineage(card: Card) -> list[str]:
    model = [e for e in card.lineage if e.path == card.artifact.path]
    shown: Sequence[Entry] = (*model, *(e for e in card.lineage if e.path != card.artifact.path))[:MAX_ROWS]
    lines = ["### What it was built from", "| | path | hash |", "|---|---|---|"]
    for entry in shown:
        role = "model" if entry.path == card.artifact.path else {"dep": "input", "out": "output",
                                                                    "tracked": "data"}[entry.role]
        lines.append(f"| {role} | {md_code(entry.path)} | {_plain(_short(entry.hash)) if _HEX.fullmatch(entry.hash) else md_code(entry.hash)} |")
    lines.append(f"| code | git | {md_code(card.commit[:7])} |")
    if len(card.lineage) > MAX_ROWS:
        lines.append(f"\n… and {len(card.lineage) - MAX_ROWS:,} more in dvc.lock at {md_code(card.commit[:7])}.")
    return [*lines, ""]


def _short(value: str) -> str:
    return value if len(value) <= 2 * HASH_SHOWN else f"{value[:HASH_SHOWN]}…{value[-3:]}"


def _use(card: Card) -> list[str]:
    where = f"{card.server_url}/{card.repository}" if card.repository else "."
    return ["### Use it",
            f"- {_plain(f'dvc artifacts get {where} {card.artifact.name}@{card.version}')}",
            f"- {_plain(f'gto show {card.artifact.name}')} lists every version and stage."]


def _plain(text: str) -> str:
    """Code of mlci's own making, to copy: a tag, a command. Its characters are GTO's (letters,
    digits, ``-_/:=@.``) and a URL's, so plain backticks suffice, and no zero-width space that
    keeps a mention from linking (a mention is not linked in code) breaks the copy."""
    return f"`{text}`"
