"""Escaping user text (markdown, terminal) and formatting values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tabulate import tabulate

from mlci.render.escape import MAX_CHARS, md_code, md_escape, show_controls, term_clean
from mlci.render.fmt import (
    MINUS,
    change_cell,
    format_change,
    format_number,
    format_param,
    format_relative,
    format_seconds,
    format_value,
    plural,
)

# -- md_escape -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("accuracy", "accuracy"),
        ("per_class.dog.f1", "per_class.dog.f1"),  # intraword _ is inert in GFM: kept readable
        ("_private_", "\\_private\\_"),
        ("a|b", "a&#124;b"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("AT&T", "AT&amp;T"),
        ("&#64;x", "&amp;&#35;&#8203;64;x"),  # a user's own entity shows literally
        ("@octocat", "&#64;&#8203;octocat"),
        ("@acme/team", "&#64;&#8203;acme/team"),
        ("fixes #12", "fixes &#35;&#8203;12"),
        ("a @ b # c", "a &#64; b &#35; c"),  # nothing to link: no zero-width space
        ("`code`", "\\`code\\`"),
        ("**bold** ~~x~~", "\\*\\*bold\\*\\* \\~\\~x\\~\\~"),
        ("[link](http://x)", "\\[link\\](http:&#8203;//x)"),  # no bare link either
        ("![img](x)", "\\!\\[img\\](x)"),
        ("$x^2$", "\\$x^2\\$"),
        ("back\\slash", "back\\\\slash"),
        ("line1\nline2\r\nline3", "line1 line2 line3"),
        ("tab\there", "tab here"),
        ("  padded  ", "padded"),
        ("", ""),
    ],
)
def test_md_escape(text: str, expected: str) -> None:
    assert md_escape(text) == expected


def test_md_escape_strips_controls_ansi_and_bidi() -> None:
    assert md_escape("\x1b[31mred\x1b[0m") == "red"
    assert md_escape("a\x00b\x07c\x7f") == "abc"
    assert md_escape("user\u202eexe.txt") == "userexe.txt"
    assert md_escape("x\ud800y") == "xy"  # a lone surrogate (valid in JSON) cannot be encoded


def test_md_escape_caps_long_text_before_escaping() -> None:
    out = md_escape("|" * 1000)
    assert out.endswith("…")
    assert out.count("&#124;") == MAX_CHARS - 1
    assert md_escape("x" * 1000, limit=10) == "x" * 9 + "…"
    assert md_escape("x" * MAX_CHARS) == "x" * MAX_CHARS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://evil.example/x", "https:&#8203;//evil.example/x"),
        ("see HTTP://evil.example", "see HTTP:&#8203;//evil.example"),
        ("ftp://x.example", "ftp:&#8203;//x.example"),
        ("www.evil.example", "www&#8203;.evil.example"),
        ("WWW.Evil.example", "WWW&#8203;.Evil.example"),
        ("a|b https://e.example", "a&#124;b https:&#8203;//e.example"),  # escaped text too
        ("mail me@evil.example", "mail me&#64;&#8203;evil.example"),  # no email autolink either
        ("www_x.example", "www_x.example"),  # not a link: unchanged
    ],
)
def test_md_escape_links_no_bare_url(text: str, expected: str) -> None:
    """Issue 12 finding 10: GFM autolinks bare ``scheme://`` and ``www.``; a zero-width
    space inside them (invisible when rendered) leaves plain text."""
    assert md_escape(text) == expected


def test_md_code_of_a_url_is_a_code_span() -> None:
    assert md_code("https://evil.example") == "`https://evil.example`"  # code spans never link
    assert md_code("https://evil.example/<x>") == "<code>https:&#8203;//evil.example/&lt;x&gt;</code>"


@given(st.text())
def test_md_escape_never_leaves_an_autolink(text: str) -> None:
    out = md_escape(text).replace("&#8203;", "\u200b")
    assert "://" not in out and "www." not in out.lower()


def test_show_controls() -> None:
    assert show_controls("plain\ttab\nline") == "plain\ttab\nline"
    assert show_controls("a\x00b\x1b[31mc\rd\u202ee\u2066f\u2069\x85\u2028\ufeff\x7f") == (
        "a\\x00b\\x1b[31mc\\rd\\u202ee\\u2066f\\u2069\\x85\\u2028\\ufeff\\x7f")
    assert show_controls("x\ud800y") == "x\\ud800y"  # encodable
    assert show_controls("é ✅ 名前") == "é ✅ 名前"  # visible text stays


@given(st.text())
def test_show_controls_leaves_only_visible_lines(text: str) -> None:
    out = show_controls(text)
    assert out.split("\n") == [show_controls(line) for line in text.split("\n")]  # the same lines
    assert not any(ch not in "\t\n" and (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F) for ch in out)
    assert not any(0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069 for ch in out)
    out.encode("utf-8")


def test_md_code() -> None:
    assert md_code("metrics.json") == "`metrics.json`"
    assert md_code("eval/metrics-2.json") == "`eval/metrics-2.json`"
    assert md_code("we`ird|<b>") == "<code>we\\`ird&#124;&lt;b&gt;</code>"
    assert md_code("@octocat") == "<code>&#64;&#8203;octocat</code>"


def test_term_clean() -> None:
    assert term_clean("\x1b[2J\x1b[31mred\x1b[0m") == "red"
    assert term_clean("\x1b]0;title\x07name") == "name"
    assert term_clean("a\nb\rc") == "a b c"
    assert term_clean("a|b <c> @d `e`") == "a|b <c> @d `e`"  # no markdown escaping on a terminal
    assert term_clean("y" * 500) == "y" * (MAX_CHARS - 1) + "…"


@given(st.text())
def test_md_escape_output_is_inert(text: str) -> None:
    out = md_escape(text)
    for char in "|<>@\n\r":
        assert char not in out
    assert len(out.splitlines()) <= 1
    out.encode("utf-8")  # always encodable


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_escaped_cells_keep_one_line_per_row(names: list[str]) -> None:
    rows = [(md_escape(name), md_escape(name[::-1]), "0.5000") for name in names]
    table = tabulate(rows, headers=("metric", "value", "x"), tablefmt="pipe", disable_numparse=True)
    lines = table.splitlines()
    assert len(lines) == len(rows) + 2
    assert all(line.count("|") == 4 for line in lines)


@given(st.text())
def test_term_clean_output_is_one_printable_line(text: str) -> None:
    out = term_clean(text)
    assert "\x1b" not in out
    assert len(out.splitlines()) <= 1
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in out)


# -- numbers and values -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.912, "0.9120"),
        (0.0, "0.0000"),
        (-0.017, f"{MINUS}0.0170"),
        (999.5, "999.5000"),
        (12345.678, "12,345.68"),
        (1234567.4, "1,234,567"),
        (2.5e18, "2.5e+18"),
        (0.00012345, "0.000123"),
        (-3e-7, f"{MINUS}3e{MINUS}07"),
        (7043, "7,043"),
        (-1200, f"{MINUS}1,200"),
        (200, "200"),
        (math.nan, "NaN"),
        (math.inf, "∞"),
        (-math.inf, f"{MINUS}∞"),
        (True, "true"),
        (False, "false"),
    ],
)
def test_format_number(value: float, expected: str) -> None:
    assert format_number(value) == expected


def test_format_change_and_relative() -> None:
    assert format_change(0.0065) == "+0.0065"
    assert format_change(-0.017) == f"{MINUS}0.0170"
    assert format_change(-1500) == f"{MINUS}1,500"
    assert format_relative(0.007) == "(+0.7 %)"
    assert format_relative(-0.019) == f"({MINUS}1.9 %)"
    assert format_relative(0.0004) == "(+0.04 %)"
    assert format_relative(12.5) == "(+1,250 %)"
    assert format_relative(0.0) == "(+0.0 %)"


def test_change_cell() -> None:
    assert change_cell(0.0065, 0.0071) == "+0.0065 (+0.7 %) ▲"
    assert change_cell(-0.017, -0.0186) == f"{MINUS}0.0170 ({MINUS}1.9 %) ▼"
    assert change_cell(0.5, None) == "+0.5000 ▲"  # base 0: no relative change
    assert change_cell(None, None) == "—"


def test_format_value() -> None:
    assert format_value(None) == "null"
    assert format_value("youden") == "youden"
    assert format_value("") == '""'
    assert format_value([1, 2, {"a": "b"}]) == '[1,2,{"a":"b"}]'
    assert format_value({"k": "<b>"}, md_escape) == '{"k":"&lt;b&gt;"}'
    assert format_value("@me", md_escape) == "&#64;&#8203;me"


def test_format_param_is_as_written() -> None:
    assert format_param(1.0) == "1.0"
    assert format_param(0.0003) == "0.0003"
    assert format_param(10000) == "10000"
    assert format_param(True) == "true"
    assert format_param(None) == "null"
    assert format_param(math.nan) == "NaN"
    assert format_param(["a", 1]) == '["a",1]'


def test_format_seconds_and_plural() -> None:
    assert format_seconds(0.42) == "0.4 s"
    assert format_seconds(83.2) == "1 min 23 s"
    assert format_seconds(3725) == "1 h 02 min"
    assert format_seconds(-1) == "—"
    assert plural(1, "metric") == "1 metric"
    assert plural(4213, "row") == "4,213 rows"
