"""The plots dvc.yaml declares, base against head, through real DVC on real git repositories, drawn by vl-convert."""

from __future__ import annotations

import re
import struct
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlci import dvc
from mlci.extras import MissingExtra
from mlci.plots.collect import collect
from mlci.plots.model import Plot
from tests.repo_helpers import commit, init_repo, pinned_git_env, sh, working_copy, write
from tests.unit.plots.test_model import png

pytest.importorskip("vl_convert")

DEMO_DVC_YAML = Path(__file__).resolve().parents[2] / "src" / "mlci" / "demo" / "project" / "dvc.yaml"
SCALE = 2.0


def roc(points: int) -> list[dict[str, float]]:
    return [{"fpr": i / (points - 1), "tpr": min(1.0, 1.3 * i / (points - 1)), "threshold": 1 - i / (points - 1)}
            for i in range(points)]


def confusion(rows: int) -> str:
    pairs = [("low", "low"), ("high", "low"), ("high", "high"), ("low", "high")]
    return "actual,predicted\n" + "".join(f"{a},{p}\n" for a, p in (pairs[i % 4] for i in range(rows)))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's dvc.yaml (its roc and confusion plots at the top level) with plot data committed: main has a
    ROC curve of 11 points and 9 confusion rows; the branch `pr` 21 points and 12 rows."""
    with pinned_git_env():
        path = init_repo(tmp_path_factory.mktemp("plots") / "repo")
        pipeline = yaml.safe_load(DEMO_DVC_YAML.read_text())
        pipeline["plots"] = [p for p in pipeline["plots"] if next(iter(p)) in ("roc", "confusion")]
        write(path, "dvc.yaml", pipeline)
        write(path, "plots/roc.json", roc(11))
        write(path, "plots/confusion.csv", confusion(9))
        commit(path, "base plots")
        sh(path, "git", "checkout", "-q", "-b", "pr")
        write(path, "plots/roc.json", roc(21))
        write(path, "plots/confusion.csv", confusion(12))
        commit(path, "better plots")
    return path


@pytest.fixture
def repo(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return working_copy(template, tmp_path, monkeypatch)


def sha(repo: Path, rev: str) -> str:
    return sh(repo, "git", "rev-parse", rev).stdout.strip()


def by_id(plots: list[Plot]) -> dict[str, Plot]:
    return {p.id: p for p in plots}


def decode_png(data: bytes) -> tuple[int, int]:
    """Decode a PNG far enough to know it is whole: every chunk's CRC, and the image data inflating to exactly
    the rows its header promises. Returns (width, height)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(kind + body) & 0xFFFFFFFF
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
        if kind == b"IEND":
            break
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
    assert len(zlib.decompress(idat)) == height * (1 + (width * channels * depth + 7) // 8)
    return width, height


def svg_size(svg: str) -> tuple[int, int]:
    match = re.search(r'<svg[^>]* width="(\d+)" height="(\d+)"', svg)
    assert match
    return int(match[1]), int(match[2])


def test_the_demos_plots_have_both_revisions_with_their_rows(repo: Path) -> None:
    base, head = sha(repo, "main"), sha(repo, "pr")
    opened = dvc.open_repo(repo)
    try:
        figures, unreadable = dvc.plots_diff(opened, [base[:7], head[:7]])
    finally:
        opened.close()
    assert unreadable == {} and [f.id for f in figures] == ["roc", "confusion"]
    for figure, rows in zip(figures, ((11, 21), (9, 12))):
        assert figure.kind == "vega" and figure.spec is not None and figure.errors == {}
        assert figure.revisions == (base[:7], head[:7])
        values = figure.spec["data"]["values"]
        assert [sum(1 for v in values if v["rev"] == rev) for rev in figure.revisions] == list(rows)
    assert figures[0].title == "ROC curve (test set)"
    assert figures[0].spec["encoding"]["color"]["scale"]["domain"] == [base[:7], head[:7]]  # DVC's legend: both


def test_the_demos_plots_are_drawn_to_png_and_svg(repo: Path, tmp_path: Path) -> None:
    base, head = sha(repo, "main"), sha(repo, "pr")
    plots = by_id(collect(repo, base, head, tmp_path / "bundle"))  # DVC's size, twice the pixels
    assert list(plots) == ["roc", "confusion"]
    roc_plot, matrix = plots["roc"], plots["confusion"]
    assert (roc_plot.base.rev, roc_plot.head.rev) == (base[:7], head[:7])
    assert (roc_plot.base.rows, roc_plot.head.rows, matrix.base.rows, matrix.head.rows) == (11, 21, 9, 12)
    for plot in plots.values():
        assert plot.drawn and plot.base.status == plot.head.status == "present"
        png_file, svg_file = plot.files
        assert (png_file.path, svg_file.path) == (f"plots/{plot.id}.png", f"plots/{plot.id}.svg")
        width, height = svg_size((tmp_path / "bundle" / svg_file.path).read_text())
        decoded = decode_png((tmp_path / "bundle" / png_file.path).read_bytes())
        assert decoded == (png_file.width, png_file.height) == (round(width * SCALE), round(height * SCALE))
    # The ROC plot is 300 x 300 in DVC's template, the confusion matrix two facets of 300 x 300.
    assert 600 < roc_plot.files[0].width < 1000 and 600 < roc_plot.files[0].height < 1000  # type: ignore[operator]
    assert matrix.files[0].width > 2 * 600  # type: ignore[operator]


def test_a_declared_plot_whose_file_is_missing_is_reported(repo: Path, tmp_path: Path) -> None:
    pipeline = yaml.safe_load((repo / "dvc.yaml").read_text())
    pipeline["plots"].append({"loss": {"x": "step", "y": {"plots/loss.csv": "loss"}}})
    write(repo, "dvc.yaml", pipeline)
    head = commit(repo, "a loss plot, its file never written")
    plots = by_id(collect(repo, sha(repo, "main"), head, tmp_path / "bundle"))
    loss = plots["loss"]
    assert loss.base.status == "missing" and loss.base.reason == "not declared at this revision"
    assert loss.head.status == "missing" and loss.head.reason == "plots/loss.csv: file not found"
    assert loss.reason == "nothing to draw: DVC has its data at neither revision" and loss.files == ()
    assert plots["roc"].drawn and plots["confusion"].drawn  # the others are drawn all the same


def test_a_plot_missing_at_the_base_is_drawn_with_the_head_alone(repo: Path, tmp_path: Path) -> None:
    pipeline = yaml.safe_load((repo / "dvc.yaml").read_text())
    pipeline["plots"].append({"plots/loss.csv": {"x": "step", "y": "loss"}})
    write(repo, "dvc.yaml", pipeline)
    write(repo, "plots/loss.csv", "step,loss\n1,0.9\n2,0.5\n3,0.4\n")
    head = commit(repo, "a loss curve")
    loss = by_id(collect(repo, sha(repo, "main"), head, tmp_path / "bundle"))["plots/loss.csv"]
    assert loss.drawn and loss.base.status == "missing" and (loss.head.status, loss.head.rows) == ("present", 3)
    assert [f.path for f in loss.files] == ["plots/plots-loss.csv.png", "plots/plots-loss.csv.svg"]


def test_a_spec_vl_convert_cannot_draw_is_reported(repo: Path, tmp_path: Path) -> None:
    """A template of the project's own (.dvc/plots) that DVC fills in but that is no Vega-Lite. (A plot declared at
    both revisions is drawn with the base's definition: DVC merges them so, the first revision's props winning.)"""
    broken = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "data": {"values": "<DVC_METRIC_DATA>"},
              "mark": "no-such-mark", "encoding": {"x": {"field": "<DVC_METRIC_X>", "type": "quantitative"},
                                                   "y": {"field": "<DVC_METRIC_Y>", "type": "quantitative"}}}
    write(repo, ".dvc/plots/broken.json", broken)
    pipeline = yaml.safe_load((repo / "dvc.yaml").read_text())
    pipeline["plots"].append({"custom": {"template": "broken", "x": "fpr", "y": {"plots/roc.json": "tpr"}}})
    write(repo, "dvc.yaml", pipeline)
    head = commit(repo, "a template of our own")
    plots = by_id(collect(repo, sha(repo, "main"), head, tmp_path / "bundle"))
    custom = plots["custom"]
    assert custom.files == () and not custom.drawn
    assert custom.reason is not None and custom.reason.startswith("vl-convert could not draw it: Vega-Lite to Vega conversion failed: ")
    assert "\n" not in custom.reason and "https://" not in custom.reason
    assert (custom.head.status, custom.head.rows) == ("present", 21)  # the data was there; the drawing failed
    assert plots["roc"].drawn and plots["confusion"].drawn
    assert not list((tmp_path / "bundle" / "plots").glob("custom*"))


def test_a_template_dvc_cannot_find_is_that_plots_reason(repo: Path, tmp_path: Path) -> None:
    """DVC itself stops at such a plot (`dvc plots diff` fails whole); mlci matches the plots one by one then."""
    pipeline = yaml.safe_load((repo / "dvc.yaml").read_text())
    pipeline["plots"].insert(1, {"odd": {"template": "no-such-template", "x": "fpr", "y": {"plots/roc.json": "tpr"}}})
    write(repo, "dvc.yaml", pipeline)
    head = commit(repo, "a template that is nowhere")
    plots = collect(repo, sha(repo, "main"), head, tmp_path / "bundle")
    assert [p.id for p in plots] == ["roc", "confusion", "odd"]  # DVC's order: the base's plots, then the head's new
    odd = plots[2]
    assert odd.reason == "DVC could not make its figure: TemplateNotFoundError: Template 'no-such-template' not found."
    assert odd.files == () and odd.head.reason == "DVC found no data for it"
    assert plots[0].drawn and plots[1].drawn


def test_an_image_plot_at_base_and_head(repo: Path, tmp_path: Path) -> None:
    sh(repo, "git", "checkout", "-q", "main")
    pipeline = yaml.safe_load((repo / "dvc.yaml").read_text())
    pipeline["plots"].append("eval/importance.png")
    write(repo, "dvc.yaml", pipeline)
    (repo / "eval").mkdir()
    (repo / "eval" / "importance.png").write_bytes(png(40, 30))
    base = commit(repo, "feature importance")
    (repo / "eval" / "importance.png").write_bytes(png(64, 48))
    head = commit(repo, "feature importance, larger")
    image = by_id(collect(repo, base, head, tmp_path / "bundle"))["eval/importance.png"]
    assert image.kind == "image" and image.drawn
    assert [(f.path, f.rev, f.width, f.height) for f in image.files] == [
        ("plots/eval-importance.base.png", base[:7], 40, 30), ("plots/eval-importance.head.png", head[:7], 64, 48)]
    assert (tmp_path / "bundle" / "plots" / "eval-importance.base.png").read_bytes() == png(40, 30)
    assert decode_png((tmp_path / "bundle" / "plots" / "eval-importance.head.png").read_bytes()) == (64, 48)


def test_the_workspace_as_head(repo: Path, tmp_path: Path) -> None:
    write(repo, "plots/roc.json", roc(5))
    plots = by_id(collect(repo, sha(repo, "main"), None, tmp_path / "bundle"))
    assert (plots["roc"].head.rev, plots["roc"].head.rows, plots["roc"].base.rows) == ("workspace", 5, 11)


def test_the_same_commit_on_both_sides(repo: Path, tmp_path: Path) -> None:
    head = sha(repo, "pr")
    roc_plot = by_id(collect(repo, head, head, tmp_path / "bundle"))["roc"]
    assert roc_plot.drawn and roc_plot.base == roc_plot.head and roc_plot.head.rows == 21


def test_a_plot_id_never_writes_outside_the_folder(repo: Path, tmp_path: Path) -> None:
    pipeline = yaml.safe_load((repo / "dvc.yaml").read_text())
    pipeline["plots"].append({"../../../escaped": {"x": "fpr", "y": {"plots/roc.json": "tpr"}}})
    write(repo, "dvc.yaml", pipeline)
    head = commit(repo, "a hostile plot id")
    out = tmp_path / "deep" / "er" / "bundle"

    def files() -> set[Path]:  # all but DVC's own (its index and locks in .dvc/tmp)
        return {p for p in tmp_path.rglob("*") if p.is_file() and repo / ".dvc" not in p.parents}

    before = files()
    plot = by_id(collect(repo, sha(repo, "main"), head, out))["../../../escaped"]
    assert plot.drawn and [f.path for f in plot.files] == ["plots/escaped.png", "plots/escaped.svg"]
    assert sorted(p.relative_to(out).as_posix() for p in files() - before) == [
        "plots/confusion.png", "plots/confusion.svg", "plots/escaped.png", "plots/escaped.svg", "plots/roc.png",
        "plots/roc.svg"]


def test_a_dvc_yaml_dvc_cannot_read_at_the_base(repo: Path, tmp_path: Path) -> None:
    sh(repo, "git", "checkout", "-q", "main")
    write(repo, "dvc.yaml", "plots: [\n")
    base = commit(repo, "a broken dvc.yaml")
    sh(repo, "git", "checkout", "-q", "pr")
    plots = by_id(collect(repo, base, sha(repo, "pr"), tmp_path / "bundle"))
    roc_plot = plots["roc"]
    assert roc_plot.drawn and roc_plot.head.rows == 21
    assert roc_plot.base.status == "missing"
    assert roc_plot.base.reason is not None and roc_plot.base.reason.startswith("DVC could not read the plot definitions")


def test_without_vl_convert_nothing_is_asked_of_dvc(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vl_convert", None)
    with pytest.raises(MissingExtra, match=r"^drawing plots needs mlci\[plots\]: pip install 'mlci\[plots\]'$"):
        collect(repo, sha(repo, "main"), sha(repo, "pr"), tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()


@pytest.mark.slow
def test_the_demo_project_built_for_real(tmp_path: Path) -> None:
    """The demo as `mlci demo` builds it (its pipeline run for main and each PR): its three plots, both revisions."""
    pytest.importorskip("sklearn")
    from mlci.demo.runner import create_project
    from mlci.demo.scenarios import BASE_BRANCH, IMPROVE

    project = create_project(tmp_path, lambda line: None)
    base, head = sha(project, BASE_BRANCH), sha(project, IMPROVE.branch)
    plots = by_id(collect(project, base, head, tmp_path / "bundle"))
    assert list(plots) == ["roc", "confusion", "importance"]
    test_rows = len((project / "plots" / "confusion.csv").read_text().splitlines()) - 1
    assert plots["confusion"].base.rows == plots["confusion"].head.rows == test_rows  # one row per test example
    for plot in plots.values():
        assert plot.drawn and plot.base.status == plot.head.status == "present"
        assert decode_png((tmp_path / "bundle" / plot.files[0].path).read_bytes())[0] > 600




def test_mlci_report_draws_the_plots_into_the_bundle_and_lists_them(repo: Path, tmp_path: Path) -> None:
    """`mlci report` on the PR branch: report.json has each plot with its files, the PNGs are in the bundle's plots/
    folder, the terminal lists them, and mlci.yaml's plots settings apply (exclude, width)."""
    import json

    from mlci.commands import report as report_command

    write(repo, "mlci.yaml", "version: 1\nplots:\n  exclude: [confusion]\n  width: 300\n")
    commit(repo, "a policy")
    sh(repo, "git", "checkout", "-q", "-b", "next")
    write(repo, "plots/roc.json", roc(31))
    commit(repo, "a finer ROC curve")
    printed: list[str] = []
    out = tmp_path / "bundle"
    stale = out / "plots" / "old.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(png(2, 2))
    code = report_command.run(report_command.Settings(out=out, base="pr", head="HEAD", cwd=repo,
                                                      actions_env={}, echo=lambda text, nl=True: printed.append(text)))
    assert code == 0
    data = json.loads((out / "report.json").read_text())
    (plot,) = data["plots"]  # the confusion matrix is excluded
    assert (plot["id"], plot["base"]["rows"], plot["head"]["rows"]) == ("roc", 21, 31)
    assert [f["path"] for f in plot["files"]] == ["plots/roc.png", "plots/roc.svg"]
    assert decode_png((out / "plots" / "roc.png").read_bytes())[0] == 600  # twice the width it is shown at
    assert not stale.exists()  # an earlier run's files are gone
    assert "  - ROC curve (test set): plots/roc.png (600×" in "".join(printed)
    assert "<summary>Plots: 1</summary>" in (out / "report.md").read_text()


def test_mlci_report_without_the_plots_extra_says_so(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlci.commands import report as report_command

    monkeypatch.setitem(sys.modules, "vl_convert", None)
    out = tmp_path / "bundle"
    report_command.run(report_command.Settings(out=out, base="main", head="pr", cwd=repo, actions_env={},
                                               echo=lambda text, nl=True: None))
    md = (out / "report.md").read_text()
    assert r"`plots` (base and head): not drawn: drawing plots needs mlci\[plots\]" in md


def test_mlci_report_no_plots_draws_nothing(repo: Path, tmp_path: Path) -> None:
    import json

    from mlci.cli import cli
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["report", "--no-plots", "--base", "main", "--head", "pr", "--out",
                                      str(tmp_path / "bundle")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "bundle" / "report.json").read_text())["plots"] == []
    assert not (tmp_path / "bundle" / "plots").exists() and "Plots" not in result.output


def test_a_plots_pattern_that_matches_no_plot_is_a_problem(repo: Path, tmp_path: Path) -> None:
    """`include: [rocc]` (a typo) would hide every plot without a word: the report names it and what dvc.yaml has."""
    import json

    from mlci.commands import report as report_command

    write(repo, "mlci.yaml", "version: 1\nplots:\n  include: [rocc, 'conf*']\n  exclude: [nothing-like-this]\n")
    commit(repo, "a policy with a typo")
    report_command.run(report_command.Settings(out=tmp_path / "b", base="HEAD", head="HEAD", cwd=repo, actions_env={},
                                               echo=lambda text, nl=True: None))
    data = json.loads((tmp_path / "b" / "report.json").read_text())
    assert [p["id"] for p in data["plots"]] == ["confusion"]
    assert [(p["source"], p["message"]) for p in data["problems"] if p["source"].startswith("mlci.yaml")] == [
        ("mlci.yaml (at HEAD)", "plots.include: 'rocc' matches no plot dvc.yaml declares (it declares: roc, confusion)"),
        ("mlci.yaml (at HEAD)",
         "plots.exclude: 'nothing-like-this' matches no plot dvc.yaml declares (it declares: roc, confusion)"),
    ]
