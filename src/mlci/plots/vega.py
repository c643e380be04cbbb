"""Vega-Lite to PNG and SVG, in this process, with vl-convert (extra ``mlci[plots]``).

vl-convert embeds Vega and Vega-Lite in a JavaScript engine of its own and draws with resvg:
no node, no browser, no canvas to install. The specification is compiled to Vega and drawn as
SVG once; the PNG is that SVG rasterised (the same bytes vl-convert's ``vega_to_png`` makes,
in about three quarters of its time, which is mostly rasterising).

The specification comes from the PR's own repository (DVC's template, or one of the project's
in .dvc/plots), so drawing it reads nothing from outside it: no data is fetched from anywhere
(``allowed_base_urls=[]``), and an image mark's link that is not a ``data:`` URI is taken out
of the SVG before it is rasterised or written. resvg would otherwise read a ``file://`` image
from the runner's disk into the PNG, and a viewer of the SVG would be sent to the link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlci.extras import require

REASON_MAX = 300  # characters of a reason: the first lines of vl-convert's error, not its JavaScript stack


class RenderFailed(Exception):
    """vl-convert could not draw a specification; the text is one line saying why."""


@dataclass(frozen=True)
class Drawn:
    png: bytes
    svg: str


def require_renderer() -> None:
    """MissingExtra (one line, exit code 2) unless vl-convert is installed."""
    require("plots", "drawing plots")


def draw(spec: Mapping[str, Any], *, width: int | None = None, scale: float = 2.0) -> Drawn:
    """The PNG and the SVG of a Vega-Lite specification; RenderFailed with vl-convert's reason
    when it cannot draw it. The PNG is ``2 * width`` pixels wide when ``width`` is given (shown at
    ``width``, it is sharp on high-density screens), else ``scale`` pixels per unit of the figure."""
    require_renderer()
    import vl_convert

    try:
        vega = vl_convert.vegalite_to_vega(dict(spec))
        svg = without_outside_images(str(vl_convert.vega_to_svg(vega, allowed_base_urls=[])))
        if width is not None and (natural := svg_width(svg)):
            scale = min(2 * width / natural, MAX_SCALE)
        png = vl_convert.svg_to_png(svg, scale=scale)
    except Exception as exc:  # noqa: BLE001 - vl-convert raises ValueError, and its engine may raise others
        raise RenderFailed(reason(exc)) from None
    return Drawn(png=bytes(png), svg=svg)


MAX_SCALE = 8.0  # a tiny figure shown wide is drawn at no more than 8 pixels per unit
_SVG_WIDTH = re.compile(r"<svg\b[^>]*?\swidth=\"([0-9.]+)\"")


def svg_width(svg: str) -> float | None:
    """The width of the ``<svg>`` element, in its units; None when it does not say."""
    found = _SVG_WIDTH.search(svg)
    width = float(found[1]) if found else 0.0
    return width if width > 0 else None


_IMAGE_TAG = re.compile(r"<image\b[^>]*>")
_LINK = re.compile(r"""\s(?:xlink:)?href=(?:"(?!data:)[^"]*"|'(?!data:)[^']*')""")


def without_outside_images(svg: str) -> str:
    """``svg`` with every link of an ``<image>`` that is not a ``data:`` URI removed (the image is
    left empty, as when it could not be loaded)."""
    return _IMAGE_TAG.sub(lambda tag: _LINK.sub("", tag[0]), svg)


def reason(exc: BaseException) -> str:
    """vl-convert's error in one line: its message without the JavaScript stack under it."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    kept = [line for line in lines if not line.startswith("at ")] or [type(exc).__name__]
    text = " ".join(kept[:2])
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"
