"""What the data check looks at: the spec's file, read as a DataFrame (CSV or Parquet)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mlci.checks.base import Workspace
from mlci.checks.data.spec import DataSpec
from mlci.checks.tables import read_table

if TYPE_CHECKING:
    import pandas as pd


def measure(spec: DataSpec, workspace: Workspace) -> pd.DataFrame:
    """The spec's file as read (CheckError when it cannot be)."""
    return read_frame(workspace.root / spec.path, spec)


def read_frame(path: Path, spec: DataSpec) -> pd.DataFrame:
    """The file as a DataFrame (str columns of a CSV as text); unusable files are a CheckError."""
    text_columns = {c.name: "str" for c in spec.columns if c.kind == "str"}
    return read_table(path, spec.path, spec.format, text_columns=text_columns)
