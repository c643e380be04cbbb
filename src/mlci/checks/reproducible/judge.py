"""The reproducibility check's judgement (pure): after ``mlci repro``, dvc.lock and the outputs
kept in git must be as committed.

A difference means the PR forgot to commit dvc.lock (or an output kept in git), or a stage
is not deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import yaml

from mlci.checks.reproducible.spec import LOCK, ReproducibleSpec, WorkTree
from mlci.evidence import Evidence
from mlci.render.fmt import listing, stage_summary
from mlci.report import GateResult, GateStatus, Table

RULE = "dvc.lock and tracked outputs unchanged by `mlci repro`"
HINT = "commit dvc.lock after `dvc repro`, or make the stage deterministic (fixed seeds)"
MAX_LISTED = 5  # outputs named in the reason; the table has them all


def judge(spec: ReproducibleSpec, tree: WorkTree, evidence: Evidence) -> list[GateResult]:
    def result(status: GateStatus, reason: str, table: Table | None = None) -> list[GateResult]:
        return [GateResult(kind="reproducible", subject="pipeline", status=status, reason=reason, rule=RULE,
                           informational=spec.informational, line=spec.line, table=table)]

    repro = evidence.repro
    if repro is None:
        return result("fail", "no pipeline run recorded for this commit: run `mlci repro` before `mlci report`")
    before = set(repro.dirty_before)
    changed = [p for p in sorted(tree.changed) if p not in before and not p.startswith(".dvc/")
               and not any(p == d or p.startswith(f"{d.rstrip('/')}/") for d in tree.ignored)]
    if not changed:
        note = f"; {len(before)} files were already changed before the run" if before else ""
        return result("pass", f"dvc.lock matches the commit: {stage_summary(repro)}{note}")

    locks = {lock.path: lock for lock in tree.locks}
    culprits: dict[str, list[str]] = {}
    uncommitted, deleted = [], []
    for path in (p for p in changed if PurePath(p).name == LOCK):
        lock = locks.get(path)
        if lock is None:
            deleted.append(path)
        elif lock.committed is None:
            uncommitted.append(path)
        else:
            for stage, files in lock_differences(_load(lock.committed), _load(lock.now)).items():
                culprits.setdefault(stage, []).extend(files)
    outputs = [p for p in changed if PurePath(p).name != LOCK]
    rows = [(stage, ", ".join(files) or "(dependencies or command)") for stage, files in sorted(culprits.items())]
    rows += [(lock, "not committed") for lock in uncommitted]
    rows += [(lock, "deleted") for lock in deleted]
    rows += [("(tracked in git)", path) for path in outputs]
    parts = []
    if uncommitted:
        parts.append(f"{', '.join(uncommitted)} is not committed")
    if deleted:
        parts.append(f"the pipeline run deleted {', '.join(deleted)}")
    if culprits:
        named = "; ".join(f"stage '{s}' ({', '.join(f) or 'its deps or command'})" for s, f in sorted(culprits.items()))
        parts.append(f"the pipeline run changed the commit's dvc.lock: {named}")
    if outputs:
        parts.append(f"outputs differ from the commit: {listing(outputs, MAX_LISTED, more='{} more', last=' and ')}")
    return result("fail", f"{'; '.join(parts)}: {HINT}", Table(headers=("stage", "files that differ"), rows=tuple(rows)))


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

