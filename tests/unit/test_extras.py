"""Which extras a policy needs, the one line a missing extra gives, and pyproject.toml agreeing with both."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from mlci import extras
from mlci.errors import MlciError
from mlci.extras import EXTRAS, MissingExtra, for_policy, require

ROOT = Path(__file__).resolve().parents[2]


def optional_dependencies() -> dict[str, set[str]]:
    """pyproject.toml's extras, each as the distribution names it brings (``mlci[a,b]`` expanded)."""
    tomllib = pytest.importorskip("tomllib")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]

    def names(extra: str) -> set[str]:
        out: set[str] = set()
        for requirement in declared[extra]:
            own = re.fullmatch(r"mlci\[([\w,]+)\]", requirement)
            if own:
                for inner in own[1].split(","):
                    out |= names(inner)
            else:
                out.add(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower())
        return out

    return {extra: names(extra) for extra in declared}


def test_every_module_of_an_extra_comes_from_that_extras_packages() -> None:
    declared = optional_dependencies()
    sources = metadata.packages_distributions()  # module -> distributions, of this environment
    for extra, modules in EXTRAS.items():
        assert extra in declared, f"pyproject.toml has no extra {extra!r}"
        for module in modules:
            dists = {re.sub(r"[-_.]+", "-", d).lower() for d in sources.get(module, [])}  # PEP 503 names
            assert dists & {re.sub(r"[-_.]+", "-", d) for d in declared[extra]}, f"{module} (from {dists}) is not in mlci[{extra}]: {declared[extra]}"


def test_the_core_brings_none_of_the_checks_libraries() -> None:
    tomllib = pytest.importorskip("tomllib")
    core = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in core}
    # gto: DVC depends on it already; mlci release imports it, so it is named.
    assert names == {"dvc", "click", "pyyaml", "tabulate", "jsonschema", "pygithub", "gto", "tomli"}


@pytest.mark.parametrize(("text", "wanted"), [
    ("version: 1\nmetrics: {accuracy: {min: 0.9}}\n", []),
    ("version: 1\nchecks: {reproducible: true}\n", []),
    ("version: 1\nchecks:\n  data: [{path: data/train.csv}]\n", ["data"]),
    ("version: 1\nchecks:\n  fairness: [{predictions: p.csv, sensitive: [sex]}]\n  runtime: [{model: m.onnx}]\n",
     ["fairness", "onnx"]),
    ("version: 1\nchecks:\n  data: [{path: data/train.PARQUET}]\n", ["data", "parquet"]),
    ("version: 1\nchecks:\n  runtime: [{model: m.onnx, sample: {path: s.pq}}]\n", ["onnx", "parquet"]),
    ("version: 1\nchecks:\n  drift: [{reference: data/train.csv, current: prod/}]\n", []),  # the monitor's
    ("version: 1\nchecks:\n  drift: [{reference: d.csv, current: d.csv, pr_gate: true}]\n", ["drift"]),
    ("version: 1\nchecks:\n  data: []\n  fairness: null\n", []),  # empty sections check nothing
    # Invalid policies still give what can be known; loading them later says what is wrong.
    ("version: 1\nchecks:\n  data: {path: 3}\n  typo: [{path: x.parquet}]\n", ["data", "parquet"]),
    ("- a list\n", []),
    ("checks: [data]\n", []),
])
def test_extras_for_a_policy(text: str, wanted: list[str]) -> None:
    assert for_policy(yaml.safe_load(text)) == wanted


def test_a_deep_policy_is_no_recursion_error() -> None:
    deep: object = "model.parquet"
    for _ in range(5000):
        deep = [deep]
    assert for_policy({"checks": {"runtime": deep}}) == ["onnx", "parquet"]


def test_a_missing_extra_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandera", None)  # not importable
    with pytest.raises(MissingExtra) as error:
        require("data", "the data check")
    assert str(error.value) == "the data check needs mlci[data]: pip install 'mlci[data]'"
    assert isinstance(error.value, MlciError) and error.value.exit_code == 2
    assert extras.missing_modules("data") == ["pandera"]
    require("fairness", "the fairness check")  # installed here: no error


def test_the_setup_step_knows_every_extra() -> None:
    """actions/setup/install.py (standard library only, it runs before mlci is installed) lists the
    extras its `extras` input accepts: the same as pyproject.toml's, but for the test extra."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("mlci_setup_install", ROOT / "actions" / "setup" / "install.py")
    assert spec is not None and spec.loader is not None
    install = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(install)
    assert set(install.EXTRA_NAMES) == set(optional_dependencies()) - {"test"}
    assert set(EXTRAS) <= set(install.EXTRA_NAMES)


PLOTS_TOP = "stages:\n  train: {cmd: python train.py}\nplots:\n  - roc: {x: fpr, y: {roc.json: tpr}}\n"
PLOTS_IN_STAGE = "stages:\n  train:\n    cmd: python train.py\n    plots: [loss.csv]\n"
NO_PLOTS = "stages:\n  train: {cmd: python train.py, outs: [model.pkl]}\n"


@pytest.mark.parametrize(("dvc_yaml", "policy", "wanted"), [
    (PLOTS_TOP, None, ["plots"]),  # no mlci.yaml: the report draws the plots dvc.yaml declares
    (PLOTS_IN_STAGE, "version: 1\n", ["plots"]),
    (PLOTS_TOP, "version: 1\nplots: {hosting: mermaid}\nchecks:\n  data: [{path: d.csv}]\n", ["data", "plots"]),
    (PLOTS_TOP, "version: 1\nplots: false\n", []),  # turned off
    (NO_PLOTS, "version: 1\n", []),
    (None, "version: 1\n", []),  # no dvc.yaml here at all
    ("plots: [\n", "version: 1\n", []),  # a dvc.yaml that does not parse needs nothing (and adds a note)
])
def test_a_project_whose_dvc_yaml_declares_plots_needs_the_plots_extra(
        tmp_path: Path, dvc_yaml: str | None, policy: str | None, wanted: list[str]) -> None:
    if dvc_yaml is not None:
        (tmp_path / "dvc.yaml").write_text(dvc_yaml)
    if policy is not None:
        (tmp_path / "mlci.yaml").write_text(policy)
    found, notes = extras.for_project(tmp_path)
    assert found == wanted
    assert bool(notes) == (dvc_yaml == "plots: [\n")
    assert extras.for_project(tmp_path, stage="prod")[0] == [e for e in wanted if e != "plots"]


def test_the_monitor_counts_every_drift_entry() -> None:
    policy = {"checks": {"drift": [{"reference": "data/train.csv", "current": "prod/"}], "data": [{"path": "p.csv"}]}}
    assert for_policy(policy) == ["data"]
    assert for_policy(policy, monitor=True) == ["data", "drift"]
