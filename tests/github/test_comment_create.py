"""`mlci comment create` against the contract-checked fake GitHub, through the real PyGithub client, on a
real git repository: a CML user's report posted as one comment, its images on the assets branch."""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mlci.commands import comment
from mlci.errors import ConfigError, MlciError
from mlci.github import client
from tests.repo_helpers import commit, sh

REPO = "acme/churn"
BASE = "9e0b7d3" + "a" * 33
HEAD = "4f1c2a9" + "b" * 33
TOKEN = "ghs_mlciCommentToken0123456789abcd"
READ_ONLY = "ghs_mlciCommentForkToken0123456789"
SERVER = "https://github.com"
EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"roc curve" * 10
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"confusion" * 10
CML_BOT = "github-actions[bot]"
BLOB_LINK = re.compile(rf"{SERVER}/{REPO}/blob/([0-9a-f]{{40}})/([^?\s)\"]+)\?raw=true")

# What a CML user's workflow writes (cml's own examples: metrics, then `![](./plot.png)`).
REPORT = """## Metrics
| metric | value |
|---|---|
| accuracy | 0.912 |

## Plots
![](./plot.png)
![confusion matrix](plots/confusion_matrix.jpg "Confusion matrix")
<img src="https://example.com/badge.svg">
"""


def cml_comment(title: str = "", sha: str = HEAD, body: str = "## Metrics\nold numbers") -> str:
    """A comment as CML leaves it: the report, then its watermark (bin/cml src/watermark.js)."""
    escaped = re.sub(r"([_*\[<])", r"\\\1", f"CML watermark {title}".strip())
    return f'{body}\n\n![](https://cml.dev/watermark.png#{sha} "{escaped}")'


@pytest.fixture
def fake(fake_github: Any) -> Any:
    fake_github.add_repo(REPO)
    fake_github.add_pull(REPO, 42, HEAD, BASE)
    fake_github.add_pull(REPO, 7, "7" * 40, BASE, head_ref="other")  # stands for an issue: the same API
    fake_github.add_token(TOKEN)
    fake_github.add_token(READ_ONLY, read_only=True)
    return fake_github


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git repository with the report and its two images, as a CML workflow leaves it."""
    root = tmp_path / "project"
    (root / "plots").mkdir(parents=True)
    sh(root, "git", "init", "-q", "-b", "main")
    (root / "plot.png").write_bytes(PNG)
    (root / "plots" / "confusion_matrix.jpg").write_bytes(JPEG)
    (root / "report.md").write_text(REPORT)
    commit(root, "a run")
    return root


def event(tmp_path: Path, name: str = "pull_request", **change: Any) -> Path:
    """GitHub's own payload for ``name``, pointed at PR #42 at HEAD (a pull_request event)."""
    source = {"pull_request": "pull_request.opened.json", "push": "push.json"}[name]
    payload = json.loads((EVENTS / source).read_text())
    if name == "pull_request":
        payload["number"] = payload["pull_request"]["number"] = 42
        payload["pull_request"]["head"]["sha"], payload["pull_request"]["base"]["sha"] = HEAD, BASE
    payload.update(change)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(payload))
    return path


def actions_env(fake: Any, tmp_path: Path, name: str = "pull_request", token: str | None = TOKEN,
                **extra: str) -> dict[str, str]:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(event(tmp_path, name)),
           "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.url, "GITHUB_SERVER_URL": SERVER,
           "GITHUB_WORKFLOW": "ml", "GITHUB_RUN_ID": "118", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_SHA": "c" * 40,
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "GITHUB_OUTPUT": str(tmp_path / "output")}
    if token:
        env["GITHUB_TOKEN"] = token
    env.update(extra)
    return env


class Lines(list[str]):
    def __call__(self, text: str = "", nl: bool = True) -> None:
        self.extend(str(text).splitlines() or [""])

    def text(self) -> str:
        return "\n".join(self)


def run(fake: Any, tmp_path: Path, file: str | Path, env: dict[str, str] | None = None, **options: Any) -> Lines:
    def connect(token: str, url: str | None) -> Any:
        return client.connect(token, url, throttle=False, retry_total=3, backoff_factor=0.01, secondary_rate_wait=1)

    lines = Lines()
    settings = comment.Settings(file=str(file), actions_env=env if env is not None else actions_env(fake, tmp_path),
                                connect=connect, echo=lines, **options)
    assert comment.run(settings) == 0
    return lines


def links(body: str) -> list[tuple[str, str]]:
    """(commit, path) of every blob link in a comment."""
    return [(sha, urllib.parse.unquote(path)) for sha, path in BLOB_LINK.findall(body)]


# --- The CML user's switch ------------------------------------------------------------------------------------------

def test_a_cml_report_becomes_one_comment_its_images_hosted_the_cml_comment_taken_over(
        fake: Any, tmp_path: Path, project: Path) -> None:
    taken = fake.add_comment(REPO, 42, cml_comment(), user=CML_BOT)
    other = fake.add_comment(REPO, 42, cml_comment("nightly"), user=CML_BOT)  # another title: another comment
    person = fake.add_comment(REPO, 42, "LGTM, but see ![](https://cml.dev/watermark.png#abc)", user="octocat")

    out = run(fake, tmp_path, project / "report.md")

    comments = fake.comments(REPO, 42)
    assert [c["id"] for c in comments] == [taken["id"], other["id"], person["id"]]
    mine = comments[0]["body"]
    assert mine.startswith("<!-- mlci:comment -->\n## Metrics\n| metric | value |")
    assert "cml.dev/watermark" not in mine and comments[1]["body"] == other["body"]
    # Posted as written, but for the two local links.
    hosted = links(mine)
    assert len(hosted) == 2 and len({sha for sha, _ in hosted}) == 1
    assert [fake.file_at(REPO, sha, path) for sha, path in hosted] == [PNG, JPEG]
    assert re.sub(BLOB_LINK, "LINK", mine) == "<!-- mlci:comment -->\n" + REPORT.replace(
        "./plot.png", "LINK").replace("plots/confusion_matrix.jpg", "LINK")
    assert hosted[0][1].startswith("pr-42/") and hosted[0][1].endswith(".png") and hosted[1][1].endswith(".jpg")
    assert f"comment updated on PR #42: {comments[0]['html_url']}" in out.text()
    assert "2 images committed to mlci-assets" in out.text()
    assert comments[0]["html_url"] in (tmp_path / "output").read_text()


def test_the_next_run_edits_the_same_comment(fake: Any, tmp_path: Path, project: Path) -> None:
    run(fake, tmp_path, project / "report.md")
    (project / "report.md").write_text(REPORT.replace("0.912", "0.930"))
    out = run(fake, tmp_path, project / "report.md")
    [only] = fake.comments(REPO, 42)
    assert "0.930" in only["body"] and "comment updated on PR #42" in out.text()


def test_each_watermark_title_is_its_own_comment(fake: Any, tmp_path: Path, project: Path) -> None:
    cml = fake.add_comment(REPO, 42, cml_comment("train_report {x}"), user=CML_BOT)
    run(fake, tmp_path, project / "report.md", watermark_title="train_report {x}")
    run(fake, tmp_path, project / "report.md", watermark_title="eval")
    run(fake, tmp_path, project / "report.md", watermark_title="{workflow}-{run}")  # CML's placeholders
    bodies = {c["id"]: c["body"].split("\n", 1)[0] for c in fake.comments(REPO, 42)}
    assert bodies[cml["id"]] == '<!-- mlci:comment title="train_report {x}" -->'
    assert sorted(bodies.values()) == sorted(['<!-- mlci:comment title="train_report {x}" -->',
                                             '<!-- mlci:comment title="eval" -->',
                                             '<!-- mlci:comment title="ml-118" -->'])


def test_a_cml_comment_a_person_posted_is_left_and_named(fake: Any, tmp_path: Path, project: Path) -> None:
    pat = fake.add_comment(REPO, 42, cml_comment(), user="octocat")  # CML run with a personal token
    out = run(fake, tmp_path, project / "report.md")
    assert len(fake.comments(REPO, 42)) == 2 and fake.comments(REPO, 42)[0]["body"] == pat["body"]
    assert f"by @octocat: {pat['html_url']} is left as it is" in out.text()


# --- --target --------------------------------------------------------------------------------------------------------

def test_target_issue_n_posts_there_and_not_on_the_pr(fake: Any, tmp_path: Path, project: Path) -> None:
    out = run(fake, tmp_path, project / "report.md", target="issue/7")
    [posted] = fake.comments(REPO, 7)
    assert posted["body"].startswith("<!-- mlci:comment -->") and fake.comments(REPO, 42) == []
    assert "comment created on issue #7" in out.text()
    # The images of a comment that is not a PR's go under the run's PR, else its branch.
    assert links(posted["body"])[0][1].startswith("pr-42/")
    run(fake, tmp_path, project / "report.md", target="issue/7",
        env=actions_env(fake, tmp_path, "push", GITHUB_REF_NAME="main"))
    assert links(fake.comments(REPO, 7)[0]["body"])[0][1].startswith("branch-main/")


def test_target_pr_n(fake: Any, tmp_path: Path, project: Path) -> None:
    run(fake, tmp_path, project / "report.md", target="PR/7")
    [posted] = fake.comments(REPO, 7)
    assert links(posted["body"])[0][1].startswith("pr-7/")


def test_target_commit_is_a_commit_comment_on_the_prs_head_edited_in_place(
        fake: Any, tmp_path: Path, project: Path) -> None:
    cml = fake.add_commit_comment(REPO, HEAD, cml_comment(), user=CML_BOT)
    out = run(fake, tmp_path, project / "report.md", target="commit")
    run(fake, tmp_path, project / "report.md", target="commit")
    [posted] = fake.commit_comments(REPO, HEAD)
    assert posted["id"] == cml["id"] and posted["body"].startswith("<!-- mlci:comment -->\n## Metrics")
    assert fake.comments(REPO, 42) == []
    assert f"comment updated on commit {HEAD[:12]}: {posted['html_url']}" in out.text()


def test_target_commit_sha_a_short_one_as_the_clone_knows_it(fake: Any, tmp_path: Path, project: Path) -> None:
    sha = sh(project, "git", "rev-parse", "HEAD").stdout.strip()
    fake.add_commit(REPO, sha)
    out = run(fake, tmp_path, project / "report.md", target=f"commit/{sha[:10].upper()}")
    run(fake, tmp_path, project / "report.md", target=f"commit/{sha}")
    assert len(fake.commit_comments(REPO, sha)) == 1 and f"on commit {sha[:12]}" in out.text()


def test_by_default_a_push_comments_on_the_pr_its_commit_heads_else_on_the_commit(
        fake: Any, tmp_path: Path, project: Path) -> None:
    env = actions_env(fake, tmp_path, "push", GITHUB_SHA=HEAD)
    run(fake, tmp_path, project / "report.md", env=env)
    assert len(fake.comments(REPO, 42)) == 1
    lonely = "e" * 40
    fake.add_commit(REPO, lonely)
    out = run(fake, tmp_path, project / "report.md", env=actions_env(fake, tmp_path, "push", GITHUB_SHA=lonely))
    assert len(fake.commit_comments(REPO, lonely)) == 1 and f"on commit {lonely[:12]}" in out.text()


def test_target_pr_without_a_pr_is_an_error(fake: Any, tmp_path: Path, project: Path) -> None:
    lonely = "e" * 40
    fake.add_commit(REPO, lonely)
    with pytest.raises(MlciError, match=r"--target pr: no pull request for commit eeeeeeeeeeee"):
        run(fake, tmp_path, project / "report.md", env=actions_env(fake, tmp_path, "push", GITHUB_SHA=lonely),
            target="pr")


@pytest.mark.parametrize("target", ["issue", "pr/0", "pr/x", "commit/xyz", "branch/main", "issue/-1"])
def test_a_wrong_target_is_refused_before_anything_is_read(fake: Any, tmp_path: Path, target: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"--target {target}")):
        run(fake, tmp_path, tmp_path / "never-read.md", target=target)
    assert fake.requests == []


# --- Images that are not posted -------------------------------------------------------------------------------------

def test_an_image_outside_the_repository_is_refused_never_read_nor_uploaded(
        fake: Any, tmp_path: Path, project: Path) -> None:
    secret = tmp_path / "etc" / "passwd.png"
    secret.parent.mkdir()
    secret.write_bytes(PNG + b"secret")
    (project / "leak.png").symlink_to(secret)  # a symlink inside, leading out
    (project / "report.md").write_text("![](./plot.png)\n![x](../etc/passwd.png)\n![](../../etc/passwd.png)\n"
                                       "![y](leak.png)\n")
    out = run(fake, tmp_path, project / "report.md")

    [posted] = fake.comments(REPO, 42)
    [(sha, _)] = links(posted["body"])
    assert all(PNG + b"secret" != fake.file_at(REPO, sha, path) for path in fake.paths_at(REPO, sha))
    assert len([r for r in fake.requests if r.path.endswith("/git/blobs")]) == 1
    for shown in ("../etc/passwd.png", "../../etc/passwd.png"):
        assert f"mlci: image {shown} (line " in out.text()
        assert f"`{shown}` refused: outside the repository; not read" in posted["body"]
        assert f"]({shown})" in posted["body"]  # left as written
    assert re.search(r"mlci: image leak\.png \(line 4\): refused: a symlink out of the repository; not read \(to .*"
                     r"passwd\.png", out.text())
    assert str(tmp_path) not in posted["body"]  # the runner's paths stay in the log


def test_a_missing_image_a_non_image_and_a_big_one_are_named_in_the_output_and_the_comment(
        fake: Any, tmp_path: Path, project: Path) -> None:
    (project / "notes.png").write_text("not an image\n")
    with (project / "big.png").open("wb") as big:
        big.write(PNG)
        big.truncate(10 * 1024 * 1024 + 1)
    (project / "report.md").write_text("![](missing.png)\n![](notes.png)\n![](big.png)\n![](plot.png)\n")
    out = run(fake, tmp_path, project / "report.md")
    body = fake.comments(REPO, 42)[0]["body"]
    assert "mlci: image missing.png (line 1): not found (missing.png)" in out.text()
    assert "`missing.png` not found (missing.png); its link is left as written" in body
    assert "`notes.png` not a PNG, JPEG, GIF or SVG image (by its content): not uploaded" in body
    assert "`big.png` 10.0 MB (10,485,761 bytes), over GitHub's 10 MB for an image in a comment" in body
    assert len(links(body)) == 1


def test_no_publish_uploads_nothing_and_says_so(fake: Any, tmp_path: Path, project: Path) -> None:
    out = run(fake, tmp_path, project / "report.md", publish=False)
    body = fake.comments(REPO, 42)[0]["body"]
    assert links(body) == [] and "](./plot.png)" in body
    assert "2 local images not uploaded (--no-publish)" in body and "--no-publish" in out.text()
    assert not [r for r in fake.requests if "/git/" in r.path]


def test_a_refused_assets_branch_still_posts_the_comment_with_the_reason(
        fake: Any, tmp_path: Path, project: Path) -> None:
    fake.protect_branch(REPO, "mlci-assets")
    out = run(fake, tmp_path, project / "report.md")
    body = fake.comments(REPO, 42)[0]["body"]
    assert links(body) == [] and "](./plot.png)" in body
    line = ("the images are not shown: the assets branch mlci-assets cannot be written: 422 Reference update failed; "
            "their links are left as written")
    assert f"<sub>mlci: {line}</sub>" in body and f"mlci: {line}" in out


def test_a_read_only_token_says_which_permission_is_missing(fake: Any, tmp_path: Path, project: Path) -> None:
    with pytest.raises(MlciError) as refused:
        run(fake, tmp_path, project / "report.md", env=actions_env(fake, tmp_path, token=READ_ONLY))
    message = str(refused.value)
    assert message.startswith("GitHub refused the comment (Resource not accessible by integration): the job needs "
                              "`pull-requests: write`") and "\n" not in message and READ_ONLY not in message


def test_the_assets_branch_of_mlci_yaml_is_used(fake: Any, tmp_path: Path, project: Path) -> None:
    (project / "mlci.yaml").write_text("version: 1\nplots:\n  branch: ci-images\n")
    out = run(fake, tmp_path, project / "report.md")
    assert "2 images committed to ci-images" in out.text() and fake.ref(REPO, "refs/heads/ci-images")


# --- Size -------------------------------------------------------------------------------------------------------------

def test_a_report_over_65536_characters_is_cut_with_a_note_and_whole_in_the_job_summary(
        fake: Any, tmp_path: Path, project: Path) -> None:
    rows = "".join(f"| epoch {i} | {'x' * 80} |\n" for i in range(1200))
    (project / "report.md").write_text("![](plot.png)\n" + rows)
    out = run(fake, tmp_path, project / "report.md")
    body = fake.comments(REPO, 42)[0]["body"]
    assert len(body) <= 65_536 and len(links(body)) == 1
    assert ("it is cut here. The whole report is in the job summary of [this run]"
            f"({SERVER}/{REPO}/actions/runs/118).") in body
    summary = (tmp_path / "summary.md").read_text()
    assert summary.count("| epoch ") == 1200 and links(summary) == links(body)
    assert "over the 65,536 of a comment" in out.text()


def test_a_body_github_refuses_as_too_long_is_posted_shorter(fake: Any, tmp_path: Path, project: Path) -> None:
    fake.inject("POST", r"/issues/42/comments$", status=422, body={
        "message": "Validation Failed", "errors": [{"resource": "IssueComment", "code": "unprocessable",
                                                    "field": "data", "message": "Body is too long"}],
        "documentation_url": "https://docs.github.com/rest"})
    (project / "report.md").write_text("".join(f"line {i} {'y' * 60}\n" for i in range(900)))
    out = run(fake, tmp_path, project / "report.md")
    body = fake.comments(REPO, 42)[0]["body"]
    assert len(body) <= comment.SHORT_BUDGET and "it is cut here" in body
    assert "GitHub refused the comment" in out.text()


# --- Standard input, tokens, --watch ---------------------------------------------------------------------------------

def test_standard_input_resolves_images_from_the_current_folder(
        fake: Any, tmp_path: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "plots")
    run(fake, tmp_path, "-", read_stdin=lambda: "![](confusion_matrix.jpg)\n")
    [(sha, path)] = links(fake.comments(REPO, 42)[0]["body"])
    assert fake.file_at(REPO, sha, path) == JPEG


def test_cmls_repo_token_variable_is_read(fake: Any, tmp_path: Path, project: Path) -> None:
    run(fake, tmp_path, project / "report.md", env=actions_env(fake, tmp_path, token=None, REPO_TOKEN=TOKEN))
    assert len(fake.comments(REPO, 42)) == 1


def test_the_token_never_appears_in_what_is_printed(fake: Any, tmp_path: Path, project: Path) -> None:
    fake.protect_branch(REPO, "mlci-assets")
    out = run(fake, tmp_path, project / "report.md")
    assert TOKEN not in out.text()


def test_watch_posts_again_when_the_file_or_an_image_changes_until_ctrl_c(
        fake: Any, tmp_path: Path, project: Path) -> None:
    report = project / "report.md"
    steps: list[str] = []

    def sleep(seconds: float) -> None:
        steps.append("sleep")
        if len(steps) == 2:
            report.write_text(REPORT.replace("0.912", "0.950"))
            os.utime(report, ns=(1, 1))
        elif len(steps) == 6:
            (project / "plot.png").write_bytes(PNG + b"epoch 2")
        elif len(steps) >= 10:
            raise KeyboardInterrupt

    out = run(fake, tmp_path, report, watch=True, sleep=sleep, poll_seconds=0.01)
    [posted] = fake.comments(REPO, 42)
    assert "0.950" in posted["body"]
    [(sha, path), _] = links(posted["body"])
    assert fake.file_at(REPO, sha, path) == PNG + b"epoch 2"
    assert sum("comment " in line and " on PR #42" in line for line in out) == 3
    assert out[-1] == f"mlci: stopped watching {report} (3 posts)"


def test_watch_needs_a_file(fake: Any, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--watch needs a FILE"):
        run(fake, tmp_path, "-", watch=True)


def test_local_mode_without_a_token_posts_nothing_and_shows_what_it_would(
        fake: Any, tmp_path: Path, project: Path) -> None:
    (project / "report.md").write_text(REPORT + "![](../outside.png)\n")
    out = run(fake, tmp_path, project / "report.md", env=actions_env(fake, tmp_path, token=None))
    assert fake.requests == [] and fake.comments(REPO, 42) == []
    text = out.text()
    assert out[0] == "mlci: local mode, no token (--token, GITHUB_TOKEN, GH_TOKEN or REPO_TOKEN): nothing posted"
    assert "mlci: would post on PR #42, as the comment marked <!-- mlci:comment -->" in text
    assert "mlci: image ./plot.png (line 7): PNG" in text and "would be committed to the assets branch" in text
    assert "mlci: image ../outside.png (line 10): refused: outside the repository; not read" in text
    assert "<!-- mlci:comment -->\n## Metrics" in text


def test_cml_flags_that_mean_nothing_here_are_named_and_ignored(fake: Any, tmp_path: Path, project: Path) -> None:
    target, notes = comment.cml_flags(pr=True, driver="github", publish_url="https://asset.cml.dev", native=True,
                                      rm_watermark=True, log="debug")
    assert target == "pr" and len(notes) == 4
    out = run(fake, tmp_path, project / "report.md", target=target, notes=notes)
    assert out[:4] == [f"mlci: {n}" for n in notes] and len(fake.comments(REPO, 42)) == 1
    assert comment.cml_flags(commit_sha="abc1234")[0] == "commit/abc1234"
    with pytest.raises(ConfigError, match="--driver gitlab: mlci posts to GitHub only"):
        comment.cml_flags(driver="gitlab")
    with pytest.raises(ConfigError, match="give one"):
        comment.cml_flags(target="pr", commit_sha="abc1234")


def test_repo_names_the_repository(fake: Any, tmp_path: Path, project: Path) -> None:
    fake.add_repo("acme/other")
    fake.add_pull("acme/other", 42, HEAD, BASE)
    run(fake, tmp_path, project / "report.md", repo="https://github.com/acme/other.git")
    assert len(fake.comments("acme/other", 42)) == 1 and fake.comments(REPO, 42) == []
    assert comment.parse_repo("acme/other", None) == "acme/other"
    with pytest.raises(ConfigError, match="posts to https://github.com only"):
        comment.parse_repo("https://gitlab.com/acme/other", None)


def test_settings_are_frozen() -> None:
    with pytest.raises(Exception):
        replace(comment.Settings(), file="x").file = "y"  # type: ignore[misc]


def test_an_embedded_base64_image_is_hosted_too(fake: Any, tmp_path: Path, project: Path) -> None:
    """dvclive and notebooks write `![](data:image/png;base64,...)`, which GitHub does not show in a comment: the image
    is committed like a file and its link rewritten; an embedded one that is not an image is named, not uploaded."""
    import base64

    embedded = base64.b64encode(PNG).decode()
    bogus = base64.b64encode(b"#!/bin/sh\necho not an image\n").decode()
    (project / "embedded.md").write_text(f"## Curve\n![roc](data:image/png;base64,{embedded})\n\n"
                                         f"![x](data:image/png;base64,{bogus})\n")
    out = run(fake, tmp_path, project / "embedded.md")
    [mine] = fake.comments(REPO, 42)
    [(sha, path)] = links(mine["body"])
    assert fake.file_at(REPO, sha, path) == PNG and path.endswith(".png")
    assert embedded not in mine["body"] and f"data:image/png;base64,{bogus}" in mine["body"]  # left as written
    assert "an embedded image that is not a PNG, JPEG, GIF or SVG: not uploaded" in out.text()
