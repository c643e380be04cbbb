"""`mlci drift` and `mlci drift profile` on real files in temporary folders (CSV, Parquet, partitioned
directories, saved profiles, a DVC-tracked reference at a git revision with a local DVC remote)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from mlci.bundle import read_bundle
from tests.cli import run_main
from tests.repo_helpers import commit, dvc, sh, write

COLUMN_KEYS = {"column", "kind", "method", "score", "threshold", "drifted", "reference_rows", "current_rows"}


def table(n: int, *, shift: float = 0.0, seed: int = 0) -> pa.Table:
    """age (numeric, moves with ``shift``), income (numeric, never moves), plan (categories, move), tenure (ints)."""
    rng = np.random.default_rng(seed)
    plans = np.array(["basic", "plus", "pro"])
    weights = [0.5, 0.3, 0.2] if shift == 0 else [0.2, 0.3, 0.5]
    return pa.table({
        "age": np.round(rng.normal(40 + 10 * shift, 10, n), 2),
        "income": np.round(rng.normal(50_000, 5_000, n), 0),
        "plan": plans[rng.choice(3, n, p=weights)],
        "tenure": rng.integers(0, 60 + int(30 * shift), n),
    })


def save(t: pa.Table, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        pq.write_table(t, path)
    else:
        pacsv.write_csv(t, path)
    return path


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def drift(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_main(["drift", *args], capsys)


def report_json(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "report.json").read_text("utf-8"))


def test_a_shift_is_dataset_drift_exit_1_and_report_json_has_the_public_shape(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save(table(2000), here / "data/train.csv")
    save(table(500, shift=1.0, seed=1), here / "data/prod.csv")

    code, out, err = drift(capsys, "--reference", "data/train.csv", "--current", "data/prod.csv")

    assert code == 1, err
    assert "FAIL" in out and "drift: data/prod.csv" in out and "Drift:" in out
    data = report_json(here / "mlci-drift")
    assert "drift_all" not in data
    d = data["drift"]
    assert set(d) == {"reference", "current", "dataset_drift", "drifted_share", "threshold_share", "columns"}
    assert (d["reference"], d["current"], d["dataset_drift"], d["threshold_share"]) == \
        ("data/train.csv", "data/prod.csv", True, 0.5)
    columns = {c["column"]: c for c in d["columns"]}
    assert set(columns) == {"age", "income", "plan", "tenure"}
    for c in d["columns"]:
        assert set(c) == COLUMN_KEYS  # every column tested: no reason
        assert isinstance(c["score"], float) and isinstance(c["threshold"], float) and isinstance(c["drifted"], bool)
        assert (c["reference_rows"], c["current_rows"]) == (2000, 500)
    assert (columns["age"]["kind"], columns["age"]["method"], columns["age"]["threshold"]) == \
        ("numeric", "wasserstein_normed", 0.1)
    assert (columns["plan"]["kind"], columns["plan"]["method"]) == ("categorical", "jensenshannon")
    assert columns["age"]["drifted"] and columns["plan"]["drifted"] and columns["tenure"]["drifted"]
    assert not columns["income"]["drifted"]
    assert d["drifted_share"] == 0.75
    assert [c["column"] for c in d["columns"]][-1] == "income"  # drifted first
    (gate,) = data["gates"]
    assert (gate["kind"], gate["subject"], gate["status"], gate["blocking"]) == ("drift", "data/prod.csv", "fail", True)
    assert gate["reason"].startswith("3 of 4 columns drifted (75%; dataset drift at 50%)")
    assert [row[0] for row in gate["table"]["rows"]] == ["age", "plan", "tenure"]
    (measurement,) = data["measurements"]
    assert measurement["check"] == "checks.drift" and len(measurement["value"]["columns"]) == 4
    assert data["verdict"] == "fail" and data["context"]["event"] == "local"
    bundle = read_bundle(here / "mlci-drift")  # valid against the schema, and the one codec reads it back
    assert bundle.drift[0] == d
    md = (here / "mlci-drift" / "report.md").read_text("utf-8")
    assert "| age " in md and "❌ drifted" in md and md.index("| age ") < md.index("| income ")
    assert err.count("mlci: reading") == 2  # not a terminal: one line per file


def test_no_drift_exits_0_and_json_output_is_report_json(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save(table(3000), here / "train.parquet")
    save(table(1000, seed=7), here / "prod.parquet")

    code, out, _ = drift(capsys, "--reference", "train.parquet", "--current", "prod.parquet", "--format", "json",
                         "--out", "out")

    assert code == 0
    assert json.loads(out) == report_json(here / "out")
    assert json.loads(out)["drift"]["dataset_drift"] is False and json.loads(out)["verdict"] == "pass"


def test_a_partitioned_directory_and_a_profile_give_the_full_references_verdicts(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save(table(3000), here / "ref.parquet")
    for day, seed in (("2026-01-01", 1), ("2026-01-02", 2), ("2026-01-03", 3)):
        save(table(300, shift=0.4, seed=seed), here / f"prod/date={day}/part-0.parquet")
    (here / "prod/_SUCCESS").write_text("", "utf-8")

    code, out, err = run_main(["drift", "profile", "ref.parquet", "--out", "ref.profile"], capsys)
    assert code == 0 and "ref.profile" in out and "3,000 rows, 4 columns" in out
    full_code, _, _ = drift(capsys, "--reference", "ref.parquet", "--current", "prod", "--out", "full")
    prof_code, _, err = drift(capsys, "--reference", "ref.profile", "--current", "prod", "--out", "prof")

    assert err.count("mlci: reading prod/date=") == 3
    full, prof = report_json(here / "full")["drift"], report_json(here / "prof")["drift"]
    assert full_code == prof_code
    assert full["columns"][0]["current_rows"] == 900 and "date" not in {c["column"] for c in full["columns"]}
    keep = ("column", "kind", "method", "threshold", "drifted", "reference_rows", "current_rows")
    assert [{k: c[k] for k in keep} for c in prof["columns"]] == [{k: c[k] for k in keep} for c in full["columns"]]
    for a, b in zip(prof["columns"], full["columns"]):
        assert a["score"] == pytest.approx(b["score"], rel=1e-9)
    assert (prof["dataset_drift"], prof["drifted_share"]) == (full["dataset_drift"], full["drifted_share"])
    assert prof["reference"] == "ref.profile"


def test_per_column_problems_are_reported_and_never_crash(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    n = 200
    rng = np.random.default_rng(3)
    save(pa.table({"x": rng.normal(0, 1, n), "gone": rng.normal(0, 1, n), "mixed": rng.normal(0, 1, n),
                   "empty": pa.nulls(n, pa.float64()), "same": np.ones(n), "few": [1.0] * 10 + [None] * (n - 10)}),
         here / "ref.parquet")
    save(pa.table({"x": rng.normal(0, 1, n), "new": rng.normal(0, 1, n), "mixed": ["a"] * n,
                   "empty": pa.nulls(n, pa.float64()), "same": np.ones(n), "few": [1.0] * 10 + [None] * (n - 10)}),
         here / "cur.parquet")

    code, _, err = drift(capsys, "--reference", "ref.parquet", "--current", "cur.parquet")

    assert code in (0, 1), err
    reasons = {c["column"]: c.get("reason") for c in report_json(here / "mlci-drift")["drift"]["columns"]}
    assert reasons["x"] is None
    assert reasons["gone"] == "only in the reference" and reasons["new"] == "only in the current data"
    assert "types differ" in reasons["mixed"]
    assert "all null" in reasons["empty"]
    assert "too small" in reasons["few"]
    assert reasons["same"] is None or "undefined" in reasons["same"]  # constant: tested (no drift) or said why

    (here / "empty.csv").write_text("", "utf-8")
    code, _, err = drift(capsys, "--reference", "ref.parquet", "--current", "empty.csv", "--out", "e")
    assert code == 0, err  # nothing tested is no drift claimed
    data = report_json(here / "e")
    assert data["gates"][0]["status"] == "warn" and "no column could be tested" in data["gates"][0]["reason"]
    assert all(c["reason"] == "the current data has no rows" for c in data["drift"]["columns"])


@pytest.mark.parametrize(("setup", "args", "message"), [
    (lambda h: None, ["--reference", "missing.csv", "--current", "ref.csv"], "missing.csv: no such file or directory"),
    (lambda h: (h / "bad.parquet").write_bytes(b"PAR1 not parquet at all"),
     ["--reference", "ref.csv", "--current", "bad.parquet"], "bad.parquet: cannot read it as PARQUET"),
    (lambda h: (h / "bad.profile").write_text('{"format": "mlci.drift-profile", "version": 99}', "utf-8"),
     ["--reference", "bad.profile", "--current", "ref.csv"], "bad.profile"),
    (lambda h: (h / "mlci.yaml").write_text(
        "checks:\n  drift:\n    - reference: ref.csv\n      current: ref.csv\n      columns: {x: {method: magic}}\n", "utf-8"),
     [], "mlci.yaml:5: checks.drift[0].columns.x.method"),
    (lambda h: (h / "mlci.yaml").write_text(
        "checks:\n  drift:\n    - reference: ref.csv\n      current: ref.csv\n      columns: {x: {bin: 3}}\n", "utf-8"),
     [], "unknown key 'bin'"),
    (lambda h: None, [], "mlci.yaml: no such file"),
    (lambda h: None, ["--reference", "ref.csv"], "give both --reference and --current"),
    (lambda h: (h / "mlci.yaml").write_text("checks:\n  data: []\n", "utf-8"), [], "mlci.yaml: no checks.drift entries"),
    (lambda h: (h / "notes.txt").write_text("x", "utf-8"), ["--reference", "ref.csv", "--current", "notes.txt"],
     "notes.txt: not a .csv or .parquet file"),
    (lambda h: None, ["--reference", "ref.csv", "--current", "ref.csv", "--out", "ref.csv/bundle"], "cannot write it"),
    (lambda h: None, ["profile", "ref.csv", "--out", "ref.csv/ref.profile"], "ref.csv/ref.profile: cannot write it"),
    (lambda h: None, ["profile", "gone.parquet", "--out", "ref.profile"], "gone.parquet: no such file or directory"),
])
def test_bad_input_is_one_line_naming_it_and_exit_2(here: Path, capsys: pytest.CaptureFixture[str], setup: Any,
                                                   args: list[str], message: str) -> None:
    save(table(100), here / "ref.csv")
    setup(here)
    code, out, err = drift(capsys, *args)
    assert code == 2
    lines = [line for line in err.splitlines() if not line.startswith("mlci: reading")]
    assert len(lines) == 1 and lines[0].startswith("mlci: error: ") and message in lines[0], err
    assert "Traceback" not in err and not (here / "mlci-drift").exists()


def test_the_policy_lists_the_pairs_and_validation_runs_on_the_current_data(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save(table(2000), here / "data/train.csv")
    save(table(400, seed=5), here / "data/prod/part-0.csv")
    save(table(400, shift=0.5, seed=6), here / "data/prod/part-1.csv")
    save(table(400, seed=8), here / "data/stable.csv")
    write(here, "mlci.yaml", {"checks": {
        "data": [{"path": "data/train.csv", "columns": {"age": {"min": 0, "max": 70}, "plan": {"allowed": ["basic", "plus", "pro"]}}},
                 {"path": "data/stable.csv", "min_rows": 1000}],
        "drift": [{"reference": "data/train.csv", "current": "data/prod", "ignore": ["tenure"], "retrain_share": 0.4},
                  {"reference": "data/train.csv", "current": "data/stable.csv", "threshold_share": 0.9}]}})

    code, out, err = drift(capsys)

    assert code == 1, err
    data = report_json(here / "mlci-drift")
    assert [(g["kind"], g["subject"]) for g in data["gates"]] == [
        ("drift", "data/prod"), ("drift", "data/stable.csv"),
        ("data", "data/prod/part-0.csv"), ("data", "data/prod/part-1.csv"),  # the training data's rules
        ("data", "data/stable.csv"), ("data", "data/stable.csv")]  # the training data's, then its own
    statuses = [g["status"] for g in data["gates"]]
    assert statuses[2] == "pass" and statuses[3] == "fail"  # ages over 70 once shifted
    assert "age (in_range" in data["gates"][3]["reason"]
    assert statuses[5] == "fail" and "min_rows" in data["gates"][5]["reason"]
    assert data["drift"] == data["drift_all"][0] and len(data["drift_all"]) == 2
    assert data["drift"]["retrain_share"] == 0.4 and "retrain_share" not in data["drift_all"][1]
    assert "tenure" not in {c["column"] for c in data["drift"]["columns"]}
    assert data["drift_all"][1]["threshold_share"] == 0.9
    assert [m["check"] for m in data["measurements"]] == ["checks.drift"] * 2 + ["checks.data"] * 4

    code, _, _ = drift(capsys, "--no-validate", "--out", "nv", "--threshold-share", "1")
    assert {g["kind"] for g in report_json(here / "nv")["gates"]} == {"drift"}
    assert report_json(here / "nv")["drift"]["threshold_share"] == 1.0

    # one pair from the command line takes the options of its entry
    code, _, _ = drift(capsys, "--reference", "data/train.csv", "--current", "data/prod/", "--no-validate", "--out", "one")
    one = report_json(here / "one")
    assert "drift_all" not in one and one["drift"]["retrain_share"] == 0.4


def test_validation_without_the_data_extra_is_the_one_line_missing_extra(
        here: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from mlci import extras

    save(table(200), here / "train.csv")
    write(here, "mlci.yaml", {"checks": {"data": [{"path": "train.csv"}],
                                         "drift": [{"reference": "train.csv", "current": "train.csv"}]}})
    monkeypatch.setitem(extras.EXTRAS, "data", ("mlci_no_such_module",))
    code, _, err = drift(capsys)
    assert code == 2
    assert err.strip().splitlines()[-1] == ("mlci: error: the data validation of mlci drift needs mlci[data]: "
                                           "pip install 'mlci[data]'")
    code, _, err = drift(capsys, "--no-validate")
    assert code == 0, err


@pytest.fixture
def dvc_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git + DVC project with a local DVC remote: data/train.csv tracked (v1 tagged and pushed, then
    changed in the next commit), data/prod.csv tracked and pushed; the cache emptied."""
    root = tmp_path / "project"
    root.mkdir()
    sh(root, "git", "init", "-q", "-b", "main")
    dvc(root, "init", "-q")
    dvc(root, "config", "core.analytics", "false")
    dvc(root, "remote", "add", "-d", "local", str(tmp_path / "remote"))
    save(table(1500, shift=1.0, seed=11), root / "data/train.csv")  # v1: the shifted world
    save(table(500, shift=1.0, seed=12), root / "data/prod.csv")
    dvc(root, "add", "-q", "data/train.csv", "data/prod.csv")
    commit(root, "v1 data")
    sh(root, "git", "tag", "v1")
    dvc(root, "push", "-q")
    save(table(1500, seed=13), root / "data/train.csv")  # the next training data: unshifted
    dvc(root, "add", "-q", "data/train.csv")
    commit(root, "new training data")
    shutil.rmtree(root / ".dvc" / "cache")
    (root / "data/prod.csv").unlink()  # tracked, pushed, absent from the workspace
    monkeypatch.chdir(root)
    return root


def test_a_dvc_tracked_reference_at_a_revision_and_current_data_from_the_remote(
        dvc_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = drift(capsys, "--reference", "data/train.csv", "--reference-rev", "v1", "--current", "data/prod.csv")
    assert code == 0, err  # prod.csv is like v1's training data
    assert "mlci: reading data/train.csv@v1 (1 of 1 file)" in err  # the copies named as in the project
    assert "mlci: reading data/prod.csv (1 of 1 file)" in err
    d = report_json(dvc_project / "mlci-drift")["drift"]
    assert (d["reference"], d["current"], d["dataset_drift"]) == ("data/train.csv@v1", "data/prod.csv", False)
    assert d["columns"][0]["reference_rows"] == 1500 and d["columns"][0]["current_rows"] == 500
    assert not (dvc_project / "data/prod.csv").exists()  # read from a temporary copy

    code, _, err = drift(capsys, "--reference", "data/train.csv", "--current", "data/prod.csv", "--out", "now")
    assert code == 1, err  # against the workspace's (new) training data it drifted
    assert report_json(dvc_project / "now")["drift"]["reference"] == "data/train.csv"

    code, out, _ = run_main(["drift", "profile", "data/train.csv", "--rev", "v1", "--out", "v1.profile"], capsys)
    assert code == 0 and "data/train.csv@v1" in out and "1,500 rows" in out
    code, _, _ = drift(capsys, "--reference", "v1.profile", "--current", "data/prod.csv", "--out", "p")
    assert code == 0

    code, _, err = drift(capsys, "--reference", "data/train.csv", "--reference-rev", "v9", "--current", "data/prod.csv")
    assert code == 2 and "v9" in err.strip().splitlines()[-1]
    code, _, err = drift(capsys, "--reference", "data/nothing.csv", "--reference-rev", "v1", "--current", "data/prod.csv")
    assert code == 2 and err.strip().splitlines()[-1] == \
        "mlci: error: data/nothing.csv@v1: no such file or directory at v1, in git or in DVC"


@pytest.mark.parametrize(("edit", "where"), [
    (lambda d: d["drift"]["columns"][0].update(score="high"), "drift/columns/0/score"),
    (lambda d: d["drift"]["columns"][0].update(kind="image"), "drift/columns/0/kind"),
    (lambda d: d["drift"]["columns"][0].update(extra=1), "drift/columns/0"),
    (lambda d: d["drift"].update(drifted_share=2), "drift/drifted_share"),
    (lambda d: d["drift"].pop("columns"), "drift"),
    (lambda d: d.update(drift_all=[d.pop("drift")] * 2), "drift"),  # drift_all without drift
])
def test_a_bundle_whose_drift_breaks_the_schema_is_refused(here: Path, capsys: pytest.CaptureFixture[str],
                                                           edit: Any, where: str) -> None:
    save(table(300), here / "ref.csv")
    assert drift(capsys, "--reference", "ref.csv", "--current", "ref.csv")[0] == 0
    data = report_json(here / "mlci-drift")
    edit(data)
    (here / "mlci-drift" / "report.json").write_text(json.dumps(data), "utf-8")
    code, _, err = run_main(["gate", "mlci-drift"], capsys)
    assert code == 2 and err.startswith("mlci: error: report.json: ") and where in err, err


def test_on_a_terminal_the_progress_is_one_line_rewritten_in_place(here: Path) -> None:
    from mlci.commands import drift as command

    save(table(140_000), here / "ref.parquet")
    save(table(140_000, seed=2), here / "cur.parquet")
    written: list[tuple[str, bool]] = []
    code = command.run(command.Settings(reference="ref.parquet", current="cur.parquet", progress=True,
                                        echo=lambda text, nl=True: None,
                                        echo_err=lambda text, nl=True: written.append((text, nl))))
    assert code == 0
    assert written and all(not nl for _, nl in written)  # no line ends: the same line, redrawn
    assert all(text.startswith("\r\x1b[K") for text, _ in written)
    assert any("reading ref.parquet: " in text and " of 140,000 rows, file 1 of 1" in text for text, _ in written)
    assert written[-1][0] == "\r\x1b[K"  # cleared at the end


def test_dvc_update_wants_a_dvc_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`--dvc-update` (the drift action's dvc-update input) takes the .dvc file of imported data; anything
    else is one line and exit 2, before any data is read (the act test runs a real `dvc update`)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prod.csv").write_text("a\n1\n")
    code, _, err = run_main(["drift", "--reference", "prod.csv", "--current", "prod.csv", "--dvc-update", "prod.csv"],
                            capsys)
    assert code == 2 and err == "mlci: error: --dvc-update prod.csv: expected the .dvc file of `dvc import`ed data\n"


def test_progress_is_redrawn_on_a_terminal_and_never_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """act gives its steps a terminal, so a terminal alone does not mean a person is watching: in CI the
    reads report whole lines."""
    import io
    import sys

    from mlci.cli import live_progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    for name in ("CI", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    assert live_progress()
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert not live_progress()
    monkeypatch.delenv("GITHUB_ACTIONS")
    monkeypatch.setenv("CI", "1")
    assert not live_progress()
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.delenv("CI")
    assert not live_progress()
