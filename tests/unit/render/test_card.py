"""The model card: origin first, quality against the previous version, gates, lineage, environment."""

from __future__ import annotations

from mlci.release.records import Artifact
from mlci.release.lineage import Entry
from mlci.release.plan import Merged
from mlci.render.card import Card, model_card
from mlci.report import GateResult, MetricRow

GATE = GateResult(kind="metric", subject="loss", status="pass", reason="ok", rule="lower is better",
                  facts=(("direction", "lower"),))


def card(**fields: object) -> Card:
    base = dict(artifact=Artifact("churn", "models/churn.onnx", "model", "Who leaves"), version="v1.4.0",
                tag="churn@v1.4.0", commit="7b3e6d1" + "0" * 33, previous="v1.3.2", bump="minor bump: label release:minor",
                merged=Merged(42, "feat: tenure features"),
                metrics=(MetricRow("metrics.json", "loss", 0.231, 0.2207, "changed", -0.0103, -0.0446),),
                gates=(GATE,), policy_file="mlci.yaml", params=(),
                lineage=(Entry("data/train.csv", "3f2a9c" + "0" * 23 + "e81", "dep", "train"),
                         Entry("models/churn.onnx", "9ab1f7" + "0" * 23 + "0d4", "out", "train")),
                environment=(("Python", "3.12.1"), ("DVC", "3.67.1")), repository="acme/churn")
    base.update(fields)
    return Card(**base)  # type: ignore[arg-type]


def test_the_card_reads_like_the_example() -> None:
    text = model_card(card())
    assert text.startswith("## churn v1.4.0\n\nRegistered by mlci from #42 \"feat: tenure features\" (merged as "
                           "`7b3e6d1`) · tag `churn@v1.4.0` · minor bump: label release:minor\n")
    assert "| loss | 0.2310 | 0.2207 | −0.0103 (−4.5 %) ▼ better |" in text
    assert "All 1 gate passed (policy `mlci.yaml` at `7b3e6d1`): metrics." in text
    lineage = text.split("### What it was built from")[1]
    assert lineage.index("| model | `models/churn.onnx` | `9ab1f7…0d4` |") < lineage.index("data/train.csv")
    assert "Python 3.12.1 · DVC 3.67.1" in text
    assert "- `dvc artifacts get https://github.com/acme/churn churn@v1.4.0`" in text


def test_the_first_version_shows_its_values() -> None:
    text = model_card(card(previous=None, bump="its first version"))
    assert "### Quality\n| metric | value |" in text and "| loss | 0.2207 |" in text


def test_project_text_is_escaped() -> None:
    text = model_card(card(merged=Merged(3, "feat: @everyone see https://evil.example <img src=x>"),
                           artifact=Artifact("churn", "m.onnx", "model", "<script>x</script>")))
    assert "<script>" not in text and "<img" not in text and "@everyone" not in text
    assert "https://evil.example" not in text


def test_a_served_model_gate_is_a_gate_and_says_how_it_answered() -> None:
    serving = GateResult(kind="serving", subject="churn", status="pass", rule="answers equal offline",
                         reason="205 answers equal offline, p95 1.9 ms, p50 1.2 ms, 840 rows/s")
    text = model_card(card(gates=(GATE, serving)))
    assert ("All 2 gates passed (policy `mlci.yaml` at `7b3e6d1`): metrics, serving.\n\n"
            "Served as churn: 205 answers equal offline, p95 1.9 ms, p50 1.2 ms, 840 rows/s.\n") in text
