"""How values look in a report: numbers, changes, durations, sizes, counts and lists.

Every function returns plain text; user strings inside it are passed through
``esc`` (an escaping function chosen by the renderer), numbers are ours and
need none. The checks word their reasons and rules with these too (the one part
of render/ they may import), so they return raw text and leave escaping to the
renderer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlci.report import Repro

MINUS = "\u2212"
MISSING = "—"
UP = "▲"
DOWN = "▼"

Escape = Callable[[str], str]

_DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB")
_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


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


def json_kind(value: Any) -> str:
    """A JSON value's kind, as a person names it: ``a number``, ``a string``, ``an object``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


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


def format_ms(value: float) -> str:
    """A latency in milliseconds, without the unit: ``14.2``, ``1,234``, ``0.031``."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2g}"


def format_rate(value: float) -> str:
    """A throughput (rows per second), without the unit: ``8,120``, ``12.5``, ``∞``."""
    if value == float("inf"):
        return "∞"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def format_exact(value: float, *, grouped: bool = False) -> str:
    """A number as a policy writes it: ``120``, ``0.5``, ``1e-06``; ``grouped``: ``10,000``."""
    comma = "," if grouped else ""
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return f"{int(value):{comma}}"
    return f"{value:{comma}}"


def format_decimals(value: float, places: int = 2) -> str:
    """A limit with ``places`` decimals when it has no more: ``0.10``, ``1.00``; else as is: ``0.125``."""
    scaled = value * 10**places
    if abs(scaled - round(scaled)) < 1e-9:
        return f"{value:.{places}f}"
    return f"{value:g}"


def format_short(x: float) -> str:
    """A finite number in at most 4 significant digits, whole numbers as ints: ``0.85``, ``12``."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.4g}" if abs(x) >= 1e-3 else f"{x:.3g}"


def format_percent(fraction: float) -> str:
    """A fraction in percent, as short as it goes: ``2%``, ``0.5%``."""
    return f"{fraction * 100:g}%"


def format_size(size: int, *, binary: bool = False) -> str:
    """``1.2 MB`` (or ``1.5 MiB``): one decimal at most, in the largest unit below the size."""
    base, units = (1024, _BINARY_UNITS) if binary else (1000, _DECIMAL_UNITS)
    value, unit = float(size), units[0]
    for unit in units:
        if value < base or unit == units[-1]:
            break
        value /= base
    if unit == units[0]:
        return f"{size:,} B"
    text = f"{value:,.1f}"
    return f"{text.removesuffix('.0')} {unit}"


def quote(value: Any, width: int | None = None) -> str:
    """A value as found: text quoted, so that ``'1'`` and ``1`` differ; cut to ``width`` characters."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 metric``, ``4,213 metrics``."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def listing(items: Iterable[str], cap: int, *, more: str = "… {:,} more", last: str = ", ") -> str:
    """``a, b, c`` with at most ``cap`` items, then ``last`` and ``more`` with the count left out.

    ``more`` is a format string given that count: ``"… {:,} more"`` (``a, b, … 3 more``),
    ``"{} more"`` with ``last=" and "`` (``a, b and 3 more``), or ``"…"`` (``a, b, …``).
    """
    shown = list(items)
    hidden = len(shown) - cap
    text = ", ".join(shown[:cap])
    return text + last + more.format(hidden) if hidden > 0 else text


def describe(*parts: str | None, empty: str = "") -> str:
    """A rule in words: the parts given (None or empty ones left out) joined by commas, else ``empty``."""
    return ", ".join(part for part in parts if part) or empty


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
