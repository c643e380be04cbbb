"""checks/drift/measure.py: the pair read from the workspace, compared by the engine, as the check's record."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlci.checks.base import Workspace
from mlci.checks.drift.measure import measure
from mlci.checks.drift.spec import ColumnRule, DriftSpec, decode, encode
from mlci.errors import CheckError


def write_csv(path: Path, values: np.ndarray, plans: list[str]) -> None:
    path.write_text("x,plan\n" + "".join(f"{v:.4f},{p}\n" for v, p in zip(values, plans)), "utf-8")


def test_the_record_of_a_shift(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    write_csv(tmp_path / "ref.csv", rng.normal(0, 1, 400), ["a", "b"] * 200)
    write_csv(tmp_path / "cur.csv", rng.normal(1, 1, 300), ["a", "b", "c"] * 100)
    spec = DriftSpec(reference="ref.csv", current="cur.csv", columns=(ColumnRule("plan", method="jensenshannon"),))
    record = measure(spec, Workspace(tmp_path))
    assert (record.reference, record.current, record.reference_rows, record.current_rows) == ("ref.csv", "cur.csv", 400, 300)
    x, plan = record.columns
    assert (x.column, x.method, x.drifted, x.reference_rows, x.current_rows) == ("x", "ks", True, 400, 300)
    assert (plan.method, plan.kind) == ("jensenshannon", "categorical")
    assert decode(encode(record)) == record


def test_a_plain_workspace_reads_only_what_is_on_disk(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match="ref.csv: not in the workspace"):
        measure(DriftSpec(reference="ref.csv", current="cur.csv"), Workspace(tmp_path))
    (tmp_path / "ref.csv").write_text("x\n1\n", "utf-8")
    with pytest.raises(CheckError, match=r"ref.csv@v1: not in the workspace \(reading at a revision needs DVC\)"):
        measure(DriftSpec(reference="ref.csv", current="ref.csv", reference_rev="v1"), Workspace(tmp_path))
