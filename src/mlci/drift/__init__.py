"""Data drift: the current data against a reference, per column, as Evidently tests it by default,
from profiles that stream, merge and save (issue 15's engine; no printing, no CLI).

- :mod:`mlci.drift.stats`: the tests (Evidently's definitions), on sorted samples;
- :mod:`mlci.drift.profile`: what the tests need of a dataset, its accumulators, merge, the file,
  and the error bounds of compressed columns;
- :mod:`mlci.drift.read`: CSV and Parquet, files or directories, in record batches;
- :mod:`mlci.drift.engine`: the choice of test, each column's result, the dataset's verdict.

Typical use::

    reference = load_profile("ref.profile")      # or profile_data("train.parquet")
    result = detect_drift(reference, "prod/")    # a DatasetDrift; result.to_dict() for report.json
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mlci.drift.engine import ColumnDrift, ColumnOptions, DatasetDrift, DriftOptions, compare
from mlci.drift.profile import DriftInputError, Profile, ProfileError, load as load_profile, merge as merge_profiles
from mlci.drift.profile import save as save_profile
from mlci.drift.read import Progress, profile_data, profile_table

__all__ = ["ColumnDrift", "ColumnOptions", "DatasetDrift", "DriftInputError", "DriftOptions", "Profile", "ProfileError",
           "Progress", "compare", "detect_drift", "load_profile", "merge_profiles", "profile_data", "profile_table",
           "save_profile"]


def detect_drift(reference: str | Path | Profile, current: str | Path | Profile, options: DriftOptions = DriftOptions(),
                 *, progress: Callable[[Progress], None] | None = None) -> DatasetDrift:
    """Drift of ``current`` (data, or its profile) against ``reference`` (data, or a profile)."""
    ref = reference if isinstance(reference, Profile) else profile_data(reference, progress=progress)
    against = reference if isinstance(reference, Profile) else None
    cur = current if isinstance(current, Profile) else profile_data(current, progress=progress, against=against)
    return compare(ref, cur, options)
