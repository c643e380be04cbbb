"""A plot's data as GitHub markdown that needs no image hosting: Mermaid charts, and a table.

GitHub draws a ```` ```mermaid ```` block in a comment. A curve (:class:`~mlci.plots.series.PlotData`
of shape ``line`` or ``scatter``) becomes an ``xychart-beta`` with one ``line`` per revision, bars
become two ``bar`` series over the categories, and a confusion matrix becomes a markdown table
whose cells read ``base → head``.

What Mermaid's xychart can and cannot do, read from its grammar (``xychart.jison``) and its
chart builder, decides the rest:

- A ``line`` has no x values: its values are spread evenly from the x axis's min to its max.
  So every curve is resampled (linearly) onto the same evenly spaced x values, the very ones
  Mermaid computes from the two numbers written on the axis (it steps ``min += step`` while
  ``<= max``, and a step too small for the floating point would never end: such a figure is
  not drawn). A curve that covers less of the x range than the others is held level beyond its
  ends, and the caption says so.
- There is no legend and a series' name is not shown: colours are set with an init directive
  (``plotColorPalette``) and the caption under the chart says which colour is which revision.
- Bars of several series are drawn over each other, not side by side: the base's are drawn
  first, in grey, and this PR's over them, translucent, so both heights show.
- Numbers are ``[+-]?(digits[.digits] | .digits)``: no exponent. Values are written with a
  thousandth of their axis's span; an axis of very large or very small numbers is written in
  units of a power of ten that its title names.
- Text is a quoted string, so ``-->``, ``[``, ``]``, ``;`` and ``#`` inside it are text. It is
  made one line and cut, and what could still escape or be mangled is replaced: ``"`` and
  backticks become ``'``, ``%%`` (a comment, or with ``{`` a directive, anywhere in the text) ``%``,
  ``<`` and ``>`` (Mermaid's sanitiser takes them as HTML) ``‹`` and ``›``, ``&`` ``＆``, and ``;``
  ``；`` (Mermaid reads ``#name;`` anywhere as an entity, and drops the ``;`` of a line that has
  ``style`` then ``:...#`` then ``;``). An empty category would not parse: it is ``(empty)``. No
  line of the block can start a fence.
"""

from __future__ import annotations

import graphlib
import json
import math
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal

from mlci.plots.series import Bars, Matrix, PlotData, Series
from mlci.plots.series import clean as cut
from mlci.render.escape import clean, md_code, md_escape
from mlci.render.fmt import format_number

RESAMPLE = 61  # x values every curve is resampled onto (about 60 steps: smooth on a chart 700 pixels wide)...
RESAMPLE_TRIES = 10  # ...or the nearest count (61±1, ±2, ...) that Mermaid's floating-point stepping gives exactly
TEXT_MAX = 80  # characters of a title or an axis title in a chart
CATEGORY_MAX = 30  # characters of a bar's category (a longer one loses its middle)
NAMES_SHOWN = 5  # categories named in a caption ("not at base: ...")
SPAN_DIGITS = 3  # a value keeps a thousandth of its axis's span
SCALE_ABOVE = 1e9  # an axis whose largest |value| is this or more is written in units of a power of ten...
SCALE_BELOW = 1e-4  # ...or this or less (and not 0)
DECIMALS_MAX = 20

BASE_COLOURS = (("#9e9e9e", "grey"), ("#5f5f5f", "dark grey"), ("#c8c8c8", "light grey"), ("#3a3a3a", "charcoal"))
HEAD_COLOURS = (("#1f77b4", "blue"), ("#ff7f0e", "orange"), ("#2ca02c", "green"), ("#d62728", "red"))
OVERLAY_ALPHA = "b3"  # this PR's bars (70 % opaque) over the base's
ARROW = "→"

_CONTEXT = Context(prec=400)  # every float's exact decimal (at most 309 digits before the point) and DECIMALS_MAX after
_MERMAID_TEXT = str.maketrans({'"': "'", "`": "'", "<": "‹", ">": "›", "&": "＆", ";": "；"})
_PERCENTS = re.compile("%{2,}")


@dataclass(frozen=True)
class _Drawn:
    """A series as drawn: its colour, and who it is in the caption (markdown)."""

    colour: str
    colour_name: str
    who: str
    rev: str
    group: str | None


def render(data: PlotData, title: str, base_rev: str, head_rev: str, *, base_name: str = "base",
           head_name: str = "this PR") -> str:
    """Markdown showing ``data`` base (``base_rev``, as the figure names it) against head: a Mermaid chart
    with a caption line under it, or for a confusion matrix a table under a bold ``title``.

    ``title`` comes from the PR's dvc.yaml and is escaped here like everything from the data;
    ``base_name`` and ``head_name`` are plain text too. When both revisions are the same commit,
    its data is shown once, as both.
    """
    if data.shape == "confusion":
        return _confusion(data, title, base_rev, head_rev, base_name, head_name)
    items: Sequence[Series | Bars] = data.bars if data.shape == "bar" else data.line
    drawn = _who(items, base_rev, head_rev, base_name, head_name)
    if not drawn:
        return f"**{md_escape(title)}**: no data at {_side(base_name, base_rev)} or {_side(head_name, head_rev)}."
    if data.shape == "bar":
        return _bar_chart(data, title, drawn, base_rev, head_rev, base_name, head_name)
    return _line_chart(data, title, drawn, base_rev, head_rev, base_name, head_name)


def _who(items: Sequence[Series | Bars | Matrix], base_rev: str, head_rev: str, base_name: str,
         head_name: str) -> list[tuple[_Drawn, Series | Bars | Matrix]]:
    """The items of base then head (others dropped), each with its colour and caption."""
    same = base_rev == head_rev
    sides = [(head_rev, f"{base_name} and {head_name}" if same else head_name, HEAD_COLOURS)]
    if not same:
        sides.insert(0, (base_rev, base_name, BASE_COLOURS))
    found = []
    for rev, name, colours in sides:
        mine = [item for item in items if item.rev == rev]
        for i, item in enumerate(mine):
            colour, colour_name = colours[i % len(colours)]
            who = _side(name, rev) + (f" ({md_escape(item.group)})" if item.group is not None else "")
            found.append((_Drawn(colour, colour_name, who, rev, item.group), item))
    return found


def _side(name: str, rev: str) -> str:
    return f"{md_escape(name)} {md_code(rev)}"


def _absent(drawn: list[tuple[_Drawn, Series | Bars | Matrix]], base_rev: str, head_rev: str, base_name: str,
            head_name: str) -> str:
    """`` No data at base `abc1234`.`` when one side has nothing in the figure."""
    revs = {who.rev for who, _ in drawn}
    missing = [(name, rev) for name, rev in ((base_name, base_rev), (head_name, head_rev)) if rev not in revs]
    return "".join(f" No data at {_side(name, rev)}." for name, rev in missing)


# --- curves -----------------------------------------------------------------------------------------------------


def _line_chart(data: PlotData, title: str, drawn: list[tuple[_Drawn, Series | Bars | Matrix]], base_rev: str,
                head_rev: str, base_name: str, head_name: str) -> str:
    curves = [(who, Series(item.rev, finite, item.group)) for who, item in drawn if isinstance(item, Series)
              if (finite := tuple(sorted((p for p in item.points if math.isfinite(p[0]) and math.isfinite(p[1])),
                                         key=lambda p: p[0])))]
    if not curves:
        return f"**{md_escape(title)}**: no points to draw."
    lo = min(curve.points[0][0] for _, curve in curves)
    hi = max(curve.points[-1][0] for _, curve in curves)
    x_scale = _Scale.of([lo, hi])
    x_lo, x_hi = _padded(x_scale.apply(lo), x_scale.apply(hi))
    digits = _decimals(x_lo, x_hi)
    lo_text, hi_text = _fixed(x_lo, digits, ROUND_FLOOR), _fixed(x_hi, digits, ROUND_CEILING)
    positions = _mermaid_positions(lo_text, hi_text)
    if positions is None:
        return f"**{md_escape(title)}**: the x values are too close together for a Mermaid chart."
    columns = [[_interpolate(curve.points, x_scale.undo(t)) for t in positions] for _, curve in curves]
    every = [value for column in columns for value in column]
    y_scale = _Scale.of(every)
    scaled = [[y_scale.apply(value) for value in column] for column in columns]
    y_lo, y_hi = _padded(min(min(column) for column in scaled), max(max(column) for column in scaled))
    y_digits = _decimals(y_lo, y_hi)
    lines = _heading(title, data.x_label + x_scale.suffix, f"{lo_text} --> {hi_text}")
    lines.append(_axis("y-axis", data.y_label + y_scale.suffix,
                       f"{_fixed(y_lo, y_digits, ROUND_FLOOR)} --> {_fixed(y_hi, y_digits, ROUND_CEILING)}"))
    lines += [f"line [{', '.join(_fixed(value, y_digits) for value in column)}]" for column in scaled]
    kind = "Points joined in x order" if data.shape == "scatter" else "Lines"
    caption = f"{kind}: " + ", ".join(f"{who.colour_name} = {who.who}" for who, _ in curves) + "."
    short = [who.who for who, curve in curves if curve.points[0][0] > lo or curve.points[-1][0] < hi]
    if short:
        caption += (f" Held level beyond its own x range ({_short(lo)} to {_short(hi)} in all): "
                    + ", ".join(short) + ".")
    caption += _absent(drawn, base_rev, head_rev, base_name, head_name)
    return _block([who.colour for who, _ in curves], lines) + "\n" + caption


def _interpolate(points: Sequence[tuple[float, float]], x: float) -> float:
    """The curve's y at ``x``: linear between the points around it, its first or last y outside them."""
    if x <= points[0][0]:
        return points[0][1]
    if x >= points[-1][0]:
        return points[-1][1]
    j = bisect_right([p[0] for p in points], x)
    (x0, y0), (x1, y1) = points[j - 1], points[j]
    y = y0 + (y1 - y0) * ((x - x0) / (x1 - x0))
    return y if math.isfinite(y) else y0


def _mermaid_positions(lo_text: str, hi_text: str) -> list[float] | None:
    """The x values Mermaid places a line's values at, for an axis written ``lo_text --> hi_text``: RESAMPLE of
    them, or the nearest count that its stepping gives exactly; None when none does."""
    for n in [RESAMPLE] + [RESAMPLE + d * s for d in range(1, RESAMPLE_TRIES + 1) for s in (-1, 1)]:
        positions = mermaid_steps(float(lo_text), float(hi_text), n)
        if positions is not None:
            return positions
    return None


def mermaid_steps(lo: float, hi: float, n: int) -> list[float] | None:
    """Mermaid's ``for (let i = min; i <= max; i += (max - min) / (n - 1))``, in the same floating point: the
    n positions it gives to n values, or None when it would give another count (or never end)."""
    if n < 2 or not hi > lo:
        return None
    step = (hi - lo) / (n - 1)
    found = []
    i = lo
    while i <= hi:
        found.append(i)
        if len(found) > n:
            return None
        i += step
    return found if len(found) == n else None


# --- bars ------------------------------------------------------------------------------------------------------


def _bar_chart(data: PlotData, title: str, drawn: list[tuple[_Drawn, Series | Bars | Matrix]], base_rev: str,
               head_rev: str, base_name: str, head_name: str) -> str:
    bars = [(who, Bars(item.rev, finite, item.group)) for who, item in drawn if isinstance(item, Bars)
            if (finite := tuple(v for v in item.values if math.isfinite(v[1])))]
    if not bars:
        return f"**{md_escape(title)}**: no bars to draw."
    names = _merged([[name for name, _ in item.values] for _, item in bars])
    tables = [dict(item.values) for _, item in bars]
    every = [value for table in tables for value in table.values()]
    scale = _Scale.of(every)
    y_lo, y_hi = min(0.0, scale.apply(min(every))), max(0.0, scale.apply(max(every)))
    if y_lo == y_hi:
        y_hi = 1.0
    digits = _decimals(y_lo, y_hi)
    shown = _unique([mermaid_text(cut(name, CATEGORY_MAX)) or "(empty)" for name in names])
    lines = _heading(title, data.x_label, "[" + ", ".join(f'"{name}"' for name in shown) + "]")
    lines.append(_axis("y-axis", data.y_label + scale.suffix,
                       f"{_fixed(y_lo, digits, ROUND_FLOOR)} --> {_fixed(y_hi, digits, ROUND_CEILING)}"))
    for table in tables:
        lines.append(f"bar [{', '.join(_fixed(scale.apply(table.get(name, 0.0)), digits) for name in names)}]")
    overlay = len({who.rev for who, _ in bars}) > 1
    colours = [who.colour + (OVERLAY_ALPHA if overlay and who.colour in dict(HEAD_COLOURS) else "") for who, _ in bars]
    caption = "Bars: " + ", ".join(f"{who.colour_name} = {who.who}" for who, _ in bars) + "."
    if overlay:
        caption += " This PR's bars are drawn over the base's."
    for (who, _), table in zip(bars, tables):
        absent = [name for name in names if name not in table]
        if absent:
            caption += f" Not at {who.who} (drawn as 0): {_listed(absent)}."
    if data.omitted:
        caption += f" {data.omitted} more {'category is' if data.omitted == 1 else 'categories are'} left out, " \
                   "the smallest."
    caption += _absent(drawn, base_rev, head_rev, base_name, head_name)
    return _block(colours, lines) + "\n" + caption


def _merged(orders: list[list[str]]) -> list[str]:
    """One order of every name that keeps each list's own order (each revision has its figure's order);
    the first list's order first where they disagree."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for order in orders:
        for i, name in enumerate(order):
            sorter.add(name, *order[:i][-1:])
    try:
        return list(sorter.static_order())
    except graphlib.CycleError:
        return list(dict.fromkeys(name for order in orders for name in order))


def _listed(names: list[str]) -> str:
    shown = ", ".join(md_escape(name) for name in names[:NAMES_SHOWN])
    return shown + (f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else "")


# --- confusion matrices --------------------------------------------------------------------------------------------


def _confusion(data: PlotData, title: str, base_rev: str, head_rev: str, base_name: str, head_name: str) -> str:
    same = base_rev == head_rev
    base = {} if same else {m.group: m for m in data.matrix if m.rev == base_rev}
    head = {m.group: m for m in data.matrix if m.rev == head_rev}
    groups = list(dict.fromkeys([*base, *head]))
    heading = f"**{md_escape(title)}**"
    if not groups:
        return f"{heading}: no data at {_side(base_name, base_rev)} or {_side(head_name, head_rev)}."
    rows_cols = f"rows: {md_escape(data.x_label)}, columns: {md_escape(data.y_label)}"
    if same:
        note = f"Counts at {_side(f'{base_name} and {head_name}', head_rev)}; {rows_cols}."
    elif base and head:
        note = (f"Each cell: {_side(base_name, base_rev)} {ARROW} {_side(head_name, head_rev)}, in counts; "
                f"{rows_cols}; changed cells in bold.")
    else:
        has, lacks = ((head_name, head_rev), (base_name, base_rev)) if head else ((base_name, base_rev),
                                                                                  (head_name, head_rev))
        note = f"Counts at {_side(*has)} ({_side(*lacks)} has none); {rows_cols}."
    parts = [heading, "", note]
    for group in groups:
        b, h = base.get(group), head.get(group)
        if group is not None:
            only = "" if (b is None) == (h is None) or not (base and head) else \
                f", at {_side(base_name, base_rev) if h is None else _side(head_name, head_rev)} only"
            parts += ["", f"*{md_escape(group)}*{only}"]
        parts += ["", *_table(data, b, h)]
    return "\n".join(parts)


def _table(data: PlotData, base: Matrix | None, head: Matrix | None) -> list[str]:
    present = [m for m in (base, head) if m is not None]
    labels = _merged([list(m.labels) for m in present])
    counts = [_counts(m) for m in present]
    corner = f"{md_escape(data.x_label)} ↓ {md_escape(data.y_label)} {ARROW}"
    lines = ["| " + " | ".join([corner, *(md_escape(label) for label in labels)]) + " |",
             "|" + "---|" + "---:|" * len(labels)]
    for actual in labels:
        cells = [f"**{md_escape(actual)}**"]
        for predicted in labels:
            found = [table.get((actual, predicted), 0) for table in counts]
            if len(found) == 2:
                cell = f"{format_number(found[0])} {ARROW} {format_number(found[1])}"
                cells.append(f"**{cell}**" if found[0] != found[1] else cell)
            else:
                cells.append(format_number(found[0]))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _counts(matrix: Matrix) -> dict[tuple[str, str], int]:
    return {(a, p): matrix.counts[i][j] for i, a in enumerate(matrix.labels) for j, p in enumerate(matrix.labels)
            if i < len(matrix.counts) and j < len(matrix.counts[i])}


# --- Mermaid text --------------------------------------------------------------------------------------------------


def mermaid_text(text: str, limit: int = TEXT_MAX) -> str:
    """Text from the data for a quoted string in a Mermaid chart: one line, cut to ``limit``, with nothing
    that ends the string, starts a comment or a directive, or that Mermaid would read as HTML or an entity."""
    return _PERCENTS.sub("%", clean(str(text), limit).translate(_MERMAID_TEXT))


def _unique(texts: list[str]) -> list[str]:
    """The texts made distinct (a band axis merges equal categories) with `` (2)``, `` (3)``."""
    seen: set[str] = set()
    out = []
    for text in texts:
        candidate, n = text, 1
        while candidate in seen:
            n += 1
            candidate = f"{text} ({n})"
        seen.add(candidate)
        out.append(candidate)
    return out


def _heading(title: str, x_title: str, x_data: str) -> list[str]:
    lines = []
    if text := mermaid_text(title):
        lines.append(f'title "{text}"')
    lines.append(_axis("x-axis", x_title, x_data))
    return lines


def _axis(keyword: str, title: str, data: str) -> str:
    text = mermaid_text(title)
    return f'{keyword} "{text}" {data}' if text else f"{keyword} {data}"


def _block(colours: list[str], lines: list[str]) -> str:
    init = json.dumps({"themeVariables": {"xyChart": {"plotColorPalette": ", ".join(colours)}}})
    return "\n".join(["```mermaid", f"%%{{init: {init}}}%%", "xychart-beta", *(f"    {line}" for line in lines), "```"])


# --- numbers --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scale:
    """An axis's unit: 1, or a power of ten that very large or very small values are written in."""

    power: int = 0

    @classmethod
    def of(cls, values: Sequence[float]) -> _Scale:
        size = max((abs(v) for v in values), default=0.0)
        if size >= SCALE_ABOVE or 0 < size <= SCALE_BELOW:
            return cls(math.floor(math.log10(size)))
        return cls()

    def apply(self, value: float) -> float:
        return value if self.power == 0 else float(Decimal(value).scaleb(-self.power, _CONTEXT))

    def undo(self, value: float) -> float:
        return value if self.power == 0 else float(Decimal(value).scaleb(self.power, _CONTEXT))

    @property
    def suffix(self) -> str:
        return "" if self.power == 0 else f" (×10^{self.power})"


def _short(value: float) -> str:
    """A number in a caption: four significant digits."""
    return f"{value:.4g}".replace("-", "\u2212")


def _padded(lo: float, hi: float) -> tuple[float, float]:
    """An axis's range: the values' own, widened around a single value."""
    if hi > lo:
        return lo, hi
    pad = abs(lo) / 10 or 1.0
    return lo - pad, hi + pad


def _decimals(lo: float, hi: float) -> int:
    """Decimals that keep a thousandth of the span from ``lo`` to ``hi`` (0 to DECIMALS_MAX)."""
    span = hi - lo
    if not math.isfinite(span) or span <= 0:
        return 0
    return max(0, min(DECIMALS_MAX, SPAN_DIGITS - math.floor(math.log10(span))))


def _fixed(value: float, decimals: int, rounding: str = ROUND_HALF_EVEN) -> str:
    """``value`` with at most ``decimals`` decimals, as Mermaid's grammar reads a number: no exponent, no
    grouping, ASCII minus, no trailing zeros, never ``-0``."""
    exact = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=rounding, context=_CONTEXT)
    text = format(exact, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
