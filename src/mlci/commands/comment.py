"""``mlci comment create [FILE]``: CML's ``cml comment create``, with CML's flags, for a user's own markdown.

The file is posted as written, as one sticky comment (found again by a hidden first line that
names the watermark title, edited in place on the next run); the only change is the link of each
local image, which is committed to the repository's assets branch (mlci.github.assets) and linked
there. A comment CML left with the same watermark title is edited into mlci's, not left beside it.

Where it goes (``--target``, CML's syntax): ``pr`` (the run's PR, else the open PR the commit
heads; none is an error), ``commit`` (a commit comment on the run's commit), ``pr/N``,
``issue/N``, ``commit/SHA``; by default (``auto``) the PR, else the commit, as CML does.

This command runs in the user's own workflow on the user's own file: it reads the markdown and
the images it names (within the repository), nothing of a bundle.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from mlci.commands import Echo, echo
from mlci.errors import ConfigError, MlciError

if TYPE_CHECKING:
    from mlci.context import RunContext
    from mlci.github.assets import HostSettings
    from mlci.github.client import Connect, Repository
    from mlci.github.comments import TitledThread
    from mlci.render.usermd import ImageRef, ImageType

MAX_MARKDOWN = 10 * 1024 * 1024  # bytes of FILE read; the comment holds 65,536 characters of it
SHORT_BUDGET = 32_000  # characters, when GitHub refuses a body it counts as longer than we do
TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN", "REPO_TOKEN")  # REPO_TOKEN: what CML's workflows set

PERMISSIONS_HINT = ("the job needs `pull-requests: write` (`issues: write` for issue/N, `contents: write` for a "
                    "commit comment); a pull request from a fork gets a read-only token, which can comment nowhere")

TargetKind = Literal["auto", "pr", "commit", "issue"]


@dataclass(frozen=True)
class Target:
    """``--target`` read: where the comment goes. ``number`` for pr/N and issue/N, ``sha`` for commit/SHA."""

    kind: TargetKind = "auto"
    number: int | None = None
    sha: str | None = None


def parse_target(text: str | None) -> Target:
    """CML's ``--target``: ``pr``, ``commit``, ``auto``, ``pr/N``, ``issue/N``, ``commit/SHA`` (any case)."""
    if text is None or not text.strip():
        return Target()
    value = text.strip()
    lowered = value.lower()
    if lowered in ("auto", "pr", "commit"):
        return Target(cast(TargetKind, lowered))
    kind, sep, rest = value.partition("/")
    kind = kind.lower()
    if sep and kind in ("pr", "issue"):
        if not re.fullmatch(r"[1-9][0-9]{0,9}", rest):
            raise ConfigError(f"--target {value}: {kind}/N takes the number of the {'pull request' if kind == 'pr' else 'issue'}")
        return Target(cast(TargetKind, kind), number=int(rest))
    if sep and kind == "commit":
        if not re.fullmatch(r"[0-9a-fA-F]{7,40}", rest):
            raise ConfigError(f"--target {value}: commit/SHA takes a commit's SHA (7 to 40 hex digits)")
        return Target("commit", sha=rest.lower())
    raise ConfigError(f"--target {value}: one of pr, commit, pr/N, issue/N, commit/SHA (CML's syntax)")


def parse_repo(text: str, server_url: str | None) -> str:
    """CML's ``--repo``: ``owner/name`` or the repository's URL on this GitHub (``https://github.com/owner/name``)."""
    value = text.strip().removesuffix("/").removesuffix(".git")
    server = (server_url or "https://github.com").rstrip("/")
    if re.match(r"^[a-z]+://", value, re.IGNORECASE):
        if not value.lower().startswith(server.lower() + "/"):
            raise ConfigError(f"--repo {text}: mlci posts to {server} only")
        value = value[len(server) + 1:]
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", value):
        raise ConfigError(f"--repo {text}: owner/name, or the repository's URL")
    return value


# CML's flags that mean nothing on GitHub with mlci: accepted, so a CML workflow runs unchanged, and
# named in one line each (docs/migrating-from-cml.md has each decision).
CML_IGNORED = {
    "publish_url": "--publish-url: mlci commits images to the repository's assets branch, never to an image "
                   "server; ignored",
    "native": "--native: mlci commits images to the repository's assets branch (CML's native upload is not "
              "offered on GitHub); ignored",
    "rm_watermark": "--rm-watermark: mlci's comment shows no watermark, and its hidden first line is how the next "
                    "run finds it; ignored",
    "log": "--log: mlci prints one line per step; ignored",
}


def cml_flags(*, target: str | None = None, pr: bool = False, commit_sha: str | None = None,
              driver: str | None = None, **ignored: Any) -> tuple[str | None, tuple[str, ...]]:
    """CML's other flags read: the ``--target`` they mean (CML's deprecated ``--pr``, ``--commit-sha``) and
    a note for each flag given that is ignored (``CML_IGNORED``)."""
    if driver not in (None, "github"):
        raise ConfigError(f"--driver {driver}: mlci posts to GitHub only")
    if sum(1 for given in (target, pr, commit_sha) if given) > 1:
        raise ConfigError("--target, --pr and --commit-sha each say where to comment: give one")
    unknown = set(ignored) - set(CML_IGNORED)
    if unknown:
        raise TypeError(f"not CML flags mlci knows: {sorted(unknown)}")
    target = "pr" if pr else f"commit/{commit_sha}" if commit_sha else target
    return target, tuple(note for name, note in CML_IGNORED.items() if ignored.get(name))


@dataclass(frozen=True)
class Settings:
    file: str = "-"  # the markdown file; "-": standard input
    target: str | None = None  # CML's --target; None: auto (the PR, else the commit)
    watermark_title: str = ""  # CML's --watermark-title ({workflow} and {run} replaced)
    publish: bool = True  # upload the local images the markdown shows (CML's default too)
    watch: bool = False  # post again whenever the file (or an image it shows) changes, until Ctrl-C
    token: str | None = None  # None: GITHUB_TOKEN, then GH_TOKEN, then REPO_TOKEN; without one, local mode
    repo: str | None = None  # CML's --repo; None: GITHUB_REPOSITORY
    notes: tuple[str, ...] = ()  # lines about CML flags given that mean nothing here, printed first
    actions_env: Mapping[str, str] | None = None  # GITHUB_* variables; None: os.environ
    read_stdin: Callable[[], str] | None = None  # None: sys.stdin
    connect: Connect | None = None  # tests: a client for the fake GitHub
    poll_seconds: float = 1.0  # --watch: how often the files' times are read
    sleep: Callable[[float], None] = time.sleep
    echo: Echo = echo


# --- One post -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    """One local image the markdown shows: where it is, and what became of it."""

    written: str  # the link as written
    line: int
    path: Path | None  # its real path, when inside the repository
    problem: str | None = None  # why it is not hosted (not found, outside the repository, ...), for the comment
    detail: str = ""  # what the output adds to it (the paths of the runner)
    kind: ImageType | None = None
    data: bytes = b""
    name: str = ""  # its asset's name, when it can be hosted


@dataclass
class Outcome:
    url: str | None = None
    action: str = ""
    watched: list[Path] = field(default_factory=list)  # the files a --watch reads the times of


@dataclass
class _Run:
    """What one invocation knows, across the posts of a --watch."""

    settings: Settings
    env: Mapping[str, str]
    ctx: RunContext
    token: str | None
    repository: str | None
    base: Path  # where relative links start: the file's folder (the current one for standard input)
    root: Path  # the repository's work tree (or ``base`` outside one): no image is read outside it
    title: str
    hosted: dict[str, str] = field(default_factory=dict)  # asset name -> URL, hosted by an earlier post

    @property
    def local(self) -> bool:
        return not (self.token and self.repository)

    @property
    def echo(self) -> Echo:
        return self.settings.echo


def run(settings: Settings) -> int:
    from mlci.context import RunContext
    from mlci.render.usermd import expand_title

    env = os.environ if settings.actions_env is None else settings.actions_env
    for note in settings.notes:
        settings.echo(f"mlci: {note}")
    parse_target(settings.target)  # a wrong --target is an error before anything is read
    if settings.watch and settings.file == "-":
        raise ConfigError("--watch needs a FILE to watch, not standard input")
    ctx = RunContext.from_env(env)
    token = settings.token or next((env[v] for v in TOKEN_VARIABLES if env.get(v)), None)
    repository = parse_repo(settings.repo, ctx.server_url) if settings.repo else ctx.repository
    base = Path.cwd() if settings.file == "-" else Path(os.path.realpath(os.path.dirname(os.path.abspath(settings.file))))
    root = _root(base, settings.echo)
    title = expand_title(settings.watermark_title, ctx.workflow, ctx.run_id)
    state = _Run(settings, env, ctx, token, repository, base, root, title)
    if not settings.watch:
        post(state, read_markdown(settings))
        return 0
    return _watch(state)


def _root(base: Path, say: Echo) -> Path:
    from mlci import git
    from mlci.errors import GitError

    try:
        return Path(os.path.realpath(git.toplevel(base)))
    except GitError:
        say(f"mlci: {base} is in no git repository: images are read from that folder only")
        return base


def read_markdown(settings: Settings) -> str:
    """FILE's text (UTF-8, at most 10 MB), or standard input's."""
    from mlci.safeload import decode, read_text

    if settings.file == "-":
        if settings.read_stdin is not None:
            return settings.read_stdin()
        import sys

        if sys.stdin.isatty():
            raise MlciError("no FILE given and standard input is a terminal: give FILE, or pipe the markdown in (FILE -)")
        data = sys.stdin.buffer.read(MAX_MARKDOWN + 1)
        if len(data) > MAX_MARKDOWN:
            raise MlciError(f"standard input: more than the {MAX_MARKDOWN:,} bytes mlci reads")
        return decode(data, "standard input")
    try:
        return read_text(settings.file, MAX_MARKDOWN)
    except FileNotFoundError:
        raise MlciError(f"{settings.file}: file not found") from None


def post(state: _Run, text: str) -> Outcome:
    """Find the images, host the local ones, and post (or, in local mode, print) the comment."""
    from mlci.render.usermd import find_images, is_data_image

    say = state.echo
    refs = find_images(text)
    local = [ref for ref in refs if not ref.remote or is_data_image(ref.url)]
    images = _images(state, local)
    outcome = Outcome(watched=sorted({i.path for i in images.values() if i.path is not None}))
    if state.local:
        why = ("no token (--token, GITHUB_TOKEN, GH_TOKEN or REPO_TOKEN)" if not state.token
               else "no repository (GITHUB_REPOSITORY or --repo)")
        say(f"mlci: local mode, {why}: nothing posted")
    for image in images.values():
        if image.problem:
            say(f"mlci: image {image.written} (line {image.line}): {image.problem}{image.detail}")
    notes = [f"{_code(i.written)} {i.problem}" for i in images.values() if i.problem]
    if state.local:
        _local(state, text, refs, images, notes)
        return outcome
    assert state.token and state.repository
    from mlci.github.client import open_repository
    from mlci.github.runner_files import write_step_outputs

    with open_repository(state.token, state.ctx.api_url, state.repository, connect=state.settings.connect) as repo:
        thread, where, pr_number = _thread(state, repo)
        urls = _host(state, repo, pr_number, images, notes)
        rewritten = _rewritten(text, local, urls)
        result = _upsert(state, thread, rewritten, notes)
        for comment in thread.left:
            say(f"mlci: a CML comment with the same watermark by {comment} is left as it is (not by a bot: "
                "CML posted it with a personal token); delete it once")
    outcome.url, outcome.action = result.url, result.action
    say(f"mlci: comment {result.action} on {where}: {result.url or result.note}")
    write_step_outputs(state.env, {"comment-url": result.url or ""})
    return outcome


def _rewritten(text: str, refs: Sequence[ImageRef], urls: Mapping[str, str]) -> str:
    from mlci.render.usermd import rewrite

    return rewrite(text, {ref: urls[ref.url] for ref in refs if ref.url in urls})


def _images(state: _Run, refs: Sequence[ImageRef]) -> dict[str, Image]:
    """Each local image, by its link as written (a file shown twice is read once)."""
    out: dict[str, Image] = {}
    from mlci.render.usermd import is_data_image

    for ref in refs:
        if ref.url not in out:
            reader = embedded_image if is_data_image(ref.url) else read_image
            out[ref.url] = reader(ref.url, ref.line, state.base, state.root)
    return out


def embedded_image(written: str, line: int, base: Path, root: Path) -> Image:
    """An image written into its link as base64 (``data:image/png;base64,…``): hosted like a file,
    as GitHub shows no such image in a comment. ``base`` and ``root`` are not needed: nothing is read."""
    from mlci.github.assets import MAX_IMAGE_BYTES
    from mlci.render.usermd import asset_name, data_image, image_type

    shown = written[:40] + "…"
    data = data_image(written, MAX_IMAGE_BYTES)
    if data is None:
        return Image(shown, line, None, "an embedded image that is not valid base64, or over GitHub's 10 MB: not uploaded")
    kind = image_type(data)
    if kind is None:
        return Image(shown, line, None, "an embedded image that is not a PNG, JPEG, GIF or SVG: not uploaded")
    return Image(shown, line, None, kind=kind, data=data, name=asset_name("embedded", data, kind))


def read_image(written: str, line: int, base: Path, root: Path) -> Image:
    """The image ``written`` names (relative to ``base``), read when it is a PNG, JPEG, GIF or SVG file
    within ``root`` of at most 10 MB. A path that leaves ``root``, written or through a symlink, is
    refused without being read (a path written outside is not even looked at)."""
    import stat

    from mlci.errors import MlciError as ReadError
    from mlci.github.assets import MAX_IMAGE_BYTES
    from mlci.render.usermd import asset_name, image_type, local_path

    relative = local_path(written)
    if not relative or "\x00" in relative:
        return Image(written, line, None, "not a file name")
    lexical = Path(os.path.normpath(base / relative))
    if not _within(lexical, root):
        return Image(written, line, None, "refused: outside the repository; not read", f" ({root})")
    real = Path(os.path.realpath(lexical))
    if not _within(real, root):
        return Image(written, line, None, "refused: a symlink out of the repository; not read",
                     f" (to {real}, outside {root})")
    try:
        info = real.stat()
    except FileNotFoundError:
        return Image(written, line, real, f"not found ({_shown(real, root)}); its link is left as written")
    except OSError as exc:
        return Image(written, line, real, f"cannot be read: {exc.strerror or exc}")
    if not stat.S_ISREG(info.st_mode):
        return Image(written, line, real, "not a file")
    if info.st_size > MAX_IMAGE_BYTES:
        return Image(written, line, real, f"{info.st_size / 1024 / 1024:.1f} MB ({info.st_size:,} bytes), "
                                          "over GitHub's 10 MB for an image in a comment: not uploaded")
    from mlci.safeload import read_bytes

    try:
        data = read_bytes(real, MAX_IMAGE_BYTES, error=ReadError, within=root, shown=written)
    except FileNotFoundError:
        return Image(written, line, real, f"not found ({_shown(real, root)}); its link is left as written")
    except ReadError as exc:
        return Image(written, line, real, str(exc).removeprefix(f"{written}: "))
    kind = image_type(data)
    if kind is None:
        return Image(written, line, real, "not a PNG, JPEG, GIF or SVG image (by its content): not uploaded")
    return Image(written, line, real, kind=kind, data=data, name=asset_name(relative, data, kind))


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


# --- Where it goes ------------------------------------------------------------------------------------------------


def head_sha(ctx: RunContext, env: Mapping[str, str], root: Path) -> str | None:
    """The run's commit as CML takes it: a PR's head (not the merge commit), else GITHUB_SHA, else HEAD."""
    from mlci import git

    sha = ctx.pr_head_sha or env.get("GITHUB_SHA") or None
    if sha is None:
        try:
            sha = git.try_rev_parse(root, "HEAD")
        except MlciError:
            sha = None
    return sha


def _thread(state: _Run, repo: Repository) -> tuple[TitledThread, str, int | None]:
    """The conversation the comment goes in, its name in words, and the PR's number when it is a PR's."""
    from mlci.github.comments import TitledThread, commit_thread
    from mlci.github.pulls import commit_pull, pull_request_issue

    target = parse_target(state.settings.target)
    if target.kind in ("pr", "issue") and target.number is not None:
        where = f"{'PR' if target.kind == 'pr' else 'issue'} #{target.number}"
        return TitledThread(pull_request_issue(repo, target.number), state.title), where, (
            target.number if target.kind == "pr" else None)
    sha = _full_sha(target.sha, state.root) if target.sha else head_sha(state.ctx, state.env, state.root)
    if target.kind in ("auto", "pr"):
        number = state.ctx.pr_number
        if number is None and sha is not None:
            number = commit_pull(repo, sha)
        if number is not None:
            return TitledThread(pull_request_issue(repo, number), state.title), f"PR #{number}", number
        if target.kind == "pr":
            raise MlciError(f"--target pr: no pull request for commit {str(sha)[:12]}; "
                            "use --target commit, pr/N or issue/N")
    if sha is None:
        raise MlciError("no commit to comment on: not in a GitHub Actions run (GITHUB_SHA) or a git repository; "
                        "use --target commit/SHA")
    return TitledThread(commit_thread(repo, sha), state.title), f"commit {sha[:12]}", None


def _full_sha(sha: str, root: Path) -> str:
    """A short SHA as the clone knows it in full (else as given: GitHub may know it)."""
    from mlci import git

    if len(sha) == 40:
        return sha
    try:
        return git.try_rev_parse(root, sha) or sha
    except MlciError:
        return sha


# --- Hosting ------------------------------------------------------------------------------------------------------


def _host(state: _Run, repo: Repository, pr_number: int | None, images: Mapping[str, Image],
          notes: list[str]) -> dict[str, str]:
    """The local images committed to the assets branch (those an earlier post of a --watch hosted are
    not sent again): each link's new URL. Why an image is not hosted goes into ``notes``. They go under
    the PR commented on, else the run's PR, else its branch, else its commit (mlci.github.assets.run_key):
    what decides when they are pruned from the branch's tip (their links, pinned to a commit, stay)."""
    from mlci.github.assets import Asset, host_assets, run_key
    from mlci.github.client import GitHubError

    say = state.echo
    good = {written: image for written, image in images.items() if image.problem is None}
    if not good:
        return {}
    if not state.settings.publish:
        line = (f"{_plural(len(good), 'local image')} not uploaded (--no-publish): GitHub shows no link to a file "
                "of the runner")
        say(f"mlci: {line}")
        notes.append(line)
        return {}
    missing = {i.name: i for i in good.values() if i.name not in state.hosted}
    if missing:
        settings = _host_settings(state)
        branch = state.env.get("GITHUB_HEAD_REF") or state.ctx.ref_name
        sha = head_sha(state.ctx, state.env, state.root) or ""
        run = f"comment-{state.ctx.run_id or 'local'}-{state.env.get('GITHUB_RUN_ATTEMPT') or '1'}"
        try:
            hosted = host_assets(repo, [Asset(name, i.data) for name, i in missing.items()],
                                 key=run_key(pr_number or state.ctx.pr_number, branch, sha), run=run,
                                 server_url=state.ctx.server_url or "https://github.com", settings=settings)
        except GitHubError as exc:
            line = f"the images are not shown: {exc.message}; their links are left as written"
            say(f"mlci: {line}")
            notes.append(line)
            return {}
        state.hosted.update(hosted.urls)
        say(f"mlci: {_plural(len(missing), 'image')} committed to {settings.branch} at {hosted.commit[:12]} "
            f"({hosted.folder})")
    return {written: state.hosted[image.name] for written, image in good.items()}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _host_settings(state: _Run) -> HostSettings:
    """The assets branch and its pruning: mlci.yaml's ``plots:`` when the repository has one, else mlci's defaults."""
    from mlci.github.assets import HostSettings

    policy_file = state.root / "mlci.yaml"
    if not policy_file.is_file():
        return HostSettings()
    from mlci.config import load_policy
    from mlci.safeload import read_text
    from mlci.yamlfile import POLICY_LIMITS

    policy = load_policy(read_text(policy_file, POLICY_LIMITS.bytes, error=ConfigError), "mlci.yaml")
    return HostSettings.of(policy.plots)


def _code(text: str) -> str:
    from mlci.render.usermd import path_text

    return path_text(text)


# --- The body -----------------------------------------------------------------------------------------------------


def _upsert(state: _Run, thread: TitledThread, markdown: str, notes: Sequence[str]) -> Any:
    """The comment posted with upsert_comment, taking over CML's comment of the same title. Cut to fit
    when it is too long (the whole report then goes into the job summary); a body GitHub still refuses
    as too long is posted shorter."""
    from mlci.github.client import GitHubError, GitHubUnavailable, redact
    from mlci.github.comments import upsert_comment
    from mlci.render.usermd import compose, fits, marker

    mark = marker(state.title)
    whole = "" if fits(mark, markdown, notes) else _whole_report(state, markdown)
    body = compose(mark, markdown, notes, whole=whole)
    try:
        return upsert_comment(cast(Any, thread), body, mark, "update", take_over_cml=True)
    except GitHubError as exc:
        if exc.status == 403 and not isinstance(exc, GitHubUnavailable):
            raise MlciError(f"GitHub refused the comment ({exc.message}): {PERMISSIONS_HINT}") from None
        if exc.status != 422 or len(body) <= SHORT_BUDGET:
            raise
        whole = whole or _whole_report(state, markdown)
        short = compose(mark, markdown, notes, budget=SHORT_BUDGET, whole=whole)
        state.echo(f"mlci: GitHub refused the comment ({redact(exc.message, state.token)}); posting a shorter one")
        return upsert_comment(cast(Any, thread), short, mark, "update", take_over_cml=True)


def _whole_report(state: _Run, markdown: str) -> str:
    """Where the whole report is, when the comment holds only its start: the job summary (written here,
    once), else the file in the run's workspace. In words, for the comment's note."""
    from mlci.github.runner_files import write_job_summary
    from mlci.render.usermd import COMMENT_LIMIT

    shown = "standard input" if state.settings.file == "-" else state.settings.file
    ctx = state.ctx
    run_url = (f"{ctx.server_url}/{state.repository}/actions/runs/{ctx.run_id}"
               if ctx.server_url and state.repository and ctx.run_id else None)
    written = write_job_summary(state.env, markdown) if not state.local else None
    if written:
        where = f"in the job summary of [this run]({run_url})" if run_url else "in the job summary of this run"
        said = "in the job summary"
    elif run_url and state.settings.file != "-":
        where = f"{_code(shown)} in the workspace of [this run]({run_url}): keep it with actions/upload-artifact"
        said = f"{shown} (the job summary did not take it: upload the file as an artifact)"
    else:
        where = said = _code(shown) if state.settings.file != "-" else "what was piped in"
    state.echo(f"mlci: {shown} is {len(markdown):,} characters, over the {COMMENT_LIMIT:,} of a comment: "
               f"the comment holds its start; the whole report is {said}")
    return where


# --- Local mode ---------------------------------------------------------------------------------------------------


def _local(state: _Run, text: str, refs: Sequence[ImageRef], images: Mapping[str, Image], notes: list[str]) -> None:
    """No token or no repository: say what would be posted, where, with which images; post nothing."""
    from mlci.render.fmt import format_size
    from mlci.render.usermd import compose, fits, marker

    say = state.echo
    mark = marker(state.title)
    say(f"mlci: would post on {_local_target(state)}, as the comment marked {mark}")
    good = [image for image in images.values() if image.problem is None]
    for image in good:
        verb = "would be committed to the assets branch" if state.settings.publish else "not uploaded (--no-publish)"
        say(f"mlci: image {image.written} (line {image.line}): {(image.kind or '').upper()}, "
            f"{format_size(len(image.data))}: {verb}")
    remote = sum(1 for ref in refs if ref.remote)
    if remote:
        say(f"mlci: {_plural(remote, 'remote image link')} left as written")
    if good and not state.settings.publish:
        notes.append(f"{_plural(len(good), 'local image')} not uploaded (--no-publish): GitHub shows no link "
                     "to a file of the runner")
    whole = "" if fits(mark, text, notes) else _whole_report(state, text)
    say("mlci: the comment as it would be posted (local images not yet hosted):")
    say(compose(mark, text, notes, whole=whole))


def _local_target(state: _Run) -> str:
    """Where the comment would go, in words, as far as a run without GitHub can tell."""
    target = parse_target(state.settings.target)
    if target.number is not None:
        return f"{'PR' if target.kind == 'pr' else 'issue'} #{target.number}"
    sha = target.sha or head_sha(state.ctx, state.env, state.root)
    commit = f"commit {sha[:12]}" if sha else "the run's commit"
    if target.kind == "commit":
        return commit
    if state.ctx.pr_number is not None:
        return f"PR #{state.ctx.pr_number}"
    heads = f"the pull request {commit} heads"
    return heads if target.kind == "pr" else f"{heads}, else {commit}"


# --- --watch ------------------------------------------------------------------------------------------------------


def _watch(state: _Run) -> int:
    """Post, then post again whenever FILE or an image it shows changes (their times and sizes, read
    every ``poll_seconds``; a change is posted once it has held for one more poll), until Ctrl-C."""
    settings, say = state.settings, state.echo
    file = Path(settings.file)
    watched: list[Path] = []
    last: tuple[Any, ...] | None = None
    posts = 0
    say(f"mlci: watching {settings.file} (every {settings.poll_seconds:g} s; Ctrl-C stops)")
    try:
        while True:
            stamp = _stamps([file, *watched])
            if stamp != last:
                if last is not None or stamp[0] is None:
                    settings.sleep(settings.poll_seconds)  # let the writer finish
                    if _stamps([file, *watched]) != stamp:
                        continue
                last = stamp
                if stamp[0] is None:
                    say(f"mlci: waiting for {settings.file}")
                else:
                    try:
                        outcome = post(state, read_markdown(settings))
                        posts += 1
                        watched = sorted(set(outcome.watched))
                        last = _stamps([file, *watched])
                    except MlciError as exc:
                        say(f"mlci: error: {exc} (watching on)")
            settings.sleep(settings.poll_seconds)
    except KeyboardInterrupt:
        say(f"mlci: stopped watching {settings.file} ({posts} post{'s' if posts != 1 else ''})")
    return 0


def _stamps(paths: Sequence[Path]) -> tuple[Any, ...]:
    out: list[Any] = []
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            out.append(None)
        else:
            out.append((info.st_mtime_ns, info.st_size))
    return tuple(out)
