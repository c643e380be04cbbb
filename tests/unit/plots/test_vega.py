"""Vega-Lite drawn by vl-convert in this process: PNG at the SVG's size times the scale, and failures in one line."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from mlci.errors import MlciError
from mlci.extras import MissingExtra
from mlci.plots.model import png_size
from mlci.plots.vega import REASON_MAX, Drawn, RenderFailed, draw, reason, without_outside_images
from tests.unit.plots.test_model import png

pytest.importorskip("vl_convert")

SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "width": 200, "height": 100,
    "data": {"values": [{"x": i, "y": i * i, "rev": rev} for rev in ("a", "b") for i in range(5)]},
    "mark": "line",
    "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"},
                 "color": {"field": "rev", "type": "nominal"}},
}


def svg_size(svg: str) -> tuple[int, int]:
    match = re.search(r'<svg[^>]* width="(\d+)" height="(\d+)"', svg)
    assert match, svg[:200]
    return int(match[1]), int(match[2])


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_the_png_is_the_svg_at_the_scale(scale: float) -> None:
    drawn = draw(SPEC, scale=scale)
    width, height = svg_size(drawn.svg)
    assert width > 200 and height > 100  # the plot area, and its axes and legend around it
    assert png_size(drawn.png) == (round(width * scale), round(height * scale))
    assert "<path" in drawn.svg


@pytest.mark.parametrize("width", [150, 400])
def test_a_width_draws_the_png_at_twice_it(width: int) -> None:
    """mlci.yaml's plots.width is the width an image is shown at: its PNG has twice the pixels, its height in proportion."""
    drawn = draw(SPEC, width=width)
    svg_w, svg_h = svg_size(drawn.svg)
    png_w, png_h = png_size(drawn.png)
    assert png_w == 2 * width
    assert abs(png_h - svg_h * 2 * width / svg_w) <= 1


def test_a_spec_vl_convert_cannot_draw_is_one_line() -> None:
    with pytest.raises(RenderFailed) as error:
        draw({"data": {"values": [{"x": 1}]}, "mark": "no-such-mark", "encoding": {"x": {"field": "x"}}})
    text = str(error.value)
    assert "\n" not in text and len(text) <= REASON_MAX
    assert "https://" not in text  # the JavaScript stack is left out


def test_no_data_is_fetched_from_anywhere() -> None:
    spec = {"data": {"url": "http://127.0.0.1:9/data.json"}, "mark": "point"}
    with pytest.raises(RenderFailed, match="not allowed"):
        draw(spec)


def test_reason_keeps_the_message_not_the_stack() -> None:
    exc = ValueError("Vega-Lite to PNG conversion failed:\nTypeError: bad\n    at oi (https://x/y:7:1)\n    at z")
    assert reason(exc) == "Vega-Lite to PNG conversion failed: TypeError: bad"
    assert len(reason(ValueError("x" * 1000))) == REASON_MAX
    assert reason(ValueError("")) == "ValueError"


def test_without_vl_convert_it_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vl_convert", None)
    with pytest.raises(MissingExtra) as error:
        draw(SPEC)
    assert str(error.value) == "drawing plots needs mlci[plots]: pip install 'mlci[plots]'"
    assert isinstance(error.value, MlciError) and error.value.exit_code == 2


def test_an_image_mark_reads_nothing_from_the_disk(tmp_path: Path) -> None:
    """resvg would draw a file:// image from the runner's disk into the PNG; its link is taken out first."""
    (tmp_path / "secret.png").write_bytes(png(50, 50))

    def image_plot(url: str) -> Drawn:
        return draw({"data": {"values": [{"u": url}]}, "mark": {"type": "image", "width": 50, "height": 50},
                     "encoding": {"url": {"field": "u"}}}, scale=1)

    read = image_plot((tmp_path / "secret.png").as_uri())
    assert read.png == image_plot((tmp_path / "nothing-here.png").as_uri()).png
    assert "<image" in read.svg and not re.search(r'href="[^"]*secret', read.svg)  # its label may name it: text


def test_without_outside_images_keeps_data_uris() -> None:
    svg = ('<svg><image xlink:href="file:///etc/x.png" width="5"/><image href=\'http://e.invalid/t.png\'/>'
           '<image xlink:href="data:image/png;base64,AAAA"/><a href="http://kept.invalid">t</a></svg>')
    assert without_outside_images(svg) == ('<svg><image width="5"/><image/><image xlink:href="data:image/png;base64,'
                                           'AAAA"/><a href="http://kept.invalid">t</a></svg>')
