"""mlci publish with plots, against the contract-checked fake GitHub: the bundle's PNGs committed to the assets
branch and linked in the comment, the check and the job summary at that commit; refusals fall back to Mermaid and
say why; a fork's bundle is hosted by the privileged job from the paths mlci makes, with this job's policy."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mlci.github import client
from mlci.plots.model import Plot, PlotFile, PlotSettings, Side
from mlci.plots.series import PlotData, Series
from mlci.publish import PublishSettings, publish
from tests.github.test_publish import BASE, HEAD, REPO, TOKEN, ctx_for, report
from tests.github.test_publish import fake  # noqa: F401 - the fixture: the repository, PR #42 and the tokens
from tests.unit.plots.test_model import png

BRANCH = "mlci-assets"


def roc() -> Plot:
    data = PlotData(shape="line", x_label="fpr", y_label="tpr",
                    line=(Series(rev="9e0b7d3", group=None, points=((0.0, 0.0), (1.0, 1.0))),
                          Series(rev="4f1c2a9", group=None, points=((0.0, 0.0), (0.2, 0.8), (1.0, 1.0)))))
    return Plot(id="roc", title="ROC curve", kind="vega", base=Side("9e0b7d3", "present", rows=2),
                head=Side("4f1c2a9", "present", rows=3), data=data,
                files=(PlotFile("plots/roc.png", "png", None, 80, 60), PlotFile("plots/roc.svg", "svg", None)))


def image_plot() -> Plot:
    return Plot(id="eval/importance.png", title="importance", kind="image", base=Side("9e0b7d3", "present"),
                head=Side("4f1c2a9", "present"),
                files=(PlotFile("plots/eval-importance.base.png", "png", "9e0b7d3", 40, 30),
                       PlotFile("plots/eval-importance.head.png", "png", "4f1c2a9", 64, 48)))


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    folder = tmp_path / "bundle"
    (folder / "plots").mkdir(parents=True)
    (folder / "plots" / "roc.png").write_bytes(png(80, 60))
    (folder / "plots" / "roc.svg").write_text("<svg/>")
    (folder / "plots" / "eval-importance.base.png").write_bytes(png(40, 30))
    (folder / "plots" / "eval-importance.head.png").write_bytes(png(64, 48))
    return folder


def with_plots(hosting: str = "branch", **ctx: Any) -> Any:
    rep = report(**ctx)
    policy = replace(rep.policy, plots=PlotSettings(hosting=hosting))  # type: ignore[arg-type]
    return replace(rep, plots=(roc(), image_plot()), policy=policy)


def run(fake: Any, rep: Any, bundle: Path | None, env: dict[str, str] | None = None) -> Any:
    def connect(tok: str, url: str | None):  # type: ignore[no-untyped-def]
        return client.connect(tok, url, throttle=False, retry_total=4, backoff_factor=0.01, secondary_rate_wait=2)

    return publish(rep, ctx_for(fake), PublishSettings(token=TOKEN), env=env or {}, connect=connect, bundle=bundle)


def linked(body: str) -> list[tuple[str, str]]:
    """(commit, path) of each picture in a body, from github.com's blob links."""
    urls = re.findall(r'<img src="([^"]+)"', body)
    out = []
    for url in urls:
        match = re.fullmatch(rf"https://github\.com/{REPO}/blob/([0-9a-f]{{40}})/(.+)\?raw=true", url)
        assert match, url
        out.append((match[1], urllib.parse.unquote(match[2])))
    return out


def test_the_plots_are_hosted_and_linked_at_their_commit(fake: Any, bundle: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    result = run(fake, with_plots(), bundle, env={"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_RUN_ATTEMPT": "2"})
    [comment] = fake.comments(REPO, 42)
    pictures = linked(comment["body"])
    assert len(pictures) == 3
    for (commit, path), name in zip(pictures, ("roc.png", "eval-importance.base.png", "eval-importance.head.png")):
        assert re.fullmatch(rf"pr-42/\d{{8}}T\d{{6}}Z-run-118-2/{re.escape(name)}", path)
        assert fake.file_at(REPO, commit, path) == (bundle / "plots" / name).read_bytes()  # what was uploaded
    assert "```mermaid" not in comment["body"]
    [check] = fake.check_runs(REPO, HEAD)
    assert linked(check["output"]["summary"]) == pictures  # the check shows the same pictures
    assert linked(summary.read_text()) == pictures  # and so does the job summary
    assert any("3 plot image(s) hosted on mlci-assets" in m for m in result.messages)


def test_a_protected_assets_branch_still_posts_the_comment_with_mermaid_and_why(fake: Any, bundle: Path) -> None:
    fake.protect_branch(REPO, BRANCH)
    run(fake, with_plots(), bundle)
    [comment] = fake.comments(REPO, 42)
    body = comment["body"]
    assert "<img" not in body and "```mermaid" in body  # the ROC curve's data, drawn by GitHub
    assert "⚠️ the images could not be hosted: " in body and "mlci-assets" in body
    assert fake.check_runs(REPO, HEAD)  # the check is set all the same


def test_hosting_mermaid_or_none_writes_nothing_to_the_repository(fake: Any, bundle: Path) -> None:
    for hosting in ("mermaid", "none"):
        fake.reset_requests()
        run(fake, with_plots(hosting), bundle)
        assert not [r for r in fake.requests if "/git/" in r.path], fake.requests
    [comment] = fake.comments(REPO, 42)
    assert "<img" not in comment["body"] and "`plots/roc.png` in the bundle" in comment["body"]


def test_only_files_at_the_paths_mlci_makes_are_uploaded(fake: Any, bundle: Path) -> None:
    """A bundle naming other files (a fork's) gets nothing of theirs uploaded: a link out of the bundle is refused,
    a file that is no PNG is left out, and the rest is hosted."""
    secret = bundle.parent / "secret.png"
    secret.write_bytes(png(1, 1))
    (bundle / "plots" / "eval-importance.base.png").unlink()
    (bundle / "plots" / "eval-importance.base.png").symlink_to(secret)
    (bundle / "plots" / "eval-importance.head.png").write_bytes(b"GIF89a not a png")
    forged = replace(roc(), files=(PlotFile("plots/roc.png", "png", None, 1, 1),))
    rep = replace(with_plots(), plots=(forged, image_plot()))
    fake.reset_requests()
    result = run(fake, rep, bundle)
    [comment] = fake.comments(REPO, 42)
    pictures = linked(comment["body"])
    assert [path.rsplit("/", 1)[1] for _, path in pictures] == ["roc.png"]
    assert len([r for r in fake.requests if r.method == "POST" and r.path.endswith("/git/blobs")]) == 1
    assert fake.file_at(REPO, pictures[0][0], pictures[0][1]) == (bundle / "plots" / "roc.png").read_bytes()
    left_out = [m for m in result.messages if m.startswith("plot image left out")]
    assert len(left_out) == 2 and any("eval-importance.head.png: not a PNG image" in m for m in left_out)


def test_an_image_over_githubs_limit_is_left_out_and_named(fake: Any, bundle: Path) -> None:
    from mlci.bundle import MAX_IMAGE

    big = png(64, 48) + b"\0" * MAX_IMAGE  # a PNG's header, then more bytes than GitHub shows
    (bundle / "plots" / "eval-importance.head.png").write_bytes(big)
    result = run(fake, with_plots(), bundle)
    [comment] = fake.comments(REPO, 42)
    assert [path.rsplit("/", 1)[1] for _, path in linked(comment["body"])] == ["roc.png", "eval-importance.base.png"]
    [line] = [m for m in result.messages if m.startswith("plot image left out")]
    assert "eval-importance.head.png" in line and "10,000,000" in line


def test_a_read_only_token_writes_the_summary_with_mermaid_and_says_why(fake: Any, bundle: Path, tmp_path: Path) -> None:
    """A fork's PR job (read-only token): nothing is hosted; the job summary still shows the plots, as Mermaid."""
    from mlci.errors import MlciError
    from tests.github.test_publish import READ_ONLY_TOKEN

    summary = tmp_path / "summary.md"

    def connect(tok: str, url: str | None):  # type: ignore[no-untyped-def]
        return client.connect(tok, url, throttle=False, retry_total=2, backoff_factor=0.01)

    with pytest.raises(MlciError, match="read-only token"):
        publish(with_plots(), ctx_for(fake), PublishSettings(token=READ_ONLY_TOKEN),
                env={"GITHUB_STEP_SUMMARY": str(summary)}, connect=connect, bundle=bundle)
    text = summary.read_text()
    assert "```mermaid" in text and "<img" not in text and "the images could not be hosted" in text
    assert not [r for r in fake.requests if r.method != "GET" and r.status < 300]  # nothing written


def test_where_images_go_comes_from_the_bases_policy_not_the_bundle(fake: Any, bundle: Path) -> None:
    """The bundle is the PR job's (its code ran there): a bundle naming another branch and pruning everything is not
    obeyed by the job that holds `contents: write`; the base's mlci.yaml, read through GitHub at the event's base
    commit, decides."""
    fake.add_file(REPO, "mlci.yaml", "version: 1\nplots:\n  branch: pr-plots\n  keep_runs: 2\n", ref=BASE)
    rep = with_plots()
    forged = replace(rep.policy, plots=PlotSettings(branch="release", keep_runs=1, retention_days=0))
    run(fake, replace(rep, policy=forged), bundle)
    [comment] = fake.comments(REPO, 42)
    assert len(linked(comment["body"])) == 3
    assert fake.ref(REPO, "refs/heads/pr-plots") is not None and fake.ref(REPO, "refs/heads/release") is None


def test_a_base_policy_that_says_mermaid_hosts_nothing(fake: Any, bundle: Path) -> None:
    fake.add_file(REPO, "mlci.yaml", "version: 1\nplots:\n  hosting: mermaid\n", ref=BASE)
    fake.reset_requests()
    run(fake, with_plots(), bundle)
    assert not [r for r in fake.requests if "/git/" in r.path]
    [comment] = fake.comments(REPO, 42)
    assert "```mermaid" in comment["body"] and "<img" not in comment["body"]
