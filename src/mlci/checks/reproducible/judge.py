"""The reproducibility check's judgement (pure): after ``mlci repro``, dvc.lock and the outputs
kept in git must be as committed.

A difference means the PR forgot to commit dvc.lock (or an output kept in git), or a stage
is not deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from mlci.checks.reproducible.spec import LOCK, ReproducibleSpec, WorkTree
from mlci.errors import CheckError, ConfigError
from mlci.evidence import Evidence
from mlci.render.fmt import listing, stage_summary
from mlci.report import GateResult, GateStatus, Table
from mlci.yamlfile import LOCK_LIMITS, load_yaml

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
            for stage, files in lock_differences(_load(lock.committed, f"{path} (committed)"),
                                                 _load(lock.now, path)).items():
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
    old, new = _mapping(before.get("stages")), _mapping(after.get("stages"))
    out: dict[str, list[str]] = {}
    for stage in sorted(set(old) | set(new), key=str):
        a, b = _mapping(old.get(stage)), _mapping(new.get(stage))
        if a == b:
            continue
        a_outs = _outs(a)
        b_outs = _outs(b)
        out[str(stage)] = sorted(str(p) for p in set(a_outs) | set(b_outs) if a_outs.get(p) != b_outs.get(p))
    return out


def _mapping(value: Any) -> Mapping[Any, Any]:
    return value if isinstance(value, Mapping) else {}


def _outs(stage: Mapping[Any, Any]) -> dict[Any, Any]:
    outs = stage.get("outs")
    return {_mapping(o).get("path"): o for o in (outs if isinstance(outs, list) else [])}


def _load(text: str, file: str) -> Mapping[str, Any]:
    """dvc.lock's data, read within LOCK_LIMITS: a PR commits its own, maybe an alias bomb."""
    try:
        data = load_yaml(text, file, LOCK_LIMITS)
    except ConfigError as exc:
        raise CheckError(str(exc)) from None
    return data if isinstance(data, Mapping) else {}

