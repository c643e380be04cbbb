"""Vega-Lite drawn by vl-convert in this process: PNG at the SVG's size times the scale, and failures in one line."""

from __future__ import annotations

import re
import sys

import pytest

from mlci.errors import MlciError
from mlci.extras import MissingExtra
from mlci.plots.model import png_size
from mlci.plots.vega import REASON_MAX, RenderFailed, draw, reason

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
