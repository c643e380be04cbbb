"""Report objects for renderer tests, built directly (no git, no DVC)."""

from __future__ import annotations

from typing import Any

from mlci.report import Context, MetricRow, ParamRow, Problem, Report, Repro, Revision, StageRun


def metric(key: str, base: Any, head: Any, path: str = "metrics.json") -> MetricRow:
    """A row as compare.py would make it, status and change included."""
    from mlci.compare import compare_metrics

    base_files = {path: {key: base}} if base is not None else {path: {}}
    head_files = {path: {key: head}} if head is not None else {path: {}}
    (row,) = compare_metrics(base_files, head_files)
    return row


def param(key: str, base: Any, head: Any, path: str = "params.yaml") -> ParamRow:
    status = "added" if base is None else "removed" if head is None else ("unchanged" if base == head else "changed")
    return ParamRow(path=path, key=key, base=base, head=head, status=status)  # type: ignore[arg-type]


def pr_context(**overrides: Any) -> Context:
    values: dict[str, Any] = {
        "event": "pull_request",
        "base": Revision(rev="main", sha="9e0b7d3aa11f0c2e3d4b5a6978877665544332211"),
        "head": Revision(rev="feature/tune", sha="4f1c2a9bb22e1d3f4c5b6a7988776655443322110"),
        "repository": "acme/churn",
        "pr_number": 42,
        "workflow": "ml",
        "run_id": "118",
        "server_url": "https://github.com",
        "default_branch": "main",
        "base_reason": "the PR's base branch",
    }
    values.update(overrides)
    return Context(**values)


def local_context() -> Context:
    return Context(
        event="local",
        base=Revision(rev="main", sha="9e0b7d3aa11f0c2e3d4b5a6978877665544332211"),
        head=Revision(rev="workspace", sha="abc1234def5678900112233445566778899aabbc", workspace=True),
    )


def small_report(**overrides: Any) -> Report:
    """Changed, new, removed, string and unchanged metrics; params; a problem; a pipeline."""
    values: dict[str, Any] = {
        "project": "churn",
        "context": pr_context(),
        "metrics": (
            metric("accuracy", 0.9120, 0.8950),
            metric("loss", 0.2310, 0.2544),
            metric("roc_auc", 0.9702, 0.9715),
            metric("per_class.cat.f1", 0.9012, 0.9012),
            metric("n_rows", 7043, 7043),
            metric("threshold_kind", "f1", "youden"),
            metric("calibration", None, 0.031),
            metric("old_metric", 0.5, None),
        ),
        "params": (
            param("train.C", 1.0, 0.1),
            param("train.max_iter", 200, 500),
            param("train.seed", 42, 42),
            param("train.solver", None, "lbfgs"),
        ),
        "problems": (Problem(source="eval/extra.json", side="head", message="JSON file structure is corrupted"),),
        "repro": Repro(
            stages=(
                StageRun(name="prepare", state="restored", seconds=0.4),
                StageRun(name="train", state="ran", seconds=83.2),
                StageRun(name="evaluate", state="unchanged", seconds=0.0),
            ),
            pulled=True,
            pushed=False,
            seconds=84.1,
        ),
    }
    values.update(overrides)
    return Report(**values)


def big_report(metrics: int = 10_000, params: int = 2_000) -> Report:
    """Many metrics (every third changed, by a growing amount) and many changed params."""
    rows = []
    for i in range(metrics):
        base = 0.5 + (i % 100) / 1000
        head = base * (1 + i / metrics) if i % 3 == 0 else base
        rows.append(metric(f"group_{i // 100}.metric_{i}", base, head, path=f"eval/part_{i % 2}.json"))
    prows = tuple(param(f"stage_{i // 50}.value_{i}", i, i + 1) for i in range(params))
    return Report(project="big", context=pr_context(), metrics=tuple(rows), params=prows)
