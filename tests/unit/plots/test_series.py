"""A figure's data from DVC's Vega-Lite specification: curves, bars and confusion matrices per revision, bounded.

The specifications are DVC's own: ``fixtures/dvc_figures.json`` is what ``dvc.plots_diff`` made of the project
that :func:`build_project` writes (DVC's templates linear, simple, smooth, scatter, confusion,
confusion_normalized, bar_horizontal, bar_horizontal_sorted, and a curve of two y fields), asked for the
revisions ``main`` and ``pr``. ``test_the_recorded_figures_are_what_dvc_makes`` builds that project with
real git and DVC and checks DVC still makes the same data; to record them again (after a DVC upgrade):
``.venv/bin/python -m tests.unit.plots.test_series``. The other tests use small literal specifications.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

from mlci.plots.series import LABEL_MAX, MAX_BARS, MAX_CLASSES, MAX_GROUPS, MAX_POINTS, Bars, Matrix, PlotData, \
    Series, clean, downsample, extract, number, schema_defs

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = FIXTURES / "dvc_figures.json"
REVS = ("main", "pr")


# --- the project DVC draws --------------------------------------------------------------------------------------


def roc(points: int, lift: float) -> list[dict[str, float]]:
    return [{"fpr": i / (points - 1), "tpr": round(min(1.0, lift * i / (points - 1)), 4),
             "threshold": round(1 - i / (points - 1), 4)} for i in range(points)]


def losses(epochs: int, start: float) -> str:
    return "step,loss,acc\n" + "".join(f"{i},{round(start * 0.8 ** i, 4)},{round(0.5 + 0.04 * i, 4)}\n"
                                       for i in range(epochs))


def confusion(pairs: list[tuple[str, str]]) -> str:
    return "actual,predicted\n" + "".join(f"{a},{p}\n" for a, p in pairs)


BASE_PAIRS = [("low", "low")] * 4 + [("low", "high")] * 1 + [("high", "low")] * 2 + [("high", "high")] * 2
HEAD_PAIRS = [("low", "low")] * 5 + [("low", "high")] * 1 + [("high", "low")] * 1 + [("high", "high")] * 5

DVC_PLOTS = [
    {"roc": {"title": "ROC curve", "template": "linear", "x": "fpr", "y": {"roc.json": "tpr"},
             "x_label": "False positive rate", "y_label": "True positive rate"}},
    {"loss": {"template": "simple", "x": "step", "y": {"loss.csv": "loss"}}},
    {"loss_smooth": {"template": "smooth", "x": "step", "y": {"loss.csv": "loss"}}},
    {"predictions": {"template": "scatter", "x": "truth", "y": {"predictions.csv": "predicted"}}},
    {"confusion": {"template": "confusion", "x": "actual", "y": {"confusion.csv": "predicted"},
                   "x_label": "Actual", "y_label": "Predicted"}},
    {"confusion_normalized": {"template": "confusion_normalized", "x": "actual", "y": {"confusion.csv": "predicted"}}},
    {"importance": {"template": "bar_horizontal", "x": "importance", "y": {"importance.csv": "feature"}}},
    {"importance_sorted": {"template": "bar_horizontal_sorted", "x": "importance",
                           "y": {"importance.csv": "feature"}}},
    {"training": {"template": "linear", "x": "step", "y": {"loss.csv": ["loss", "acc"]}}},
]


def build_project(path: Path) -> Path:
    """A DVC project on ``main`` and a branch ``pr`` with other data: the ROC curve gains points, training runs
    longer, a feature is added, the confusion matrix changes."""
    from tests.repo_helpers import commit, init_repo, sh, write

    init_repo(path)
    write(path, "dvc.yaml", {"plots": DVC_PLOTS})
    write(path, "roc.json", roc(11, 1.3))
    write(path, "loss.csv", losses(5, 1.0))
    write(path, "predictions.csv", "truth,predicted\n1,1.2\n2,1.8\n3,3.3\n2,2.1\n")
    write(path, "confusion.csv", confusion(BASE_PAIRS))
    write(path, "importance.csv", "feature,importance\nbmi,0.5\nage,0.3\nbp,0.1\n")
    commit(path, "base plots")
    sh(path, "git", "checkout", "-q", "-b", "pr")
    write(path, "roc.json", roc(21, 1.5))
    write(path, "loss.csv", losses(8, 0.9))
    write(path, "predictions.csv", "truth,predicted\n1,1.1\n2,2.05\n3,2.9\n4,4.2\n")
    write(path, "confusion.csv", confusion(HEAD_PAIRS))
    write(path, "importance.csv", "feature,importance\nbmi,0.45\nage,0.35\nbp,0.12\nglucose,0.6\n")
    commit(path, "better plots")
    return path


def dvc_figures(path: Path) -> dict[str, Any]:
    """DVC's specification of each plot of the project at ``path``, for the revisions REVS."""
    from mlci import dvc

    repo = dvc.open_repo(path)
    try:
        figures, unreadable = dvc.plots_diff(repo, list(REVS))
    finally:
        repo.close()
    assert not unreadable
    return {figure.id: figure.spec for figure in figures}


def recorded() -> dict[str, Any]:
    return json.loads(RECORDED.read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def specs() -> dict[str, Any]:
    return recorded()


def test_the_recorded_figures_are_what_dvc_makes(tmp_path: Path) -> None:
    """Real git and DVC: the project built again gives the same data as the recorded specifications."""
    live = dvc_figures(build_project(tmp_path / "repo"))
    saved = recorded()
    assert sorted(live) == sorted(saved)
    for plot_id, spec in live.items():
        assert extract(spec, REVS) == extract(saved[plot_id], REVS), plot_id


# --- DVC's templates ---------------------------------------------------------------------------------------------


def test_a_roc_curve_is_a_line_per_revision_with_the_labels_dvc_yaml_gives(specs: dict[str, Any]) -> None:
    data = extract(specs["roc"], REVS)
    assert data is not None
    assert (data.shape, data.x_label, data.y_label) == ("line", "False positive rate", "True positive rate")
    assert [(s.rev, s.group, len(s.points)) for s in data.line] == [("main", None, 11), ("pr", None, 21)]
    assert data.line[0].points == tuple((p["fpr"], p["tpr"]) for p in roc(11, 1.3))
    assert not data.bars and not data.matrix


def test_revisions_come_in_the_order_asked_and_others_are_left_out(specs: dict[str, Any]) -> None:
    assert [s.rev for s in extract(specs["roc"], ["pr", "main"]).line] == ["pr", "main"]  # type: ignore[union-attr]
    assert [s.rev for s in extract(specs["roc"], ["pr"]).line] == ["pr"]  # type: ignore[union-attr]
    assert extract(specs["roc"], ["elsewhere"]) is None


@pytest.mark.parametrize("plot_id", ["loss", "loss_smooth"])
def test_csv_text_becomes_numbers(specs: dict[str, Any], plot_id: str) -> None:
    data = extract(specs[plot_id], REVS)
    assert data is not None and data.shape == "line" and (data.x_label, data.y_label) == ("step", "loss")
    assert data.line[0].points == ((0.0, 1.0), (1.0, 0.8), (2.0, 0.64), (3.0, 0.512), (4.0, 0.4096))
    assert len(data.line[1].points) == 8


def test_a_scatter_template_is_a_scatter_sorted_by_x(specs: dict[str, Any]) -> None:
    data = extract(specs["predictions"], REVS)
    assert data is not None and data.shape == "scatter"
    assert data.line[0].points == ((1.0, 1.2), (2.0, 1.8), (2.0, 2.1), (3.0, 3.3))  # stable: 2 as in the file


def test_several_y_fields_are_a_series_each(specs: dict[str, Any]) -> None:
    data = extract(specs["training"], REVS)
    assert data is not None and data.shape == "line"
    assert [(s.rev, s.group) for s in data.line] == [("main", "loss"), ("main", "acc"), ("pr", "loss"), ("pr", "acc")]
    assert data.line[1].points[:2] == ((0.0, 0.5), (1.0, 0.54))


@pytest.mark.parametrize("plot_id", ["confusion", "confusion_normalized"])
def test_a_confusion_matrix_counts_each_pair_and_a_normalised_one_keeps_the_counts(specs: dict[str, Any],
                                                                                  plot_id: str) -> None:
    data = extract(specs[plot_id], REVS)
    assert data is not None and data.shape == "confusion"
    labels = ("high", "low")
    expected = [Matrix(rev, labels, tuple(tuple(pairs.count((a, p)) for p in labels) for a in labels))
                for rev, pairs in (("main", BASE_PAIRS), ("pr", HEAD_PAIRS))]
    assert list(data.matrix) == expected
    assert expected[0].counts == ((2, 2), (1, 4))
    assert (data.x_label, data.y_label) == (("Actual", "Predicted") if plot_id == "confusion" else ("actual", "predicted"))


def test_bars_keep_the_templates_order(specs: dict[str, Any]) -> None:
    plain = extract(specs["importance"], REVS)
    ranked = extract(specs["importance_sorted"], REVS)
    assert plain is not None and ranked is not None and plain.shape == ranked.shape == "bar"
    assert (plain.x_label, plain.y_label) == ("feature", "importance")  # categories, values: a vertical chart's axes
    assert plain.bars == (Bars("main", (("age", 0.3), ("bmi", 0.5), ("bp", 0.1))),
                          Bars("pr", (("age", 0.35), ("bmi", 0.45), ("bp", 0.12), ("glucose", 0.6))))
    # Sorted by the values summed over both revisions, largest first, as Vega-Lite sorts "-x".
    assert [name for name, _ in ranked.bars[1].values] == ["bmi", "age", "glucose", "bp"]
    assert [name for name, _ in ranked.bars[0].values] == ["bmi", "age", "bp"]


# --- small specifications -----------------------------------------------------------------------------------------


def rows(*values: dict[str, Any], rev: str = "a") -> list[dict[str, Any]]:
    return [{**row, "rev": rev} for row in values]


def line_spec(values: list[dict[str, Any]], **encoding: Any) -> dict[str, Any]:
    return {"data": {"values": values}, "mark": "line",
            "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"},
                         **encoding}}


def test_fields_are_found_in_layers_and_under_a_facets_spec() -> None:
    layered = {"data": {"values": rows({"x": 1, "y": 2})}, "encoding": {"x": {"field": "x", "type": "quantitative"}},
               "layer": [{"layer": [{"mark": {"type": "line"}}],
                          "encoding": {"y": {"field": "y", "type": "quantitative", "title": ["Two", "lines"]}}}]}
    data = extract(layered, ["a"])
    assert data is not None and data.line == (Series("a", ((1.0, 2.0),)),) and data.y_label == "Two lines"
    faceted = {"data": {"values": rows({"t": "cat", "p": "dog"}, {"t": "cat", "p": "cat"})}, "facet": {"column": {"field": "rev"}},
               "spec": {"encoding": {"x": {"field": "t", "type": "nominal"}, "y": {"field": "p", "type": "nominal"}},
                        "layer": [{"mark": "rect"}]}}
    data = extract(faceted, ["a"])
    assert data is not None and data.matrix == (Matrix("a", ("cat", "dog"), ((1, 1), (0, 0))),)


def test_a_channel_without_a_type_is_quantitative_when_its_values_are_numbers() -> None:
    spec = {"data": {"values": rows({"x": "1", "y": "2.5"}, {"x": "0", "y": "1"})}, "mark": "point",
            "encoding": {"x": {"field": "x"}, "y": {"field": "y"}}}
    data = extract(spec, ["a"])
    assert data is not None and data.shape == "scatter" and data.line[0].points == ((0.0, 1.0), (1.0, 2.5))
    spec["data"]["values"] = rows({"x": "one", "y": "2"})  # type: ignore[index]
    assert extract(spec, ["a"]) is None  # a nominal x under a point mark is none of the shapes


@pytest.mark.parametrize("spec", [
    {},
    {"data": {"url": "data.json"}, "mark": "line"},
    line_spec(rows({"x": 1, "y": 2}), x={"field": "x", "type": "temporal"}),
    line_spec(rows({"x": 1, "y": 2}), y={"value": 3}),
    line_spec(rows({"x": 1, "y": 2}), y={"field": "x", "type": "quantitative"}),
    {**line_spec(rows({"x": 1, "y": 2})), "mark": "arc"},
    line_spec(rows({"x": "nan", "y": 2}, {"x": 1, "y": None})),
    {"data": {"values": rows({"c": "a", "v": "b"})}, "mark": "bar",
     "encoding": {"x": {"field": "c", "type": "nominal"}, "y": {"field": "v", "type": "ordinal"}}},
], ids=["empty", "no-inline-data", "temporal", "no-y-field", "same-field", "arc", "no-valid-row", "bar-of-two-nominals"])
def test_what_is_not_one_of_the_shapes_is_none(spec: dict[str, Any]) -> None:
    assert extract(spec, ["a"]) is None


def test_an_area_is_a_line_and_a_stacked_category_is_summed() -> None:
    assert extract({**line_spec(rows({"x": 1, "y": 2})), "mark": {"type": "area"}}, ["a"]).shape == "line"  # type: ignore[union-attr]
    bars = {"data": {"values": rows({"c": "k", "v": 1}, {"c": "k", "v": "2"}, {"c": 3, "v": 1})}, "mark": "bar",
            "encoding": {"y": {"field": "c", "type": "nominal", "sort": None}, "x": {"field": "v", "type": "quantitative"}}}
    data = extract(bars, ["a"])
    assert data is not None and data.bars == (Bars("a", (("k", 3.0), ("3", 1.0))),)


@pytest.mark.parametrize(("value", "expected"), [
    (0.3, 0.3), ("0.3", 0.3), (" -1e-3 ", -0.001), (".5", 0.5), ("7.", 7.0), (3, 3.0), (10 ** 400, None),
    ("nan", None), ("NaN", None), ("inf", None), ("-Infinity", None), ("1e999", None), (math.nan, None),
    (math.inf, None), ("1_000", None), ("٣", None), ("0x10", None), ("", None), (True, None), (None, None),
    ([1], None), ({"a": 1}, None), ("1" * 65, None),
])
def test_only_finite_numbers_count(value: Any, expected: float | None) -> None:
    assert number(value) == expected


def test_rows_with_non_finite_values_are_skipped() -> None:
    data = extract(line_spec(rows({"x": 0, "y": "NaN"}, {"x": "inf", "y": 1}, {"x": 1, "y": "Infinity"},
                                  {"x": 2, "y": "2"}, {"x": "3", "y": -1e400}, {"x": 4, "y": True})), ["a"])
    assert data is not None and data.line == (Series("a", ((2.0, 2.0),)),)


def test_ten_thousand_rows_are_downsampled_keeping_the_first_and_the_last() -> None:
    values = rows(*({"x": (i * 7919) % 10_000, "y": i} for i in range(10_000)))  # shuffled x
    data = extract(line_spec(values), ["a"])
    assert data is not None
    points = data.line[0].points
    assert len(points) == MAX_POINTS and points[0][0] == 0 and points[-1][0] == 9999
    assert all(a[0] < b[0] for a, b in zip(points, points[1:]))


def test_downsampling_is_even_and_small_curves_are_kept() -> None:
    points = [(float(i), 0.0) for i in range(10)]
    assert downsample(points, 4) == ((0.0, 0.0), (3.0, 0.0), (6.0, 0.0), (9.0, 0.0))
    assert downsample(points, 10) == tuple(points)
    assert downsample(points[:1], 1) == ((0.0, 0.0),)


def test_labels_are_one_line_and_lose_their_middle_when_long() -> None:
    assert clean("a\nb\tc\u202e d\u200b\x1b[31m") == "a b c d [31m"
    long = "start-" + "x" * 200 + "-end"
    cut = clean(long)
    assert len(cut) <= LABEL_MAX and cut.startswith("start-") and cut.endswith("-end") and "…" in cut
    spec = line_spec(rows({"x": 1, "y": 2}), x={"field": "x", "type": "quantitative", "title": "line\nbreak```"})
    assert extract(spec, ["a"]).x_label == "line break```"  # type: ignore[union-attr]  # escaping is the renderer's


def test_bars_beyond_the_limit_keep_the_largest_and_count_the_others() -> None:
    values = rows(*({"c": f"f{i:03}", "v": i if i % 2 else -i} for i in range(100)))
    spec = {"data": {"values": values}, "mark": "bar",
            "encoding": {"x": {"field": "c", "type": "nominal"}, "y": {"field": "v", "type": "quantitative"}}}
    data = extract(spec, ["a"])
    assert data is not None and data.omitted == 70 and len(data.bars[0].values) == MAX_BARS
    assert [name for name, _ in data.bars[0].values] == [f"f{i:03}" for i in range(70, 100)]  # by |value|, in order


def test_long_categories_that_cut_alike_stay_apart() -> None:
    names = ["feature_" + "x" * 100 + "_1", "feature_" + "x" * 100 + "_2", "p" + "y" * 300, "p" + "y" * 300 + "z"]
    spec = {"data": {"values": rows(*({"c": name, "v": 1} for name in names))}, "mark": "bar",
            "encoding": {"x": {"field": "c", "type": "nominal", "sort": None}, "y": {"field": "v", "type": "quantitative"}}}
    data = extract(spec, ["a"])
    assert data is not None
    labels = [name for name, _ in data.bars[0].values]
    assert len(labels) == 4 == len(set(labels)) and all(len(label) <= LABEL_MAX for label in labels)
    assert labels[0].endswith("_1") and labels[1].endswith("_2")


def test_too_many_classes_or_groups_is_none() -> None:
    classes = {"data": {"values": rows(*({"t": str(i), "p": str(i)} for i in range(MAX_CLASSES + 1)))},
               "mark": "rect", "encoding": {"x": {"field": "t", "type": "nominal"}, "y": {"field": "p", "type": "nominal"}}}
    assert extract(classes, ["a"]) is None
    classes["data"]["values"] = classes["data"]["values"][:MAX_CLASSES]  # type: ignore[index]
    data = extract(classes, ["a"])
    assert data is not None and data.matrix[0].labels == tuple(str(i) for i in range(MAX_CLASSES))  # numeric order
    groups = line_spec(rows(*({"x": 1, "y": 1, "g": f"g{i}"} for i in range(MAX_GROUPS + 1))),
                       strokeDash={"field": "g"})
    assert extract(groups, ["a"]) is None
    groups["data"]["values"] = groups["data"]["values"][:MAX_GROUPS]
    assert len(extract(groups, ["a"]).line) == MAX_GROUPS  # type: ignore[union-attr]


def test_hostile_classes_are_text_and_booleans_as_json_writes_them() -> None:
    spec = {"data": {"values": rows({"t": True, "p": False}, {"t": "```\n%%{init}", "p": 1.0}, {"t": {"x": 1}, "p": "a"})},
            "mark": "rect", "encoding": {"x": {"field": "t", "type": "nominal"}, "y": {"field": "p", "type": "nominal"}}}
    data = extract(spec, ["a"])
    assert data is not None and data.matrix[0].labels == ("1", "```  %%{init}".replace("  ", " "), "false", "true")


# --- the bundle's record --------------------------------------------------------------------------------------------


def validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    defs = schema_defs()
    return jsonschema.Draft202012Validator({"$ref": "#/$defs/plot_data", "$defs": defs})


def test_every_shape_round_trips_through_json_and_fits_its_schema(specs: dict[str, Any]) -> None:
    check = validator()
    check.check_schema(check.schema)
    for plot_id, spec in specs.items():
        data = extract(spec, REVS)
        assert data is not None, plot_id
        record = json.loads(json.dumps(data.to_dict(), allow_nan=False))
        check.validate(record)
        assert PlotData.from_dict(record) == data


def test_the_record_has_every_key() -> None:
    data = PlotData("line", "x", "y", line=(Series("a", ((0.0, 1.0),)),))
    assert data.to_dict() == {"shape": "line", "x_label": "x", "y_label": "y", "bars": [], "matrix": [], "omitted": 0,
                              "line": [{"rev": "a", "group": None, "points": [[0.0, 1.0]]}]}


def good_record() -> dict[str, Any]:
    return PlotData("confusion", "t", "p", matrix=(Matrix("a", ("x", "y"), ((1, 2), (3, 4))),)).to_dict()


@pytest.mark.parametrize("change", [
    lambda r: r.update(shape="pie"),
    lambda r: r["matrix"][0].update(counts=[[1, 2], [3]]),
    lambda r: r["matrix"][0].update(counts=[[1, 2], [3, -4]]),
    lambda r: r["matrix"][0].update(counts=[[1, 2], [3, True]]),
    lambda r: r["matrix"][0].update(labels=["x", "x"]),
    lambda r: r.update(line=[{"rev": "a", "group": None, "points": [[0, math.nan]]}]),
    lambda r: r.update(line=[{"rev": "a", "group": None, "points": [[i, 0] for i in range(MAX_POINTS + 1)]}]),
    lambda r: r.update(line=[{"rev": "a", "group": None, "points": [[1, 0], [0, 0]]}]),
    lambda r: r.update(bars=[{"rev": "a", "group": None, "values": [["k", 1], ["k", 2]]}]),
    lambda r: r.update(bars=[{"rev": "a", "group": None, "values": [["k", "1"]]}]),
    lambda r: r.update(x_label="x" * 1000),
    lambda r: r.update(matrix=r["matrix"] * 9),
    lambda r: r.pop("omitted"),
], ids=["shape", "ragged", "negative", "boolean", "same-class", "nan", "points", "order", "twice", "text-value",
        "long-label", "series", "missing-key"])
def test_a_hostile_record_is_refused(change: Any) -> None:
    record = good_record()
    assert PlotData.from_dict(record).matrix[0].counts == ((1, 2), (3, 4))
    change(record)
    with pytest.raises(ValueError):
        PlotData.from_dict(record)


if __name__ == "__main__":  # record the figures again: python -m tests.unit.plots.test_series
    import tempfile

    from tests.repo_helpers import pinned_git_env

    with tempfile.TemporaryDirectory() as folder, pinned_git_env():
        found = dvc_figures(build_project(Path(folder) / "repo"))
    RECORDED.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    print(f"wrote {RECORDED} ({len(found)} figures)", file=sys.stderr)
