"""Renderers: a Report as GitHub markdown (the PR comment), terminal text, or JSON.

Each renderer is imported only when asked for, so ``import mlci.render`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlci.report import Report

FORMATS = ("md", "text", "json")


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """``report`` in ``fmt`` (one of FORMATS); ``color`` applies to "text" only."""
    if fmt == "json":
        return report.to_json()
    if fmt == "md":
        from mlci.render.markdown import render_markdown

        return render_markdown(report)
    if fmt == "text":
        from mlci.render.text import render_text

        return render_text(report, color=color)
    raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
