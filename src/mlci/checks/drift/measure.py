"""The drift check's measurement: the reference (data or a saved profile) and the current data read
in record batches by the drift engine (:mod:`mlci.drift`), every column tested, as a
:class:`~mlci.checks.drift.spec.DriftRecord`.

Paths are relative to the project root. A path read at a revision (``reference_rev``,
``current_rev``), or one absent from the workspace, is fetched first into a temporary folder
by a workspace that can (``fetch``, as collect.py's, through DVC: its cache or its remote); a
plain workspace reads only what is on disk. Unreadable data, a bad profile: the engine's
MlciError naming the file (exit 2 in ``mlci drift``; a failed gate in ``mlci report``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from mlci.checks.base import Workspace
from mlci.checks.drift.spec import ColumnResult, DriftRecord, DriftSpec
from mlci.errors import CheckError
from mlci.extras import require

if TYPE_CHECKING:
    from mlci.drift import DatasetDrift, DriftOptions, Profile, Progress


@runtime_checkable
class Fetches(Protocol):
    """A workspace that can copy a path, at a git revision or from DVC, into a folder."""

    def fetch(self, path: str, rev: str | None, into: Path) -> Path: ...


def measure(spec: DriftSpec, workspace: Workspace, *, progress: Callable[[Progress], None] | None = None) -> DriftRecord:
    """The spec's reference and current data compared, column by column."""
    result, reference_rows, current_rows = compare(spec, workspace, progress=progress)
    return record(spec, result, reference_rows, current_rows)


def compare(spec: DriftSpec, workspace: Workspace, *,
            progress: Callable[[Progress], None] | None = None) -> tuple[DatasetDrift, int, int]:
    """The engine's DatasetDrift of the spec's pair, and the rows of each side (files fetched when
    they must be, then removed). Against a saved profile the current data is binned on its grid,
    as :func:`mlci.drift.detect_drift` does."""
    require("drift", "the drift check")
    with tempfile.TemporaryDirectory(prefix="mlci-drift-") as scratch:
        reference = locate(workspace, spec.reference, spec.reference_rev, Path(scratch, "reference"))
        current = locate(workspace, spec.current, spec.current_rev, Path(scratch, "current"))
        return compare_paths(spec, reference, current, progress=progress)


def compare_paths(spec: DriftSpec, reference: Path, current: Path, *,
                  progress: Callable[[Progress], None] | None = None) -> tuple[DatasetDrift, int, int]:
    """:func:`compare` of the files on disk at ``reference`` and ``current``."""
    require("drift", "the drift check")
    from mlci.drift import compare as compare_profiles
    from mlci.drift import load_profile, profile_data

    ref: Profile = load_profile(reference) if spec.is_profile else profile_data(reference, progress=progress)
    cur = profile_data(current, progress=progress, against=ref if spec.is_profile else None)
    return compare_profiles(ref, cur, options(spec)), ref.rows, cur.rows


def locate(workspace: Workspace, path: str, rev: str | None, scratch: Path) -> Path:
    """Where to read ``path`` (at ``rev``): in the workspace, else fetched into ``scratch``."""
    local = workspace.root / path
    if rev is None and local.exists():
        return local
    if not isinstance(workspace, Fetches):
        at = f"{path}@{rev}" if rev else path
        raise CheckError(f"{at}: not in the workspace" + (" (reading at a revision needs DVC)" if rev else ""))
    scratch.mkdir(parents=True, exist_ok=True)
    return workspace.fetch(path, rev, scratch)


def options(spec: DriftSpec) -> DriftOptions:
    """The engine's options from the spec (its column options checked again by the engine)."""
    from mlci.drift import ColumnOptions, DriftOptions

    return DriftOptions(threshold_share=spec.threshold_share, min_rows=spec.min_rows, ignore=spec.ignore,
                        columns={c.name: ColumnOptions(method=c.method, threshold=c.threshold, kind=c.kind, bins=c.bins)
                                 for c in spec.columns})


def record(spec: DriftSpec, result: DatasetDrift, reference_rows: int, current_rows: int) -> DriftRecord:
    """The engine's result as the check's record."""
    columns = tuple(ColumnResult(column=c.column, kind=c.kind, method=c.method, score=_number(c.score),
                                 threshold=_number(c.threshold), drifted=c.drifted, reference_rows=c.reference_rows,
                                 current_rows=c.current_rows, reason=c.reason, error_bound=float(c.error_bound))
                    for c in result.columns)
    return DriftRecord(reference=spec.reference_label, current=spec.current_label, reference_rows=reference_rows,
                       current_rows=current_rows, columns=columns)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
