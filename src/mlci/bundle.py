"""The bundle on disk: a directory with report.json, report.md and (after ``mlci repro``) repro.json.

Each file is written atomically (:mod:`mlci.files`) and read back through its one codec in
:mod:`mlci.report`, which validates it against the bundle's JSON Schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlci.errors import BundleError
from mlci.files import write_atomically
from mlci.report import REPORT_JSON, REPORT_MD, REPRO_JSON, Report, Repro


def write_bundle(report: Report, out: str | Path, markdown: str) -> Path:
    """Write report.json and report.md into ``out``, each atomically."""
    out = Path(out)
    _write(out / REPORT_JSON, report.to_json())
    _write(out / REPORT_MD, markdown)
    return out


def read_bundle(path: str | Path) -> Report:
    """Read and validate a bundle directory (or its report.json)."""
    path = Path(path)
    file = path / REPORT_JSON if path.is_dir() else path
    try:
        text = file.read_text("utf-8")
    except FileNotFoundError:
        raise BundleError(f"{file}: no report bundle here; run `mlci report --out {path}` first") from None
    except OSError as exc:
        raise BundleError(f"{file}: {exc.strerror}") from None
    return Report.from_dict(_json(text, file))


def write_repro(result: Repro, out: str | Path, head_sha: str | None) -> Path:
    """Keep what ``mlci repro`` did in the bundle directory, for ``mlci report`` to pick up."""
    path = Path(out) / REPRO_JSON
    _write(path, result.to_record(head_sha))
    return path


def read_repro(out: str | Path, head_sha: str | None) -> Repro | None:
    """The repro record in ``out`` when there is one made on ``head_sha``; None otherwise.

    A record made on another commit is stale (an earlier run in the same folder), and one
    that is unreadable or breaks the schema was not written by this mlci: neither is used.
    """
    path = Path(out) / REPRO_JSON
    try:
        sha, result = Repro.from_record(_json(path.read_text("utf-8"), path))
    except (OSError, BundleError):
        return None
    return result if sha == head_sha else None


def _json(text: str, file: Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BundleError(f"{file}:{exc.lineno}: not valid JSON: {exc.msg}") from None


def _write(path: Path, text: str) -> None:
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise BundleError(f"{path}: cannot write it: {exc.strerror or exc}") from None
