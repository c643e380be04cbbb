"""The data of a DVC plot, small and plain: what a figure shows at each revision, read from its specification.

:func:`extract` reads DVC's filled-in Vega-Lite specification (a :class:`~mlci.dvc.PlotFigure`'s
``spec``: the template, and in ``data.values`` the rows of every revision, each with its ``rev``)
and returns a :class:`PlotData`: a curve per revision (DVC's ``linear``, ``simple``, ``smooth``
and ``scatter`` templates), bars per revision (``bar_horizontal``, ``bar_horizontal_sorted``), or
a confusion matrix per revision (``confusion``, ``confusion_normalized``); a project's own
template when its marks and fields say it is one of these. It is what the bundle keeps of a
plot, and what :mod:`mlci.render.mermaid` draws without any image hosting.

Pure: no DVC, no files; the standard library only (the bundle's model imports it). Every row
is the PR's data, so nothing in it is trusted: a value that is not a finite number is skipped,
text is made one line of printable characters and cut, and every size is bounded by the
constants below (a curve is downsampled, the smallest bars are left out, a figure with too
many classes or series is not one of these shapes).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

MAX_POINTS = 100  # points of one curve: more are downsampled evenly, the first and the last kept
MAX_BARS = 30  # categories of a bar chart: beyond it the smallest (by their largest |value|) are left out
MAX_CLASSES = 20  # classes of a confusion matrix: a figure with more is not shown as one
MAX_GROUPS = 4  # series within one revision (several y fields or files): a figure with more is none of these
MAX_SERIES = 8  # series, bars or matrices in all (revisions times groups)
LABEL_MAX = 60  # characters of a label, an axis title, a category or a class: longer ones lose their middle
_KEY_MAX = 4 * LABEL_MAX  # characters of a category or a class told apart from the others before it is cut
REV_MAX = 255  # characters of a revision's name
NUMBER_TEXT_MAX = 64  # characters of a number written as text ("0.3" in a CSV file); longer is no number
_DEPTH_MAX = 8  # levels of nested views (layer, spec) looked into
_VIEWS_MAX = 200  # views looked into in all

Shape = Literal["line", "scatter", "bar", "confusion"]
SHAPES: tuple[Shape, ...] = ("line", "scatter", "bar", "confusion")
REV_FIELD = "rev"  # DVC's field naming each row's revision
ELLIPSIS = "…"

# Channels and facets that split a revision's rows into several series, in the order looked at: DVC's
# templates put a second y field or file in strokeDash (lines), shape (scatter), column (bars) or the
# facet's row (confusion).
_GROUP_CHANNELS = ("strokeDash", "shape", "detail", "column", "row", "facet", "color")
_LINE_MARKS = {"line", "area", "trail"}
_POINT_MARKS = {"point", "circle", "square", "tick"}
_DISCRETE = {"nominal", "ordinal"}
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class Series:
    """One revision's curve: its points sorted by x."""

    rev: str  # the revision as the figure names it
    points: tuple[tuple[float, float], ...]  # (x, y), finite, sorted by x, at most MAX_POINTS
    group: str | None = None  # which of the revision's series (a y field, a file) when it has several


@dataclass(frozen=True)
class Bars:
    """One revision's bars: a value per category."""

    rev: str
    values: tuple[tuple[str, float], ...]  # (category, value), in the figure's order, at most MAX_BARS
    group: str | None = None


@dataclass(frozen=True)
class Matrix:
    """One revision's confusion matrix: how many rows have each (x, y) pair of classes."""

    rev: str
    labels: tuple[str, ...]  # the classes, sorted (as numbers when all are numbers), at most MAX_CLASSES
    counts: tuple[tuple[int, ...], ...]  # counts[i][j]: rows whose x field is labels[i] and y field labels[j]
    group: str | None = None


@dataclass(frozen=True)
class PlotData:
    """What a figure shows, per revision, in one of four shapes.

    ``line`` and ``scatter`` fill ``line`` (x_label and y_label the axes' titles); ``bar`` fills
    ``bars`` (x_label the categories' title, y_label the values': the axes of a vertical bar
    chart, whichever way DVC's template draws them); ``confusion`` fills ``matrix`` (x_label the
    title of the x field, whose classes are the rows of counts, y_label the y field's: DVC's
    ``x: actual, y: predicted``). A normalised template's matrix keeps the raw counts.
    ``omitted`` is how many bar categories were left out beyond MAX_BARS.
    """

    shape: Shape
    x_label: str
    y_label: str
    line: tuple[Series, ...] = ()
    bars: tuple[Bars, ...] = ()
    matrix: tuple[Matrix, ...] = ()
    omitted: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON record (see :func:`schema_defs`): every key present, tuples as lists."""
        return {
            "shape": self.shape,
            "x_label": self.x_label,
            "y_label": self.y_label,
            "line": [{"rev": s.rev, "group": s.group, "points": [[x, y] for x, y in s.points]} for s in self.line],
            "bars": [{"rev": b.rev, "group": b.group, "values": [[c, v] for c, v in b.values]} for b in self.bars],
            "matrix": [{"rev": m.rev, "group": m.group, "labels": list(m.labels),
                        "counts": [list(row) for row in m.counts]} for m in self.matrix],
            "omitted": self.omitted,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlotData:
        """From a record the bundle's schema has validated; checked again all the same (a fork's bundle
        is hostile): ValueError when a size, a number or a shape is not what :func:`extract` makes."""
        try:
            plot = cls(
                shape=data["shape"], x_label=str(data["x_label"]), y_label=str(data["y_label"]),
                line=tuple(Series(rev=str(s["rev"]), group=_optional_text(s["group"]),
                                  points=tuple((_finite(x), _finite(y)) for x, y in s["points"]))
                           for s in data["line"]),
                bars=tuple(Bars(rev=str(b["rev"]), group=_optional_text(b["group"]),
                                values=tuple((str(c), _finite(v)) for c, v in b["values"]))
                           for b in data["bars"]),
                matrix=tuple(Matrix(rev=str(m["rev"]), group=_optional_text(m["group"]),
                                    labels=tuple(str(label) for label in m["labels"]),
                                    counts=tuple(tuple(_count(n) for n in row) for row in m["counts"]))
                             for m in data["matrix"]),
                omitted=_count(data["omitted"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a plot's data: {exc!r}") from None
        plot.check()
        return plot

    def check(self) -> None:
        """ValueError unless every size and value is within what :func:`extract` makes."""
        if self.shape not in SHAPES:
            raise ValueError(f"unknown shape {self.shape!r}")
        if len(self.line) + len(self.bars) + len(self.matrix) > MAX_SERIES:
            raise ValueError("too many series")
        texts = [self.x_label, self.y_label]
        for s in self.line:
            texts += [s.rev, s.group or ""]
            if len(s.points) > MAX_POINTS or any(a[0] > b[0] for a, b in zip(s.points, s.points[1:])):
                raise ValueError("a curve has too many points, or points out of order")
        for b in self.bars:
            texts += [b.rev, b.group or "", *(c for c, _ in b.values)]
            if len(b.values) > MAX_BARS or len({c for c, _ in b.values}) != len(b.values):
                raise ValueError("too many bars, or a category twice")
        for m in self.matrix:
            texts += [m.rev, m.group or "", *m.labels]
            n = len(m.labels)
            if n > MAX_CLASSES or len(set(m.labels)) != n or len(m.counts) != n or any(len(r) != n for r in m.counts):
                raise ValueError("a confusion matrix is not square over distinct classes, or too large")
        if any(len(text) > REV_MAX for text in texts):
            raise ValueError("a label is too long")


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return float(value)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"not a count: {value!r}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def schema_defs() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :meth:`PlotData.to_dict`, as ``$defs`` entries: ``plot_data``
    refers to the others as ``#/$defs/plot_series``, ``#/$defs/plot_bars`` and ``#/$defs/plot_matrix``."""
    label = {"type": "string", "maxLength": LABEL_MAX}
    group = {"oneOf": [{"type": "null"}, label]}
    rev = {"type": "string", "minLength": 1, "maxLength": REV_MAX}

    def pair(first: dict[str, Any]) -> dict[str, Any]:
        return {"type": "array", "prefixItems": [first, {"type": "number"}], "items": False,
                "minItems": 2, "maxItems": 2}

    def item(key: str, value: dict[str, Any], description: str) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False, "required": ["rev", "group", key],
                "description": description,
                "properties": {"rev": rev, "group": group, key: value}}

    matrix = item("labels", {"type": "array", "maxItems": MAX_CLASSES, "uniqueItems": True, "items": label},
                  "one revision's confusion matrix: counts[i][j] rows with x = labels[i] and y = labels[j]")
    matrix["required"].append("counts")
    matrix["properties"]["counts"] = {
        "type": "array", "maxItems": MAX_CLASSES,
        "items": {"type": "array", "maxItems": MAX_CLASSES, "items": {"type": "integer", "minimum": 0}}}

    def items(ref: str) -> dict[str, Any]:
        return {"type": "array", "maxItems": MAX_SERIES, "items": {"$ref": f"#/$defs/{ref}"}}

    return {
        "plot_data": {
            "type": "object", "additionalProperties": False,
            "required": ["shape", "x_label", "y_label", "line", "bars", "matrix", "omitted"],
            "description": "what a DVC figure shows per revision, read from its Vega-Lite specification "
                           "(mlci.plots.series.PlotData): a curve, bars or a confusion matrix per revision",
            "properties": {
                "shape": {"enum": list(SHAPES)},
                "x_label": label,
                "y_label": label,
                "line": items("plot_series"),
                "bars": items("plot_bars"),
                "matrix": items("plot_matrix"),
                "omitted": {"type": "integer", "minimum": 0, "description": "bar categories left out"},
            },
        },
        "plot_series": item("points", {"type": "array", "maxItems": MAX_POINTS, "items": pair({"type": "number"})},
                            "one revision's curve: (x, y) points sorted by x"),
        "plot_bars": item("values", {"type": "array", "maxItems": MAX_BARS, "items": pair(label)},
                          "one revision's bars: (category, value)"),
        "plot_matrix": matrix,
    }


# --- reading a specification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Channel:
    field: str
    type: str | None
    title: str
    sort: Any


_NO_SORT = object()  # a channel without "sort" (Vega-Lite's default), unlike an explicit null


def extract(spec: Mapping[str, Any], revs: Sequence[str]) -> PlotData | None:
    """The data of DVC's filled-in Vega-Lite ``spec`` for each of ``revs`` (the names its rows' ``rev``
    field has), in that order; None when the figure is not a curve, bars or a confusion matrix of
    DVC's making (or alike), or has no row to show.

    The fields are the x and y channels' (at the top, in ``layer``, or under ``spec`` as in DVC's
    faceted confusion template); the shape comes from the marks and the channels' types (a
    channel without a type is quantitative when its values are numbers). Rows of other revisions,
    and rows whose value is not a finite number (numbers may be text, as DVC reads CSV), are skipped.
    """
    if not isinstance(spec, Mapping):
        return None
    data = spec.get("data")
    values = data.get("values") if isinstance(data, Mapping) else None
    if not isinstance(values, list):
        return None
    wanted = list(dict.fromkeys(str(rev) for rev in revs))
    rows = [row for row in values if isinstance(row, Mapping) and str(row.get(REV_FIELD)) in wanted]
    views = list(_views(spec))
    x, y = _channel(views, "x", rows), _channel(views, "y", rows)
    if x is None or y is None or x.field == y.field:
        return None
    marks = {mark for view in views if (mark := _mark(view)) is not None}
    group = _group_field(views, spec, {x.field, y.field, REV_FIELD}, rows)
    order = {rev: i for i, rev in enumerate(wanted)}
    if "rect" in marks and x.type in _DISCRETE and y.type in _DISCRETE:
        return _confusion(rows, x, y, group, order)
    if "bar" in marks and (x.type in _DISCRETE) != (y.type in _DISCRETE):
        category, value = (x, y) if x.type in _DISCRETE else (y, x)
        if value.type != "quantitative":
            return None
        return _bars(rows, category, value, "x" if value is x else "y", group, order)
    if x.type == "quantitative" and y.type == "quantitative":
        if marks & _LINE_MARKS:
            return _line("line", rows, x, y, group, order)
        if marks & _POINT_MARKS:
            return _line("scatter", rows, x, y, group, order)
    return None


def _views(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """``spec`` and every view inside it (``layer`` items, a facet's or repeat's ``spec``), depth first."""
    stack: list[tuple[Mapping[str, Any], int]] = [(spec, 0)]
    seen = 0
    while stack and seen < _VIEWS_MAX:
        view, depth = stack.pop()
        seen += 1
        yield view
        if depth >= _DEPTH_MAX:
            continue
        inner = view.get("spec")
        layers = view.get("layer")
        children = ([inner] if isinstance(inner, Mapping) else []) + (layers if isinstance(layers, list) else [])
        stack.extend((child, depth + 1) for child in reversed(children) if isinstance(child, Mapping))


def _channel(views: list[Mapping[str, Any]], name: str, rows: list[Mapping[str, Any]]) -> _Channel | None:
    """The first definition of channel ``name`` with a field, in the views' order; its type inferred from
    the rows when it declares none."""
    for view in views:
        encoding = view.get("encoding")
        definition = encoding.get(name) if isinstance(encoding, Mapping) else None
        if not isinstance(definition, Mapping) or not isinstance(definition.get("field"), str):
            continue
        field = definition["field"]
        kind = definition.get("type")
        if not isinstance(kind, str):
            kind = _inferred_type(rows, field)
        axis = definition.get("axis")
        title = definition.get("title", axis.get("title") if isinstance(axis, Mapping) else None)
        if isinstance(title, list):
            title = " ".join(str(part) for part in title)
        text = clean(title if isinstance(title, str) else field)
        return _Channel(field, kind, text, definition.get("sort", _NO_SORT))
    return None


def _inferred_type(rows: list[Mapping[str, Any]], field: str) -> str:
    found = [row[field] for row in rows[:1000] if row.get(field) is not None]
    return "quantitative" if found and all(number(value) is not None for value in found) else "nominal"


def _mark(view: Mapping[str, Any]) -> str | None:
    mark = view.get("mark")
    if isinstance(mark, Mapping):
        mark = mark.get("type")
    return mark if isinstance(mark, str) else None


def _group_field(views: list[Mapping[str, Any]], spec: Mapping[str, Any], taken: set[str],
                 rows: list[Mapping[str, Any]]) -> str | None:
    """The field that splits a revision's rows into several series, if the figure has one."""
    definitions: list[Any] = []
    facet = spec.get("facet")
    if isinstance(facet, Mapping):
        definitions += [facet.get("row"), facet.get("column"), facet]
    for view in views:
        encoding = view.get("encoding")
        if isinstance(encoding, Mapping):
            definitions += [encoding.get(channel) for channel in _GROUP_CHANNELS]
    sample = rows[:100]
    for definition in definitions:
        field = definition.get("field") if isinstance(definition, Mapping) else None
        if isinstance(field, str) and field not in taken and any(field in row for row in sample):
            return field
    return None


def _key(row: Mapping[str, Any], group: str | None) -> tuple[str, str | None]:
    if group is None:
        return str(row.get(REV_FIELD)), None
    name = text_of(row.get(group))
    return str(row.get(REV_FIELD)), None if name is None else clean(name)


def _ordered(keys: list[tuple[str, str | None]], order: Mapping[str, int]) -> list[tuple[str, str | None]] | None:
    """The series' keys, revision by revision and each revision's groups as they came; None when too many."""
    groups = list(dict.fromkeys(group for _, group in keys))
    if len(groups) > MAX_GROUPS or len(keys) > MAX_SERIES:
        return None
    return sorted(keys, key=lambda key: (order[key[0]], groups.index(key[1])))


def _line(shape: Shape, rows: list[Mapping[str, Any]], x: _Channel, y: _Channel, group: str | None,
          order: Mapping[str, int]) -> PlotData | None:
    points: dict[tuple[str, str | None], list[tuple[float, float]]] = {}
    for row in rows:
        px, py = number(row.get(x.field)), number(row.get(y.field))
        if px is not None and py is not None:
            points.setdefault(_key(row, group), []).append((px, py))
    keys = _ordered(list(points), order)
    if not keys:
        return None
    series = tuple(Series(rev, downsample(sorted(points[(rev, g)], key=lambda p: p[0]), MAX_POINTS), g)
                   for rev, g in keys)
    return PlotData(shape, x.title, y.title, line=series)


def _bars(rows: list[Mapping[str, Any]], category: _Channel, value: _Channel, value_channel: str,
          group: str | None, order: Mapping[str, int]) -> PlotData | None:
    sums: dict[tuple[str, str | None], dict[str, float]] = {}
    for row in rows:
        name, amount = text_of(row.get(category.field)), number(row.get(value.field))
        if name is not None and amount is not None:
            found = sums.setdefault(_key(row, group), {})
            found[name] = found.get(name, 0.0) + amount  # Vega-Lite stacks bars of one category
    keys = _ordered(list(sums), order)
    if not keys:
        return None
    names = list(dict.fromkeys(name for key in keys for name in sums[key]))
    totals = {name: sum(sums[key].get(name, 0.0) for key in keys) for name in names}
    names = _sorted_categories(names, category.sort, value_channel, totals)
    omitted = max(0, len(names) - MAX_BARS)
    if omitted:
        size = {name: max(abs(sums[key][name]) for key in keys if name in sums[key]) for name in names}
        kept = set(sorted(names, key=lambda name: -size[name])[:MAX_BARS])
        names = [name for name in names if name in kept]
    labels = unique_labels(names)
    bars = tuple(Bars(rev, tuple((labels[name], sums[(rev, g)][name]) for name in names if name in sums[(rev, g)]), g)
                 for rev, g in keys)
    return PlotData("bar", category.title, value.title, bars=bars, omitted=omitted)


def _sorted_categories(names: list[str], sort: Any, value_channel: str, totals: Mapping[str, float]) -> list[str]:
    """The categories in the order Vega-Lite gives them: ascending by default, by their summed value for
    ``"-x"``/``"x"`` (or a sort by the value's field), as the data has them for null, as listed."""
    if sort is None:
        return names
    if isinstance(sort, list):
        listed = {str(name): i for i, name in enumerate(sort)}
        return sorted(names, key=lambda name: listed.get(name, len(listed)))
    if isinstance(sort, Mapping):
        descending = sort.get("order") == "descending"
        if sort.get("field") is not None or sort.get("encoding") == value_channel:
            return sorted(names, key=lambda name: -totals[name] if descending else totals[name])
        return sorted(names, reverse=descending)
    if sort in (value_channel, f"-{value_channel}"):
        return sorted(names, key=lambda name: -totals[name] if sort.startswith("-") else totals[name])
    return sorted(names, reverse=sort == "descending")


def _confusion(rows: list[Mapping[str, Any]], x: _Channel, y: _Channel, group: str | None,
               order: Mapping[str, int]) -> PlotData | None:
    pairs: dict[tuple[str, str | None], dict[tuple[str, str], int]] = {}
    classes: dict[str, None] = {}
    for row in rows:
        actual, predicted = text_of(row.get(x.field)), text_of(row.get(y.field))
        if actual is None or predicted is None:
            continue
        counts = pairs.setdefault(_key(row, group), {})
        counts[(actual, predicted)] = counts.get((actual, predicted), 0) + 1
        classes[actual] = classes[predicted] = None
        if len(classes) > MAX_CLASSES:
            return None
    keys = _ordered(list(pairs), order)
    if not keys:
        return None
    names = sorted(classes, key=_class_order)
    labels = unique_labels(names)
    matrix = tuple(Matrix(rev, tuple(labels[name] for name in names),
                          tuple(tuple(pairs[(rev, g)].get((a, p), 0) for p in names) for a in names), g)
                   for rev, g in keys)
    return PlotData("confusion", x.title, y.title, matrix=matrix)


def _class_order(name: str) -> tuple[float, str]:
    """Classes that are numbers in numeric order, before the others in text order."""
    value = number(name)
    return (value, "") if value is not None else (math.inf, name)


# --- values and text ----------------------------------------------------------------------------------------


def number(value: Any) -> float | None:
    """A finite number from a row's value: a JSON number, or text that is one (``"0.3"``, ``"-1e-3"``; not
    ``"nan"``, ``"1_000"`` or other digits); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if len(text) > NUMBER_TEXT_MAX or not _NUMBER.fullmatch(text):
            return None
        value = text
    elif not isinstance(value, (int, float)):
        return None
    try:
        result = float(value)
    except (OverflowError, ValueError):
        return None
    return result if math.isfinite(result) else None


def text_of(value: Any) -> str | None:
    """A category or a class from a row's value: text, a number or a boolean as JSON writes it, cleaned;
    None for a missing value, an object or a list."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10 ** NUMBER_TEXT_MAX else None
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)) if math.isfinite(value) \
            else None
    if isinstance(value, str):
        return clean(value, _KEY_MAX) or "(empty)"
    return None


def clean(text: str, limit: int = LABEL_MAX) -> str:
    """One line of printable text at most ``limit`` characters: controls, format characters (bidi
    overrides, zero-width) and line breaks become spaces, runs of spaces one; a longer text keeps
    its start and its end around an ellipsis."""
    if len(text) > 8 * limit:
        text = text[: 4 * limit] + " " + text[-4 * limit:]
    if not text.isascii() or not text.isprintable():
        text = "".join(" " if unicodedata.category(char)[0] == "C" or unicodedata.category(char) in ("Zl", "Zp")
                       else char for char in text)
    text = " ".join(text.split())
    if len(text) > limit:
        head = (limit - 1) * 2 // 3
        text = text[:head].rstrip() + ELLIPSIS + text[len(text) - (limit - 1 - head):].lstrip()
    return text


def unique_labels(names: Sequence[str]) -> dict[str, str]:
    """Each name's label, at most LABEL_MAX characters and distinct from the others' (`` (2)`` ...)."""
    labels: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        label, n = clean(name), 1
        while label in taken:
            n += 1
            suffix = f" ({n})"
            label = clean(name, LABEL_MAX - len(suffix)) + suffix
        taken.add(label)
        labels[name] = label
    return labels


def downsample(points: Sequence[tuple[float, float]], limit: int) -> tuple[tuple[float, float], ...]:
    """At most ``limit`` of ``points``, evenly spaced by position, the first and the last kept."""
    n = len(points)
    if n <= limit:
        return tuple(points)
    if limit < 2:
        return tuple(points[:limit])
    return tuple(points[round(i * (n - 1) / (limit - 1))] for i in range(limit))


