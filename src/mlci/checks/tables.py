"""Reading the tabular files checks look at (CSV, Parquet), with one-line errors.

I/O: imported by the checks' measurements only, never by a spec or a judgement.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from mlci.extras import require
from mlci.errors import CheckError

if TYPE_CHECKING:
    import pandas as pd

FORMAT_NAMES = {"csv": "CSV", "parquet": "Parquet"}


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_table(path: Path, shown: str, kind: str, *, text_columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The file as a DataFrame (``text_columns`` of a CSV read as text, so 007 stays 007).

    ``kind``: ``csv`` or ``parquet`` (the spec's, from the file's extension). A missing, empty
    or unreadable file is a CheckError naming ``shown``.
    """
    import pandas as pd

    if not path.exists():
        raise CheckError(f"{shown}: file not found")
    if not path.is_file():
        raise CheckError(f"{shown}: not a file")
    if path.stat().st_size == 0:
        raise CheckError(f"{shown}: empty file" + (", no header" if kind == "csv" else ""))
    if kind == "parquet":
        require("parquet", f"reading {shown}")
    try:
        if kind == "parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=dict(text_columns) if text_columns else None, low_memory=False)
    except pd.errors.EmptyDataError:
        raise CheckError(f"{shown}: empty file, no header") from None
    except ImportError as exc:
        raise CheckError(f"{shown}: cannot read {kind}: {exc}") from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        detail = first_line(exc).replace(str(path), shown)
        raise CheckError(f"{shown}: cannot read as {FORMAT_NAMES[kind]}: {detail}") from None
