"""What a commit's model was built from: the hashes DVC recorded for every dependency and output.

Read from the commit itself (git's blobs of every dvc.lock and ``.dvc`` file, within the lock's
limits), not from the work tree: a release describes the commit it tags, and the hash of an
artifact at its latest version's commit is what says whether it changed since.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlci import git
from mlci.yamlfile import LOCK_LIMITS, load_yaml

HASH_FIELDS = ("md5", "etag", "checksum")  # DVC's local, cloud and older hash names


@dataclass(frozen=True)
class Entry:
    """A dependency or output DVC recorded: its path from the repository root, its hash."""

    path: str
    hash: str
    role: str  # "dep", "out" (a stage's), or "tracked" (a .dvc file's)
    stage: str | None = None


def entries(root: str | Path, commit: str) -> list[Entry]:
    """Every dependency and output that the dvc.lock and ``.dvc`` files at ``commit`` record."""
    files = [f for f in git.tree_files(root, commit)
             if posixpath.basename(f.path) == "dvc.lock" or f.path.endswith(".dvc")]
    found: list[Entry] = []
    for file, data in zip(files, git.read_blobs(root, [f.blob or "" for f in files])):
        text = data.decode("utf-8", "replace")
        parsed = load_yaml(text, f"{file.path} (at {commit[:7]})", LOCK_LIMITS)
        folder = posixpath.dirname(file.path)
        if posixpath.basename(file.path) == "dvc.lock":
            found += _from_lock(parsed, folder)
        else:
            found += [_entry(out, folder, "tracked", None) for out in _items(parsed, "outs")]
    return [e for e in found if e.path and e.hash]


def content_hash(found: list[Entry], path: str) -> str | None:
    """The hash DVC recorded for ``path`` as an output (a stage's or a .dvc file's)."""
    wanted = posixpath.normpath(path)
    return next((e.hash for e in found if e.role != "dep" and e.path == wanted), None)


def _from_lock(data: Any, folder: str) -> list[Entry]:
    stages = data.get("stages") if isinstance(data, dict) else None
    out: list[Entry] = []
    for name, stage in (stages or {}).items() if isinstance(stages, dict) else ():
        if not isinstance(stage, dict):
            continue
        wdir = posixpath.join(folder, str(stage.get("wdir") or "."))
        out += [_entry(item, wdir, "dep", str(name)) for item in _items(stage, "deps")]
        out += [_entry(item, wdir, "out", str(name)) for item in _items(stage, "outs")]
    return out


def _items(data: Any, key: str) -> list[dict[str, Any]]:
    items = data.get(key) if isinstance(data, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _entry(item: dict[str, Any], folder: str, role: str, stage: str | None) -> Entry:
    path = item.get("path")
    value = next((item[f] for f in HASH_FIELDS if isinstance(item.get(f), str)), "")
    where = posixpath.normpath(posixpath.join(folder, path)) if isinstance(path, str) else ""
    return Entry(where, value, role, stage)


def summary(found: list[Entry]) -> tuple[Entry, ...]:
    """Each path once: the outputs (a stage's, a .dvc file's), then the inputs no stage produces
    (the raw data and the code), each in the order the files record them."""
    produced: dict[str, Entry] = {}
    for entry in found:
        if entry.role != "dep":
            produced.setdefault(entry.path, entry)
    inputs: dict[str, Entry] = {}
    for entry in found:
        if entry.role == "dep" and entry.path not in produced:
            inputs.setdefault(entry.path, entry)
    return (*produced.values(), *inputs.values())
