"""Every GTO operation mlci performs: the artifacts a project declares, their versions, new version tags.

Versions are GTO's annotated git tags (``name@vX.Y.Z``, ``path=name@vX.Y.Z`` for an artifact
declared in a dvc.yaml below the root), read and written through GTO's own Python API, so
``gto show`` and DVC's artifact lookup (``dvc artifacts get``, ``dvc.api.artifacts_show``)
see exactly what mlci wrote. The artifacts themselves are DVC's (the ``artifacts:`` of every
dvc.yaml), read through DVC's API. GTO talks on stdout; what it says is kept from the terminal,
where only the commands write.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlci.errors import ReleaseError
from mlci.release.records import Artifact, Version


# GTO's rule for a name (gto.constants.name), here so that checking one needs no import of GTO.
NAME = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?")


def declared(root: str | Path) -> list[Artifact]:
    """The artifacts of every dvc.yaml of the DVC project at ``root``, in file and name order.
    A name GTO would refuse is a ReleaseError naming its dvc.yaml."""
    from mlci import dvc

    repo = dvc.open_repo(root)
    try:
        found = dvc.declared_artifacts(repo)
    finally:
        repo.close()
    out = []
    for item in found:
        if not NAME.fullmatch(item.name):
            raise ReleaseError(f"{item.dvcyaml}: artifacts.{item.name}: not a name GTO allows (letters, digits, '-', "
                               "'_', '/', starting and ending with a letter or a digit)")
        folder = Path(item.dvcyaml).parent.as_posix()
        full = item.name if folder == "." else f"{folder}:{item.name}"
        path = item.path if folder == "." else f"{folder}/{item.path}"
        out.append(Artifact(full, Path(path).as_posix(), item.type, item.description, item.labels))
    return out


def versions(root: str | Path, name: str) -> list[Version]:
    """The registered, active versions of ``name``, the greatest first."""
    from gto.registry import GitRegistry
    from gto.versions import SemVer

    with _quiet(), GitRegistry.from_url(str(root)) as registry:
        artifact = registry.find_artifact(name, create_new=True)
        found = [Version(name, v.version, v.commit_hexsha, _tag(v)) for v in
                 artifact.get_versions(active_only=True, include_non_explicit=False)]
    return sorted(found, key=lambda v: SemVer(v.version), reverse=True)


def _tag(version: Any) -> str:
    registrations = [r for r in version.registrations if getattr(r, "tag", None)]
    return str(registrations[-1].tag) if registrations else ""


def register(root: str | Path, name: str, commit: str, version: str, message: str,
             tagger: tuple[str, str]) -> str:
    """Register ``version`` of ``name`` at ``commit``: GTO's annotated tag, in the local clone
    (pushing it is the caller's), by ``tagger`` (name, email). Its name; ReleaseError when GTO
    refuses (the version or the commit already has one)."""
    import gto.api
    from gto.exceptions import GTOException
    from scmrepo.exceptions import SCMError

    try:
        with _quiet():
            event = gto.api.register(str(root), name, commit, version=version, message=message, push=False,
                                     author=tagger[0], author_email=tagger[1])
    except GTOException as exc:
        raise ReleaseError(f"GTO refused {name}@{version}: {exc}") from None
    except SCMError as exc:  # git could not write it: say why (a GIT_COMMITTER_DATE it cannot read, ...)
        cause = f": {exc.__cause__}" if exc.__cause__ else ""
        raise ReleaseError(f"the tag {tag_name(name, version)} could not be created: {exc}{cause}") from None
    return str(event.tag)


def tag_name(name: str, version: str) -> str:
    """The tag GTO writes for ``version`` of ``name`` (``dir:name`` becomes ``dir=name``)."""
    return f"{name.replace(':', '=')}@{version}"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def parse_tag(tag: str) -> dict[str, str] | None:
    """What a GTO tag says (its name alone, no repository needed): ``event`` (registration,
    assignment, deassignment, deregistration, deprecation), ``name``, ``version`` and ``stage``
    (empty where the tag has none); None for a tag that is not GTO's."""
    from gto.constants import tag_re

    found = tag_re.fullmatch(tag)
    if not found:
        return None
    cancel = bool(found["cancel"])
    if found["deprecated"]:
        event = "deprecation"
    elif found["stage"]:
        event = "deassignment" if cancel else "assignment"
    elif found["version"]:
        event = "deregistration" if cancel else "registration"
    else:
        event = "creation"
    return {"event": event, "name": found["artifact"].replace("=", ":"), "version": found["version"] or "",
            "stage": found["stage"] or ""}


def allowed_stages(root: str | Path) -> list[str] | None:
    """The stages ``.gto`` allows (None: it names none, so any stage is allowed)."""
    import gto.api

    with _quiet():
        found = gto.api.get_stages(str(root), allowed=True)
    return list(found) if found else None


def stages_of(root: str | Path, name: str) -> dict[str, list[str]]:
    """Each registered version of ``name`` with the stages it is in now."""
    from gto.registry import GitRegistry

    with _quiet(), GitRegistry.from_url(str(root)) as registry:
        artifact = registry.find_artifact(name, create_new=True)
        return {v.version: sorted({s.stage for s in v.get_vstages()})
                for v in artifact.get_versions(active_only=True, include_non_explicit=False)}


def assign(root: str | Path, name: str, version: str, stage: str, tagger: tuple[str, str], *,
           demote: bool = False) -> str:
    """GTO's stage tag for ``version`` of ``name``: ``name#stage#N`` (``name#stage!#N`` to demote),
    in the local clone. Its name; ReleaseError when GTO refuses."""
    import gto.api
    from gto.exceptions import GTOException
    from scmrepo.exceptions import SCMError

    try:
        with _quiet():
            if demote:
                event = gto.api.unassign(str(root), name, version=version, stage=stage, author=tagger[0],
                                         author_email=tagger[1])
            else:
                event = gto.api.assign(str(root), name, stage, version=version, author=tagger[0],
                                       author_email=tagger[1])
    except GTOException as exc:
        raise ReleaseError(f"GTO refused to {'demote' if demote else 'promote'} {name} {version} "
                           f"{'from' if demote else 'to'} {stage}: {exc}") from None
    except SCMError as exc:
        cause = f": {exc.__cause__}" if exc.__cause__ else ""
        raise ReleaseError(f"the stage tag of {name} {version} could not be created: {exc}{cause}") from None
    return str(event.tag)
