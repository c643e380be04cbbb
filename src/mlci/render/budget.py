"""Fitting text into a size budget: blocks joined by blank lines, sections whose rows are cut to fit.

A :class:`Section` is text before, a body of rows that can be cut (:class:`Items`, one line
each, or a :class:`Table`, tabulate's "pipe" table), a note saying how many rows were left
out, and text after. :func:`fit` lays out fixed blocks at the top, the sections in order and
a block at the bottom; each section keeps the rows that fit in what the sections before it
left, in the order given, and says how many it left out. The cut is found in one pass over
the rows, from their measured sizes, without rendering what is cut.

Sizes are counted in UTF-8 bytes, which is never less than the character count; a table's
widths are estimated as tabulate pads them (wide characters count 2 when tabulate measures
them with wcwidth). This module knows nothing of reports: its callers give it the text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import tabulate as _tabulate

R = TypeVar("R")
_WCWIDTH: Any = getattr(_tabulate, "wcwidth", None)  # what tabulate measures wide characters with
_SLACK = 256  # bytes kept spare on the second try, after a width estimate missed


def fit(top: list[str], sections: list[Section], bottom: str, budget: int, *, clip_note: str) -> str:
    """``top``, ``sections`` and ``bottom`` within ``budget`` bytes; cut at a line with ``clip_note``
    as a last resort, when even the fixed parts do not fit."""
    text = layout(top, sections, bottom, budget)
    over = size(text) - budget
    if over > 0:  # only if a width estimate missed: retry once with the overshoot taken off
        text = layout(top, sections, bottom, budget - over - _SLACK)
    return text if size(text) <= budget else clip(text, budget, clip_note)


class Body(Protocol):
    """Rows that can be cut: how many, the size with 1, 2, ... of them, and the text of the first few."""

    def __len__(self) -> int: ...

    def sizes(self) -> Iterator[int]:
        """Size of the body with 1, 2, ... rows."""
        ...

    def render(self, shown: int) -> str: ...


@dataclass(frozen=True)
class Items:
    """A list, one line per item."""

    lines: list[str]

    def __len__(self) -> int:
        return len(self.lines)

    def sizes(self) -> Iterator[int]:
        total = -1
        for line in self.lines:
            total += size(line) + 1
            yield total

    def render(self, shown: int) -> str:
        return "\n".join(self.lines[:shown])


class Table(Generic[R]):
    """A tabulate "pipe" table whose size for a row count is known without rendering it.

    Rows are formatted on demand: a 10,000-row table that can show 300 formats
    about 300.
    """

    def __init__(
        self, headers: tuple[str, ...], align: tuple[str, ...], rows: Sequence[R], cells: Callable[[R], tuple[str, ...]]
    ) -> None:
        self.headers = headers
        self.align = align
        self._rows = rows
        self._cells = cells
        self._done: list[tuple[str, ...]] = []

    def __len__(self) -> int:
        return len(self._rows)

    def row(self, index: int) -> tuple[str, ...]:
        while len(self._done) <= index:
            self._done.append(self._cells(self._rows[len(self._done)]))
        return self._done[index]

    def sizes(self) -> Iterator[int]:
        # tabulate pads every cell to its column's width (at least header + 2) with
        # one space each side and a pipe between: a line is sum(widths) + 3 * columns + 1
        # characters, plus each cell's bytes beyond its visible width.
        widths = [width(h) + _tabulate.MIN_PADDING for h in self.headers]
        extra = sum(size(h) - width(h) for h in self.headers)
        frame = 3 * len(self.headers) + 1
        for count in range(1, len(self._rows) + 1):
            for j, cell in enumerate(self.row(count - 1)):
                cell_width = width(cell)
                if cell_width > widths[j]:
                    widths[j] = cell_width
                extra += size(cell) - cell_width
            yield (count + 2) * (sum(widths) + frame) + extra + count + 1

    def render(self, shown: int) -> str:
        rows = [self.row(i) for i in range(shown)]
        return str(
            _tabulate.tabulate(rows, headers=self.headers, tablefmt="pipe", colalign=self.align, disable_numparse=True)
        )


@dataclass(frozen=True)
class Section:
    """Text before, a body whose rows can be cut, a note saying how many were, text after."""

    before: str
    body: Body
    after: str
    more: Callable[[int], str]

    def size(self, shown: int, body_size: int) -> int:
        parts = [size(self.before), body_size if shown else 0, self._note_size(shown), size(self.after)]
        present = [p for p in parts if p]
        return sum(present) + 2 * (len(present) - 1)

    def _note_size(self, shown: int) -> int:
        hidden = len(self.body) - shown
        return size(self.more(hidden)) if hidden else 0

    def fit(self, room: int) -> int:
        """The most rows that keep the section within ``room`` (at least 0)."""
        best = 0
        for shown, body_size in enumerate(self.body.sizes(), start=1):
            if self.size(shown, body_size) <= room:
                best = shown
            elif body_size > room:
                break
        return best

    def render(self, shown: int) -> str:
        hidden = len(self.body) - shown
        parts = [self.before, self.body.render(shown) if shown else "", self.more(hidden) if hidden else "", self.after]
        return "\n\n".join(p for p in parts if p)


def layout(top: list[str], sections: list[Section], bottom: str, room: int) -> str:
    """Blocks joined by blank lines; sections filled in order from what is left."""
    fixed = sum(size(block) for block in top) + size(bottom) + 2 * (len(top) + len(sections)) + 1
    minimal = [section.size(0, 0) for section in sections]
    left = room - fixed - sum(minimal)
    blocks = list(top)
    for section, least in zip(sections, minimal, strict=True):
        text = section.render(section.fit(least + max(left, 0)))
        left -= size(text) - least
        blocks.append(text)
    blocks.append(bottom)
    return "\n\n".join(blocks) + "\n"


def clip(text: str, budget: int, note: str) -> str:
    """Last resort for a budget too small for even the fixed parts: cut at a line, then ``note``."""
    room = max(budget - size(note), 0)
    cut = text.encode("utf-8")[:room].decode("utf-8", "ignore")
    if "\n" in cut:
        cut = cut[: cut.rindex("\n")]
    return (cut + note) if size(cut + note) <= budget else cut


def size(text: str) -> int:
    """UTF-8 bytes (the length itself for ASCII)."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def width(text: str) -> int:
    """The visible width tabulate pads to (wide characters count 2 when wcwidth is there)."""
    if text.isascii() or not _tabulate.WIDE_CHARS_MODE or _WCWIDTH is None:
        return len(text)
    return int(_WCWIDTH.wcswidth(text))
