"""The plots in the comment and on the terminal: hosted pictures linked, base and head side by side for image
plots, every plot that is not drawn named with its reason, nothing linked that mlci did not host."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from mlci.plots.model import Plot, PlotFile, PlotSettings, Side
from mlci.render.markdown import render_markdown
from mlci.render.plots import Pictures
from mlci.render.text import render_text
from mlci.report import PolicyInfo, Report, Revision
from tests.render_helpers import small_report

BASE, HEAD = "9e0b7d3", "4f1c2a9"
HOST = "https://github.com/acme/churn/blob/" + "c0ffee" * 6 + "ab/pr-42/20261202T000000Z-run-118-1"


def roc() -> Plot:
    return Plot(id="roc", title="ROC curve", kind="vega", base=Side(BASE, "present", rows=11),
                head=Side(HEAD, "present", rows=21),
                files=(PlotFile("plots/roc.png", "png", None, 800, 760), PlotFile("plots/roc.svg", "svg", None)))


def importance_image() -> Plot:
    return Plot(id="eval/importance.png", title="eval/importance.png", kind="image", base=Side(BASE, "present"),
                head=Side(HEAD, "present"),
                files=(PlotFile("plots/eval-importance.base.png", "png", BASE, 40, 30),
                       PlotFile("plots/eval-importance.head.png", "png", HEAD, 64, 48)))


def missing() -> Plot:
    return Plot(id="loss", title="loss", kind="vega", base=Side(BASE, "missing", reason="not declared at this revision"),
                head=Side(HEAD, "missing", reason="plots/loss.csv: file not found"),
                reason="nothing to draw: DVC has its data at neither revision")


def with_plots(*plots: Plot, hosting: str = "branch") -> Report:
    report = small_report()
    policy = PolicyInfo(file="mlci.yaml", source="base", rev="main", sha=None,
                        plots=PlotSettings(hosting=hosting))  # type: ignore[arg-type]
    return replace(report, plots=plots, policy=policy)


def hosted(*names: str) -> Pictures:
    return Pictures(urls={f"plots/{name}": f"{HOST}/{name}?raw=true" for name in names}, width=400)


def test_hosted_pictures_are_linked_two_to_a_row_with_the_missing_plot_named() -> None:
    report = with_plots(roc(), importance_image(), missing())
    body = render_markdown(report, pictures=hosted("roc.png", "eval-importance.base.png", "eval-importance.head.png"))
    assert "<details><summary>Plots: 3, 1 not drawn</summary>" in body
    images = re.findall(r'<img src="([^"]+)" width="400" alt="[^"]*">', body)
    assert images == [f"{HOST}/roc.png?raw=true", f"{HOST}/eval-importance.base.png?raw=true",
                      f"{HOST}/eval-importance.head.png?raw=true"]
    # The figure has both revisions; the image plot is shown base and PR side by side (the next row).
    assert "| ROC curve, `main` vs this PR | eval/importance.png, `main` |" in body
    assert "| eval/importance.png, this PR |" in body
    assert "- ⚠️ `loss`: nothing to draw: DVC has its data at neither revision" in body


def test_without_hosting_the_comment_names_each_file_in_the_bundle() -> None:
    body = render_markdown(with_plots(roc(), hosting="none"))
    assert "<img" not in body
    assert "- ROC curve, `main` vs this PR: `plots/roc.png` in the bundle (artifact `mlci-report`)" in body


def test_a_link_mlci_did_not_make_is_never_shown() -> None:
    """Pictures come from the hosting step; a URL of another form (javascript:, http:, a quote) is not linked."""
    for url in ("javascript:alert(1)", "http://example.com/roc.png", f'{HOST}/roc.png" onerror="x'):
        body = render_markdown(with_plots(roc()), pictures=Pictures(urls={"plots/roc.png": url}))
        assert "<img" not in body and "`plots/roc.png` in the bundle" in body


def test_the_bundles_file_path_is_not_where_the_picture_comes_from() -> None:
    """A record naming another file still gets the picture of the path mlci makes from the plot's id."""
    forged = replace(roc(), files=(PlotFile("plots/other.png", "png", None, 1, 1),))
    body = render_markdown(with_plots(forged), pictures=hosted("roc.png", "other.png"))
    assert f"{HOST}/roc.png?raw=true" in body and "other.png" not in body


def test_a_hosting_failure_is_said_above_the_plots() -> None:
    note = "the images could not be hosted: 403 Resource not accessible by integration"
    body = render_markdown(with_plots(roc()), pictures=Pictures(note=note))
    assert f"⚠️ {note}" in body


@pytest.mark.parametrize("title", ["<img src=x onerror=alert(1)>", "a | b", "`x`\n# heading"])
def test_plot_titles_are_escaped(title: str) -> None:
    body = render_markdown(with_plots(replace(roc(), title=title)), pictures=hosted("roc.png"))
    assert "<img src=x" not in body and "\n# heading" not in body
    (row,) = [line for line in body.splitlines() if line.startswith("| ") and "vs this PR" in line]
    assert row.count(" | ") == 0  # one cell: the title's pipe is escaped


def test_the_terminal_lists_the_files_drawn_and_why_a_plot_is_missing() -> None:
    text = render_text(with_plots(roc(), importance_image(), missing()))
    assert "Plots: 3, 1 not drawn (files in the bundle folder)" in text
    assert f"  - ROC curve: plots/roc.png (800×760) [{BASE}: 11 rows; {HEAD}: 21 rows]" in text
    assert "plots/eval-importance.base.png (40×30), plots/eval-importance.head.png (64×48)" in text
    assert "  - loss: not drawn: nothing to draw: DVC has its data at neither revision" in text


def test_a_report_without_plots_has_no_plots_section() -> None:
    assert "Plots" not in render_markdown(small_report()) and "Plots" not in render_text(small_report())


def test_plots_round_trip_through_the_bundle() -> None:
    report = with_plots(roc(), importance_image(), missing(), hosting="mermaid")
    report = replace(report, context=replace(report.context, head=Revision("feature", "4f1c2a9" + "0" * 33),
                                             base=Revision("main", "9e0b7d3" + "0" * 33)))
    again = Report.from_dict(json.loads(report.to_json()))
    assert again.plots == report.plots and again.policy == report.policy


def test_in_mermaid_mode_the_figures_data_is_drawn_by_github() -> None:
    from mlci.plots.series import PlotData, Series

    data = PlotData(shape="line", x_label="False positive rate", y_label="True positive rate",
                    line=(Series(rev=BASE, group=None, points=((0.0, 0.0), (0.5, 0.7), (1.0, 1.0))),
                          Series(rev=HEAD, group=None, points=((0.0, 0.0), (0.5, 0.8), (1.0, 1.0)))))
    report = with_plots(replace(roc(), data=data), replace(importance_image()), hosting="mermaid")
    body = render_markdown(report)  # report.md, before publishing: the policy's mode
    assert body.count("```mermaid") == 1 and "xychart-beta" in body
    assert "**eval/importance.png**: no Mermaid chart of this kind of plot; its image is in the bundle" in body
    again = Report.from_dict(json.loads(replace(report, context=replace(
        report.context, head=Revision("f", "4f1c2a9" + "0" * 33), base=Revision("main", "9e0b7d3" + "0" * 33))).to_json()))
    assert again.plots[0].data == data


def test_mermaid_gets_the_raw_title_and_escapes_it_once() -> None:
    from mlci.plots.series import PlotData, Series

    data = PlotData(shape="line", x_label="x", y_label="y",
                    line=(Series(rev=HEAD, group=None, points=((0.0, 0.0), (1.0, 1.0))),))
    body = render_markdown(with_plots(replace(roc(), title="loss_curve & co", data=data), hosting="mermaid"))
    (title,) = [line for line in body.splitlines() if line.strip().startswith("title ")]
    assert "loss_curve" in title and "\\" not in title and "&amp;" not in title
