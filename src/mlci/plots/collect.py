"""The edge of plots: DVC's figures for base and head, drawn, and written into a bundle directory.

:func:`collect` asks DVC for every plot the project declares at both revisions
(:func:`mlci.dvc.plots_diff`, what ``dvc plots diff --json`` runs), draws each Vega-Lite
figure to PNG and SVG (:mod:`mlci.plots.vega`), copies each image plot's file at each
revision, and returns a :class:`~mlci.plots.model.Plot` per figure. The files go to
``<bundle>/plots/``, under names made from the plot ids by :func:`mlci.plots.model.safe_names`
(an id from the PR's dvc.yaml never names a path outside that folder), each written whole
(:func:`mlci.files.write_atomically`). Nothing is dropped: a revision without the plot, a
figure that cannot be drawn, an image that is not a PNG, is a Plot with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from mlci import dvc, git
from mlci.files import write_atomically
from mlci.plots import series
from mlci.plots.model import FOLDER, Plot, PlotFile, PlotKind, Side, png_size, rows_by_revision, safe_names, side
from mlci.plots.vega import Drawn, RenderFailed, draw, require_renderer

Draw = Callable[[Mapping[str, Any]], Drawn]


def collect(cwd: str | Path, base_sha: str, head_sha: str | None, out: str | Path, *,
            width: int | None = None, wants: Callable[[str], bool] = lambda plot_id: True) -> list[Plot]:
    """Every plot of the DVC project containing ``cwd`` at commit ``base_sha`` and at ``head_sha``
    (None: the workspace) whose id ``wants``, drawn into ``out``/plots; in DVC's order. ``width``:
    the width, in pixels, each figure is shown at (its PNG is drawn at twice that); None: DVC's size
    at twice the pixels.

    Without vl-convert this fails first, with extras' one line (mlci[plots]), before DVC is asked.
    Each revision is named in the figures by its shortest unique abbreviation (7 characters or
    more), as git shows it; when both are the same commit, DVC is asked once and both sides
    have the same data.
    """
    require_renderer()
    base = label(cwd, base_sha)
    head = dvc.WORKSPACE if head_sha is None else base if head_sha == base_sha else label(cwd, head_sha)
    repo = dvc.open_repo(cwd)
    try:
        figures, unreadable = dvc.plots_diff(repo, [base] if head == base else [base, head])
    finally:
        repo.close()
    figures = [figure for figure in figures if wants(figure.id)]
    return draw_all(figures, base, head, unreadable, Path(out), lambda spec: draw(spec, width=width))


def draw_all(figures: list[dvc.PlotFigure], base: str, head: str, unreadable: Mapping[str, str], out: Path,
             drawer: Draw) -> list[Plot]:
    """Each figure as a Plot, its files drawn with ``drawer`` and written into ``out``/plots."""
    names = safe_names(figure.id for figure in figures)  # as model.stems names them again from the plots
    folder = out / FOLDER
    plots = []
    for figure in figures:
        plot = _plot(figure, base, head, unreadable)
        name = names[figure.id]
        if figure.kind == "image":
            plots.append(_images(plot, figure, folder, name, base, head))
        elif plot.reason is None and figure.spec is not None:
            try:
                drawn = drawer(figure.spec)
            except RenderFailed as exc:
                plots.append(replace(plot, reason=f"vl-convert could not draw it: {exc}"))
                continue
            width, height = png_size(drawn.png)
            write_atomically(folder / f"{name}.png", drawn.png)
            write_atomically(folder / f"{name}.svg", drawn.svg)
            plots.append(replace(plot, files=(PlotFile(f"{FOLDER}/{name}.png", "png", None, width, height),
                                            PlotFile(f"{FOLDER}/{name}.svg", "svg", None))))
        else:
            plots.append(plot)
    return plots


def _plot(figure: dvc.PlotFigure, base: str, head: str, unreadable: Mapping[str, str]) -> Plot:
    """The figure's sides and, when there is nothing to draw, why."""
    rows = rows_by_revision(figure.spec) if figure.spec is not None else {}

    def at(rev: str) -> Side:
        error = figure.errors.get(rev) or (
            f"DVC could not read the plot definitions: {unreadable[rev]}" if rev in unreadable else None)
        return side(rev, has_data=rev in figure.revisions, declared=rev in figure.declared, error=error,
                    rows=rows.get(rev) if figure.kind == "vega" else None)

    kind: PlotKind = "image" if figure.kind == "image" else "vega"
    reason = figure.failure
    if reason is None and not figure.revisions:
        reason = "nothing to draw: DVC has its data at neither revision"
    data = series.extract(figure.spec, (base, head)) if figure.kind == "vega" and figure.spec is not None else None
    return Plot(id=figure.id, title=figure.title, kind=kind, base=at(base), head=at(head), reason=reason, data=data)


def _images(plot: Plot, figure: dvc.PlotFigure, folder: Path, name: str, base: str, head: str) -> Plot:
    """An image plot's file at each revision that has it, as ``<name>.base.png`` and ``<name>.head.png``
    (one file when both sides are the same commit); none written unless every one is a PNG."""
    found: list[tuple[str, str, bytes, tuple[int, int]]] = []
    for role, rev in (("base", base), ("head", head)):
        data = figure.images.get(rev)
        if data is None or (role == "head" and head == base):
            continue
        try:
            found.append((role, rev, data, png_size(data)))
        except ValueError:
            return replace(plot, reason=f"the file at {rev} is not a PNG image; mlci shows PNG images only")
    files = []
    for role, rev, data, (width, height) in found:
        write_atomically(folder / f"{name}.{role}.png", data)
        files.append(PlotFile(f"{FOLDER}/{name}.{role}.png", "png", rev, width, height))
    return replace(plot, files=tuple(files))


def label(cwd: str | Path, sha: str) -> str:
    """The shortest abbreviation of ``sha`` (7 characters or more) that names that commit alone here."""
    for size in range(7, len(sha)):
        if git.try_rev_parse(cwd, sha[:size]) == sha:
            return sha[:size]
    return sha
