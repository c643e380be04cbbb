"""What the fairness check looks at: the predictions file, read as a DataFrame (CSV or Parquet)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mlci.checks.base import Workspace
from mlci.checks.fairness.spec import FairnessSpec
from mlci.checks.tables import read_table
from mlci.errors import CheckError

if TYPE_CHECKING:
    import pandas as pd


def measure(spec: FairnessSpec, workspace: Workspace) -> pd.DataFrame:
    """The predictions file as read (CheckError when it cannot be, or has no rows)."""
    return _read(workspace.root / spec.predictions, spec)


def _read(path: Path, spec: FairnessSpec) -> pd.DataFrame:
    """The file as a DataFrame, sensitive CSV columns as text; unusable files are a CheckError."""
    frame = read_table(path, spec.predictions, spec.format, text_columns={name: "str" for name in spec.sensitive})
    if frame.empty:
        raise CheckError(f"{spec.predictions}: no rows, nothing to evaluate")
    return frame
