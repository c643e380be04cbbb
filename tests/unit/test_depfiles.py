"""Which dependency files a repository has, and the step that installs them (what `mlci init` writes)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlci import depfiles
from mlci.depfiles import Dependencies, commands, find, step, with_step
from mlci.errors import MlciError

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "workflows-templates"


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


PYPROJECT_DEPS = '[project]\nname = "churn"\nversion = "0"\ndependencies = ["scikit-learn"]\n'
PACKAGE = PYPROJECT_DEPS + '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'


@pytest.mark.parametrize(("files", "expected"), [
    ({}, Dependencies("none")),
    ({"requirements.txt": "x"}, Dependencies("requirements", ("requirements.txt",))),
    ({"requirements-dev.txt": "x", "requirements.txt": "x", "requirements/docs.txt": "x"},
     Dependencies("requirements", ("requirements.txt",), ("requirements-dev.txt", "requirements/docs.txt"))),
    ({"requirements/dev.txt": "x", "requirements/base.txt": "x"},
     Dependencies("requirements", ("requirements/base.txt",), ("requirements/dev.txt",))),
    ({"requirements-test.txt": "x", "requirements-ml.txt": "x"},
     Dependencies("requirements", ("requirements-ml.txt",), ("requirements-test.txt",))),
    ({"pyproject.toml": PYPROJECT_DEPS}, Dependencies("pyproject", ("pyproject.toml",))),
    ({"pyproject.toml": PACKAGE}, Dependencies("package", ("pyproject.toml",))),
    ({"pyproject.toml": "[tool.black]\nline-length = 100\n"}, Dependencies("none")),  # a tool's settings only
    ({"pyproject.toml": PYPROJECT_DEPS, "uv.lock": "version = 1\n"}, Dependencies("uv", ("uv.lock",))),
    ({"pyproject.toml": "[tool.poetry]\n", "poetry.lock": "", "requirements.txt": "x"},
     Dependencies("poetry", ("poetry.lock",), ("requirements.txt",))),
    ({"Pipfile": "", "Pipfile.lock": "{}"}, Dependencies("pipenv", ("Pipfile.lock",))),
    ({"environment.yml": "name: ml\n"}, Dependencies("conda", ("environment.yml",))),
    ({"environment.yml": "name: ml\n", "requirements.txt": "x"},
     Dependencies("requirements", ("requirements.txt",), ("environment.yml",))),
    # A requirements file outranks pyproject.toml, which is then not even read.
    ({"pyproject.toml": "not = [toml", "requirements.txt": "x"},
     Dependencies("requirements", ("requirements.txt",), ("pyproject.toml",))),
], ids=["none", "requirements", "several-requirements", "requirements-folder", "not-the-tooling", "pyproject",
        "package", "tool-settings-only", "uv-lock", "poetry-first", "pipenv", "conda", "requirements-over-conda",
        "pyproject-not-read"])
def test_which_file_is_installed(tmp_path: Path, files: dict[str, str], expected: Dependencies) -> None:
    assert find(tree(tmp_path, files)) == expected


def test_the_projects_folder_first_then_the_repositorys(tmp_path: Path) -> None:
    tree(tmp_path, {"requirements.txt": "x", "ml/dvc.yaml": "", "ml/uv.lock": "", "ml/pyproject.toml": PYPROJECT_DEPS})
    assert find(tmp_path / "ml", tmp_path) == Dependencies("uv", ("ml/uv.lock",), folder="ml")
    tree(tmp_path, {"other/dvc.yaml": ""})
    assert find(tmp_path / "other", tmp_path) == Dependencies("requirements", ("requirements.txt",))


def test_an_unreadable_pyproject_that_decides_is_one_line(tmp_path: Path) -> None:
    tree(tmp_path, {"pyproject.toml": '[project]\nname = "x"\ndependencies = [\n  "a",\n  oops\n]\n'})
    with pytest.raises(MlciError) as error:
        find(tmp_path)
    assert str(error.value).startswith("pyproject.toml:5: invalid TOML: ")
    assert "\n" not in str(error.value)
    (tmp_path / "pyproject.toml").write_bytes(b"[project]\nname = '\xff'\n")
    with pytest.raises(MlciError, match=r"^pyproject\.toml: not UTF-8 text$"):
        find(tmp_path)


@pytest.mark.parametrize(("deps", "plugin", "lines"), [
    (Dependencies("none"), None, []),
    (Dependencies("none"), "dvc-s3", ["python -m pip install dvc-s3"]),
    (Dependencies("requirements", ("requirements/base.txt",)), "dvc-gs",
     ["python -m pip install -r requirements/base.txt dvc-gs"]),
    (Dependencies("package", ("pyproject.toml",)), None, ["python -m pip install ."]),
    (Dependencies("pyproject", ("ml/pyproject.toml",), folder="ml"), "dvc-s3",
     ["python -m pip install uv", 'python -m uv pip install --python "$(command -v python)" -r pyproject.toml dvc-s3']),
    (Dependencies("uv", ("uv.lock",)), "dvc-s3",
     ["python -m pip install uv",
      'python -m uv export --frozen --no-emit-project --output-file "$RUNNER_TEMP/requirements.txt"',
      'python -m pip install -r "$RUNNER_TEMP/requirements.txt"', "python -m pip install dvc-s3"]),
    (Dependencies("poetry", ("poetry.lock",)), None,
     ["python -m pip install poetry", "poetry config virtualenvs.create false", "poetry install --no-root --no-interaction"]),
    (Dependencies("pipenv", ("Pipfile.lock",)), None, ["python -m pip install pipenv", "pipenv install --system --deploy"]),
    (Dependencies("conda", ("environment.yml",)), None, []),
])
def test_the_commands(deps: Dependencies, plugin: str | None, lines: list[str]) -> None:
    assert commands(deps, plugin) == lines


def job_steps(text: str) -> list[dict[str, object]]:
    workflow = yaml.safe_load(text)
    return [s for job in workflow["jobs"].values() for s in job["steps"]]


@pytest.mark.parametrize("name", ["mlci-pull-request.yml", "mlci-pull-request-fork-safe.yml"])
def test_the_templates_step_is_replaced_in_place(name: str) -> None:
    shipped = (TEMPLATES / name).read_text()
    assert shipped.count(depfiles.TEMPLATE_STEP) == 1
    before = job_steps(shipped)
    index = next(i for i, s in enumerate(before) if s.get("name") == depfiles.STEP_NAME)

    uv = job_steps(with_step(shipped, Dependencies("uv", ("ml/uv.lock",), folder="ml"), "dvc-s3"))
    assert uv[:index] + uv[index + 1:] == before[:index] + before[index + 1:]
    assert uv[index] == {"name": depfiles.STEP_NAME, "working-directory": "ml",
                         "run": "\n".join(commands(Dependencies("uv", ("ml/uv.lock",), folder="ml"), "dvc-s3")) + "\n"}

    nothing = with_step(shipped, Dependencies("none"), None)
    assert job_steps(nothing) == before[:index] + before[index + 1:]  # no step reads a missing file
    assert "# No dependency file was found (requirements*.txt" in nothing


def test_a_template_without_the_step_is_unchanged() -> None:
    publish = (TEMPLATES / "mlci-publish.yml").read_text()
    assert with_step(publish, Dependencies("requirements", ("requirements.txt",)), "dvc-s3") == publish


def test_the_step_says_where_its_dependencies_come_from() -> None:
    assert step(Dependencies("requirements", ("requirements.txt",)), None) == (
        "      # Your pipeline's dependencies, from requirements.txt (written by `mlci init`).\n"
        "      - name: Install the pipeline's dependencies\n"
        "        run: python -m pip install -r requirements.txt\n\n")
    conda = step(Dependencies("conda", ("environment.yml",)), "dvc-s3")
    assert "environment.yml is a conda environment, which mlci does not set up" in conda
    assert conda.endswith("        run: python -m pip install dvc-s3\n\n")
