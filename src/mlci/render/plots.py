"""The plots in the comment and on the terminal: each figure shown, or named with why it is not.

Pure: what a picture links to is given (:class:`Pictures`, made where the images were hosted),
never taken from the bundle. A figure of DVC's holds both revisions (its legend names their
short commits); an image plot is shown base and head side by side. In Mermaid mode the
figures' data (:mod:`mlci.plots.series`, kept in the bundle) is drawn by GitHub itself.
Every plot the project declares is accounted for: drawn, or listed with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from mlci.plots.model import Plot, PlotSettings, png_path, stems
from mlci.render.escape import md_code, md_escape, term_clean
from mlci.render.fmt import plural
from mlci.report import Report

PER_ROW = 2  # pictures side by side in the comment
# A picture's link: an https URL of the host mlci uploaded it to (github.com's blob form), nothing else.
_SAFE_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]+)?/[A-Za-z0-9._~/%+@-]*(?:\?raw=true)?")


@dataclass(frozen=True)
class Pictures:
    """How the comment shows the plots: ``urls`` of the hosted PNGs (by their path in the bundle),
    or Mermaid; ``note`` says why there are no pictures when hosting was wanted and failed."""

    urls: Mapping[str, str] = field(default_factory=dict)
    mermaid: bool = False
    width: int = PlotSettings.width
    note: str = ""


def default_pictures(report: Report) -> Pictures:
    """Before anything is hosted (``mlci report``'s report.md): Mermaid when the policy says so."""
    settings = report.policy.plots if report.policy else PlotSettings()
    return Pictures(mermaid=settings.hosting == "mermaid", width=settings.width)


def summary(report: Report) -> str:
    """``Plots: 3`` (``, 1 not drawn``)."""
    plots = report.plots
    missing = sum(not p.drawn for p in plots)
    return f"Plots: {len(plots):,}" + (f", {missing:,} not drawn" if missing else "")


def markdown_blocks(report: Report, pictures: Pictures, where: str) -> list[str]:
    """The comment's plot blocks, most telling first: pictures (tables of ``PER_ROW``), Mermaid
    charts, then one line per plot that is not shown and why. ``where``: after "the bundle"
    (" (artifact `mlci-report`)")."""
    base_name, head_name = _names(report)
    charts: list[str] = []
    cells: list[tuple[str, str]] = []
    lines: list[str] = []
    names = stems(report.plots)
    for plot in report.plots:
        caption = md_escape(plot.title or plot.id, 200)
        if not plot.drawn:
            lines.append(f"- ⚠️ {md_code(plot.id, 200)}: {md_escape(plot.reason or 'not drawn', 400)}")
            continue
        lines += _missing_sides(plot, base_name, head_name)
        if pictures.mermaid:
            charts.append(_mermaid(plot, report, where))
            continue
        shown, unlinked = _cells(plot, names[plot.id], caption, base_name, head_name, pictures)
        cells += shown
        lines += [f"- {text}: {md_code(path)} in the bundle{where}" for text, path in unlinked]
    tables = []
    for start in range(0, len(cells), PER_ROW):
        row = cells[start:start + PER_ROW]
        header = "| " + " | ".join(caption for caption, _ in row) + " |"
        rule = "|" + "---|" * len(row)
        images = "| " + " | ".join(image for _, image in row) + " |"
        tables.append(f"{header}\n{rule}\n{images}")
    note = [f"⚠️ {md_escape(pictures.note, 500)}"] if pictures.note else []
    return note + tables + charts + (["\n".join(lines)] if lines else [])


def _names(report: Report) -> tuple[str, str]:
    """The base's and the head's names in captions, as markdown: `main` and "this PR"."""
    return md_code(report.context.base.rev, 60), _head_name(report)


def _head_name(report: Report) -> str:
    return "this PR" if report.context.pr_number is not None else "head"


def _missing_sides(plot: Plot, base_name: str, head_name: str) -> list[str]:
    out = []
    for side, name in ((plot.base, base_name), (plot.head, head_name)):
        if side.status == "missing":
            out.append(f"- {md_code(plot.id, 200)}: not at {name}: {md_escape(side.reason or 'no data', 300)}")
    return out


def _cells(plot: Plot, stem: str, caption: str, base_name: str, head_name: str,
           pictures: Pictures) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The plot's pictures as (caption, image) cells, and (caption, bundle path) of those without a safe link."""
    if plot.kind == "vega":
        wanted = [(f"{caption}, {base_name} vs {head_name}", png_path(plot, stem, None))]
    else:
        wanted = [(f"{caption}, {name}", png_path(plot, stem, side.rev))
                  for side, name in ((plot.base, base_name), (plot.head, head_name)) if plot.png(side.rev)]
    cells, unlinked = [], []
    for text, path in wanted:
        url = pictures.urls.get(path)
        if url is None or not _SAFE_URL.fullmatch(url):
            unlinked.append((text, path))
        else:
            cells.append((text, f'<img src="{url}" width="{int(pictures.width)}" alt="{_alt(caption)}">'))
    return cells, unlinked


def _alt(caption: str) -> str:
    return caption.replace('"', "&quot;")


def _mermaid(plot: Plot, report: Report, where: str) -> str:
    """The figure's data as a Mermaid chart (or a table); mermaid.render escapes the raw text itself."""
    from mlci.render import mermaid

    if plot.data is None:
        return f"**{md_escape(plot.title or plot.id, 200)}**: no Mermaid chart of this kind of plot; its image is in the bundle{where}"
    return mermaid.render(plot.data, plot.title or plot.id, plot.base.rev, plot.head.rev,
                          base_name=report.context.base.rev, head_name=_head_name(report))


# -- the terminal -----------------------------------------------------------------------


def text_lines(report: Report, paint: Callable[..., str]) -> list[str]:
    """The plots for a terminal: each file drawn into the bundle, or why there is none."""
    lines = [paint(f"{summary(report)} (files in the bundle folder)", bold=True)]
    names = stems(report.plots)
    for plot in report.plots:
        title = term_clean(plot.title or plot.id, 120)
        if not plot.drawn:
            lines.append(f"  - {term_clean(plot.id, 120)}: {paint('not drawn', fg='yellow')}: "
                         f"{term_clean(plot.reason or '', 400)}")
            continue
        files = ", ".join(f"{png_path(plot, names[plot.id], f.rev)} ({f.width}×{f.height})"
                          for f in plot.files if f.format == "png")
        rows = "; ".join(f"{term_clean(s.rev, 40)}: {plural(s.rows, 'row') if s.rows is not None else s.status}"
                         for s in (plot.base, plot.head) if s.status == "present")
        lines.append(f"  - {title}: {files}" + (f" [{rows}]" if rows else ""))
        for side in (plot.base, plot.head):
            if side.status == "missing":
                lines.append(f"      not at {term_clean(side.rev, 40)}: {term_clean(side.reason or '', 300)}")
    return lines
