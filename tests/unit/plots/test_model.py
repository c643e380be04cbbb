"""The plots' model: each side's status, rows per revision, safe file names, a PNG's size."""

from __future__ import annotations

import struct
import zlib

import pytest

from mlci.plots.model import NAME_MAX, NO_DATA, NOT_DECLARED, Plot, PlotFile, Side, png_size, rows_by_revision, \
    safe_names, side


def png(width: int, height: int) -> bytes:
    """A real PNG of ``width`` x ``height`` red pixels, written by hand (no imaging library)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_a_side_with_data_is_present_with_its_rows() -> None:
    assert side("abc1234", has_data=True, declared=True, error=None, rows=11) == Side("abc1234", "present", rows=11)


@pytest.mark.parametrize(("declared", "error", "reason"), [
    (True, "plots/roc.json: file not found", "plots/roc.json: file not found"),
    (False, None, NOT_DECLARED),
    (True, None, NO_DATA),
])
def test_a_missing_side_always_says_why(declared: bool, error: str | None, reason: str) -> None:
    got = side("abc1234", has_data=False, declared=declared, error=error)
    assert got.status == "missing" and got.reason == reason and got.rows is None


def test_rows_are_counted_per_revision() -> None:
    spec = {"data": {"values": [{"x": 1, "rev": "a"}, {"x": 2, "rev": "a"}, {"x": 1, "rev": "b"}]}}
    assert rows_by_revision(spec) == {"a": 2, "b": 1}
    assert rows_by_revision({"data": {"url": "x.json"}}) == {}
    assert rows_by_revision({}) == {}


@pytest.mark.parametrize(("plot_id", "name"), [
    ("roc", "roc"),
    ("plots/roc.json", "plots-roc.json"),
    ("eval/importance.png", "eval-importance"),
    ("../../etc/passwd", "etc-passwd"),
    ("/abs/path.PNG", "abs-path"),
    ("..", "plot"),
    (".hidden", "hidden"),
    ("a b\\c:d*e?f", "a-b-c-d-e-f"),
    ("été/courbe", "t-courbe"),
    ("", "plot"),
])
def test_a_name_never_leaves_the_folder(plot_id: str, name: str) -> None:
    assert safe_names([plot_id]) == {plot_id: name}


def test_names_are_unique_and_bounded() -> None:
    long = "x" * 500
    names = safe_names(["a/b", "a-b", "A/B", long, long + "y", "a/b"])
    assert names["a/b"] == "a-b" and names["a-b"] == "a-b-2" and names["A/B"] == "A-B-3"
    assert len(names[long]) == NAME_MAX and len(names[long + "y"]) <= NAME_MAX
    assert len({n.lower() for n in names.values()}) == len(names)
    assert all("/" not in n and not n.startswith(".") for n in names.values())


def test_png_size_reads_the_header() -> None:
    assert png_size(png(7, 3)) == (7, 3)
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(b"GIF89a" + b"\x00" * 30)
    with pytest.raises(ValueError):
        png_size(b"\x89PNG")


def test_a_plot_is_drawn_only_with_files_and_no_reason() -> None:
    base, head = Side("a", "present"), Side("b", "missing", reason=NOT_DECLARED)
    assert Plot("roc", "ROC", "vega", base, head, files=(PlotFile("plots/roc.png", "png", None, 10, 10),)).drawn
    assert not Plot("roc", "ROC", "vega", base, head, reason="vl-convert could not draw it").drawn
    assert not Plot("roc", "ROC", "vega", base, head).drawn
