"""A plot's data as Mermaid charts and a confusion table, and that hostile data stays inside its strings.

How the Mermaid text is checked (both ways, on every chart a test makes):

- by Mermaid's own grammar, when ``node`` is on PATH (skipped otherwise): the parser that jison 0.4.18 makes of
  Mermaid's ``xychart.jison`` (tests/unit/plots/fixtures/mermaid/xychart_parser.js, its source commit in its
  header), run after the steps Mermaid takes before it (directives read and removed, comment lines removed,
  ``#name;`` entities; parse_xychart.js), with its calls into the chart's database recorded: the tests read
  the title, axes, categories and values Mermaid would draw;
- always, by regular expressions derived from that grammar (:data:`GRAMMAR`): a number is
  ``[+-]?(\\d+(\\.\\d+)?|\\.\\d+)``, a string ``"[^"]*"``, and every statement one of title, x-axis (range or
  band), y-axis (range), line and bar.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlci.plots.series import Bars, Matrix, PlotData, Series, clean, extract
from mlci.render.escape import md_escape
from mlci.render.mermaid import CATEGORY_MAX, RESAMPLE, mermaid_steps, mermaid_text, render
from tests.unit.plots.test_series import REVS, recorded

PARSER = Path(__file__).parents[1] / "plots" / "fixtures" / "mermaid" / "parse_xychart.js"

NUMBER = r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)"
STRING = r'"[^"\n]*"'
GRAMMAR = [re.compile(line) for line in (
    rf"title {STRING}",
    rf"x-axis(?: {STRING})? {NUMBER} --> {NUMBER}",
    rf"x-axis(?: {STRING})? \[{STRING}(?:, {STRING})*\]",
    rf"y-axis(?: {STRING})? {NUMBER} --> {NUMBER}",
    rf"(?:line|bar) \[{NUMBER}(?:, {NUMBER})*\]",
)]
INIT = re.compile(r'%%\{init: (\{.*\})\}%%')


def blocks(markdown: str) -> list[str]:
    """The text of each ```mermaid block, checked line by line against GRAMMAR; the markdown's fences are
    only the blocks' own."""
    found, body, inside = [], [], False
    for line in markdown.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            assert line in ("```mermaid", "```") and (line == "```") == inside, line
            if inside:
                found.append("\n".join(body))
                body = []
            inside = not inside
        elif inside:
            body.append(line)
    assert not inside
    for text in found:
        first, second, *statements = text.split("\n")
        assert INIT.fullmatch(first) and json.loads(INIT.fullmatch(first)[1])  # type: ignore[index]
        assert second == "xychart-beta"
        for statement in statements:
            assert statement.startswith("    ")
            assert any(rule.fullmatch(statement[4:]) for rule in GRAMMAR), statement
        assert "%%" not in "\n".join(statements) and "`" not in text
    return found


def parsed(markdown: str) -> list[dict[str, Any]]:
    """Each block as Mermaid reads it: its directives and the calls its parser makes (see the docstring)."""
    sources = blocks(markdown)
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: Mermaid's parser cannot run (the grammar's regular expressions did)")
    out = subprocess.run([node, str(PARSER)], input=json.dumps(sources), capture_output=True, text=True,
                         timeout=60, check=True)
    results: list[dict[str, Any]] = json.loads(out.stdout)
    for result in results:
        assert result["ok"], result["error"]
        assert [d["type"] for d in result["directives"]] == ["init"]
    return results


def calls(result: dict[str, Any], name: str) -> list[list[Any]]:
    return [call[1:] for call in result["calls"] if call[0] == name]


def palette(result: dict[str, Any]) -> list[str]:
    return [c.strip() for c in result["directives"][0]["args"]["themeVariables"]["xyChart"]["plotColorPalette"].split(",")]


def caption(markdown: str) -> str:
    return markdown.rsplit("\n", 1)[1]


@pytest.fixture(scope="module")
def specs() -> dict[str, Any]:
    return recorded()


def data_of(specs: dict[str, Any], plot_id: str) -> PlotData:
    data = extract(specs[plot_id], REVS)
    assert data is not None
    return data


# --- curves ------------------------------------------------------------------------------------------------------


def test_a_roc_curve_is_two_lines_grey_base_and_blue_head(specs: dict[str, Any]) -> None:
    markdown = render(data_of(specs, "roc"), "ROC curve", "main", "pr")
    (chart,) = parsed(markdown)
    assert calls(chart, "setDiagramTitle") == [["ROC curve"]]
    assert calls(chart, "setXAxisRangeData") == [[0, 1]] and calls(chart, "setYAxisRangeData") == [[0, 1]]
    assert calls(chart, "setXAxisTitle") == [[{"text": "False positive rate", "type": "text"}]]
    assert calls(chart, "setYAxisTitle") == [[{"text": "True positive rate", "type": "text"}]]
    base, head = (values for _, values in calls(chart, "setLineData"))
    # 61 values would lose the last (0 + 60 steps of 1/60 passes 1 in floating point): the nearest count that fits.
    assert mermaid_steps(0, 1, RESAMPLE) is None and len(base) == len(head) == 60
    xs = mermaid_steps(0, 1, 60)
    assert xs is not None and base[0] == head[0] == 0 and base[-1] == head[-1] == 1
    assert base[30] == pytest.approx(1.3 * xs[30], abs=1e-3) and head[30] == pytest.approx(1.5 * xs[30], abs=1e-3)
    assert palette(chart) == ["#9e9e9e", "#1f77b4"]
    assert caption(markdown) == "Lines: grey = base `main`, blue = this PR `pr`."


def test_line_values_are_the_curve_where_mermaid_places_them() -> None:
    """Mermaid spreads a line's values from the x axis's min to its max in its own floating-point steps: the
    values written are the curve's at exactly those x values."""
    curve = tuple((x / 10, 2 * x / 10 + 1) for x in range(8))  # y = 2x + 1 on [0, 0.7]
    data = PlotData("line", "x", "y", line=(Series("b", curve), Series("h", curve[:4])))
    markdown = render(data, "t", "b", "h", base_name="main", head_name="the PR")
    (chart,) = parsed(markdown)
    (lo, hi), = calls(chart, "setXAxisRangeData")
    base, head = (values for _, values in calls(chart, "setLineData"))
    xs = mermaid_steps(lo, hi, len(base))
    assert xs is not None and (lo, hi) == (0, 0.7)
    assert base == pytest.approx([2 * x + 1 for x in xs], abs=1e-3)
    assert head == pytest.approx([2 * min(x, 0.3) + 1 for x in xs], abs=1e-3)  # held level past its last x
    assert caption(markdown) == ("Lines: grey = main `b`, blue = the PR `h`. Held level beyond its own x range "
                                 "(0 to 0.7 in all): the PR `h`.")


def test_the_stepping_is_mermaids_own() -> None:
    """mermaid_steps against JavaScript running the loop of Mermaid's xychartDb.ts transformDataWithoutCategory."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    cases = [(0, 1, 61), (0, 0.7, 61), (0.1, 0.3, 61), (-3, 7.7, 60), (0, 3, 100), (1e15, 1e15 + 1, 61), (2, 2, 5)]
    script = ("const cases = JSON.parse(process.argv[1]); console.log(JSON.stringify(cases.map(([min, max, n]) => {"
              "const step = (max - min) / (n - 1); const found = [];"
              "for (let i = min; i <= max && found.length <= n; i += step) { found.push(i); } return found; })));")
    js = json.loads(subprocess.run([node, "-e", script, json.dumps(cases)], capture_output=True, text=True,
                                   check=True, timeout=60).stdout)
    for (lo, hi, n), steps in zip(cases, js):
        ours = mermaid_steps(float(lo), float(hi), n)
        assert ours == (steps if len(steps) == n and hi > lo else None), (lo, hi, n)


def test_x_values_too_close_for_floating_point_are_a_note_not_a_chart() -> None:
    """Mermaid's loop would never end on an axis from 1e15 to 1e15 + 1e-3 in 60 steps: nothing is drawn."""
    data = PlotData("line", "x", "y", line=(Series("b", ((1e15, 0.0), (1e15 + 0.125, 1.0))),))
    markdown = render(data, "t", "b", "h")
    assert "```" not in markdown and markdown == "**t**: the x values are too close together for a Mermaid chart."


def test_a_side_without_data_is_named_under_the_chart(specs: dict[str, Any]) -> None:
    markdown = render(data_of(specs, "roc"), "ROC", "old", "pr")
    (chart,) = parsed(markdown)
    assert palette(chart) == ["#1f77b4"] and caption(markdown) == "Lines: blue = this PR `pr`. No data at base `old`."


def test_a_single_x_value_gets_a_range_around_it() -> None:
    data = PlotData("line", "x", "y", line=(Series("b", ((5.0, 1.0),)), Series("h", ((5.0, 2.0),))))
    (chart,) = parsed(render(data, "t", "b", "h"))
    assert calls(chart, "setXAxisRangeData") == [[4.5, 5.5]]
    assert [set(values) for _, values in calls(chart, "setLineData")] == [{1}, {2}]


def test_very_large_and_very_small_numbers_are_written_in_a_power_of_ten() -> None:
    data = PlotData("line", "epoch", "loss", line=(Series("b", ((0.0, 3e20), (1.0, 1e19))),
                                                   Series("h", ((0.0, 2e20), (1.0, 1e18)))))
    (chart,) = parsed(markdown := render(data, "t", "b", "h"))
    assert calls(chart, "setYAxisTitle") == [[{"text": "loss (×10^20)", "type": "text"}]]
    assert calls(chart, "setYAxisRangeData") == [[0.01, 3]]
    assert "e+" not in markdown and "e-" not in markdown
    tiny = PlotData("line", "lr", "y", line=(Series("b", ((1e-7, 0.0), (3e-7, 1.0))),))
    (chart,) = parsed(render(tiny, "t", "b", "h"))
    assert calls(chart, "setXAxisTitle") == [[{"text": "lr (×10^-7)", "type": "text"}]]
    assert calls(chart, "setXAxisRangeData") == [[1, 3]]


def test_a_scatter_and_several_fields_are_captioned(specs: dict[str, Any]) -> None:
    scatter = render(data_of(specs, "predictions"), "Predictions", "main", "pr")
    parsed(scatter)
    assert caption(scatter).startswith("Points joined in x order: grey = base `main`, blue = this PR `pr`.")
    training = render(data_of(specs, "training"), "Training", "main", "pr")
    (chart,) = parsed(training)
    assert palette(chart) == ["#9e9e9e", "#5f5f5f", "#1f77b4", "#ff7f0e"]
    assert caption(training).startswith("Lines: grey = base `main` (loss), dark grey = base `main` (acc), "
                                        "blue = this PR `pr` (loss), orange = this PR `pr` (acc).")


def test_one_commit_on_both_sides_is_shown_once(specs: dict[str, Any]) -> None:
    markdown = render(data_of(specs, "roc"), "ROC", "pr", "pr")
    (chart,) = parsed(markdown)
    assert len(calls(chart, "setLineData")) == 1 and palette(chart) == ["#1f77b4"]
    assert caption(markdown) == "Lines: blue = base and this PR `pr`."


def test_no_data_at_either_revision_says_so(specs: dict[str, Any]) -> None:
    assert render(data_of(specs, "roc"), "ROC", "x", "y") == "**ROC**: no data at base `x` or this PR `y`."
    assert render(data_of(specs, "confusion"), "C", "x", "y") == "**C**: no data at base `x` or this PR `y`."


def test_ten_thousand_rows_make_a_chart_of_bounded_size() -> None:
    spec = {"data": {"values": [{"x": i, "y": math.sin(i / 500), "rev": rev} for rev in REVS for i in range(10_000)]},
            "mark": "line", "encoding": {"x": {"field": "x", "type": "quantitative"},
                                         "y": {"field": "y", "type": "quantitative"}}}
    data = extract(spec, REVS)
    assert data is not None
    markdown = render(data, "sine", "main", "pr")
    (chart,) = parsed(markdown)
    (lo, hi), = calls(chart, "setXAxisRangeData")
    assert [len(v) for _, v in calls(chart, "setLineData")] == [len(mermaid_steps(lo, hi, RESAMPLE) or ())] * 2
    assert len(markdown) < 2500


def test_non_finite_points_given_directly_are_left_out() -> None:
    data = PlotData("line", "x", "y", line=(Series("b", ((0.0, math.nan), (1.0, 1.0), (math.inf, 2.0), (2.0, 3.0))),))
    (chart,) = parsed(render(data, "t", "b", "h"))
    assert calls(chart, "setXAxisRangeData") == [[1, 2]]


# --- bars --------------------------------------------------------------------------------------------------------


def test_bars_are_two_series_with_this_prs_drawn_over_the_base(specs: dict[str, Any]) -> None:
    markdown = render(data_of(specs, "importance"), "Feature importance", "main", "pr")
    (chart,) = parsed(markdown)
    assert calls(chart, "setXAxisBand") == [[[{"text": name, "type": "text"} for name in ("age", "bmi", "bp", "glucose")]]]
    assert calls(chart, "setXAxisTitle") == [[{"text": "feature", "type": "text"}]]
    assert calls(chart, "setYAxisRangeData") == [[0, 0.6]]
    assert [values for _, values in calls(chart, "setBarData")] == [[0.3, 0.5, 0.1, 0], [0.35, 0.45, 0.12, 0.6]]
    assert palette(chart) == ["#9e9e9e", "#1f77b4b3"]
    assert caption(markdown) == ("Bars: grey = base `main`, blue = this PR `pr`. This PR's bars are drawn over the "
                                 "base's. Not at base `main` (drawn as 0): glucose.")


def test_sorted_bars_keep_their_order_and_left_out_ones_are_counted(specs: dict[str, Any]) -> None:
    (chart,) = parsed(render(data_of(specs, "importance_sorted"), "t", "main", "pr"))
    assert [c["text"] for c in calls(chart, "setXAxisBand")[0][0]] == ["bmi", "age", "glucose", "bp"]
    data = PlotData("bar", "c", "v", bars=(Bars("b", (("x", -2.0), ("y", 1.0))),), omitted=12)
    markdown = render(data, "t", "b", "h")
    (chart,) = parsed(markdown)
    assert calls(chart, "setYAxisRangeData") == [[-2, 1]] and palette(chart) == ["#9e9e9e"]
    assert caption(markdown) == ("Bars: grey = base `b`. 12 more categories are left out, the smallest. "
                                 "No data at this PR `h`.")


# --- confusion matrices ----------------------------------------------------------------------------------------------


def test_a_confusion_matrix_is_a_table_of_base_to_head_counts(specs: dict[str, Any]) -> None:
    assert render(data_of(specs, "confusion"), "Confusion matrix", "main", "pr") == "\n".join([
        "**Confusion matrix**",
        "",
        "Each cell: base `main` → this PR `pr`, in counts; rows: Actual, columns: Predicted; changed cells in bold.",
        "",
        "| Actual ↓ Predicted → | high | low |",
        "|---|---:|---:|",
        "| **high** | **2 → 5** | **2 → 1** |",
        "| **low** | 1 → 1 | **4 → 5** |",
    ])


def test_a_matrix_at_one_side_only_shows_its_counts() -> None:
    data = PlotData("confusion", "t", "p", matrix=(Matrix("h", ("a", "b"), ((1000, 0), (2, 3))),))
    assert render(data, "C", "b", "h").split("\n")[2:] == [
        "Counts at this PR `h` (base `b` has none); rows: t, columns: p.", "",
        "| t ↓ p → | a | b |", "|---|---:|---:|", "| **a** | 1,000 | 0 |", "| **b** | 2 | 3 |"]
    assert render(data, "C", "h", "h").split("\n")[2] == "Counts at base and this PR `h`; rows: t, columns: p."


def test_matrices_of_several_files_are_a_table_each() -> None:
    data = PlotData("confusion", "t", "p", matrix=(
        Matrix("b", ("a",), ((1,),), "one.csv"), Matrix("b", ("a",), ((2,),), "two.csv"),
        Matrix("h", ("a", "z"), ((1, 1), (0, 0)), "one.csv")))
    lines = render(data, "C", "b", "h").split("\n")
    assert lines[4:] == ["*one.csv*", "", "| t ↓ p → | a | z |", "|---|---:|---:|", "| **a** | 1 → 1 | **0 → 1** |",
                         "| **z** | 0 → 0 | 0 → 0 |",
                         "", "*two.csv*, at base `b` only", "", "| t ↓ p → | a |", "|---|---:|", "| **a** | 2 |"]


# --- hostile data ------------------------------------------------------------------------------------------------------

HOSTILE = [
    "```", "a`b``c", "```mermaid\nflowchart", 'x"]\n    line [1, 2]', "%%{init: {\"theme\": \"dark\"}}%%", "%% comment",
    "100%% sure", "a --> b", "[a, b]", "<script>alert(1)</script>", "#lt;b#gt;", "#9;", "a & b", "line\r\nbreak",
    "; title pwned", "evil\u202eTXT", "\x1b[31mred", "x" * 10_000, "", "   ", "accDescr { x }", "style:#f00;",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_stays_inside_its_strings(text: str) -> None:
    data_line = PlotData("line", text, text, line=(Series("b", ((0.0, 1.0), (1.0, 2.0)), text), Series("h", ((0.0, 1.0),), text)))
    data_bar = PlotData("bar", text, text, bars=(Bars("b", ((text, 1.0), (text + "2", 2.0), ("ok", 3.0))),
                                                 Bars("h", ((text, 2.0),))))
    for data in (data_line, data_bar):
        markdown = render(data, text, "b", "h", base_name=text, head_name=text)
        (chart,) = parsed(markdown)
        shown = mermaid_text(text)
        assert calls(chart, "setDiagramTitle") == ([[shown]] if shown else [])
        assert calls(chart, "setXAxisTitle") == [[{"text": shown, "type": "text"}]]
        assert len(calls(chart, "setBarData" if data is data_bar else "setLineData")) == 2
        if data is data_bar:
            names = [c["text"] for c in calls(chart, "setXAxisBand")[0][0]]
            assert len(set(names)) == 3 and names[2] == "ok" and all(len(name) <= CATEGORY_MAX for name in names)
            if len(text) < CATEGORY_MAX:
                assert names[:2] == [mermaid_text(clean(text)) or "(empty)", mermaid_text(clean(text + "2"))]
        assert "\n" not in caption(markdown).strip() and "```" not in caption(markdown)
        assert md_escape(text) in caption(markdown) or not text.strip()


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_classes_stay_inside_their_table_cells(text: str) -> None:
    labels = (text, "ok")
    data = PlotData("confusion", text, text, matrix=(Matrix("b", labels, ((1, 2), (3, 4))), Matrix("h", labels, ((1, 2), (3, 5)))))
    markdown = render(data, text, "b", "h", base_name=text, head_name=text)
    table = [line for line in markdown.split("\n") if line.startswith("|")]
    assert len(table) == 4 and not any(line.lstrip().startswith("```") for line in markdown.split("\n"))
    for line in table:
        assert len(re.findall(r"(?<!\\)\|", line)) == 4, line  # three cells: no | from the data
    assert "<script>" not in markdown and "\x1b" not in markdown and "\u202e" not in markdown


def test_mermaid_text_keeps_it_readable() -> None:
    assert mermaid_text('say "hi" `now` <b> & 100%% --> [x]; #lt;') == "say 'hi' 'now' ‹b› ＆ 100% --› [x]； #lt；"
    assert mermaid_text("a\nb" + "c" * 200).endswith("…") and len(mermaid_text("c" * 200)) == 80
