"""``mlci release``: on the default branch, a new version of each artifact that changed, with its model card.

It reads the bundle ``mlci report`` made for this commit: a release needs its gates to have
passed, and the card says which. For each artifact (mlci.yaml ``release.artifacts``, else every
artifact of dvc.yaml) whose content (the hash DVC recorded) differs from that at its latest
version, it registers the next version through GTO: an annotated tag ``name@vX.Y.Z`` in the
local clone. The bump comes from the merged PR (labels, then its conventional title), or from
``--bump``. ``--dry-run`` prints the tags and cards it would make, and makes nothing.

With ``release.assets``, each version's release also gets the artifact's files from the work
tree (a directory as one tarball). They are all read, and checked against GitHub's limit,
before the first tag is made, so a missing one stops the run with nothing made. A version
this commit already has gets the assets its release lacks (a run that died mid-upload).
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from importlib import metadata
from pathlib import Path

from mlci.commands import DEFAULT_OUT, Echo, echo
from mlci.release.bump import Part
from mlci.release.plan import Merged
from mlci.release.spec import ReleaseSpec

if TYPE_CHECKING:
    from mlci.github.client import Repository
    from mlci.release.lineage import Entry
    from mlci.release.plan import Decision
    from mlci.release.records import Artifact
    from mlci.release.ship import Attachment
    from mlci.report import Report

# The libraries a model card names when the environment has them: the stack that trains and serves.
KEY_LIBRARIES = ("dvc", "scikit-learn", "xgboost", "lightgbm", "torch", "tensorflow", "onnx", "onnxruntime",
                 "pandas", "numpy")


@dataclass(frozen=True)
class Settings:
    cwd: str | Path = "."
    bundle: str | Path = DEFAULT_OUT
    dry_run: bool = False
    bump: Part | None = None  # instead of the merged PR's
    pr_number: int | None = None
    pr_title: str | None = None
    labels: tuple[str, ...] = ()
    config: str | None = None  # the policy file, default mlci.yaml at the commit
    token: str | None = None  # None: GITHUB_TOKEN, then GH_TOKEN; without one (or a repository), local tags only
    actions_env: Mapping[str, str] | None = None  # GITHUB_* variables and the step's files; None: os.environ
    echo: Echo = echo


def run(settings: Settings) -> int:
    """0 when every artifact is released or has nothing to release; 1 when the commit's gates failed."""
    from mlci import dvc, git, gto
    from mlci.bundle import read_bundle
    from mlci.release import bump as bumps
    from mlci.release import lineage
    from mlci.release.plan import decide
    from mlci.release.ship import attachments, ship

    root = git.toplevel(settings.cwd)
    commit = git.rev_parse(root, "HEAD")
    report = read_bundle(settings.bundle)
    _refuse_another_commit(settings, root, commit, report)
    if report.verdict == "fail":  # None: no policy, so no gate to pass
        failed = [g for g in report.gates if g.blocking]
        settings.echo(f"mlci: no release: the gates failed on {commit[:7]} "
                      f"({'; '.join(f'{g.subject}: {g.reason}' for g in failed[:5]) or report.verdict})")
        return 1
    spec, chosen = _artifacts(root, settings.config or "mlci.yaml")
    if not chosen:
        settings.echo("mlci: nothing to release: dvc.yaml declares no artifacts (add an `artifacts:` section)")
        return 0

    env = os.environ if settings.actions_env is None else settings.actions_env
    token = settings.token or env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None
    repository = report.context.repository or env.get("GITHUB_REPOSITORY") or None
    online = token is not None and repository is not None and not settings.dry_run
    shipped = []
    with _github(token, env.get("GITHUB_API_URL"), repository) if online else nullcontext() as repo:
        merged = _merged(settings, repo, commit)
        bump = bumps.Bump(settings.bump, "--bump") if settings.bump else bumps.choose(merged.labels, merged.title,
                                                                                       merged.body)
        now = lineage.entries(root, commit)
        decisions = []
        for artifact in chosen:
            existing = gto.versions(root, artifact.name)
            previous_hash = lineage.content_hash(lineage.entries(root, existing[0].commit), artifact.path) \
                if existing else None
            decisions.append(decide(artifact, existing, commit, lineage.content_hash(now, artifact.path),
                                    previous_hash, bump, spec.first_version))
        # release.assets: read for each new version (and each old one whose release lacks them) before anything is made
        attaching = spec.assets and (repo is not None or settings.dry_run)
        lacking = _lacking_assets(root, repo, decisions) if attaching and repo is not None else {}
        wanted = [d.artifact for d in decisions if attaching and (d.action == "register" or d.artifact.name in lacking)]
        dvc_repo = dvc.open_repo(root)
        try:
            with attachments(root, wanted) as prepared:
                for decision in decisions:
                    artifact = decision.artifact
                    if decision.action != "register":
                        settings.echo(f"mlci: {artifact.name}: no new version: {decision.reason}")
                        if artifact.name in lacking:
                            _complete(settings, repo, decision, prepared[artifact.name])
                        continue
                    assert decision.version is not None
                    card = _card_maker(dvc_repo, report, decision, commit, merged, now, repository)
                    assets = [prepared[artifact.name]] if artifact.name in prepared else []
                    if settings.dry_run:
                        tag = gto.tag_name(artifact.name, decision.version)
                        settings.echo(f"mlci: would create tag {tag} at {commit[:7]} ({decision.reason})")
                        for asset in assets:
                            settings.echo(f"mlci: would attach {_described(asset, decision.version)} to its release")
                        settings.echo(card(decision.version, tag), nl=False)
                        continue
                    done = ship(root, decision, commit, bump, spec.first_version, card, repo, assets)
                    where = f"; release {done.release_url}" if done.release_url else ""
                    moved = f"; {done.note}" if done.note else ""
                    settings.echo(f"mlci: created tag {done.tag} at {commit[:7]} ({decision.reason}{moved}){where}")
                    if done.attached:
                        settings.echo(f"mlci: {done.tag}: attached {', '.join(done.attached)} to its release")
                    if repo is None:
                        if spec.assets:
                            settings.echo(f"mlci: {done.tag}: no GitHub release to attach {artifact.path} to "
                                          "(no token or repository: the tag is local)")
                        settings.echo(card(done.version, done.tag), nl=False)
                    shipped.append((artifact, done))
        finally:
            dvc_repo.close()
    if shipped:
        _outputs(env, shipped)
    return 0


def _refuse_another_commit(settings: Settings, root: Path, commit: str, report: Report) -> None:
    """A version names a commit: the bundle must be this commit's, and no tracked file changed
    since (untracked files, such as an installer's leftovers, are not the commit's either way)."""
    from mlci import git
    from mlci.errors import ReleaseError

    if report.context.head.sha != commit:
        raise ReleaseError(f"{settings.bundle}: its report is of {str(report.context.head.sha)[:7]}, not of HEAD "
                           f"({commit[:7]}); run `mlci report` on this commit first")
    bundle = Path(settings.bundle).resolve()
    dirty = [p for p in git.changed_tracked(root) if not _within(root / p, bundle)]
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise ReleaseError(f"the work tree has changes not in {commit[:7]} ({shown}): a version names a commit, "
                           "so release from a clean checkout")


def _artifacts(root: Path, config: str) -> tuple[ReleaseSpec, list[Artifact]]:
    """The policy's release settings and the artifacts they choose (default: all of dvc.yaml's)."""
    from mlci import gto
    from mlci.config import load_policy
    from mlci.errors import ReleaseError
    from mlci.safeload import read_text
    from mlci.yamlfile import POLICY_LIMITS

    try:
        spec = load_policy(read_text(Path(root, config), POLICY_LIMITS.bytes), config).release
    except FileNotFoundError:
        spec = ReleaseSpec()
    declared = gto.declared(root)
    if spec.artifacts is None:
        return spec, declared
    names = {a.name: a for a in declared}
    unknown = [n for n in spec.artifacts if n not in names]
    if unknown:
        where = f"{config}:{spec.line}" if spec.line else config
        raise ReleaseError(f"{where}: release.artifacts: {unknown[0]!r} is not an artifact of dvc.yaml "
                           f"(it declares {', '.join(names) or 'none'}); `dvc artifacts get` finds only those")
    return spec, [names[n] for n in spec.artifacts]


def _lacking_assets(root: Path, repo: Repository, decisions: list[Decision]) -> dict[str, tuple[str, ...]]:
    """For each artifact this commit already has a version of, the assets its release on GitHub lacks
    (a run that died between the release and its uploads): name -> the names to upload."""
    from mlci.github.releases import lacking
    from mlci.release.ship import attachment_name

    found: dict[str, tuple[str, ...]] = {}
    for decision in decisions:
        if decision.action != "registered" or decision.previous is None:
            continue
        artifact = decision.artifact
        # A directory by what DVC recorded at the commit (its hash ends in .dir), else by the work tree.
        directory = decision.hash.endswith(".dir") if decision.hash else Path(root, artifact.path).is_dir()
        name = attachment_name(artifact.name, artifact.path, decision.previous.version, directory=directory)
        missing = lacking(repo, decision.previous.tag, [name])
        if missing:
            found[artifact.name] = missing
    return found


def _complete(settings: Settings, repo: Repository | None, decision: Decision, attachment: Attachment) -> None:
    """Upload to the release of a version this commit already has the asset it lacks."""
    from mlci.github.releases import attach

    assert repo is not None and decision.previous is not None
    version = decision.previous
    done = attach(repo, version.tag, [attachment.asset(version.version)])
    if done:
        settings.echo(f"mlci: {version.tag}: attached {', '.join(done)} to its release, which lacked it")


def _described(attachment: Attachment, version: str) -> str:
    from mlci.render.fmt import format_size

    size = format_size(attachment.size, binary=True)
    made = f", a tarball of {attachment.source}/" if attachment.tarball else ""
    return f"{attachment.name(version)} ({size}{made})"


def _merged(settings: Settings, repo: Repository | None, commit: str) -> Merged:
    """The PR the commit came from: as the options say, else as GitHub says, else none known."""
    given = Merged(number=settings.pr_number, title=settings.pr_title, labels=settings.labels)
    if repo is None or settings.pr_number is not None or settings.pr_title or settings.labels:
        return given
    from mlci.github.releases import merged_pr

    return merged_pr(repo, commit) or given


def _card_maker(dvc_repo: Any, report: Report, decision: Decision, commit: str, merged: Merged,
                now: list[Entry], repository: str | None) -> Callable[[str, str], str]:
    """The model card of ``decision``'s version, for the version and tag it ends up with: metrics
    against the previous version's commit (its own values for a first version)."""
    from mlci import compare, dvc
    from mlci.release import lineage
    from mlci.render.card import Card, model_card

    base = decision.previous.commit if decision.previous else commit
    before, after = dvc.read_sides(dvc_repo, base, commit)
    environment = _environment()

    def card(version: str, tag: str) -> str:
        return model_card(Card(
            artifact=decision.artifact, version=version, tag=tag, commit=commit,
            previous=decision.previous.version if decision.previous else None, bump=decision.reason,
            merged=merged if merged.number is not None else None,
            metrics=tuple(compare.compare_metrics(before.metrics, after.metrics)),
            gates=report.gates, policy_file=report.policy.file if report.policy else None,
            params=tuple(compare.compare_params(after.params, after.params)),
            lineage=lineage.summary(now), environment=environment, repository=repository,
            server_url=report.context.server_url or "https://github.com"))

    return card


@contextmanager
def _github(token: str | None, api_url: str | None, repository: str | None) -> Iterator[Repository]:
    from mlci.github.client import open_repository

    assert token is not None and repository is not None
    with open_repository(token, api_url, repository) as repo:
        yield repo


def _outputs(env: Mapping[str, str], shipped: list[tuple[Any, Any]]) -> None:
    """Step outputs: gto-action's (of the first version made), and every tag made."""
    from mlci.github.runner_files import write_step_outputs

    artifact, done = shipped[0]
    write_step_outputs(env, {"event": "registration", "name": artifact.name, "version": done.version, "stage": "",
                             "type": artifact.type or "", "path": artifact.path,
                             "description": artifact.description or "", "tags": " ".join(d.tag for _, d in shipped),
                             "release-url": done.release_url or ""})


def _within(path: Path, folder: Path) -> bool:
    resolved = path.resolve()
    return resolved == folder or folder in resolved.parents


def _environment() -> tuple[tuple[str, str], ...]:
    found = [("Python", platform.python_version())]
    for name in KEY_LIBRARIES:
        try:
            found.append((_display(name), metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(found)


def _display(name: str) -> str:
    return {"dvc": "DVC", "onnxruntime": "onnxruntime"}.get(name, name)
