"""`mlci init` on real git + DVC projects: the policy it writes loads and gates, the workflows are the templates."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from mlci import depfiles
from mlci.config import SCHEMA_URL, load_policy, schema
from tests.cli import run_main
from tests.repo_helpers import commit, dvc, init_repo, sh, write

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "workflows-templates"
# What replaces the templates' dependency step in a project with no dependency file and no remote.
NO_DEPENDENCY_FILE = """\
      # No dependency file was found (requirements*.txt, requirements/*.txt, pyproject.toml, uv.lock, poetry.lock, Pipfile.lock or environment.yml):
      # add one for your pipeline's stages and run `mlci init --force`, or install them here.

"""


def written(name: str) -> str:
    """The template as mlci init writes it into a project with no dependency file and no DVC remote."""
    return (TEMPLATES / name).read_text().replace(depfiles.TEMPLATE_STEP, NO_DEPENDENCY_FILE)
DEMO = ROOT / "src" / "mlci" / "demo" / "project"
KEPT = "exists, kept (use --force to overwrite)"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The one-stage project: metrics.json has accuracy, loss and per_class.a.f1."""
    path = init_repo(tmp_path / "repo")
    monkeypatch.chdir(path)
    return path


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file outside .git and .dvc, with its content and modification time."""
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))
            if p.is_file() and not {".git", ".dvc"} & set(p.relative_to(root).parts)}


def test_the_policy_loads_validates_and_gates_the_project(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["init"], capsys)
    assert code == 0, err
    assert "mlci: wrote mlci.yaml (3 gates for 3 metrics)\n" in out
    assert "mlci: wrote .github/workflows/mlci-pull-request.yml\n" in out

    text = (project / "mlci.yaml").read_text()
    assert text.startswith(f"# yaml-language-server: $schema={SCHEMA_URL}\n")
    jsonschema.validate(yaml.safe_load(text), schema())
    rules = {rule.pattern: rule for rule in load_policy(text).metrics}
    assert set(rules) == {"accuracy", "loss", "per_class.a.f1"}
    assert rules["loss"].direction == "lower"
    assert rules["accuracy"].direction == rules["per_class.a.f1"].direction == "higher"
    assert all(rule.max_drop == pytest.approx(0.02) and rule.max_drop_relative for rule in rules.values())
    assert "    # min: 0.7\n" in text and "    # max: 0.3\n" in text  # the values now, as hints

    # mlci itself evaluates it: every gate finds its metric.
    commit(project, "mlci")
    code, out, err = run_main(["report", "--base", "HEAD", "--format", "json"], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["verdict"] == "pass"
    assert sorted(g["subject"] for g in report["gates"]) == ["accuracy", "loss", "per_class.a.f1"]


def test_it_prints_the_next_steps(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dvc(project, "remote", "add", "-d", "storage", "s3://acme-ml/churn")
    code, out, _ = run_main(["init"], capsys)
    assert code == 0
    steps = out.split("Next steps:\n", 1)[1]
    assert "git add mlci.yaml .github/workflows/mlci-pull-request.yml && git commit" in steps
    unwrapped = " ".join(steps.split())
    assert ("Pull requests run their own stage code, so they get read-only credentials of the DVC remote 'storage': "
            "an IAM user whose policy allows only s3:ListBucket on the bucket and s3:GetObject on its objects. Add "
            "them as repository secrets (Settings > Secrets and variables > Actions): DVC_READ_AWS_ACCESS_KEY_ID, "
            "DVC_READ_AWS_SECRET_ACCESS_KEY.") in unwrapped
    assert ("Only the default branch pushes to the remote: create the environment dvc-write (Settings > "
            "Environments), set its deployment branches to your default branch only, and add credentials that can "
            "write the remote as its secrets: DVC_WRITE_AWS_ACCESS_KEY_ID, DVC_WRITE_AWS_SECRET_ACCESS_KEY.") in unwrapped
    assert 'make the check "mlci" required' in steps and "Rulesets" in steps
    # No dependency file: the workflow installs only the remote's plugin, and reads no missing file.
    assert ("No dependency file was found (requirements*.txt, requirements/*.txt, pyproject.toml, uv.lock, "
            "poetry.lock, Pipfile.lock or environment.yml), so the workflow installs nothing for your stages but "
            "dvc-s3: add requirements.txt with what they import, then run `mlci init --force`") in steps
    workflow = project / ".github" / "workflows" / "mlci-pull-request.yml"
    assert "        run: python -m pip install dvc-s3\n" in workflow.read_text()
    assert "requirements.txt\n" not in workflow.read_text()

    (project / "requirements.txt").write_text("scikit-learn\n")
    (project / "requirements-dev.txt").write_text("pytest\n")
    _, out, _ = run_main(["init", "--force"], capsys)
    assert ("The workflow installs your pipeline's dependencies from requirements.txt and dvc-s3, DVC's plugin for "
            "your remote. It does not install requirements-dev.txt: add them to its step if the stages need them.") in out
    assert "        run: python -m pip install -r requirements.txt dvc-s3\n" in workflow.read_text()



def test_a_default_branch_other_than_main_is_named_where_the_template_pushes(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_main(["init"], capsys)
    assert "Your default branch" not in out  # main, as the template says
    sh(project, "git", "branch", "-m", "main", "master")
    _, out, _ = run_main(["init"], capsys)
    steps = " ".join(out.split("Next steps:\n", 1)[1].split())
    assert ("Your default branch is 'master': put it in .github/workflows/mlci-pull-request.yml under "
            "`push: branches:` (it says main)") in steps
    _, out, _ = run_main(["init", "--workflow", "fork-safe"], capsys)
    assert "Your default branch" not in out  # the fork-safe pair does not run on pushes
    assert ("and fill it from the default branch only (`dvc push --run-cache`), never from a pull request"
            in " ".join(out.split()))

@pytest.mark.parametrize(("url", "says"), [
    (None, "No default DVC remote is set, so every pull request runs every stage again"),
    ("../dvc-storage", "The default DVC remote 'storage' is a local folder, which a GitHub runner cannot reach"),
    ("gs://acme-ml/churn", "The default DVC remote 'storage' is on Google Cloud Storage, but "
                           ".github/workflows/mlci-pull-request.yml passes AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY "
                           "(for S3) in the env of mlci's repro and report steps: DVC reads a key file (GOOGLE_APPLICATION_CREDENTIALS): "
                           "remove the AWS_* lines and add google-github-actions/auth"),
    ("azure://models/churn", "is on Azure Blob Storage, but .github/workflows/mlci-pull-request.yml passes "
                             "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (for S3) in the env of mlci's repro and report steps: replace the "
                             "AWS_* lines with AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"),
    ("ssh://user:hunter2@host/dvc", "is on ssh://, but"),
], ids=["none", "local", "gs", "azure", "ssh"])
def test_the_next_steps_follow_the_dvc_remote(project: Path, capsys: pytest.CaptureFixture[str],
                                              url: str | None, says: str) -> None:
    if url is not None:
        dvc(project, "remote", "add", "-d", "storage", url)
    code, out, _ = run_main(["init"], capsys)
    assert code == 0
    steps = " ".join(out.split("Next steps:\n", 1)[1].split())  # unwrapped
    assert says in steps
    assert "hunter2" not in out  # a URL's credentials are never printed
    if url is not None and url.startswith(("gs", "azure")):
        assert f"installs nothing for your stages but dvc-{url.split(':')[0]}:" in steps
    reachable = url is not None and "://" in url
    # Least privilege: read-only credentials for pull requests, write ones only in the default branch's environment.
    assert ("so they get read-only credentials of the DVC remote 'storage'" in steps) == reachable
    assert ("create the environment dvc-write (Settings > Environments), set its deployment branches to your "
            "default branch only" in steps) == reachable
    if url is None:
        assert "with write credentials that only the default branch gets" in steps


@pytest.mark.parametrize("url", ["s3://acme-ml/churn", "gs://acme-ml/churn", "azure://models/churn"])
def test_the_fork_safe_pair_gets_no_remote_credentials(project: Path, capsys: pytest.CaptureFixture[str],
                                                       url: str) -> None:
    dvc(project, "remote", "add", "-d", "storage", url)
    code, out, _ = run_main(["init", "--workflow", "fork-safe"], capsys)
    assert code == 0
    steps = " ".join(out.split("Next steps:\n", 1)[1].split())
    assert "DVC_READ_" not in steps and "DVC_WRITE_" not in steps
    assert "the DVC remote must be readable without credentials" in steps
    assert "Fill it from the default branch only, with write credentials kept in an environment (dvc-write" in steps
    for path in (project / ".github" / "workflows").iterdir():
        assert "secrets." not in path.read_text()


@pytest.mark.parametrize(("choice", "names"), [
    ("pull-request", ["mlci-pull-request.yml"]),
    ("fork-safe", ["mlci-publish.yml", "mlci-pull-request-fork-safe.yml"]),
    ("none", []),
])
def test_the_workflows_are_the_templates_byte_for_byte(
        project: Path, capsys: pytest.CaptureFixture[str], choice: str, names: list[str]) -> None:
    code, out, err = run_main(["init", "--workflow", choice], capsys)
    assert code == 0, err
    workflows = project / ".github" / "workflows"
    assert sorted(p.name for p in workflows.iterdir()) == names if names else not workflows.exists()
    for name in names:  # the templates, but for the step that installs the pipeline's dependencies
        assert (name == "mlci-publish.yml") == (written(name) == (TEMPLATES / name).read_text())
        assert (workflows / name).read_text() == written(name)
    if choice == "fork-safe":
        assert "mlci-publish.yml runs from the default branch" in out
        assert "AWS_ACCESS_KEY_ID" not in out  # the fork-safe pair uses no secrets
    if choice == "none":
        assert "Add a workflow" in out


def test_a_second_run_changes_nothing_and_says_so(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["init", "--workflow", "fork-safe"], capsys)[0] == 0
    before = snapshot(project)
    code, out, _ = run_main(["init", "--workflow", "fork-safe"], capsys)
    assert code == 0
    assert snapshot(project) == before
    assert out.splitlines()[:3] == [
        f"mlci: mlci.yaml {KEPT}",
        f"mlci: .github/workflows/mlci-pull-request-fork-safe.yml {KEPT}",
        f"mlci: .github/workflows/mlci-publish.yml {KEPT}",
    ]


def test_existing_files_are_kept_unless_force(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["init"], capsys)[0] == 0
    generated = (project / "mlci.yaml").read_bytes()
    workflow = project / ".github" / "workflows" / "mlci-pull-request.yml"
    (project / "mlci.yaml").write_text("version: 1\n")
    workflow.write_text("name: mine\n")

    code, out, _ = run_main(["init"], capsys)
    assert code == 0 and out.count(KEPT) == 2
    assert (project / "mlci.yaml").read_text() == "version: 1\n" and workflow.read_text() == "name: mine\n"

    code, out, _ = run_main(["init", "--force"], capsys)
    assert code == 0
    assert "mlci: overwrote mlci.yaml (3 gates for 3 metrics)\n" in out
    assert "mlci: overwrote .github/workflows/mlci-pull-request.yml\n" in out
    assert (project / "mlci.yaml").read_bytes() == generated
    assert workflow.read_text() == written("mlci-pull-request.yml")

    code, out, _ = run_main(["init", "--force"], capsys)
    assert code == 0 and "mlci: mlci.yaml is up to date, unchanged\n" in out
    assert not list(project.rglob(".*.tmp"))  # no temporary file left behind


def test_a_metrics_file_not_produced_yet_gets_a_hint_instead_of_gates(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "metrics.json").unlink()  # the pipeline never ran here
    code, out, err = run_main(["init"], capsys)
    assert code == 0, err
    assert "mlci: metrics.json has not been produced yet (its stage has not run here), so it has no gates" in out
    text = (project / "mlci.yaml").read_text()
    policy = load_policy(text)
    assert policy.metrics == ()
    assert "# No gates yet: metrics.json has not been produced yet" in text
    assert "mlci init --force" in text

    # Once it has run, --force writes its gates.
    write(project, "metrics.json", {"accuracy": 0.9})
    code, out, _ = run_main(["init", "--force"], capsys)
    assert code == 0 and "mlci: overwrote mlci.yaml (1 gate for 1 metric)" in out


def test_gates_for_the_produced_file_and_a_hint_for_the_other(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pipeline = yaml.safe_load((project / "dvc.yaml").read_text())
    pipeline["stages"]["evaluate"] = {"cmd": "python evaluate.py", "metrics": [{"eval/scores.json": {"cache": False}}]}
    write(project, "dvc.yaml", pipeline)
    code, _, err = run_main(["init"], capsys)
    assert code == 0, err
    text = (project / "mlci.yaml").read_text()
    assert {rule.pattern for rule in load_policy(text).metrics} == {"accuracy", "loss", "per_class.a.f1"}
    assert "  # eval/scores.json has not been produced yet" in text


def test_many_keys_of_one_shape_become_one_wildcard_gate(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    classes = {f"class_{i}": {"f1": 0.8, "precision": 0.7 + i / 1000, "support": 10 + i} for i in range(40)}
    write(project, "metrics.json", {"accuracy": 0.9, "val_loss": 0.2, "inference_time_ms": 3.5, "per_class": classes})
    commit(project, "many classes")
    code, out, err = run_main(["init"], capsys)
    assert code == 0, err
    assert "(6 gates for 123 metrics)" in out
    text = (project / "mlci.yaml").read_text()
    rules = {rule.pattern: rule for rule in load_policy(text).metrics}
    assert set(rules) == {"accuracy", "val_loss", "inference_time_ms", "per_class.*.f1", "per_class.*.precision",
                          "per_class.*.support"}
    assert rules["val_loss"].direction == "lower" and not rules["val_loss"].informational
    assert rules["inference_time_ms"].direction == "lower" and rules["inference_time_ms"].informational
    assert rules["per_class.*.support"].informational  # a count
    assert '"per_class.*.precision":  # 40 metrics: per_class.class_0.precision,' in text
    assert "    # min: 0.7\n" in text  # the lowest precision now

    commit(project, "mlci")
    code, out, err = run_main(["report", "--base", "HEAD", "--format", "json"], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["verdict"] == "pass" and len(report["gates"]) == 3 + 3 * 40


def test_metric_names_yaml_reads_as_line_breaks_give_a_policy_that_loads(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """U+2028 and U+0085 are line breaks to YAML: written raw into a quoted key or a comment, they
    made mlci init write a policy it could not load (exit 3). Each name is one gate, as written."""
    names = {"acc\u2028uracy": 0.9, "lo\x85ss": 0.2, "per_class": {f"c{i}\u2029x": {"f1": 0.5} for i in range(4)}}
    write(project, "metrics.json", names)
    commit(project, "odd names")
    code, out, err = run_main(["init"], capsys)
    assert code == 0, err
    text = (project / "mlci.yaml").read_text()
    assert not {"\u2028", "\u2029", "\x85"} & set(text)
    rules = {rule.pattern for rule in load_policy(text).metrics}
    assert rules == {"acc\u2028uracy", "lo\x85ss", "per_class.*.f1"}
    commit(project, "mlci")
    code, out, err = run_main(["report", "--base", "HEAD", "--format", "json"], capsys)
    assert code == 0, err
    assert json.loads(out)["verdict"] == "pass"


def test_a_project_in_a_subfolder_is_told_where_github_reads_workflows(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sub = project / "models" / "churn"
    write(sub, "dvc.yaml", {"metrics": ["scores.json"]})
    write(sub, "scores.json", {"auc": 0.8})
    code, out, err = run_main(["init", "models/churn"], capsys)
    assert code == 0, err
    assert "mlci: wrote models/churn/mlci.yaml (4 gates for 4 metrics)\n" in out  # every metrics file of the project
    assert "mlci: wrote models/churn/.github/workflows/mlci-pull-request.yml\n" in out
    assert "GitHub reads workflows only from" in out and "`working-directory: models/churn`" in out
    assert not (project / "mlci.yaml").exists()


def _assert_nothing_written(root: Path) -> None:
    assert not (root / "mlci.yaml").exists() and not (root / ".github").exists()


@pytest.mark.parametrize(("setup", "message"), [
    (lambda p: (p / "dvc.yaml").unlink(), "mlci: error: no dvc.yaml in .: run `dvc init` and define a pipeline first\n"),
    (lambda p: (p / "dvc.yaml").write_text("stages:\n  train: [\n"), "mlci: error: dvc.yaml:3: not valid YAML: "),
    (lambda p: (p / "dvc.yaml").write_text("stages:\n  train:\n    cmdd: x\n"),
     "mlci: error: dvc.yaml: not a valid DVC pipeline: extra keys not allowed at stages.train.cmdd"),
    (lambda p: shutil.rmtree(p / ".dvc"), "not a DVC project (no .dvc/ here or above); run `dvc init`\n"),
    (lambda p: (p / ".github").write_text("a file"), "mlci: error: .github/workflows/mlci-pull-request.yml: cannot create it"),
    (lambda p: (p / "mlci.yaml").mkdir(), "mlci: error: mlci.yaml: is a directory, not a file\n"),
], ids=["no-dvc-yaml", "dvc-yaml-not-yaml", "dvc-yaml-not-a-pipeline", "not-dvc", "github-is-a-file", "policy-is-a-dir"])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
        project: Path, capsys: pytest.CaptureFixture[str], setup: object, message: str) -> None:
    setup(project)  # type: ignore[operator]
    code, out, err = run_main(["init"], capsys)
    assert code == 2
    assert message in err and err.count("\n") == 1 and err.startswith("mlci: error: ")
    assert out == ""
    assert not (project / "mlci.yaml").is_file()
    assert not (project / ".github" / "workflows").exists()


def test_a_missing_directory_is_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(["init", "nowhere"], capsys)
    assert (code, err) == (2, "mlci: error: nowhere: no such directory\n")
    (tmp_path / "afile").write_text("")
    code, _, err = run_main(["init", "afile"], capsys)
    assert (code, err) == (2, "mlci: error: afile: not a directory\n")
    code, _, err = run_main(["init", "--workflow", "both"], capsys)
    assert code == 2 and "Invalid value for '--workflow'" in err


def test_help_lists_init() -> None:
    proc = subprocess.run([sys.executable, "-m", "mlci", "--help"], capture_output=True, text=True, check=True)
    assert "mlci init" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "mlci", "init", "--help"], capture_output=True, text=True, check=True)
    assert "--workflow [pull-request|fork-safe|none]" in proc.stdout and "--force" in proc.stdout


def test_a_real_process_from_another_directory(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "mlci", "init", str(project)], cwd=elsewhere, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert f"mlci: wrote {project / 'mlci.yaml'} (3 gates for 3 metrics)" in proc.stdout
    assert (project / ".github" / "workflows" / "mlci-pull-request.yml").read_text() == written("mlci-pull-request.yml")
    proc = subprocess.run([sys.executable, "-m", "mlci", "init", str(elsewhere)], cwd=elsewhere, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr == f"mlci: error: no dvc.yaml in {elsewhere}: run `dvc init` and define a pipeline first\n"


@pytest.mark.slow
def test_the_demo_project_after_dvc_repro(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The example project, its pipeline run for real: the starter policy gates every metric it produced."""
    path = tmp_path / "demo"
    shutil.copytree(DEMO, path, ignore=shutil.ignore_patterns("mlci.yaml", "__pycache__"))
    sh(path, "git", "init", "-q", "-b", "main")
    dvc(path, "init", "-q")
    dvc(path, "repro", "-q")
    commit(path, "pipeline")
    monkeypatch.chdir(path)
    code, out, err = run_main(["init"], capsys)
    assert code == 0, err
    rules = {rule.pattern: rule for rule in load_policy((path / "mlci.yaml").read_text()).metrics}
    assert {"accuracy", "roc_auc", "log_loss", "per_class.*.f1", "per_class.*.support", "n_test"} <= set(rules)
    assert rules["log_loss"].direction == "lower"
    assert rules["n_test"].informational and rules["per_class.*.support"].informational

    commit(path, "mlci")
    code, out, err = run_main(["report", "--base", "HEAD", "--format", "json"], capsys)
    assert code == 0, err
    report = json.loads(out)
    metrics = {row["key"] for row in report["metrics"]}
    assert report["verdict"] == "pass"
    assert {g["subject"] for g in report["gates"]} == metrics  # one gate for every metric, none for another


def test_init_never_writes_through_a_link(project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A repository can commit a link where mlci init writes: `--force` refuses it, and the file
    it points to is untouched."""
    victim = tmp_path / "victim.yaml"
    victim.write_text("precious\n")
    (project / "mlci.yaml").symlink_to(victim)
    code, _, err = run_main(["init", "--force"], capsys)
    assert code == 2 and "mlci.yaml: cannot write it:" in err and "is a symbolic link" in err
    assert len(err.strip().splitlines()) == 1 and victim.read_text() == "precious\n"
