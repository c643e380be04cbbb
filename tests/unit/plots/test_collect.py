"""Figures to files: what draw_all writes into the bundle, and the reasons it keeps (DVC's figures built by hand;
tests/integration/test_plots.py has DVC make them)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from mlci.dvc import PlotFigure
from mlci.plots.collect import draw_all
from mlci.plots.vega import Drawn, RenderFailed
from tests.unit.plots.test_model import png


def figure(plot_id: str, kind: str = "vega", **fields: Any) -> PlotFigure:
    values = dict(title=plot_id, spec={"data": {"values": [{"rev": "a"}, {"rev": "b"}, {"rev": "b"}]}} if kind == "vega"
                  else None, images={}, revisions=("a", "b"), declared=("a", "b"), errors={})
    values.update(fields)
    return PlotFigure(id=plot_id, kind=kind, **values)


def fake_draw(spec: Mapping[str, Any]) -> Drawn:
    if spec.get("mark") == "broken":
        raise RenderFailed("Vega-Lite to PNG conversion failed: bad mark")
    return Drawn(png=png(30, 20), svg='<svg width="15" height="10"></svg>')


def test_each_figure_is_written_under_a_safe_name(tmp_path: Path) -> None:
    plots = draw_all([figure("roc"), figure("../../escape.json")], "a", "b", {}, tmp_path, fake_draw)
    assert [p.id for p in plots] == ["roc", "../../escape.json"]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "plots/escape.json.png", "plots/escape.json.svg", "plots/roc.png", "plots/roc.svg"]
    roc = plots[0]
    assert roc.drawn and (roc.base.rows, roc.head.rows) == (1, 2)
    assert [(f.path, f.format, f.width, f.height) for f in roc.files] == [
        ("plots/roc.png", "png", 30, 20), ("plots/roc.svg", "svg", None, None)]


def test_a_figure_that_cannot_be_drawn_is_kept_with_the_reason(tmp_path: Path) -> None:
    broken = figure("broken", spec={"mark": "broken", "data": {"values": [{"rev": "a"}]}})
    [plot] = draw_all([broken], "a", "b", {}, tmp_path, fake_draw)
    assert plot.reason == "vl-convert could not draw it: Vega-Lite to PNG conversion failed: bad mark"
    assert plot.files == () and not plot.drawn and not (tmp_path / "plots").exists()


def test_a_plot_without_data_says_why_at_each_revision(tmp_path: Path) -> None:
    missing = figure("loss", spec=None, revisions=(), declared=("b",), errors={"b": "plots/loss.csv: file not found"})
    unreadable = figure("acc", spec=None, revisions=(), declared=())
    plots = draw_all([missing, unreadable], "a", "b", {"a": "dvc.yaml: not valid YAML"}, tmp_path, fake_draw)
    loss, acc = plots
    assert loss.reason == "nothing to draw: DVC has its data at neither revision"
    assert loss.base.reason == "DVC could not read the plot definitions: dvc.yaml: not valid YAML"
    assert loss.head.reason == "plots/loss.csv: file not found"
    assert acc.head.reason == "not declared at this revision"


def test_a_template_dvc_could_not_fill_is_the_reason(tmp_path: Path) -> None:
    [plot] = draw_all([figure("roc", spec=None, failure="DVC could not fill in its template: BadTemplateError: x")],
                      "a", "b", {}, tmp_path, fake_draw)
    assert plot.reason == "DVC could not fill in its template: BadTemplateError: x" and plot.files == ()


def test_an_image_plot_is_copied_at_each_revision(tmp_path: Path) -> None:
    image = figure("eval/importance.png", "image", images={"a": png(4, 3), "b": png(8, 6)})
    [plot] = draw_all([image], "a", "b", {}, tmp_path, fake_draw)
    assert plot.drawn and plot.kind == "image"
    assert [(f.path, f.rev, f.width, f.height) for f in plot.files] == [
        ("plots/eval-importance.base.png", "a", 4, 3), ("plots/eval-importance.head.png", "b", 8, 6)]
    assert (tmp_path / "plots" / "eval-importance.head.png").read_bytes() == png(8, 6)


def test_an_image_at_one_revision_only(tmp_path: Path) -> None:
    image = figure("importance.png", "image", images={"b": png(4, 3)}, revisions=("b",), declared=("b",))
    [plot] = draw_all([image], "a", "b", {}, tmp_path, fake_draw)
    assert plot.base.status == "missing" and plot.base.reason == "not declared at this revision"
    assert [f.path for f in plot.files] == ["plots/importance.head.png"] and plot.drawn


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xe0 a JPEG", b""])
def test_an_image_that_is_not_a_png_is_named(tmp_path: Path, data: bytes) -> None:
    [plot] = draw_all([figure("photo.jpg", "image", images={"a": data})], "a", "b", {}, tmp_path, fake_draw)
    assert plot.reason == "the file at a is not a PNG image; mlci shows PNG images only" and plot.files == ()
