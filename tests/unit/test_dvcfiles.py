"""dvcfiles: every file DVC parses is read first within mlci's limits, in the work tree and at a commit.

Real git repositories; each case puts an alias bomb where a dvc.yaml makes DVC read it, and
checks that the guard names that file, and that it leaves alone what DVC will not parse."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlci.dvcfiles import guard
from mlci.errors import ConfigError
from tests.repo_helpers import commit, sh, write

BOMB = "".join([f"a0: &a0 [{', '.join(['x'] * 10)}]\n",
                *(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 7))])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    sh(tmp_path, "git", "init", "-q", "-b", "main")
    return tmp_path


def refused(repo: Path, rev: str | None, needle: str) -> None:
    with pytest.raises(ConfigError, match="once its aliases are expanded") as exc:
        guard(repo, rev)
    assert str(exc.value).startswith(needle), exc.value


PIPELINES = {
    "the default params.yaml": ({"stages": {"t": {"cmd": "x", "params": ["a.b"]}}}, "params.yaml"),
    "params.yaml in a stage's wdir": ({"stages": {"t": {"cmd": "x", "wdir": "sub"}}}, "sub/params.yaml"),
    "a stage's params file": ({"stages": {"t": {"cmd": "x", "params": [{"conf/p.yaml": ["k"]}]}}}, "conf/p.yaml"),
    "a top-level params file": ({"params": ["extra.yml"], "stages": {}}, "extra.yml"),
    "a vars file with keys": ({"vars": ["conf/v.yaml:a,b"], "stages": {}}, "conf/v.yaml"),
    "a stage's vars file": ({"stages": {"t": {"cmd": "x", "vars": ["v.yaml"]}}}, "v.yaml"),
    "a metrics file by another suffix": ({"stages": {"t": {"cmd": "x", "metrics": ["m.txt"]}}}, "m.txt"),
    "a metrics file with options": ({"stages": {"t": {"cmd": "x", "metrics": [{"m.yaml": {"cache": False}}]}}},
                                    "m.yaml"),
    "a top-level metrics file": ({"metrics": ["eval/m.yaml"]}, "eval/m.yaml"),
    "a file in a metrics folder": ({"stages": {"t": {"cmd": "x", "metrics": ["eval"]}}}, "eval/deep/m.yaml"),
    "a templated metrics file": ({"stages": {"t": {"foreach": ["a", "b"], "do": {"cmd": "x",
                                                                                 "metrics": ["m/${item}.yaml"]}}}},
                                 "m/b.yaml"),
    "a plot's y file": ({"plots": [{"curve": {"x": "step", "y": {"logs/loss.yaml": "loss"}}}]}, "logs/loss.yaml"),
    "a nested dvc.yaml's params": ({}, "sub/params.yaml"),
}


@pytest.mark.parametrize("case", sorted(PIPELINES))
@pytest.mark.parametrize("at_commit", [False, True], ids=["work tree", "commit"])
def test_a_bomb_wherever_dvc_yaml_makes_dvc_read_it(repo: Path, case: str, at_commit: bool) -> None:
    pipeline, bombed = PIPELINES[case]
    write(repo, "sub/dvc.yaml" if not pipeline else "dvc.yaml", pipeline or {"stages": {}})
    write(repo, bombed, BOMB)
    sha = commit(repo, "the PR") if at_commit else None
    refused(repo, sha, f"{bombed} (at {sha[:7]})" if sha else bombed)


@pytest.mark.parametrize("name", ["dvc.yaml", "dvc.lock", "data/raw.csv.dvc"])
def test_the_pipeline_files_themselves(repo: Path, name: str) -> None:
    write(repo, name, BOMB)
    refused(repo, None, name)


def test_a_bomb_dvc_never_reads_is_not_mlcis_business(repo: Path) -> None:
    write(repo, "dvc.yaml", {"stages": {"t": {"cmd": "x", "plots": ["images/roc.png"], "outs": ["out.yaml"]}}})
    write(repo, "out.yaml", BOMB)  # an output, not metrics: DVC hashes it, never parses it
    write(repo, "notes/other.yaml", BOMB)
    write(repo, "images/roc.png", BOMB)
    guard(repo, None)
    guard(repo, commit(repo, "c"))


def test_invalid_files_are_left_to_dvc_which_names_their_problem(repo: Path) -> None:
    write(repo, "dvc.yaml", {"stages": {"t": {"cmd": "x", "metrics": ["m.json", "n.yaml"]}}})
    write(repo, "m.json", "{not json")
    write(repo, "n.yaml", "a: [unclosed\n")
    (repo / "params.yaml").write_bytes(b"a: \xff\n")
    guard(repo, None)
    guard(repo, commit(repo, "c"))


@pytest.mark.parametrize(("content", "needle"), [
    ("[" * 900 + "]" * 900, "m.json: nested more than 64 levels deep"),
    ('{"a": ' + "9" * 5000 + "}", "m.json: not valid JSON here: a number of 5,000 characters"),
])
def test_json_beyond_the_limits(repo: Path, content: str, needle: str) -> None:
    write(repo, "dvc.yaml", {"stages": {"t": {"cmd": "x", "metrics": ["m.json"]}}})
    write(repo, "m.json", content)
    with pytest.raises(ConfigError, match=needle):
        guard(repo, None)


@pytest.mark.parametrize("at_commit", [False, True], ids=["work tree", "commit"])
def test_a_file_too_large_is_not_read(repo: Path, at_commit: bool) -> None:
    """TOML has no aliases: its size is all there is to check (at a commit, before reading the blob)."""
    write(repo, "dvc.yaml", {"stages": {"t": {"cmd": "x", "params": [{"p.toml": ["a"]}]}}})
    write(repo, "p.toml", "a = 1\n" + "#" * 4_000_000)
    sha = commit(repo, "c") if at_commit else None
    shown = rf"p.toml \(at {sha[:7]}\)" if sha else "p.toml"
    with pytest.raises(ConfigError, match=rf"^{shown}: 4,000,006 bytes, more than the 4,000,000"):
        guard(repo, sha)


def test_a_fifo_or_a_link_to_a_device_is_refused_not_waited_on(repo: Path) -> None:
    write(repo, "dvc.yaml", {"stages": {"t": {"foreach": [1], "do": {"cmd": "x", "metrics": ["m/${item}.json"]}}}})
    (repo / "m").mkdir()
    os.mkfifo(repo / "m" / "1.json")
    with pytest.raises(ConfigError, match=r"^m/1.json: not a regular file \(a FIFO\)"):
        guard(repo, None)
    (repo / "m" / "1.json").unlink()
    (repo / "params.yaml").symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match=r"^params.yaml: a symlink to /dev/zero, outside"):
        guard(repo, None)


def test_a_project_in_a_subfolder_reads_only_its_own_files(repo: Path) -> None:
    write(repo, "other/dvc.yaml", BOMB)
    write(repo, "project/dvc.yaml", {"stages": {}})
    write(repo, "project/params.yaml", "a: 1\n")
    guard(repo / "project", None)
    guard(repo / "project", commit(repo, "c"))
    write(repo, "project/params.yaml", BOMB)
    refused(repo / "project", None, "project/params.yaml")
