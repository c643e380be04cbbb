"""The files DVC parses, read first within mlci's limits.

DVC reads a project's dvc.yaml, dvc.lock and .dvc files, and the params, vars, metrics and
plots files they name, with ruamel.yaml and json and no limits of its own. In a pull request
every one of them is the PR author's: a 300-byte alias bomb in params.yaml had DVC's templating
take gigabytes and minutes (it converts some 20,000 values a second: 111,000 took 6 s here).
So before DVC reads a revision (the work tree, the base, the head), :func:`guard` reads each of
those files the way mlci reads any hostile file: YAML within :mod:`mlci.yamlfile`'s limits,
JSON within :mod:`mlci.safeload`'s, a regular file of a bounded size, never through a symlink
out of the repository. A file beyond them is one line naming it (a ConfigError, exit 2). A
file that is merely invalid is left to DVC, which reports it as that file's problem.

Which files: every dvc.yaml, dvc.lock and ``*.dvc`` of the tree; each params.yaml beside a
dvc.yaml or in a stage's wdir (DVC reads it by default); and the files a dvc.yaml names under
``vars``, ``params``, ``metrics`` and ``plots``, at its top and in every stage. A name DVC
would template (``metrics/${item}.json``) stands for every file it could be: each ``${…}``
matches anything. TOML and Python params files are held to the size alone (neither has
aliases), and plots only in JSON or YAML are parsed here (CSV and images are not YAML).

Written by hand: the limits are mlci's (yamlfile, safeload), and which files DVC will read is
a few rules of dvc.yaml's schema; no library answers "what would DVC parse" before it does.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlci import git
from mlci.errors import ConfigError
from mlci.safeload import load_json, read_bytes
from mlci.yamlfile import LOCK_LIMITS, BeyondLimits, Limits, load_yaml

# dvc.yaml, params, vars and metrics in YAML: hand-written, a few hundred values in real projects;
# at 100,000 values DVC's templating still answers within about 5 s.
PIPELINE_LIMITS = Limits(bytes=4_000_000, depth=64, nodes=100_000)
JSON_BYTES = 64_000_000  # metrics and plots in JSON, as large as a bundle's report.json may be
OTHER_BYTES = 4_000_000  # params in TOML or Python

_TEMPLATE = re.compile(r"\$\{[^}]*\}")
_STAGE_LISTS = ("params", "metrics", "plots")


@dataclass(frozen=True)
class _Named:
    """A file a dvc.yaml names: its pattern (from the repository root) and what DVC reads it as."""

    pattern: str
    kind: str  # "params" (and vars), "metrics" or "plots"


def guard(root: str | Path, rev: str | None) -> None:
    """Read, within mlci's limits, every file DVC parses in the project at ``root`` at commit
    ``rev`` (None: the work tree); ConfigError naming the first file beyond them."""
    tree = _Tree.at(Path(root), rev)
    pipelines = [p for p in tree.paths if posixpath.basename(p) == "dvc.yaml"]
    locks = [p for p in tree.paths if posixpath.basename(p) == "dvc.lock" or p.endswith(".dvc")]
    named: dict[str, str] = {}
    for path, text in tree.read(pipelines, PIPELINE_LIMITS.bytes):
        data = _check_yaml(text, tree.shown(path), PIPELINE_LIMITS)
        for item in _named_by(path, data):
            for match in tree.matching(item.pattern):
                named.setdefault(match, item.kind)
    for path, text in tree.read(locks, LOCK_LIMITS.bytes):
        _check_yaml(text, tree.shown(path), LOCK_LIMITS)
    for kind, check, limit in _CHECKS:
        chosen = [path for path, k in named.items() if kind(k, path)]
        for path, text in tree.read(chosen, limit):
            check(text, tree.shown(path))


def _check_yaml(text: str | None, shown: str, limits: Limits) -> Any:
    """The data of a YAML file DVC will read: BeyondLimits raised, anything merely invalid (or
    not UTF-8, ``None``) left to DVC's own message."""
    if text is None:
        return None
    try:
        return load_yaml(text, shown, limits)
    except BeyondLimits:
        raise
    except ConfigError:
        return None


def _check_json(text: str | None, shown: str) -> None:
    if text is not None:
        try:
            load_json(text, shown, error=_Invalid, beyond=ConfigError, max_bytes=JSON_BYTES)
        except _Invalid:
            pass


class _Invalid(Exception):
    """JSON DVC will report as the file's problem."""


def _suffix(path: str) -> str:
    return posixpath.splitext(path)[1].lower()


def _is_yaml(kind: str, path: str) -> bool:
    return _suffix(path) in (".yaml", ".yml") if kind == "plots" else _suffix(path) not in (
        ".json", ".toml", ".py", ".csv", ".tsv")


def _is_json(kind: str, path: str) -> bool:
    return _suffix(path) == ".json"


def _is_other(kind: str, path: str) -> bool:
    return kind == "params" and _suffix(path) in (".toml", ".py")


# Which named files are read how: (chooser, check, size limit).
_CHECKS: tuple[tuple[Callable[[str, str], bool], Callable[[str | None, str], Any], int], ...] = (
    (_is_yaml, lambda text, shown: _check_yaml(text, shown, PIPELINE_LIMITS), PIPELINE_LIMITS.bytes),
    (_is_json, _check_json, JSON_BYTES),
    (_is_other, lambda text, shown: None, OTHER_BYTES),
)


def _named_by(path: str, data: Any) -> Iterator[_Named]:
    """The files the dvc.yaml at ``path`` (from the repository root) names, as DVC resolves them:
    top-level entries from its folder, a stage's from its wdir. Shapes DVC would refuse are skipped
    (DVC says what is wrong with them)."""
    folder = posixpath.dirname(path)
    yield _Named(_join(folder, "params.yaml"), "params")
    if not isinstance(data, dict):
        return
    yield from _entries(folder, data.get("vars"), "params", strings="file:keys")
    for kind in _STAGE_LISTS:  # at the top, a params entry is a file
        yield from _entries(folder, data.get(kind), kind, strings="file")
    stages = data.get("stages")
    for stage in stages.values() if isinstance(stages, dict) else ():
        body = stage.get("do", stage) if isinstance(stage, dict) else None  # foreach: the body is `do`
        if not isinstance(body, dict):
            continue
        wdir = body.get("wdir")
        where = _join(folder, wdir) if isinstance(wdir, str) else folder
        yield _Named(_join(where, "params.yaml"), "params")
        yield from _entries(where, body.get("vars"), "params", strings="file:keys")
        for kind in _STAGE_LISTS:  # in a stage, a params string is a key of params.yaml
            yield from _entries(where, body.get(kind), kind, strings="key" if kind == "params" else "file")


def _entries(folder: str, value: Any, kind: str, *, strings: str) -> Iterator[_Named]:
    """Each file of a list DVC reads as ``kind``. A string is a file, a ``file:keys`` (vars) or a
    key of the default params.yaml, as ``strings`` says; a mapping's keys are files (but in vars,
    where a mapping is the values themselves), and a plot's ``x`` and ``y`` may name more."""
    if isinstance(value, dict) and kind == "plots":  # top-level plots may be one mapping
        value = [value]
    for entry in value if isinstance(value, list) else ():
        names: list[Any] = []
        if isinstance(entry, str) and strings != "key":
            names = [entry.rsplit(":", 1)[0] if strings == "file:keys" else entry]
        elif isinstance(entry, dict) and strings != "file:keys":
            names = [*entry]
            if kind == "plots":
                names += [file for spec in entry.values() if isinstance(spec, dict)
                          for axis in ("x", "y") if isinstance(spec.get(axis), dict) for file in spec[axis]]
        for name in names:
            if isinstance(name, str) and name:
                yield _Named(_join(folder, name), kind)


def _join(folder: str, name: str) -> str:
    return posixpath.normpath(posixpath.join(folder, name))


class _Tree:
    """The repository's files at a commit (git's tree and blobs) or in the work tree (the disk)."""

    def __init__(self, top: Path, rev: str | None, files: list[git.TreeFile]) -> None:
        self.top, self.rev = top, rev
        self.files = {f.path: f for f in files}
        self.paths = sorted(self.files)

    @classmethod
    def at(cls, root: Path, rev: str | None) -> _Tree:
        top = git.toplevel(root)
        prefix = Path(root).resolve().relative_to(top.resolve()).as_posix()
        files = git.tree_files(top, rev)
        if prefix != ".":
            files = [f for f in files if f.path.startswith(f"{prefix}/")]
        return cls(top, rev, files)

    def shown(self, path: str) -> str:
        return path if self.rev is None else f"{path} (at {self.rev[:7]})"

    def matching(self, pattern: str) -> list[str]:
        """The files ``pattern`` names: itself, the files under it (a folder of metrics or plots),
        or, templated, every file it could be. In the work tree, outputs git ignores count too."""
        if pattern == ".." or pattern.startswith("../") or pattern.startswith("/"):
            return []  # outside the repository: DVC refuses it
        glob = _TEMPLATE.sub("*", fnmatch_escape(pattern)) if _TEMPLATE.search(pattern) else None
        if self.rev is None:
            if glob is None:
                found = self.top / pattern
                inside = found.resolve() == self.top.resolve() or self.top.resolve() in found.resolve().parents
                if found.is_dir() and inside:
                    return [p.relative_to(self.top).as_posix() for p in sorted(found.rglob("*")) if not p.is_dir()]
                return [pattern]  # a file, missing, or a link out of the repository (refused when read)
            # Not only regular files: a FIFO or a link to a device is refused when read, not skipped.
            return [p.relative_to(self.top).as_posix() for p in sorted(self.top.glob(glob)) if not p.is_dir()]
        if glob is not None:
            return [p for p in self.paths if fnmatch.fnmatchcase(p, glob)]
        return [p for p in self.paths if p == pattern or p.startswith(f"{pattern}/")]

    def read(self, paths: list[str], limit: int) -> Iterator[tuple[str, str | None]]:
        """Each file's text (None when it is not UTF-8: DVC says so); ConfigError for one larger
        than ``limit``, or not a regular file in the work tree. Missing files are skipped."""
        if self.rev is None:
            for path in paths:
                try:
                    data = read_bytes(self.top / path, limit, error=ConfigError, within=self.top, shown=path)
                except FileNotFoundError:
                    continue
                yield path, _text(data)
            return
        chosen = [self.files[p] for p in paths if p in self.files]
        for file in chosen:
            if (file.size or 0) > limit:
                raise ConfigError(f"{self.shown(file.path)}: {file.size:,} bytes, more than the {limit:,} mlci reads")
        blobs = git.read_blobs(self.top, [f.blob or "" for f in chosen])
        for file, data in zip(chosen, blobs):
            yield file.path, _text(data)


def fnmatch_escape(pattern: str) -> str:
    """``pattern`` with fnmatch's and glob's special characters taken literally."""
    return re.sub(r"([*?\[])", r"[\1]", pattern)


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
