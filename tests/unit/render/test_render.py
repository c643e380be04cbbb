"""The markdown comment, the terminal text and the render() entry point."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlci import __version__
from mlci.render import render
from mlci.render.budget import Table
from mlci.render.markdown import headline, render_markdown
from mlci.render.text import render_text
from mlci.report import Context, MetricRow, Problem, Report, Revision
from tests.render_helpers import big_report, local_context, metric, pr_context, small_report

EVIL = "a|b <script>x</script> @octocat #12 `tick` [l](u)\nnext"
OUR_TAGS = re.compile(r"<!-- mlci:report [^\n]*-->|</?(?:details|summary|sub|code)>")


def _table_rows(md: str, first_header: str) -> list[str]:
    """The data lines of the table whose header starts with ``first_header``."""
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} "))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def _first_cells(rows: list[str]) -> list[str]:
    return [row.split("|")[1].strip() for row in rows]


# -- layout --------------------------------------------------------------------------


def test_layout_of_a_small_report() -> None:
    md = render_markdown(small_report())
    lines = md.splitlines()
    assert lines[0] == '<!-- mlci:report workflow="ml" project="churn" -->'
    assert lines[1] == "### 📊 mlci · churn: 4 of 8 metrics changed, 1 new, 1 removed · 3 params changed · ⚠️ 1 problem"
    assert lines[3] == "`4f1c2a9` (`feature/tune`) against `main` at `9e0b7d3` · the PR's base branch"
    assert md.index("**Problems**") < md.index("| metric ")
    assert "- ⚠️ `eval/extra.json` (head): JSON file structure is corrupted" in md
    assert "| metric         |   base |     PR |              change |" in md
    assert "|:---------------|-------:|-------:|--------------------:|" in md  # numbers right-aligned
    assert "| accuracy       | 0.9120 | 0.8950 |  −0.0170 (−1.9 %) ▼ |" in md
    assert "<details><summary>Params: 3 changed</summary>\n\n| param " in md
    assert "<details><summary>Pipeline: 3 stages, 1 ran, 1 restored from the remote, 1 unchanged</summary>" in md
    assert "<details><summary>Unchanged: 2 metrics</summary>\n\n| metric " in md
    assert "\n\n</details>" in md
    assert lines[-1] == (
        f"<sub>mlci {__version__} · [workflow run 118](https://github.com/acme/churn/actions/runs/118)"
        " · full report in the run's artifact `mlci-report`</sub>"
    )
    assert md.endswith("</sub>\n")


def test_sections_in_order_and_only_changed_params() -> None:
    md = render_markdown(small_report())
    order = ["**Problems**", "| metric ", "Params:", "Pipeline:", "Unchanged:", "<sub>"]
    positions = [md.index(word) for word in order]
    assert positions == sorted(positions)
    params = _first_cells(_table_rows(md, "param"))
    assert params == ["train.C", "train.max_iter", "train.solver"]  # train.seed unchanged: not listed
    assert "| train.solver   |      — | lbfgs |" in md


def test_changed_metrics_rows_and_markers() -> None:
    md = render_markdown(small_report())
    rows = _table_rows(md, "metric")
    assert [r.split("|")[4].strip() for r in rows] == [
        "removed",
        "—",
        "+0.0234 (+10.1 %) ▲",
        "−0.0170 (−1.9 %) ▼",
        "+0.0013 (+0.1 %) ▲",
        "new",
    ]
    assert "| threshold_kind |     f1 | youden |" in md


def test_ordering_by_importance() -> None:
    metrics = (
        metric("small", 1.0, 1.01),
        metric("big", 1.0, 2.0),
        metric("negative_big", 1.0, 0.1),
        metric("from_zero", 0.0, 0.3),  # no relative change: ranked by absolute change 0.3
        metric("tie_b", 1.0, 1.2),
        metric("tie_a", 1.0, 1.2),
        metric("gone", 1.0, None),
        metric("fresh", None, 1.0),
        metric("broken", 1.0, 1.0001, path="eval.json"),
    )
    problem = Problem(source="eval.json", side="head", message="bad")
    report = Report(project="p", context=pr_context(), metrics=metrics, problems=(problem,))
    md = render_markdown(report)
    names = _first_cells(_table_rows(md, "metric"))
    assert names == [
        "eval.json: broken",
        "metrics.json: gone",
        "metrics.json: big",
        "metrics.json: negative_big",
        "metrics.json: from_zero",
        "metrics.json: tie_a",
        "metrics.json: tie_b",
        "metrics.json: small",
        "metrics.json: fresh",
    ]


def test_path_shown_only_with_several_metrics_files() -> None:
    one = render_markdown(Report(project="p", context=pr_context(), metrics=(metric("acc", 0.1, 0.2),)))
    assert _first_cells(_table_rows(one, "metric")) == ["acc"]
    metrics = (metric("acc", 0.1, 0.2, "eval/metrics.json"), metric("x", 1, 1, "b.json"))
    two = Report(project="p", context=pr_context(), metrics=metrics)
    assert _first_cells(_table_rows(render_markdown(two), "metric")) == ["eval/metrics.json: acc"]


def test_no_change_headline_and_no_empty_sections() -> None:
    report = Report(project="p", context=pr_context(), metrics=(metric("acc", 0.5, 0.5),))
    md = render_markdown(report)
    assert "### 📊 mlci · p: no metric changed" in md
    assert "| metric " in md and "Unchanged: 1 metric<" in md
    assert "Params" not in md and "Pipeline" not in md and "Problems" not in md
    empty = render_markdown(Report(project="p", context=pr_context()))
    assert "### 📊 mlci · p: no metrics found" in empty
    assert "|" not in empty.replace("<sub>", "")


def test_headline_without_policy_says_what_changed() -> None:
    assert headline(small_report()).startswith("### 📊 mlci · churn: ")


def test_local_workspace_report() -> None:
    report = small_report(context=local_context(), problems=())
    md = render_markdown(report)
    assert md.splitlines()[0] == '<!-- mlci:report workflow="local" project="churn" -->'
    assert "workspace on `abc1234` against `main` at `9e0b7d3`" in md
    assert "| metric         |   base |   head |" in md
    assert md.splitlines()[-1] == f"<sub>mlci {__version__} · local run</sub>"
    assert "artifact" not in md


def test_no_run_link_without_run_url() -> None:
    md = render_markdown(small_report(context=pr_context(server_url=None)))
    assert "[workflow run" not in md
    assert md.splitlines()[-1] == f"<sub>mlci {__version__} · full report in the run's artifact `mlci-report`</sub>"


def test_revision_names_are_code_and_escaped() -> None:
    ctx = pr_context(
        head=Revision(rev="4f1c2a9", sha="4f1c2a9bb22e1d3f4c5b6a7988776655443322110"),
        base=Revision(rev="we`ird|<b>", sha="9e0b7d3aa11f0c2e3d4b5a6978877665544332211"),
        base_reason="@octocat said #3",
    )
    md = render_markdown(small_report(context=ctx))
    assert "`4f1c2a9` against <code>we\\`ird&#124;&lt;b&gt;</code> at `9e0b7d3`" in md
    assert " · &#64;&#8203;octocat said &#35;&#8203;3\n" in md


def test_determinism() -> None:
    assert render_markdown(small_report()) == render_markdown(small_report())
    assert render_text(small_report()) == render_text(small_report())


# -- escaping user data ------------------------------------------------------------------


def _evil_report() -> Report:
    return Report(
        project='x" --><script>@team',
        context=pr_context(workflow='w"><!--'),
        metrics=(
            metric(EVIL, 0.5, 0.6),
            metric("s", EVIL, "<img src=x onerror=alert(1)>"),
            metric("u", 1, 1, path="<b>.json"),
        ),
        params=(),
        problems=(Problem(source="m|<x>`.json", side="both", message=EVIL),),
    )


def test_user_text_cannot_break_the_table() -> None:
    md = render_markdown(_evil_report())
    rows = _table_rows(md, "metric")
    assert len(rows) == 2
    assert all(row.count("|") == 5 for row in rows)  # 4 columns: exactly 5 pipes, none from user text
    assert "&#124;" in rows[0] and "&lt;script&gt;" in rows[0] and " next" in rows[0]


def test_user_text_cannot_inject_html_mentions_or_references() -> None:
    md = render_markdown(_evil_report())
    assert "<" not in OUR_TAGS.sub("", md)
    assert ">" not in OUR_TAGS.sub("", md)
    assert not re.search(r"@\w", md)
    assert not re.search(r"#\d", md.replace("&#", ""))
    assert "&#64;&#8203;octocat" in md


def test_marker_cannot_be_closed() -> None:
    first = render_markdown(_evil_report()).splitlines()[0]
    assert re.fullmatch(r'<!-- mlci:report workflow="[A-Za-z0-9 ._/-]*" project="[A-Za-z0-9 ._/-]*" -->', first)
    assert first == '<!-- mlci:report workflow="w------" project="x- ----script--team" -->'


def test_problem_list_escapes_source_and_message() -> None:
    md = render_markdown(_evil_report())
    line = next(line for line in md.splitlines() if line.startswith("- ⚠️"))
    assert line.startswith("- ⚠️ <code>m&#124;&lt;x&gt;\\`.json</code> (base and head): a&#124;b &lt;script&gt;")


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1), st.text())
def test_any_metric_name_or_value_keeps_one_line_per_row(name: str, value: str) -> None:
    metrics = (metric(name, 1.0, 2.0), metric("v", "a", value if value not in ("", "a") else "b"))  # changed: in the table
    md = render_markdown(Report(project=name, context=pr_context(), metrics=metrics))
    rows = _table_rows(md, "metric")
    assert len(rows) == 2
    assert all(row.count("|") == 5 for row in rows)
    assert not re.search(r"@\w", md)


# -- the budget -------------------------------------------------------------------------


def test_budget_with_10000_metrics_and_2000_params() -> None:
    report = big_report(10_000, 2_000)
    start = time.perf_counter()
    md = render_markdown(report)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert len(md) <= 60_000 and len(md.encode("utf-8")) <= 60_000
    assert len(md) > 50_000  # the room is used, not wasted
    assert "### 📊 mlci · big: 3,333 of 10,000 metrics changed · 2,000 params changed" in md
    shown = _table_rows(md, "metric")
    assert "group_99.metric_9999 " in shown[0]  # the biggest change comes first
    assert f"… {3_333 - len(shown):,} more rows not shown: the full table is in the bundle's report.json" in md
    assert "(artifact `mlci-report`)" in md
    assert "<details><summary>Params: 2,000 changed</summary>\n\n… 2,000 more rows not shown" in md
    assert "<details><summary>Unchanged: 6,667 metrics</summary>\n\n… 6,667 more rows not shown" in md
    assert md.endswith("</sub>\n")


def test_smaller_budget_keeps_priority_order() -> None:
    report = big_report(300, 50)
    md = render_markdown(report, budget=8_000)
    assert len(md) <= 8_000
    metrics_shown = _table_rows(md, "metric")
    assert 0 < len(metrics_shown) < 100
    assert f"… {99 - len(metrics_shown):,} more rows not shown" in md
    roomy = render_markdown(report, budget=200_000)
    assert "more rows not shown" not in roomy
    assert len(_table_rows(roomy, "param")) == 50


def test_problems_come_before_everything_else_in_the_budget() -> None:
    problems = tuple(Problem(source=f"f{i}.json", side="head", message="broken " * 20) for i in range(200))
    report = Report(project="p", context=pr_context(), metrics=big_report(600, 0).metrics, problems=problems)
    md = render_markdown(report, budget=6_000)
    assert len(md) <= 6_000
    shown = md.count("\n- ⚠️ ")
    assert 0 < shown < 200
    assert f"… {200 - shown:,} more problems not shown" in md
    assert "more rows not shown" in md  # the metrics table still says how much it hides


def test_wide_characters_count_in_bytes() -> None:
    metrics = tuple(metric(f"指標_{i}_{'é' * 20}", 0.1, 0.2 + i / 1000) for i in range(3000))
    md = render_markdown(Report(project="日本", context=pr_context(), metrics=metrics), budget=20_000)
    assert len(md.encode("utf-8")) <= 20_000


@pytest.mark.parametrize("budget", [0, 50, 300, 1_000])
def test_tiny_budget_is_still_respected(budget: int) -> None:
    md = render_markdown(small_report(), budget=budget)
    assert len(md.encode("utf-8")) <= budget


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=6_000), st.integers(min_value=0, max_value=120))
def test_any_budget_is_respected(budget: int, metrics: int) -> None:
    report = big_report(metrics, metrics // 3)
    report = Report(
        project="p",
        context=pr_context(),
        metrics=report.metrics,
        params=report.params,
        problems=small_report().problems,
        repro=small_report().repro,
    )
    md = render_markdown(report, budget=budget)
    assert len(md.encode("utf-8")) <= budget
    if budget >= 2_000:  # room for the fixed parts: nothing is clipped, every section says what it hides
        assert md.startswith("<!-- mlci:report") and md.endswith("</sub>\n")
        assert "**Problems**" in md and md.count("<details>") == md.count("</details>")


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(max_size=12), st.text(max_size=12), st.sampled_from(["", "0.5", "—", "❌ x", "日本語", "é"])),
        min_size=1,
        max_size=8,
    )
)
def test_table_size_prediction_matches_tabulate(rows: list[tuple[str, str, str]]) -> None:
    from mlci.render.escape import md_escape

    cells = [tuple(md_escape(c) for c in row) for row in rows]
    table = Table(("metric", "日本", "x"), ("left", "right", "right"), cells, lambda row: row)
    for shown, predicted in enumerate(table.sizes(), start=1):
        assert predicted == len(table.render(shown).encode("utf-8"))


# -- text -----------------------------------------------------------------------------------


def test_text_has_the_same_information_without_markup() -> None:
    text = render_text(small_report())
    lines = text.splitlines()
    assert lines[0] == "mlci · churn: 4 of 8 metrics changed, 1 new, 1 removed · 3 params changed · ⚠️ 1 problem"
    assert lines[1] == "4f1c2a9 (feature/tune) against main at 9e0b7d3 · the PR's base branch"
    assert "  ⚠ eval/extra.json (head): JSON file structure is corrupted" in text
    assert "accuracy        0.9120  0.8950   −0.0170 (−1.9 %) ▼" in text
    assert "Params: 3 changed" in text and "Pipeline: 3 stages" in text and "Unchanged: 2 metrics" in text
    assert lines[-1] == f"mlci {__version__} · workflow run 118: https://github.com/acme/churn/actions/runs/118"
    for markup in ("<details>", "|", "**", "`"):
        assert markup not in text
    assert "\x1b" not in text


def test_text_colour_only_when_asked() -> None:
    plain = render_text(small_report())
    coloured = render_text(small_report(), color=True)
    assert "\x1b[" not in plain
    assert "\x1b[1m" in coloured and "\x1b[31m" in coloured and "\x1b[33m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_text_strips_terminal_escapes_from_user_data() -> None:
    report = Report(
        project="\x1b]0;pwned\x07p",
        context=local_context(),
        metrics=(metric("\x1b[2J\x1b[31mname\nnext", 0.1, 0.2),),
    )
    text = render_text(report, color=False)
    assert "\x1b" not in text and "\x07" not in text
    assert "name next" in text
    assert text.splitlines()[0].startswith("mlci · p: 1 of 1 metric changed")


def test_text_lists_unchanged_metrics_only_when_few() -> None:
    few = Report(project="p", context=local_context(), metrics=tuple(metric(f"m{i}", 1, 1) for i in range(20)))
    assert "m19" in render_text(few)
    many = Report(project="p", context=local_context(), metrics=tuple(metric(f"m{i}", 1, 1) for i in range(21)))
    text = render_text(many)
    assert "Unchanged: 21 metrics (not listed" in text and "m19" not in text


# -- entry point ---------------------------------------------------------------------------


def test_render_dispatch() -> None:
    report = small_report()
    assert render(report, "json") == report.to_json()
    assert render(report, "md") == render_markdown(report)
    assert render(report, "text", color=True) == render_text(report, color=True)
    with pytest.raises(ValueError, match="unknown format 'html'"):
        render(report, "html")


def test_nonfinite_and_odd_values_render() -> None:
    nan_row = MetricRow(path="m.json", key="loss", base=0.5, head=float("nan"), status="changed")
    inf_row = MetricRow(path="m.json", key="ppl", base=float("inf"), head=3.0, status="changed")
    lst_row = MetricRow(path="m.json", key="classes", base=["a"], head=["a", "b"], status="changed")
    ctx = Context(event="local", base=Revision("main", None), head=Revision("HEAD", None))
    md = render_markdown(Report(project="p", context=ctx, metrics=(nan_row, inf_row, lst_row)))
    cells = {row.split("|")[1].strip(): [c.strip() for c in row.split("|")[2:5]] for row in _table_rows(md, "metric")}
    assert cells["loss"] == ["0.5000", "NaN", "—"]
    assert cells["ppl"] == ["∞", "3.0000", "—"]
    assert '\\["a","b"\\]' in md  # compact JSON, escaped
    assert "`HEAD` against `main`" in md


def test_both_renderers_write_every_section_of_the_one_order() -> None:
    from mlci.render import markdown, text, view

    assert set(markdown._SECTIONS) == set(text._SECTIONS) == set(view.SECTIONS)
    assert len(set(view.SECTIONS)) == len(view.SECTIONS)
