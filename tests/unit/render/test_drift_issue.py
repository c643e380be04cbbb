"""render/drift_issue.py: the tracking issue's body, its closing note, the monitor's summary."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from mlci.render import drift_issue as md
from mlci.render.budget import size
from mlci.report import GateResult

NOW = datetime(2026, 12, 2, 16, 5, tzinfo=timezone.utc)
RUN = "https://github.com/acme/churn/actions/runs/9001"


def column(name: str, drifted: bool | None, **extra: Any) -> dict[str, Any]:
    """A column's test as report.json holds it; ``drifted=None``: not tested (and why)."""
    if drifted is None:
        return {"column": name, "kind": "unsupported", "method": None, "score": None, "threshold": None,
                "drifted": False, "reference_rows": 100, "current_rows": 50, "reason": "constant in the reference"}
    return {"column": name, "kind": "numeric", "method": "wasserstein_normed", "score": 0.31 if drifted else 0.02,
            "threshold": 0.1, "drifted": drifted, "reference_rows": 100_000, "current_rows": 5_000, **extra}


def pair(*columns: dict[str, Any], current: str = "data/prod.csv", **extra: Any) -> dict[str, Any]:
    cols = list(columns) or [column("age", True), column("tenure", False), column("plan", True), column("id", None)]
    tested = [c for c in cols if c["method"] is not None]
    share = sum(c["drifted"] for c in tested) / len(tested) if tested else 0.0
    return {"reference": "data/train.csv", "current": current, "dataset_drift": share >= 0.5,
            "drifted_share": share, "threshold_share": 0.5, "columns": cols, **extra}


def test_the_marker_names_the_dataset_and_no_path_can_end_the_comment() -> None:
    assert md.marker("data/prod.csv") == "<!-- mlci-drift: data/prod.csv -->"
    hostile = md.marker("data/x --> <img src=x onerror=alert(1)>\n@octocat")
    assert hostile.count("-->") == 1 and hostile.endswith(" -->") and "\n" not in hostile and "<img" not in hostile
    assert md.marker("data/prod.csv") != md.marker("data/prod.csv2") and not md.marker("a").startswith(md.marker("a "))


def test_the_retrain_time_is_written_and_read_back() -> None:
    body = f"{md.marker('d')}\n{md.retrain_marker(NOW)}\n### text"
    assert md.dispatched_at(body) == NOW.replace(second=0) == datetime(2026, 12, 2, 16, 5, tzinfo=timezone.utc)
    assert md.dispatched_at("no marker here") is None and md.dispatched_at(None) is None
    older = md.retrain_marker(datetime(2026, 11, 1, tzinfo=timezone.utc))
    assert md.dispatched_at(f"{older}\n{md.retrain_marker(NOW)}") == NOW  # the latest, should it say two
    assert md.dispatched_at("<!-- mlci-drift-retrain: 2026-13-45T99:00:00Z -->") is None  # edited into no date


def test_the_body_gives_the_verdict_first_then_the_drifted_columns_then_all_of_them() -> None:
    retrain = md.Retrain("dispatched", 0.5, "retrain.yml", "main", at=NOW)
    body = md.issue_body(pair(), "data/prod.csv", retrain, cooldown_hours=24, run_url=RUN, checked_at=NOW,
                         retrain_due=True)
    lines = body.splitlines()
    assert lines[0] == "<!-- mlci-drift: data/prod.csv -->" and lines[1] == md.retrain_marker(NOW)
    assert lines[2] == "### 🔴 Data drift in `data/prod.csv`"
    assert "2 of 3 tested columns drifted (66.6667%; dataset drift at 50%), against `data/train.csv`." in body
    assert ("**Retraining:** started `retrain.yml` on `main` at 2026-12-02 16:05 UTC, as the drifted share reached "
            "the retrain share 50%; the next one no sooner than 2026-12-03 16:05 UTC (cool-down 24 h).") in body
    drifted = body.index("**Drifted columns** (2)")
    folded = body.index("<details><summary>All 4 columns</summary>")
    assert body.index("**Retraining:**") < drifted < folded < body.index("</details>")
    drifted_table = body[drifted:folded]
    assert "`age`" in drifted_table and "`plan`" in drifted_table and "`tenure`" not in drifted_table
    assert "100,000 → 5,000 |" in drifted_table and "|    0.31 |" in drifted_table
    full = body[folded:]
    assert full.index("`age`") < full.index("`tenure`") < full.index("`id`")  # drifted, tested, untested
    assert "constant in the reference" in full
    assert f"[this run]({RUN})" in body and "2026-12-02 16:05 UTC" in body


def test_column_names_from_data_files_are_inert() -> None:
    hostile = ["a|b", "@octocat", "#12", "<img src=x>", "x\ny", "![p](http://evil)", "`tick`", "\u202egnp.exe"]
    body = md.issue_body(pair(*[column(name, True) for name in hostile], current="data/@team|x.csv"), "d",
                         md.Retrain("not-needed", None), cooldown_hours=24, run_url=RUN, checked_at=NOW)
    assert "@octocat" not in body and "<img" not in body and "](http://evil)" not in body and "\u202e" not in body
    for line in body.splitlines():
        if line.startswith("|"):
            assert line.count("|") in (7, 9), line  # 6 or 8 cells: no name split a row
    assert "x y" in body  # a line break is a space


def test_a_run_link_that_is_not_a_plain_url_is_left_out() -> None:
    body = md.issue_body(pair(), "d", md.Retrain("not-needed", None), cooldown_hours=24,
                         run_url="javascript:alert(1)", checked_at=NOW)
    assert "javascript" not in body and "Checked by a run at" in body


def test_ten_thousand_columns_fit_githubs_limit_and_say_how_many_were_left_out() -> None:
    cols = [column(f"feature_{i:05d}", i % 3 == 0) for i in range(10_000)]
    body = md.issue_body(pair(*cols), "d", md.Retrain("not-needed", None), cooldown_hours=24, run_url=RUN,
                         checked_at=NOW)
    assert size(body) <= md.BODY_BUDGET < 65_536
    assert "more drifted columns in the run's report.json" in body or "more columns in the run's report.json" in body
    assert body.splitlines()[0] == "<!-- mlci-drift: d -->" and "Checked by [this run]" in body


def test_every_retrain_state_in_words() -> None:
    later = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)
    cooling = md.retrain_line(md.Retrain("cooling-down", None, "retrain.yml", at=NOW, until=later), 24)
    assert cooling == ("**Retraining:** cooling down: the dataset drifted, but `retrain.yml` was started at "
                       "2026-12-02 16:05 UTC; the next retraining can start after 2026-12-03 10:00 UTC "
                       "(cool-down 24 h).")
    assert "no retraining workflow is set" in md.retrain_line(md.Retrain("not-configured", 0.3), 24)
    assert md.retrain_line(md.Retrain("not-needed", 0.3), 24) == "**Retraining:** not needed (below the retrain share 30%)."
    assert md.retrain_line(md.Retrain("not-needed", None), 24) == "**Retraining:** not needed (no dataset drift)."
    assert "local mode" in md.retrain_line(md.Retrain("local", None, "retrain.yml"), 24)


def test_failed_validation_of_the_current_data_is_listed() -> None:
    gates = [GateResult(kind="data", subject="data/prod.csv", status="fail", reason="column age: 12 nulls (max 0)"),
             GateResult(kind="data", subject="data/prod.csv", status="pass", reason="rows 5,000 (min 100)")]
    body = md.issue_body(pair(), "d", md.Retrain("not-needed", None), cooldown_hours=24, run_url=RUN,
                         checked_at=NOW, validation=gates)
    assert "**Data validation** of the current data: 1 check failed" in body
    assert "- `data/prod.csv`: column age: 12 nulls (max 0)" in body and "rows 5,000" not in body


def test_the_closing_note_and_the_headlines() -> None:
    clean = pair(column("age", False), column("tenure", False))
    note = md.cleared_comment(clean, run_url=RUN, checked_at=NOW)
    assert note.startswith("**Drift cleared** in `data/prod.csv`: 0 of 2 tested columns drifted (0%; dataset drift "
                           "at 50%), against `data/train.csv`, below the dataset's threshold.")
    assert md.headline(clean) == "### 🟢 No data drift in `data/prod.csv`"
    assert md.headline(clean, retrain_due=True).startswith("### 🟠 Drift in `data/prod.csv`: below")
    assert md.reason(pair(column("id", None))).startswith("no column could be tested (1 column)")
    assert md.title(pair(current="data/prod\n.csv")) == "mlci: data drift in data/prod .csv"


def test_two_pairs_on_the_same_data_are_two_datasets() -> None:
    pairs = [pair(), {**pair(), "reference": "data/last-month.csv"}, pair(current="data/eu.csv")]
    assert [md.dataset_key(pairs, i) for i in range(3)] == [
        "data/prod.csv against data/train.csv", "data/prod.csv against data/last-month.csv", "data/eu.csv"]


def test_the_summary_lists_each_dataset_with_its_issue_and_retraining() -> None:
    rows = [md.SummaryRow(pair(), md.Retrain("dispatched", None, "retrain.yml", "main", at=NOW),
                          md.issue_link(3, "https://github.com/acme/churn/issues/3") + " created"),
            md.SummaryRow(pair(column("age", False), current="data/eu.csv"), md.Retrain("not-needed", None),
                          "none open (no drift)")]
    text = md.summary(rows, cooldown_hours=12, notes=["GitHub: answered 502 @octocat"])
    assert text.startswith("## mlci drift monitor\n\n### 🔴 Data drift in `data/prod.csv`")
    assert "**Issue:** [#3](https://github.com/acme/churn/issues/3) created" in text
    assert "### 🟢 No data drift in `data/eu.csv`" in text and "cool-down 12 h" in text
    assert "> GitHub: answered 502 &#64;&#8203;octocat" in text
    assert md.issue_link(3, "javascript:x") == "#3"


def test_every_pull_request_state_in_words() -> None:
    later = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)
    url = "https://github.com/acme/churn/pull/12"
    pr = dict(mode="pull-request", files=("data/prod.csv.dvc",), pull_number=12, pull_url=url)
    opened = md.retrain_line(md.Retrain("pull-request-opened", None, at=NOW, **pr), 24)  # type: ignore[arg-type]
    assert opened == ("**Retraining:** opened [#12](https://github.com/acme/churn/pull/12), which updates the data "
                      "(`data/prod.csv.dvc`), at 2026-12-02 16:05 UTC, as the dataset drifted; the next update no "
                      "sooner than 2026-12-03 16:05 UTC (cool-down 24 h).")
    updated = md.retrain_line(md.Retrain("pull-request-updated", 0.3, at=NOW, **pr), 24)  # type: ignore[arg-type]
    assert updated.startswith("**Retraining:** updated [#12](") and "retrain share 30%" in updated
    assert "already proposes this data" in md.retrain_line(md.Retrain("pull-request-unchanged", **pr), 24)  # type: ignore[arg-type]
    assert "the default branch already holds this data (`data/prod.csv.dvc`)" in md.retrain_line(
        md.Retrain("pull-request-current", **pr), 24)  # type: ignore[arg-type]
    cooling = md.retrain_line(md.Retrain("cooling-down", at=NOW, until=later, **pr), 24)  # type: ignore[arg-type]
    assert "the data's pull request was updated at 2026-12-02 16:05 UTC" in cooling and "after 2026-12-03 10:00" in cooling
    failed = md.retrain_line(md.Retrain("failed", reason="GitHub answered 403: no | pipes", **pr), 24)  # type: ignore[arg-type]
    assert "could not be opened or updated: GitHub answered 403: no" in failed and " | " not in failed
    assert "a pull request would update the data" in md.retrain_line(md.Retrain("local", **pr), 24)  # type: ignore[arg-type]
    odd = md.retrain_line(md.Retrain("pull-request-opened", at=NOW, **{**pr, "pull_url": "javascript:x"}), 24)  # type: ignore[arg-type]
    assert "opened #12, which" in odd  # a link only to a plain URL


def test_the_pull_requests_title_and_body() -> None:
    assert md.pull_title("data drift in data/prod.csv: 2 of 3 columns drifted") == (
        "Update the data: data drift in data/prod.csv: 2 of 3 columns drifted")
    assert len(md.pull_title("x" * 1000)) <= 250
    body = md.pull_body([pair()], ["data/prod.csv.dvc"], [(3, "https://github.com/acme/churn/issues/3")],
                        run_url=RUN, checked_at=NOW)
    assert body.startswith(md.PULL_MARKER + "\n### Update the data\n")
    assert "`data/prod.csv.dvc`" in body and "**Tracking issue:** [#3](https://github.com/acme/churn/issues/3)." in body
    assert "**`data/prod.csv`:** 2 of 3 tested columns drifted" in body and "**Drifted columns** (2)" in body
    assert f"[this run]({RUN})" in body and "2026-12-02 16:05 UTC" in body
    many = md.pull_body([pair(*[column(f"c{i}", True) for i in range(20_000)])], ["a.dvc"], [], run_url=None,
                        checked_at=NOW)
    assert size(many) <= md.BODY_BUDGET and "more drifted columns" in many
