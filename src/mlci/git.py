"""Every git command mlci runs: small typed functions over :func:`mlci.proc.run`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mlci.errors import CommandFailed, GitError
from mlci.release.records import AnnotatedTag
from mlci.proc import clean_git_env, run, run_bytes

SHALLOW_HINT = (
    "the clone is shallow; check out with `fetch-depth: 0` "
    "(actions/checkout) so that the base revision is present"
)


def _git(cwd: str | Path, *args: str, check: bool = True) -> tuple[int, str, str]:
    return run(["git", *args], cwd=cwd, env=clean_git_env(), check=check)


def command(cwd: str | Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """``git ARGS`` in ``cwd`` (with ``env``'s variables added, e.g. an identity), its output stripped;
    CommandFailed when git fails. For building repositories (the demo); the queries have their own functions."""
    full = clean_git_env()
    full.update(env or {})
    return run(["git", *args], cwd=cwd, env=full)[1].strip()


def toplevel(cwd: str | Path) -> Path:
    """The root of the work tree containing ``cwd``."""
    code, out, _ = _git(cwd, "rev-parse", "--show-toplevel", check=False)
    if code != 0:
        raise GitError(f"{Path(cwd).resolve()}: not a git repository")
    return Path(out.strip())


def is_shallow(cwd: str | Path) -> bool:
    _, out, _ = _git(cwd, "rev-parse", "--is-shallow-repository", check=False)
    return out.strip() == "true"


def has_commits(cwd: str | Path) -> bool:
    code, _, _ = _git(cwd, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
    return code == 0


def try_rev_parse(cwd: str | Path, rev: str) -> str | None:
    """The commit SHA ``rev`` names, or None when it names no commit here."""
    if rev.startswith("-"):
        return None
    code, out, _ = _git(cwd, "rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}", check=False)
    return out.strip() if code == 0 else None


def rev_parse(cwd: str | Path, rev: str) -> str:
    """The commit SHA ``rev`` names; a clear error when it names none."""
    sha = try_rev_parse(cwd, rev)
    if sha is not None:
        return sha
    if is_shallow(cwd):
        raise GitError(f"revision '{rev}' is not in this clone: {SHALLOW_HINT}")
    raise GitError(f"unknown revision '{rev}'")


def first_parent(cwd: str | Path, rev: str = "HEAD") -> str:
    sha = try_rev_parse(cwd, f"{rev}^1")
    if sha is not None:
        return sha
    if is_shallow(cwd):
        raise GitError(f"the parent of {rev} is not in this clone: {SHALLOW_HINT}")
    raise GitError(f"{rev} has no parent commit to compare with; pass --base REV")


def merge_base(cwd: str | Path, a: str, b: str) -> str:
    try:
        _, out, _ = _git(cwd, "merge-base", a, b)
    except CommandFailed as exc:
        if is_shallow(cwd):
            raise GitError(f"no common ancestor of {a} and {b} in this clone: {SHALLOW_HINT}") from exc
        raise GitError(f"{a} and {b} have no common ancestor; pass --base REV") from exc
    return out.strip()


def default_branch(cwd: str | Path) -> str | None:
    """The default branch as a revision: origin/HEAD, then main, then master."""
    code, out, _ = _git(cwd, "symbolic-ref", "-q", "refs/remotes/origin/HEAD", check=False)
    if code == 0 and out.strip():
        return out.strip().removeprefix("refs/remotes/")
    for name in ("main", "master", "origin/main", "origin/master"):
        if try_rev_parse(cwd, name) is not None:
            return name
    return None


def current_branch(cwd: str | Path) -> str | None:
    code, out, _ = _git(cwd, "symbolic-ref", "-q", "--short", "HEAD", check=False)
    return out.strip() if code == 0 and out.strip() else None


def status_paths(cwd: str | Path) -> list[str]:
    """Files that differ from HEAD in the work tree or index, untracked ones included
    (paths relative to the repository root, ``-z`` safe)."""
    _, out, _ = _git(cwd, "status", "--porcelain", "-z", "--untracked-files=all", "--no-renames")
    paths = []
    for entry in out.split("\0"):
        if len(entry) > 3:
            paths.append(entry[3:])
    return paths


def changed_tracked(cwd: str | Path) -> list[str]:
    """Tracked files that differ from HEAD, in the work tree or the index (untracked ones left out)."""
    _, out, _ = _git(cwd, "status", "--porcelain", "-z", "--untracked-files=no", "--no-renames")
    return [entry[3:] for entry in out.split("\0") if len(entry) > 3]


def show_file(cwd: str | Path, sha: str, path: str) -> str | None:
    """The content of ``path`` (relative to the repository root) at ``sha``; None when absent.
    UnicodeDecodeError when it is not UTF-8: the caller names the file."""
    code, out, _ = run_bytes(["git", "show", f"{sha}:{path}"], cwd=cwd, env=clean_git_env(), check=False)
    return out.decode("utf-8") if code == 0 else None


# Who tags when git knows nobody (a CI runner): the identity GitHub gives its Actions bot.
BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")


def identity(cwd: str | Path) -> tuple[str, str]:
    """Who commits and tags here: GIT_COMMITTER_*, then git's user.name and user.email, else BOT."""
    env = clean_git_env()
    name, email = env.get("GIT_COMMITTER_NAME"), env.get("GIT_COMMITTER_EMAIL")
    if not name:
        code, out, _ = _git(cwd, "config", "user.name", check=False)
        name = out.strip() if code == 0 else None
    if not email:
        code, out, _ = _git(cwd, "config", "user.email", check=False)
        email = out.strip() if code == 0 else None
    return (name, email) if name and email else BOT


@dataclass(frozen=True)
class TreeFile:
    """A file of a tree: its path from the repository root; at a commit, its size and blob."""

    path: str
    size: int | None = None  # None: in the work tree, where it is measured when read
    blob: str | None = None


def tree_files(cwd: str | Path, rev: str | None) -> list[TreeFile]:
    """The files at commit ``rev`` (git ls-tree), or, for None, those of the work tree that are
    tracked or untracked and not ignored (git ls-files). Paths are from the repository root."""
    if rev is None:
        _, out, _ = _git(toplevel(cwd), "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        return [TreeFile(path) for path in dict.fromkeys(out.split("\0")) if path]
    _, out, _ = _git(cwd, "ls-tree", "-r", "-l", "-z", "--full-tree", "--end-of-options", rev)
    files = []
    for entry in out.split("\0"):
        info, _, path = entry.partition("\t")
        fields = info.split()
        if len(fields) == 4 and fields[1] == "blob":
            files.append(TreeFile(path, int(fields[3]), fields[2]))
    return files


def read_blobs(cwd: str | Path, blobs: list[str]) -> list[bytes]:
    """The content of each blob, in order (one `git cat-file --batch` for all of them)."""
    if not blobs:
        return []
    _, out, _ = run_bytes(["git", "cat-file", "--batch"], cwd=cwd, env=clean_git_env(),
                          input="".join(f"{blob}\n" for blob in blobs).encode())
    contents, at = [], 0
    for _ in blobs:
        header_end = out.index(b"\n", at)
        header = out[at:header_end].split()
        if len(header) != 3:  # "<blob> missing": a partial clone without it
            raise GitError(f"blob {header[0].decode()} is not in this clone (a partial clone?)")
        size = int(header[2])
        contents.append(out[header_end + 1:header_end + 1 + size])
        at = header_end + 1 + size + 1
    return contents


def annotated_tag(cwd: str | Path, name: str) -> AnnotatedTag:
    """The annotated tag ``name``, field by field (GitError when there is none)."""
    sha = try_rev_parse_object(cwd, f"refs/tags/{name}")
    if sha is None:
        raise GitError(f"no tag {name} here")
    _, out, _ = _git(cwd, "cat-file", "tag", sha)
    header, _, message = out.partition("\n\n")
    fields = dict(line.split(" ", 1) for line in header.splitlines() if " " in line)
    tagger = re.fullmatch(r"(?P<name>.*) <(?P<email>[^>]*)> (?P<ts>\d+) (?P<tz>[+-]\d{4})", fields.get("tagger", ""))
    if fields.get("type") != "commit" or tagger is None:
        raise GitError(f"{name}: not an annotated tag of a commit")
    tz = tagger["tz"]
    offset = (1 if tz[0] == "+" else -1) * (int(tz[1:3]) * 60 + int(tz[3:5]))
    return AnnotatedTag(name, sha, fields["object"], message, tagger["name"], tagger["email"], int(tagger["ts"]), offset)


def try_rev_parse_object(cwd: str | Path, rev: str) -> str | None:
    """The SHA of the object ``rev`` names (not peeled to a commit), or None."""
    code, out, _ = _git(cwd, "rev-parse", "--verify", "-q", "--end-of-options", rev, check=False)
    return out.strip() if code == 0 else None


def delete_tag(cwd: str | Path, name: str) -> None:
    _git(cwd, "tag", "-d", "--", name)


def relative_to_root(cwd: str | Path, path: str | Path) -> str:
    """``path`` (relative to ``cwd``) as a path relative to the repository root."""
    root = toplevel(cwd)
    return Path(Path(cwd).resolve(), path).resolve().relative_to(root).as_posix()
