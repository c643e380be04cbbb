"""Rendering of the verdict: headline, why it failed, gate columns, checks, policy changes."""

from __future__ import annotations

import re
from dataclasses import replace

from mlci.report import GateResult, PolicyInfo, Table
from mlci.render.markdown import render_markdown
from mlci.render.text import render_text
from tests.render_helpers import metric, small_report

POLICY = PolicyInfo(file="mlci.yaml", source="base", rev="main", sha="9e0b7d3" + "0" * 33)


def gate(subject: str, status: str, reason: str, **kw: object) -> GateResult:
    return GateResult(kind=kw.pop("kind", "metric"), subject=subject, status=status, reason=reason, **kw)  # type: ignore[arg-type]


def failing_report():  # type: ignore[no-untyped-def]
    return replace(
        small_report(problems=()),
        policy=POLICY,
        gates=(
            gate("accuracy", "fail", "accuracy dropped by 0.017; the policy allows 0.01", rule="max drop 0.01", line=4,
                 facts=(("direction", "higher"),)),
            gate("roc_auc", "pass", "roc_auc: change +0.0013 within max drop 0.005", rule="max drop 0.005", line=7),
            gate("loss", "fail", "loss rose by 0.0234; the policy allows 0.01", rule="max rise 0.01, lower is better",
                 informational=True, line=9, facts=(("direction", "lower"),)),
            gate("data/train.csv", "fail", "2 checks failed in 1 column: age (in_range: 4 rows)", kind="data", line=12,
                 table=Table(("column", "check", "failures", "examples"), (("age", "in_range(0, 120)", 4, "-1, 200"),))),
            gate("pipeline", "pass", "dvc.lock matches the commit", kind="reproducible", line=11),
        ),
    )


def test_failing_verdict_headline_reasons_and_columns() -> None:
    md = render_markdown(failing_report())
    lines = md.splitlines()
    assert lines[1] == "### ❌ mlci · churn: 2 of 5 gates failed · 1 warning"
    assert "policy from `main`" in lines[3]
    why = md.index("**Why it failed**")
    assert md.index("- accuracy dropped by 0.017; the policy allows 0.01 (mlci.yaml line 4)") > why
    assert "- data: data/train.csv: 2 checks failed in 1 column: age (in_range: 4 rows) (mlci.yaml line 12)" in md
    assert "loss rose" not in md[why: md.index("| ")]  # informational failures are not reasons to fail
    table = md[md.index("|    | metric"):]
    first_rows = table.splitlines()[2:5]
    assert first_rows[0].startswith("| ❌ | accuracy")
    assert "max drop 0.01" in first_rows[0] and "−0.0170 (−1.9 %) ▼ worse" in first_rows[0]
    assert "+0.0234 (+10.1 %) ▲ worse" in md  # a loss going up is worse
    assert any(r.startswith("| ➖ | loss") for r in table.splitlines())
    assert "<details open><summary>Checks: 1 failed, 1 passed</summary>" in md
    assert "**data: data/train.csv**" in md and "| age " in md


def test_passing_verdict() -> None:
    report = replace(failing_report(), gates=(gate("accuracy", "pass", "ok", rule="min 0.5"),))
    md = render_markdown(report)
    assert md.splitlines()[1] == "### ✅ mlci · churn: the gate passed"
    assert "Why it failed" not in md


def test_policy_change_is_shown_with_its_diff() -> None:
    info = replace(POLICY, changed=True, diff="--- a/mlci.yaml\n+++ b/mlci.yaml\n@@ -1 +1 @@\n-  min: 0.9\n+  min: 0.1 ```\n",
                   note="the base's copy applies, so a change cannot loosen its own gate")
    md = render_markdown(replace(failing_report(), policy=info))
    assert "⚠️ this change edits `mlci.yaml`" in md
    assert "<details><summary>Policy: this change edits `mlci.yaml`</summary>" in md
    assert "````diff\n--- a/mlci.yaml" in md  # a fence longer than any backtick run in the diff


def test_metric_without_gate_keeps_plain_table_when_no_policy() -> None:
    md = render_markdown(small_report(metrics=(metric("acc", 0.5, 0.6),)))
    assert "| metric" in md and "gate" not in md


def test_text_verdict() -> None:
    text = render_text(failing_report())
    assert text.splitlines()[0] == "FAIL mlci · churn: 2 of 5 gates failed · 1 warning"
    assert "Why it failed" in text and "accuracy dropped by 0.017" in text
    assert "reproducible" in text and "data: data/train.csv" in text
    assert "\x1b[" not in text
    assert "\x1b[" in render_text(failing_report(), color=True)


HOSTILE_DIFF = ("--- a/mlci.yaml\n+++ b/mlci.yaml\n@@ -1 +1 @@\n-  min: 0.9\n"
                "+  min: 0.1 # \u202eevil\u202c \x00nul \x1b[31mred\x1b[0m cr\rover \u2066iso\u2069 tab\tok\n")


def test_policy_diff_shows_hidden_characters_instead_of_obeying_them() -> None:
    """Issue 12 finding 10: the policy diff went into its code fence as written, bidi
    overrides, NUL, ESC and CR included. Every one is now shown as its escape."""
    info = replace(POLICY, changed=True, diff=HOSTILE_DIFF, note="n")
    md = render_markdown(replace(failing_report(), policy=info))
    fence = md[md.index("```diff\n"): md.index("\n```", md.index("```diff\n") + 1)]
    for raw in ("\u202e", "\u202c", "\x00", "\x1b", "\r", "\u2066", "\u2069"):
        assert raw not in md
    assert "+  min: 0.1 # \\u202eevil\\u202c \\x00nul \\x1b[31mred\\x1b[0m cr\\rover \\u2066iso\\u2069 tab\tok" in fence
    assert fence.count("\n") == 5  # the same lines: a CR is no line break

    text = render_text(replace(failing_report(), policy=info))
    for raw in ("\u202e", "\x00", "\x1b", "\r", "\u2066"):
        assert raw not in text
    assert "+  min: 0.1 # \\u202eevil\\u202c \\x00nul \\x1b[31mred\\x1b[0m cr\\rover \\u2066iso\\u2069 tab\tok" in text


def test_gate_reasons_and_checks_link_no_bare_url() -> None:
    """Issue 12 finding 10: user text naming https://… or www.… became a live link on GitHub."""
    report = replace(failing_report(), gates=(
        gate("data/https://evil.example/x.csv", "fail", "see www.evil.example and HTTP://evil.example/a", kind="data"),
    ))
    md = render_markdown(report)
    body = md[: md.rindex("<sub>")]  # mlci's own footer link stays
    assert not re.search(r"(?i)https?://|www\.", body)
    assert "https:&#8203;//evil.example/x.csv" in body and "www&#8203;.evil.example" in body
    assert "[workflow run 118](https://github.com/acme/churn/actions/runs/118)" in md
