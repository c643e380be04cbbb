"""How values look in a report: numbers, changes, durations, counts.

Every function returns plain text; user strings inside it are passed through
``esc`` (an escaping function chosen by the renderer), numbers are ours and
need none.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlci.report import Repro

MINUS = "\u2212"
MISSING = "—"
UP = "▲"
DOWN = "▼"

Escape = Callable[[str], str]


def _same(text: str) -> str:
    return text


def _minus(text: str) -> str:
    return text.replace("-", MINUS)


def format_number(x: float) -> str:
    """A metric value: 4 decimals below 1000, grouped above, ints as ints."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return _minus(f"{x:,}")
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else f"{MINUS}∞"
    size = abs(x)
    if size == 0:
        text = f"{0.0:.4f}"
    elif size < 0.001:
        text = f"{x:.3g}"
    elif size < 1000:
        text = f"{x:.4f}"
    elif size < 1e6:
        text = f"{x:,.2f}"
    elif size < 1e15:
        text = f"{x:,.0f}"
    else:
        text = f"{x:.4g}"
    return _minus(text)


def format_change(change: float) -> str:
    """A signed change: ``+0.0065``, ``−0.0170``."""
    if change > 0:
        return "+" + format_number(change)
    if change < 0:
        return MINUS + format_number(-change)
    return format_number(change)  # 0 or NaN


def format_relative(relative: float) -> str:
    """A relative change (a fraction) in percent: ``(+0.7 %)``, ``(−1.9 %)``."""
    pct = relative * 100
    if not math.isfinite(pct):
        text = "NaN" if math.isnan(pct) else ("+∞" if pct > 0 else "-∞")
    elif abs(pct) >= 1000:
        text = f"{pct:+,.0f}"
    elif pct == 0 or abs(pct) >= 0.1:
        text = f"{pct:+.1f}"
    else:
        text = f"{pct:+.2g}"
    return f"({_minus(text)} %)"


def arrow(change: float | None) -> str:
    if change is None or math.isnan(change) or change == 0:
        return ""
    return UP if change > 0 else DOWN


def change_cell(change: float | None, relative: float | None, direction: str | None = None) -> str:
    """``+0.0065 (+0.7 %) ▲``, with ``better``/``worse`` when the policy gives a direction;
    relative omitted when unknown (base 0)."""
    if change is None:
        return MISSING
    parts = [format_change(change)]
    if relative is not None:
        parts.append(format_relative(relative))
    if mark := arrow(change):
        parts.append(mark)
        if direction in ("higher", "lower"):
            parts.append("better" if (change > 0) == (direction == "higher") else "worse")
    return " ".join(parts)


def format_value(value: Any, esc: Escape = _same) -> str:
    """A metric value of any type; strings, lists and dicts go through ``esc``."""
    if value is None:
        return "null"
    if isinstance(value, (bool, int, float)):
        return format_number(value)
    if isinstance(value, str):
        return esc(value) if value else '""'
    return esc(compact_json(value))


def format_param(value: Any, esc: Escape = _same) -> str:
    """A param value as written in the params file: ``1.0``, ``500``, ``true``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return format_number(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return esc(value) if value else '""'
    return esc(compact_json(value))


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def format_seconds(seconds: float) -> str:
    """``0.4 s``, ``12.3 s``, ``2 min 03 s``, ``1 h 05 min``."""
    if not math.isfinite(seconds) or seconds < 0:
        return MISSING
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 metric``, ``4,213 metrics``."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def stage_summary(repro: Repro) -> str:
    """``3 stages, 1 ran, 2 restored from the remote, 0 unchanged`` (and failures)."""
    counts = dict.fromkeys(("ran", "restored", "unchanged", "failed"), 0)
    for stage in repro.stages:
        counts[stage.state] += 1
    text = (
        f"{plural(len(repro.stages), 'stage')}, {counts['ran']:,} ran, "
        f"{counts['restored']:,} restored from the remote, {counts['unchanged']:,} unchanged"
    )
    if counts["failed"]:
        text += f", {counts['failed']:,} failed"
    return text
