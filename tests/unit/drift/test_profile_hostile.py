"""A profile file is hostile input: bounded, strictly checked, one-line errors naming the file."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from mlci.drift import ProfileError, load_profile, profile_table, save_profile
from tests.unit.drift.conftest import table


@pytest.fixture
def good(tmp_path: Path) -> dict[str, Any]:
    save_profile(profile_table(table(x=np.random.default_rng(0).normal(0, 1, 5000), k=["a", "b"] * 2500), points=1024),
                 tmp_path / "good")
    return json.loads((tmp_path / "good").read_text())  # type: ignore[no-any-return]


def b64(values: list[float]) -> str:
    return base64.b64encode(np.array(values, dtype="<f8").tobytes()).decode()


def numeric(d: dict[str, Any]) -> dict[str, Any]:
    return d["columns"][0]["numeric"]  # type: ignore[no-any-return]


CASES: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "format": (lambda d: d.update(format="something"), "not an mlci drift profile"),
    "version": (lambda d: d.update(version=99), "version 99"),
    "extra key": (lambda d: d.update(extra=1), "unexpected"),
    "missing key": (lambda d: d.pop("rows"), "missing"),
    "negative rows": (lambda d: d.update(rows=-1), "rows: expected a count"),
    "points": (lambda d: d.update(points=10**9), "points"),
    "columns not a list": (lambda d: d.update(columns={}), "columns"),
    "kind": (lambda d: d["columns"][0].update(kind="image"), "kind"),
    "column rows beyond": (lambda d: d["columns"][0].update(rows=10**7), "rows"),
    "duplicate column": (lambda d: d["columns"].append(d["columns"][0]), "twice"),
    "bad base64": (lambda d: numeric(d).update(block_mean="***"), "not base64"),
    "ragged bytes": (lambda d: numeric(d).update(block_mean=base64.b64encode(b"123").decode()), "whole number"),
    "nan in arrays": (lambda d: numeric(d).update(block_lo=b64([float("nan")] * 1024)), "not finite"),
    "too many points": (lambda d: numeric(d).update(block_hi=b64([0.0] * 5000)), "at most 1,024"),
    "lengths differ": (lambda d: numeric(d).update(block_mass=b64([1.0])), "differ in length"),
    "masses": (lambda d: numeric(d).update(block_mass=b64([-1.0] * 1024)), "masses"),
    "unsorted": (lambda d: numeric(d).update(block_mean=b64(list(np.linspace(1, -1, 1024)))), "sorted"),
    "count mismatch": (lambda d: numeric(d).update(count=3), "count + nulls"),
    "mean infinite": (lambda d: numeric(d).update(mean=float("inf")), "finite"),
    "m2 negative": (lambda d: numeric(d).update(m2=-1.0), "negative"),
    "a number as text": (lambda d: numeric(d).update(mean="0.1"), "finite number"),
    "bool as count": (lambda d: numeric(d).update(nulls=True), "count"),
    "categories do not add up": (lambda d: d["columns"][1]["categorical"].update(counts=[["a", 1]]), "add up"),
    "category twice": (lambda d: d["columns"][1]["categorical"].update(counts=[["a", 2500], ["a", 2500]]), "twice"),
    "long category": (lambda d: d["columns"][1]["categorical"].update(counts=[["a" * 5000, 5000]]), "at most"),
    "summary of the wrong kind": (lambda d: d["columns"][1].update(numeric=numeric(d)), "must have"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_profile_is_refused_in_one_line(tmp_path: Path, good: dict[str, Any], case: str) -> None:
    change, message = CASES[case]
    change(good)
    path = tmp_path / "bad.profile"
    path.write_text(json.dumps(good))
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert message in str(info.value) and str(path) in str(info.value) and "\n" not in str(info.value)


def test_the_file_itself(tmp_path: Path) -> None:
    (tmp_path / "nojson").write_text("{nope")
    (tmp_path / "deep").write_text("[" * 100 + "]" * 100)
    (tmp_path / "big").write_text(" " * 2000)
    (tmp_path / "binary").write_bytes(b"\xff\xfe")
    for name, message in [("nojson", "not valid JSON"), ("deep", "nested"), ("binary", "not UTF-8"), ("missing", "no such")]:
        with pytest.raises(ProfileError, match=message):
            load_profile(tmp_path / name)
    with pytest.raises(ProfileError, match="more than the 1,000 mlci reads"):
        load_profile(tmp_path / "big", max_bytes=1000)
    with pytest.raises(ProfileError, match="not a regular file"):
        load_profile(tmp_path)


def test_the_good_profile_loads(tmp_path: Path, good: dict[str, Any]) -> None:
    (tmp_path / "p").write_text(json.dumps(good))
    assert load_profile(tmp_path / "p").rows == 5000
