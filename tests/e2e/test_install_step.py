"""The setup action's install step (actions/setup/install.py), run as the step runs it.

The runner's ``python3`` is a bare interpreter (the base Python under the test venv, or a
virtual environment made from it), PATH has no uv, and the package index is a local folder
of wheels (the ``wheelhouse`` fixture): what a fresh runner does, without the network in it.
The act tests (test_actions_act.py) run the same step inside the real action.yml files.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import offline_index
from tests.venv_helpers import base_python, clean_env, make_venv, purelib

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "actions" / "setup" / "install.py"
PROBE = "mlci_runner_probe"
POLICY = (ROOT / "src" / "mlci" / "demo" / "project" / "mlci.yaml").read_text()  # data and fairness checks


def runner_bin(tmp_path: Path, python: Path) -> Path:
    """A folder whose python3 is ``python``: the runner's PATH, with no uv on it. A virtual
    environment's own bin/ (activated: a python3 linked from elsewhere would not find its pyvenv.cfg)."""
    if (python.parent.parent / "pyvenv.cfg").exists():
        return python.parent
    folder = tmp_path / "runner-bin"
    folder.mkdir(exist_ok=True)
    link = folder / "python3"
    if not (link.is_symlink() and link.readlink() == python):
        link.unlink(missing_ok=True)
        link.symlink_to(python)
    return folder


def step(command: str, tmp_path: Path, python: Path, wheelhouse: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python3 install.py COMMAND`` as the action's step runs it (RUNNER_TEMP, GITHUB_OUTPUT, ...)."""
    temp = tmp_path / "runner-temp"
    temp.mkdir(exist_ok=True)
    full = clean_env(**offline_index(wheelhouse), RUNNER_TEMP=str(temp), GITHUB_OUTPUT=str(tmp_path / "output"),
                     GITHUB_WORKSPACE=str(tmp_path / "workspace"), UV_CACHE_DIR=str(tmp_path / "uv-cache"),
                     PYTHONUSERBASE=str(tmp_path / "no-userbase"), MLCI_VENV=str(temp / "mlci-venv"),
                     PATH=os.pathsep.join([str(runner_bin(tmp_path, python)), "/usr/bin", "/bin"]))
    full.update(env)
    (tmp_path / "workspace").mkdir(exist_ok=True)
    return subprocess.run(["python3", str(INSTALL), command], env=full, cwd=tmp_path / "workspace",
                          capture_output=True, text=True, timeout=600)


def outputs(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / "output").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_the_plan_reads_the_extras_from_the_policy(tmp_path: Path, wheelhouse: Path) -> None:
    """python3 with PyYAML (a runner that installed the pipeline's requirements): the plan reads
    mlci.yaml with mlci's own reader, and the key names the extras."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "mlci.yaml").write_text(POLICY)
    proc = step("plan", tmp_path, Path(sys.executable), wheelhouse)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = outputs(tmp_path)
    assert out["extras"] == "data,fairness"
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert out["cache-key"].startswith("mlci-")
    assert "-linux-" in out["cache-key"] and f"cpython{version}" in out["cache-key"]
    assert "-data+fairness-" in out["cache-key"]
    assert "with extras data, fairness (as the policy asks)" in proc.stdout


def test_the_monitors_drift_entries_need_the_drift_extra_in_the_monitor_only(tmp_path: Path, wheelhouse: Path) -> None:
    """A checks.drift entry without pr_gate is the monitor's: a PR's run does not install drift's libraries for
    it; `purpose: monitor` (the drift monitor template) does, and draws no plots."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "mlci.yaml").write_text("version: 1\nchecks:\n  drift:\n    - {reference: data/train.csv, "
                                         "current: data/prod.csv}\n")
    (workspace / "dvc.yaml").write_text("stages: {}\nplots:\n  - roc.json\n")
    proc = step("plan", tmp_path, Path(sys.executable), wheelhouse)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert outputs(tmp_path)["extras"] == "plots"
    (tmp_path / "output").unlink()
    proc = step("plan", tmp_path, Path(sys.executable), wheelhouse, MLCI_PURPOSE="monitor")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = outputs(tmp_path)
    assert out["extras"] == "drift" and "-drift-" in out["cache-key"]
    (tmp_path / "output").unlink()
    (workspace / "mlci.yaml").write_text("version: 1\nchecks:\n  drift:\n    - {reference: data/train.csv, "
                                         "reference_rev: v1, current: data/train.csv, pr_gate: true}\n")
    assert step("plan", tmp_path, Path(sys.executable), wheelhouse).returncode == 0
    assert outputs(tmp_path)["extras"] == "drift,plots"


def test_a_bare_python_defers_the_extras_to_the_install(tmp_path: Path, wheelhouse: Path) -> None:
    """python3 without PyYAML (a bare runner, as the publish jobs'): the plan downloads nothing. Its
    key names the bytes the extras are read from; the install reads them with the venv's own PyYAML
    once the core is in, and a restored venv says which extras it holds without reading anything."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "mlci.yaml").write_text("version: 1\nmetrics:\n  accuracy: {min: 0.5}\n")
    (workspace / "dvc.yaml").write_text("plots:\n  - roc.json\n")  # the plots extra: one wheel
    bare = make_venv(tmp_path / "bare", see_test_packages=False, pip=True)
    assert subprocess.run([str(bare), "-c", "import yaml"], capture_output=True).returncode != 0
    proc = step("plan", tmp_path, bare, wheelhouse)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = outputs(tmp_path)
    assert out["extras"] == "auto"
    assert re.search(r"-auto[0-9a-f]{12}-[0-9a-f]{12}$", out["cache-key"]), out["cache-key"]
    assert "extras read from the policy by the install (python3 has no YAML reader yet)" in proc.stdout
    assert not (tmp_path / "runner-temp" / "mlci-setup" / "pyyaml").exists(), "nothing fetched to plan"
    key = out["cache-key"]
    assert step("plan", tmp_path, bare, wheelhouse).returncode == 0
    assert outputs(tmp_path)["cache-key"] == key, "the same files, the same key"

    (tmp_path / "output").unlink()
    proc = step("install", tmp_path, bare, wheelhouse, MLCI_EXTRAS="auto")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "extras plots, as the policy asks" in proc.stdout
    assert outputs(tmp_path)["extras"] == "plots"
    venv = installed(tmp_path)
    assert json.loads((venv / "mlci-extras.json").read_text()) == ["plots"]
    found = subprocess.run([str(venv / "bin" / "python"), "-c", "import vl_convert, yaml"], capture_output=True,
                           env=clean_env(PYTHONUSERBASE=str(tmp_path / "no-userbase")))
    assert found.returncode == 0, found.stderr

    (tmp_path / "output").unlink()
    again = step("install", tmp_path, bare, wheelhouse, MLCI_EXTRAS="auto", MLCI_CACHE_HIT="true")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"restored {venv} from the cache (extras: plots)" in again.stdout
    assert outputs(tmp_path)["extras"] == "plots"

    (workspace / "mlci.yaml").write_text("version: 1\nplots: false\nmetrics:\n  accuracy: {min: 0.5}\n")
    assert step("plan", tmp_path, bare, wheelhouse).returncode == 0
    assert outputs(tmp_path)["cache-key"] != key, "another policy, another key"


def test_the_plan_counts_the_bases_copy_and_goes_on_past_a_broken_one(tmp_path: Path, wheelhouse: Path) -> None:
    """On a PR the base's mlci.yaml applies: its checks count too. A copy that does not parse
    is named in one line and needs nothing; the report says what is wrong with it later."""
    from tests.repo_helpers import init_repo

    workspace = init_repo(tmp_path / "workspace")
    (workspace / "mlci.yaml").write_text("version: 1\nchecks:\n  runtime: [{model: m.onnx, sample: s.parquet}]\n")
    subprocess.run(["git", "add", "mlci.yaml"], cwd=workspace, check=True)
    subprocess.run(["git", "commit", "-qm", "policy"], cwd=workspace, check=True)
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=workspace, capture_output=True, text=True,
                          check=True).stdout.strip()
    (workspace / "mlci.yaml").write_text("version: 1\nchecks: [unclosed\n")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 1, "base": {"sha": base}}}))
    proc = step("plan", tmp_path, Path(sys.executable), wheelhouse, GITHUB_EVENT_PATH=str(event))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert outputs(tmp_path)["extras"] == "onnx,parquet"
    assert "mlci.yaml:3: invalid YAML" in proc.stdout


@pytest.mark.parametrize(("given", "extras"), [("none", ""), ("fairness, data", "data,fairness"), ("all", "all")])
def test_the_extras_input_overrides_the_policy(tmp_path: Path, wheelhouse: Path, given: str, extras: str) -> None:
    (tmp_path / "workspace").mkdir()
    (tmp_path / "workspace" / "mlci.yaml").write_text(POLICY)
    proc = step("plan", tmp_path, Path(sys.executable), wheelhouse, MLCI_EXTRAS=given)
    assert proc.returncode == 0, proc.stderr
    assert outputs(tmp_path)["extras"] == extras
    assert outputs(tmp_path)["cache-key"].split("-")[-2] == (extras.replace(",", "+") or "core")


def test_an_unknown_extra_is_one_line_and_exit_2(tmp_path: Path, wheelhouse: Path) -> None:
    proc = step("plan", tmp_path, Path(sys.executable), wheelhouse, MLCI_EXTRAS="data,gpu")
    assert proc.returncode == 2
    assert proc.stderr == ("mlci setup: error: extras: unknown extra 'gpu'; expected auto, none, or some of "
                           "data, drift, fairness, onnx, parquet, plots, serve, demo, all\n")


def installed(tmp_path: Path) -> Path:
    return tmp_path / "runner-temp" / "mlci-venv"


def run_mlci(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(installed(tmp_path) / "path" / "mlci"), *args], capture_output=True, text=True,
                          env=clean_env(PYTHONUSERBASE=str(tmp_path / "no-userbase")), timeout=120)


def test_a_cold_install_with_uv_then_a_restored_one(tmp_path: Path, wheelhouse: Path) -> None:
    """No uv on PATH: pip fetches it, uv installs the core (no extra) from pyproject.toml, no
    wheel of mlci is built. A run whose cache restored the venv only links it again. The runner's
    python3 is a venv with pip alone: nothing to borrow, whatever the base interpreter has."""
    python = make_venv(tmp_path / "bare", see_test_packages=False, pip=True)
    proc = step("install", tmp_path, python, wheelhouse, MLCI_EXTRAS="")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "installed mlci's dependencies with uv in" in proc.stdout
    venv = installed(tmp_path)
    assert sorted(p.name for p in (venv / "path").iterdir()) == ["mlci"], "only mlci goes on PATH"
    version = run_mlci(tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.startswith("mlci "), version.stderr
    site = purelib(venv / "bin" / "python")
    assert (site / "mlci-source.pth").read_text() == f"{ROOT / 'src'}\n"
    assert not list(site.glob("mlci-*.dist-info")), "mlci itself is linked, not built and installed"
    # The venv sees the runner's packages too (--system-site-packages): check where each module comes
    # from, so the test holds whatever the base interpreter has installed.
    code = "import dvc, github, jsonschema, yaml, mlci; print(mlci.__file__); print(dvc.__file__, github.__file__, " \
           "jsonschema.__file__, yaml.__file__)"
    own = subprocess.run([str(venv / "bin" / "python"), "-c", code],
                         capture_output=True, text=True, env=clean_env(PYTHONUSERBASE=str(tmp_path / "no-userbase")))
    assert own.returncode == 0, own.stderr
    linked, core = own.stdout.splitlines()
    assert linked == str(ROOT / "src" / "mlci" / "__init__.py")
    # The core is the venv's own, but for what the base interpreter has at the resolved version (borrowed).
    borrowed = json.loads((venv / "mlci-borrowed.json").read_text())
    assert borrowed == {}
    for dist, path in zip(("dvc", "pygithub", "jsonschema", "pyyaml"), core.split()):
        assert path.startswith(str(site)) != (dist in borrowed), (dist, path, borrowed)
    assert not (site / "pandas").exists(), "a policy without checks gets none of their libraries"

    marker = venv / "restored-marker"
    marker.write_text("")
    again = step("install", tmp_path, python, wheelhouse, MLCI_EXTRAS="", MLCI_CACHE_HIT="true")
    assert again.returncode == 0, again.stderr
    assert f"restored {venv} from the cache" in again.stdout
    assert marker.exists(), "a restored venv is used as it is"
    assert run_mlci(tmp_path, "--version").returncode == 0

    # A cache that restored something broken is installed again, not trusted.
    (venv / "bin" / "python").unlink()
    broken = step("install", tmp_path, python, wheelhouse, MLCI_EXTRAS="", MLCI_CACHE_HIT="true")
    assert broken.returncode == 0, broken.stderr
    assert "installed mlci's dependencies with uv" in broken.stdout and not marker.exists()


def test_what_the_runner_has_at_the_resolved_version_is_used_from_there(tmp_path: Path, wheelhouse: Path) -> None:
    """The pipeline's dependencies an earlier step installed (click and PyYAML here) are not
    installed a second time into mlci's venv when the resolution can use their versions; one it
    cannot (a tabulate version no index has) is installed. A restored venv checks that the runner
    still has what it borrows, and installs again when not; the cache key follows the runner."""
    runner = make_venv(tmp_path / "runner", see_test_packages=False, pip=True)
    pip = [str(runner), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--no-index", "--find-links", str(wheelhouse), "click", "pyyaml"],
                   check=True, env=clean_env())
    unknown = purelib(runner) / "tabulate-0.0.1.dist-info"
    unknown.mkdir()
    (unknown / "METADATA").write_text("Metadata-Version: 2.1\nName: tabulate\nVersion: 0.0.1\n")
    assert step("plan", tmp_path, runner, wheelhouse, MLCI_EXTRAS="none").returncode == 0
    key = outputs(tmp_path)["cache-key"]

    proc = step("install", tmp_path, runner, wheelhouse, MLCI_EXTRAS="")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 already on the runner at the resolved version, used from there" in proc.stdout
    venv = installed(tmp_path)
    assert sorted(json.loads((venv / "mlci-borrowed.json").read_text())) == ["click", "pyyaml"]
    code = "import click, yaml, tabulate, dvc; print(click.__file__, yaml.__file__, tabulate.__file__, dvc.__file__)"
    where = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True,
                           env=clean_env(), timeout=60)
    assert where.returncode == 0, where.stderr
    click, yaml_, tabulate, dvc = where.stdout.split()
    assert click.startswith(str(purelib(runner))) and yaml_.startswith(str(purelib(runner)))
    assert tabulate.startswith(str(purelib(venv / "bin" / "python"))), "0.0.1 is not on the index: mlci's own"
    assert dvc.startswith(str(purelib(venv / "bin" / "python")))
    assert run_mlci(tmp_path, "--version").returncode == 0

    assert "restored" in step("install", tmp_path, runner, wheelhouse, MLCI_EXTRAS="", MLCI_CACHE_HIT="true").stdout
    subprocess.run([*pip, "uninstall", "-y", "click"], check=True, env=clean_env())
    assert step("plan", tmp_path, runner, wheelhouse, MLCI_EXTRAS="none").returncode == 0
    assert outputs(tmp_path)["cache-key"] != key
    again = step("install", tmp_path, runner, wheelhouse, MLCI_EXTRAS="", MLCI_CACHE_HIT="true")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "the runner no longer has click at the version the cached venv uses: installing again" in again.stdout
    assert "1 already on the runner" in again.stdout
    assert run_mlci(tmp_path, "--version").returncode == 0


def test_the_publish_purpose_installs_mlci_without_dvc(tmp_path: Path, wheelhouse: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`purpose: publish` (the PR template's publish job, the fork-safe pair's): no policy is read, no
    extra installed, neither DVC nor GTO; mlci gate judges a bundle there, and a verb that needs DVC
    says so in one line (exit 2), not an internal error."""
    from tests.cli import run_main
    from tests.repo_helpers import init_repo

    repo = init_repo(tmp_path / "repo")
    os.chdir(repo)
    assert run_main(["report"], capsys)[0] == 0
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "mlci.yaml").write_text(POLICY)  # data and fairness checks: not needed to publish
    bare = make_venv(tmp_path / "bare", see_test_packages=False, pip=True)
    proc = step("plan", tmp_path, bare, wheelhouse, MLCI_PURPOSE="publish")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = outputs(tmp_path)
    assert out["extras"] == "" and out["cache-key"].split("-")[-2] == "publish", out
    proc = step("install", tmp_path, bare, wheelhouse, MLCI_PURPOSE="publish", MLCI_EXTRAS="")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "installed mlci's dependencies to publish (no DVC, no GTO) with uv" in proc.stdout
    venv = installed(tmp_path)
    site = purelib(venv / "bin" / "python")
    names = {p.name.split("-")[0].lower() for p in site.glob("*.dist-info")}
    assert {"pygithub", "pyyaml", "click", "jsonschema", "tabulate"} <= names
    assert not names & {"dvc", "gto", "scmrepo", "dvc_data", "pandas"}, names
    gate = run_mlci(tmp_path, "gate", str(repo / "mlci-report"))
    assert gate.returncode == 0, gate.stdout + gate.stderr
    again = step("install", tmp_path, bare, wheelhouse, MLCI_PURPOSE="publish", MLCI_EXTRAS="", MLCI_CACHE_HIT="true")
    assert f"restored {venv} from the cache" in again.stdout, again.stdout + again.stderr
    assert step("plan", tmp_path, bare, wheelhouse, MLCI_PURPOSE="gpu").stderr == (
        "mlci setup: error: purpose: unknown purpose 'gpu'; expected pipeline, publish or monitor\n")
    # The venv sees the base interpreter's packages too (--system-site-packages, as on a runner), which may
    # hold DVC. A runner whose python3 has no DVC is this venv with that switched off: its own packages,
    # asserted above to hold none of DVC, and the runner's (pip alone).
    config = venv / "pyvenv.cfg"
    on = config.read_text()
    assert "include-system-site-packages = true\n" in on
    config.write_text(on.replace("include-system-site-packages = true\n", "include-system-site-packages = false\n"))
    seen = subprocess.run([str(venv / "bin" / "python"), "-c", "import importlib.util as u; print(bool(u.find_spec('dvc')))"],
                          capture_output=True, text=True, env=clean_env(PYTHONUSERBASE=str(tmp_path / "no-userbase")))
    assert seen.stdout.strip() == "False", seen.stdout + seen.stderr
    repro = subprocess.run([str(venv / "path" / "mlci"), "repro"], cwd=repo, capture_output=True, text=True,
                           env=clean_env(PYTHONUSERBASE=str(tmp_path / "no-userbase")), timeout=120)
    assert repro.returncode == 2, repro.stdout + repro.stderr
    assert repro.stderr.startswith("mlci: error: this command needs DVC, which this mlci was installed without"), \
        repro.stderr
    assert len(repro.stderr.splitlines()) == 1


def test_without_uv_it_installs_with_pip(tmp_path: Path, wheelhouse: Path) -> None:
    """An index without uv (a mirror that lacks it): pip does the install, and says so."""
    no_uv = tmp_path / "no-uv-index"
    no_uv.mkdir()
    for wheel in wheelhouse.iterdir():
        if not wheel.name.startswith("uv-"):
            (no_uv / wheel.name).symlink_to(wheel)
    proc = step("install", tmp_path, base_python(), no_uv, MLCI_EXTRAS="")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "installing with pip (uv could not be had)" in proc.stdout
    assert "installed mlci's dependencies with pip in" in proc.stdout
    assert run_mlci(tmp_path, "--version").returncode == 0


def test_a_failed_install_is_one_line_and_exit_2(tmp_path: Path, wheelhouse: Path) -> None:
    empty = tmp_path / "empty-index"
    empty.mkdir()
    for name in ("uv", "pyyaml"):  # uv can be had, mlci's requirements cannot
        for wheel in wheelhouse.glob(f"{name}-*"):
            (empty / wheel.name).symlink_to(wheel)
    proc = step("install", tmp_path, base_python(), empty, MLCI_EXTRAS="")
    assert proc.returncode == 2
    assert re.match(r"mlci setup: error: `uv pip (install|compile) ", proc.stderr.splitlines()[-1])
    assert proc.stderr.splitlines()[-1].endswith("(see its output above)")


# --- The venv sees the runner's packages, wherever the runner's python3 keeps them -------------------------------


def sees_probe(python: Path, env: dict[str, str]) -> tuple[bool, list[str]]:
    code = f"import sys; import {PROBE}; print({PROBE}.__file__); print('\\n'.join(sys.path))"
    proc = subprocess.run([str(python), "-c", code], env=clean_env(**env), capture_output=True, text=True, timeout=60)
    return proc.returncode == 0, proc.stdout.splitlines()


def test_packages_of_the_runner_python_come_after_mlcis_own(tmp_path: Path, wheelhouse: Path) -> None:
    """A runner's system Python keeps `pip install -r requirements.txt` in the user's site-packages
    (a venv made with --system-site-packages keeps the user site on); an earlier step's activated
    virtual environment keeps them in its own site-packages, which --system-site-packages skips."""
    # 1. The user's site-packages of a plain interpreter.
    userbase = {"PYTHONUSERBASE": str(tmp_path / "userbase")}
    python = base_python()
    user_site = Path(subprocess.run([str(python), "-c", "import site; print(site.getusersitepackages())"],
                                    env=clean_env(**userbase), capture_output=True, text=True, check=True).stdout.strip())
    user_site.mkdir(parents=True)
    (user_site / f"{PROBE}.py").write_text("")
    proc = step("install", tmp_path, python, wheelhouse, MLCI_EXTRAS="", **userbase)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    venv_python = installed(tmp_path) / "bin" / "python"
    found, lines = sees_probe(venv_python, userbase)
    assert found, lines
    assert lines[0] == str(user_site / f"{PROBE}.py")
    own = next(i for i, p in enumerate(lines[1:]) if p.startswith(str(installed(tmp_path))))
    assert own < lines[1:].index(str(user_site)), "the venv's own packages (mlci's) come first"

    # 2. A runner python3 that is itself a virtual environment.
    outer = make_venv(tmp_path / "outer", see_test_packages=False)
    (purelib(outer) / f"{PROBE}.py").write_text("")
    (user_site / f"{PROBE}.py").unlink()
    (purelib(outer) / "mlci").mkdir()  # another mlci installed on the runner: the action's own is the one imported
    (purelib(outer) / "mlci" / "__init__.py").write_text('__version__ = "0.0.1"\n')
    proc = step("install", tmp_path, outer, wheelhouse, MLCI_EXTRAS="", **userbase)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found, lines = sees_probe(venv_python, {})
    assert found, lines
    assert lines[0] == str(purelib(outer) / f"{PROBE}.py")
    own = subprocess.run([str(venv_python), "-c", "import mlci; print(mlci.__file__)"], capture_output=True, text=True,
                         env=clean_env(), timeout=60)
    assert own.stdout.strip() == str(ROOT / "src" / "mlci" / "__init__.py"), own.stdout + own.stderr


def test_the_steps_are_the_ones_the_action_runs() -> None:
    """The two commands above are what actions/setup/action.yml runs, in that order."""
    steps = yaml.safe_load((ROOT / "actions" / "setup" / "action.yml").read_text())["runs"]["steps"]
    scripts = [s.get("run", "") for s in steps]
    plan = next(i for i, s in enumerate(scripts) if s.endswith("install.py\" plan"))
    install = next(i for i, s in enumerate(scripts) if "install.py\" install" in s)
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert plan < uses.index("actions/cache/restore") < install < uses.index("actions/cache/save")
