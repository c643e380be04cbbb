"""The bundle on disk: a directory with report.json, report.md and (after ``mlci repro``) repro.json.

Each file is written atomically (:mod:`mlci.files`) and read back through its one codec in
:mod:`mlci.report`, which validates it against the bundle's JSON Schema. What is written is
validated first, so mlci never writes a bundle its own reader rejects. A bundle may come from
a fork, so reading it is bounded (:mod:`mlci.safeload`): regular files only, never through a
symlink that leaves the bundle, within a size, a nesting depth and a length of numbers; and
no message repeats more than a few dozen characters of a value from it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mlci.errors import BundleError
from mlci.files import write_atomically
from mlci.plots.model import png_path, png_size, stems
from mlci.report import REPORT_JSON, REPORT_MD, REPRO_JSON, Report, Repro, validate
from mlci.safeload import load_json, read_bytes, read_text

MAX_REPORT = 64_000_000  # bytes of report.json: the schema's item and length limits allow about this much
MAX_REPRO = 4_000_000  # bytes of repro.json: a list of stages and a few lines
MAX_IMAGE = 10_000_000  # bytes of a plot's PNG: GitHub shows images in comments up to 10 MB
MAX_MESSAGE = 300  # characters of an error about a bundle: a value in it is shown cut, never whole


def write_bundle(report: Report, out: str | Path, markdown: str) -> Path:
    """Write report.json and report.md into ``out``, each atomically, once report.json has
    passed the checks ``read_bundle`` makes (BundleError naming the field otherwise)."""
    out = Path(out)
    text = report.to_json()
    try:
        _check_size(text, MAX_REPORT, REPORT_JSON)
        validate(json.loads(text))
    except BundleError as exc:
        raise BundleError(f"the report was not written: {clip(str(exc))}") from None
    _write(out / REPORT_JSON, text)
    _write(out / REPORT_MD, markdown)
    return out


def read_bundle(path: str | Path) -> Report:
    """Read and validate a bundle directory (or its report.json)."""
    path = Path(path)
    folder, file = (path, path / REPORT_JSON) if path.is_dir() else (path.parent, path)
    try:
        text = read_text(file, MAX_REPORT, error=BundleError, within=folder)
    except FileNotFoundError:
        raise BundleError(f"{file}: no report bundle here; run `mlci report --out {path}` first") from None
    try:
        return Report.from_dict(load_json(text, file, error=BundleError))
    except BundleError as exc:
        raise BundleError(clip(str(exc))) from None


def write_repro(result: Repro, out: str | Path, head_sha: str | None) -> Path:
    """Keep what ``mlci repro`` did in the bundle directory, for ``mlci report`` to pick up
    (once the record has passed the checks ``read_repro`` makes)."""
    path = Path(out) / REPRO_JSON
    text = result.to_record(head_sha)
    try:
        _check_size(text, MAX_REPRO, REPRO_JSON)
        Repro.from_record(json.loads(text))
    except BundleError as exc:
        raise BundleError(f"the pipeline's record was not written: {clip(str(exc))}") from None
    _write(path, text)
    return path


def read_repro(out: str | Path, head_sha: str | None) -> Repro | None:
    """The repro record in ``out`` when there is one made on ``head_sha``; None otherwise.

    A record made on another commit is stale (an earlier run in the same folder), and one
    that is unreadable or breaks the schema was not written by this mlci: neither is used.
    """
    path = Path(out) / REPRO_JSON
    try:
        text = read_text(path, MAX_REPRO, error=BundleError, within=out)
        sha, result = Repro.from_record(load_json(text, path, error=BundleError))
    except (OSError, BundleError):
        return None
    return result if sha == head_sha else None


def plot_images(path: str | Path, report: Report) -> tuple[dict[str, bytes], list[str]]:
    """Each PNG drawn for the report's plots, by its path in the bundle, and why any could not be read.

    A file is read where mlci itself writes it, its name made again from the plot's id
    (:func:`mlci.plots.model.png_path`), never from the record's path: a bundle may be a fork's.
    It must be a regular file in the bundle (no symlink out), at most MAX_IMAGE bytes, and a PNG.
    """
    folder = Path(path) if Path(path).is_dir() else Path(path).parent
    names = stems(report.plots)
    found: dict[str, bytes] = {}
    trouble: list[str] = []
    for plot in report.plots:
        if not plot.drawn:
            continue
        for file in plot.files:
            if file.format != "png":
                continue
            where = png_path(plot, names[plot.id], file.rev)
            try:
                data = read_bytes(folder / where, MAX_IMAGE, error=BundleError, within=folder, shown=where)
                png_size(data)
            except FileNotFoundError:
                trouble.append(f"{where}: not in the bundle")
                continue
            except (BundleError, ValueError) as exc:
                trouble.append(clip(str(exc)) if isinstance(exc, BundleError) else f"{where}: not a PNG image")
                continue
            found[where] = data
    return found, trouble


def clip(message: str, value: int = 60, whole: int = MAX_MESSAGE) -> str:
    """``message`` on one line with each quoted value cut to ``value`` characters, and all of it
    to ``whole``: schema errors quote the value at fault, which may be megabytes long."""
    message = " ".join(message.split())
    message = re.sub(r"""(['"])((?:(?!\1).){%d})(?:(?!\1).)+\1""" % value, r"\1\2…\1", message)
    return message if len(message) <= whole else message[:whole] + "…"


def _check_size(text: str, limit: int, name: str) -> None:
    size = len(text.encode("utf-8"))
    if size > limit:
        raise BundleError(f"{name}: {size:,} bytes, more than the {limit:,} a reader accepts")


def _write(path: Path, text: str) -> None:
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise BundleError(f"{path}: cannot write it: {exc.strerror or exc}") from None
