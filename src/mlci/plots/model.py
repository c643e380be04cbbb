"""The plots of one comparison as values: what each figure holds at base and head, what was drawn.

Pure: no DVC, no renderer, no files. :mod:`mlci.plots.collect` builds these from DVC's figures
and the renderer's output; the PR comment, the job summary and the terminal report later show
them, so everything a reader is told about a plot (a revision without it, a figure that could
not be drawn) is a field here, never a plot left out.
"""

from __future__ import annotations

import fnmatch
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from mlci.plots.series import PlotData

PlotKind = Literal["vega", "image"]
SideStatus = Literal["present", "missing"]
FileFormat = Literal["png", "svg"]
Hosting = Literal["branch", "mermaid", "none"]

FOLDER = "plots"  # the bundle's folder of drawn plots
NAME_MAX = 80  # characters of a file's stem: room for a suffix within any file system's limit
NOT_DECLARED = "not declared at this revision"
NO_DATA = "DVC found no data for it"


@dataclass(frozen=True)
class PlotSettings:
    """mlci.yaml's ``plots:``: which plots, their size, and where their images are hosted.

    ``include``/``exclude`` are glob patterns of plot ids as dvc.yaml names them; ``width`` is
    the width, in pixels, each image is shown at (its PNG is drawn at twice that, for sharp
    screens). ``hosting``: ``branch`` commits the images to ``branch`` of the same repository
    (keeping ``keep_runs`` runs per PR; a closed PR's go ``retention_days`` after its last run),
    ``mermaid`` shows line and bar data as Mermaid charts and a confusion matrix as a table,
    ``none`` shows only what was drawn (the images are in the bundle either way).
    """

    enabled: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    width: int = 400
    hosting: Hosting = "branch"
    branch: str = "mlci-assets"
    keep_runs: int = 3
    retention_days: int = 14

    def wants(self, plot_id: str) -> bool:
        """Whether the plot of this id is shown: on, matched by ``include`` (or no include), by no ``exclude``."""
        def matches(patterns: tuple[str, ...]) -> bool:
            return any(fnmatch.fnmatchcase(plot_id, pattern) for pattern in patterns)

        return self.enabled and (not self.include or matches(self.include)) and not matches(self.exclude)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlotSettings:
        """From data a schema has validated (mlci.yaml's section as parsed, or the bundle's record)."""
        values: dict[str, Any] = {key: tuple(value) if key in ("include", "exclude") else value
                                  for key, value in data.items()}
        return cls(**values)


@dataclass(frozen=True)
class Side:
    """One revision of a plot: whether DVC had its data there, and if not, why."""

    rev: str  # as the figure names it: a short commit, or "workspace"
    status: SideStatus
    reason: str | None = None  # when missing: DVC's reason, in one line
    rows: int | None = None  # a Vega-Lite figure: this revision's rows in its data


@dataclass(frozen=True)
class PlotFile:
    """A file drawn for a plot, in the bundle directory."""

    path: str  # from the bundle directory, POSIX: plots/<name>.png
    format: FileFormat
    rev: str | None  # an image plot's revision; None: the figure that holds both revisions
    width: int | None = None  # pixels, of a PNG
    height: int | None = None


@dataclass(frozen=True)
class Plot:
    """One plot of the project, base against head: DVC's id and title, each side, the files drawn.

    ``reason`` says why a figure was not drawn (no data at either revision, a specification
    vl-convert could not render, a template DVC could not fill in); the sides say why a
    revision is missing from it.
    """

    id: str
    title: str
    kind: PlotKind
    base: Side
    head: Side
    files: tuple[PlotFile, ...] = ()
    reason: str | None = None
    data: PlotData | None = None  # what a DVC figure shows per revision (for Mermaid); None for others

    @property
    def drawn(self) -> bool:
        return bool(self.files) and self.reason is None

    def png(self, rev: str | None = None) -> PlotFile | None:
        """The PNG drawn for ``rev`` (an image plot's side; None: the figure of both revisions)."""
        return next((f for f in self.files if f.format == "png" and f.rev == rev), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plot:
        """From data the bundle's schema has validated; ValueError when its figure's data is beyond
        what :func:`mlci.plots.series.extract` makes."""
        values = data.get("data")
        return cls(id=data["id"], title=data["title"], kind=data["kind"], base=Side(**data["base"]),
                   head=Side(**data["head"]), files=tuple(PlotFile(**f) for f in data["files"]),
                   reason=data["reason"], data=None if values is None else PlotData.from_dict(values))


def side(rev: str, *, has_data: bool, declared: bool, error: str | None, rows: int | None = None) -> Side:
    """The side of a plot at ``rev``: present when DVC has its data there; else DVC's own reason
    (``error``), else that the revision does not declare it, else that DVC found nothing."""
    if has_data:
        return Side(rev, "present", rows=rows)
    return Side(rev, "missing", reason=error or (NO_DATA if declared else NOT_DECLARED))


def rows_by_revision(spec: Mapping[str, Any]) -> dict[str, int]:
    """How many rows of a DVC Vega-Lite figure's inline data each revision has (its ``rev`` field)."""
    counts: dict[str, int] = {}
    values = spec.get("data", {}).get("values", []) if isinstance(spec.get("data"), Mapping) else []
    for row in values if isinstance(values, list) else []:
        if isinstance(row, Mapping):
            rev = str(row.get("rev"))
            counts[rev] = counts.get(rev, 0) + 1
    return counts


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_names(ids: Iterable[str]) -> dict[str, str]:
    """A file stem for each plot id, safe in any folder and unique among them.

    Ids are DVC's (``roc``, ``plots/roc.json``, ``eval/importance.png``) and come from the PR's
    dvc.yaml, so a name keeps only letters, digits, ``.``, ``_`` and ``-`` (``/`` and the like
    become ``-``), never starts with a dot (no ``..``, no hidden file) and is at most NAME_MAX
    characters; an image's own extension is dropped (its files get theirs). Two ids that come to
    the same name get ``-2``, ``-3`` in the order given.
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    for plot_id in ids:
        if plot_id in names:
            continue
        stem = re.sub(r"\.(png|jpe?g|svg|gif)$", "", plot_id, flags=re.I)
        name = _UNSAFE.sub("-", stem).strip("-.")[:NAME_MAX].strip("-.") or "plot"
        unique, n = name, 1
        while unique.lower() in taken:
            n += 1
            unique = f"{name[:NAME_MAX - len(str(n)) - 1]}-{n}"
        taken.add(unique.lower())
        names[plot_id] = unique
    return names


def stems(plots: Iterable[Plot]) -> dict[str, str]:
    """The file stem of each plot's files in the bundle, as :mod:`mlci.plots.collect` names them."""
    return safe_names(plot.id for plot in plots)


def png_path(plot: Plot, stem: str, rev: str | None) -> str:
    """Where mlci writes a plot's PNG in the bundle: the figure's (``rev`` None), or an image plot's
    file at ``rev`` (base, else head). Made from the stem, never from a bundle's record."""
    if rev is None:
        return f"{FOLDER}/{stem}.png"
    role = "base" if rev == plot.base.rev else "head"
    return f"{FOLDER}/{stem}.{role}.png"


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG from its IHDR chunk; ValueError when ``data`` is no PNG."""
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)
