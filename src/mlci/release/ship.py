"""Making a decided version real: GTO's tag in the clone, then, with GitHub, the same tag, its release and its assets.

Race-free and never half-made. The tag is written by GTO locally; with a repository to publish
to, :func:`mlci.github.releases.publish` copies it, makes the release and uploads its assets,
taking back what it made when a step fails. When GitHub already has that tag for another
commit (two runs at once), the local tag is removed, the versions on GitHub are read again and
the next free number is tried: ATTEMPTS times at most. Whatever fails, the local tag goes too,
so a re-run starts from what GitHub holds.

The assets (``release.assets``) are read from the work tree before anything is made
(:func:`attachments`): a file missing there, or one over GitHub's limit, stops the release
while there is nothing to take back. A directory goes as one tarball, made so that the same
files give the same bytes (sorted members, no dates or owners): a re-run offers the same asset.
"""

from __future__ import annotations

import gzip
import os
import posixpath
import re
import stat
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlci import git, gto
from mlci.errors import ReleaseError
from mlci.release.bump import Bump, next_version, parse
from mlci.release.plan import Decision
from mlci.release.records import Artifact

if TYPE_CHECKING:
    from mlci.github.client import Repository
    from mlci.github.releases import Asset

ATTEMPTS = 3


@dataclass(frozen=True)
class Shipped:
    tag: str
    version: str
    release_url: str | None  # None: no repository to publish to (a local run)
    note: str = ""  # "", or how the version moved: "v1.4.0 was taken; v1.4.1 is free"
    attached: tuple[str, ...] = ()  # the assets uploaded to its release


@dataclass(frozen=True)
class Attachment:
    """An artifact's files as one release asset: the file itself, or its directory as a tarball
    (``file`` is what is uploaded; ``source`` the artifact's path, for messages)."""

    artifact: str
    source: str
    file: Path
    size: int
    tarball: bool

    def name(self, version: str) -> str:
        return attachment_name(self.artifact, self.source, version, directory=self.tarball)

    def asset(self, version: str) -> Asset:
        from mlci.github.releases import Asset

        kind = "application/gzip" if self.tarball else "application/octet-stream"
        return Asset(self.name(version), self.file, kind, self.size)


def attachment_name(artifact: str, path: str, version: str, *, directory: bool) -> str:
    """The asset's name on the release of ``version`` of ``artifact`` (at ``path``): a file's own base
    name, a directory's ``<artifact>-<version>.tar.gz``."""
    if directory:
        return asset_name(f"{artifact}-{version}") + ".tar.gz"
    return asset_name(posixpath.basename(path)) or asset_name(artifact)


def asset_name(name: str) -> str:
    """``name`` as GitHub keeps it: GitHub renames an asset with other characters than letters, digits,
    ``-``, ``_`` and inner periods, so a re-run would not find it by the name it asked for. A GTO name's
    ``/`` and a nested dvc.yaml's ``dir:`` become ``-``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".")


@contextmanager
def attachments(root: str | Path, artifacts: Sequence[Artifact]) -> Iterator[dict[str, Attachment]]:
    """Each artifact's attachment by its name, checked before anything is tagged: its path in the work
    tree (a directory tarred into a temporary folder, removed afterwards), each under GitHub's limit.
    A ReleaseError of one line names the first that is missing, not a file or a directory, or too big."""
    from mlci.github.releases import MAX_ASSET_BYTES
    from mlci.render.fmt import format_size

    with tempfile.TemporaryDirectory(prefix="mlci-assets-") as folder:
        found: dict[str, Attachment] = {}
        for artifact in artifacts:
            path = Path(root, artifact.path)
            if path.is_dir():
                made = Path(folder, f"{len(found)}.tar.gz")
                _tarball(path, made, artifact)
                found[artifact.name] = Attachment(artifact.name, artifact.path, made, made.stat().st_size, True)
            elif path.is_file():
                found[artifact.name] = Attachment(artifact.name, artifact.path, path, path.stat().st_size, False)
            elif path.exists():
                raise ReleaseError(f"release.assets: {artifact.path} (artifact {artifact.name}) is neither a file "
                                   "nor a directory; nothing was tagged")
            else:
                raise ReleaseError(f"release.assets: {artifact.path} (artifact {artifact.name}) is not in the work "
                                   "tree: run the pipeline or `dvc pull` first; nothing was tagged")
            made_of = found[artifact.name]
            if made_of.size >= MAX_ASSET_BYTES:
                what = f"the tarball of {artifact.path}/" if made_of.tarball else artifact.path
                raise ReleaseError(f"release.assets: {what} is {format_size(made_of.size, binary=True)}; GitHub "
                                   "takes release assets under 2 GiB; nothing was tagged")
        yield found


def _tarball(directory: Path, out: Path, artifact: Artifact) -> None:
    """``directory`` as a gzipped tarball under its own name, the same bytes for the same files: members
    sorted, each dated 0 and owned by 0, modes 644 or 755, no name or date in the gzip header. Links are
    followed (DVC's cache may link the files)."""
    top = Path(artifact.path).name
    with out.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, path in _members(directory, top, artifact):
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if path.is_dir():
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
                continue
            with path.open("rb") as data:
                held = os.fstat(data.fileno())
                info.size, info.mode = held.st_size, 0o755 if held.st_mode & 0o111 else 0o644
                tar.addfile(info, data)


def _members(directory: Path, top: str, artifact: Artifact) -> list[tuple[str, Path]]:
    """(name in the tarball, path) of ``directory`` and everything below it, sorted by name."""
    found = [(top, directory)]
    seen: set[str] = set()
    for here, folders, files in os.walk(directory, followlinks=True):
        real = os.path.realpath(here)
        if real in seen:
            raise ReleaseError(f"release.assets: {artifact.path} (artifact {artifact.name}) links to a folder "
                               f"twice ({Path(here).relative_to(directory).as_posix()}); nothing was tagged")
        seen.add(real)
        for entry in [*folders, *files]:
            path = Path(here, entry)
            try:
                mode = path.stat().st_mode  # through a link
            except OSError:
                mode = 0
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                where = posixpath.join(artifact.path, path.relative_to(directory).as_posix())
                raise ReleaseError(f"release.assets: {where} (in artifact {artifact.name}) is not a regular file "
                                   "(a broken link, a socket, a device); nothing was tagged")
            found.append((posixpath.join(top, path.relative_to(directory).as_posix()), path))
    return sorted(found)


def ship(root: str | Path, decision: Decision, commit: str, bump: Bump, first: str,
         card: Callable[[str, str], str], repo: Repository | None,
         assets: Sequence[Attachment] = ()) -> Shipped:
    """Register ``decision`` (a ``register`` one) at ``commit``; ``card(version, tag)`` is the
    release's body. Publishes to ``repo`` when given, with ``assets`` on the release."""
    from mlci.github import releases

    assert decision.version is not None
    name, version, note = decision.artifact.name, decision.version, ""
    tagger = git.identity(root)
    for _ in range(ATTEMPTS):
        tag = gto.register(root, name, commit, version, f"Registering artifact {name} version {version}", tagger)
        if repo is None:
            return Shipped(tag, version, None, note)
        try:
            published = releases.publish(repo, git.annotated_tag(root, tag), f"{name} {version}", card(version, tag),
                                         [a.asset(version) for a in assets])
            return Shipped(tag, version, published.release_url, note, published.attached)
        except releases.TagTaken:
            git.delete_tag(root, tag)
            remote = releases.remote_versions(repo, gto.tag_name(name, "v"))
            mine = [t for t, c in remote.items() if c == commit]
            if mine:  # another run of this very commit got there first
                return Shipped(mine[0], mine[0].rsplit("@", 1)[1], None, "registered by another run of this commit")
            taken = version
            version = next_version(_greatest([t.rsplit("@", 1)[1] for t in remote] + [version]), bump.part, first)
            note = f"{taken} was taken on GitHub meanwhile; {version} is the next free one"
        except BaseException:
            git.delete_tag(root, tag)
            raise
    raise ReleaseError(f"{name}: no free version after {ATTEMPTS} tries: other runs keep registering versions; run again")


def _greatest(versions: list[str]) -> str:
    valid = [v for v in versions if _valid(v)]
    return max(valid, key=parse)


def _valid(version: str) -> bool:
    try:
        parse(version)
    except ValueError:
        return False
    return True
