"""Reproducibility: after ``mlci repro``, dvc.lock and tracked outputs must be as committed.

A difference means the PR forgot to commit dvc.lock (or an output kept in
git), or a stage is not deterministic. This module reads git state, so it sits
at the edge; the comparison of lock files is a pure function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from mlci import git
from mlci.config import ReproducibleSpec
from mlci.report import GateResult, Repro, Table

LOCK = "dvc.lock"


def evaluate_reproducible(spec: ReproducibleSpec, cwd: str | Path, repro: Repro | None,
                          *, ignore: tuple[str, ...] = ("mlci-report",)) -> GateResult:
    rule = "dvc.lock and tracked outputs unchanged by `mlci repro`"

    def result(status: str, reason: str, table: Table | None = None) -> GateResult:
        return GateResult(kind="reproducible", subject="pipeline", status=status, reason=reason, rule=rule,  # type: ignore[arg-type]
                          informational=spec.informational, line=spec.line, table=table)

    if repro is None:
        return result("fail", "no pipeline run recorded for this commit: run `mlci repro` before `mlci report`")
    before = set(repro.dirty_before)
    changed = sorted(p for p in git.status_paths(cwd) if p not in before and not p.startswith(".dvc/"))
    changed = [p for p in changed if not any(p == d or p.startswith(f"{d.rstrip('/')}/") for d in ignore)]
    stages = _stage_summary(repro)
    if not changed:
        note = f"; {len(before)} files were already changed before the run" if before else ""
        return result("pass", f"dvc.lock matches the commit: {stages}{note}")

    locks = [p for p in changed if Path(p).name == LOCK]
    culprits: dict[str, list[str]] = {}
    uncommitted = []
    for lock in locks:
        now = _load((Path(git.toplevel(cwd)) / lock).read_text("utf-8"))
        head = git.show_file(cwd, "HEAD", lock)
        if head is None:
            uncommitted.append(lock)
            continue
        for stage, files in lock_differences(_load(head), now).items():
            culprits.setdefault(stage, []).extend(files)
    outputs = [p for p in changed if Path(p).name != LOCK]
    rows = [(stage, ", ".join(files) or "(dependencies or command)") for stage, files in sorted(culprits.items())]
    rows += [(lock, "not committed") for lock in uncommitted]
    rows += [("(tracked in git)", path) for path in outputs]
    parts = []
    if uncommitted:
        parts.append(f"{', '.join(uncommitted)} is not committed")
    if culprits:
        named = "; ".join(f"stage '{s}' ({', '.join(f) or 'its deps or command'})" for s, f in sorted(culprits.items()))
        parts.append(f"the pipeline run changed the commit's dvc.lock: {named}")
    if outputs:
        parts.append(f"outputs differ from the commit: {_list(outputs)}")
    hint = "commit dvc.lock after `dvc repro`, or make the stage deterministic (fixed seeds)"
    return result("fail", f"{'; '.join(parts)}: {hint}", Table(headers=("stage", "files that differ"), rows=tuple(rows)))


def lock_differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[str]]:
    """Stages whose dvc.lock entries differ, with the output paths whose hashes differ."""
    old = before.get("stages") or {}
    new = after.get("stages") or {}
    out: dict[str, list[str]] = {}
    for stage in sorted(set(old) | set(new)):
        a, b = old.get(stage) or {}, new.get(stage) or {}
        if a == b:
            continue
        a_outs = {o.get("path"): o for o in a.get("outs") or []}
        b_outs = {o.get("path"): o for o in b.get("outs") or []}
        out[stage] = sorted(str(p) for p in set(a_outs) | set(b_outs) if a_outs.get(p) != b_outs.get(p))
    return out


def _load(text: str) -> Mapping[str, Any]:
    data = yaml.safe_load(text)
    return data if isinstance(data, Mapping) else {}


def _stage_summary(repro: Repro) -> str:
    from mlci.render.view import stage_summary

    return stage_summary(repro)


def _list(paths: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")
