"""plan.decide: a new version only for a changed artifact on a commit that has none yet."""

from __future__ import annotations

from mlci.release.records import Artifact, Version
from mlci.release.bump import Bump
from mlci.release.plan import decide

MODEL = Artifact("churn", "models/churn.onnx", "model")
MINOR = Bump("minor", "label release:minor")
V1 = Version("churn", "v1.3.2", "a" * 40, "churn@v1.3.2")
V0 = Version("churn", "v1.3.1", "c" * 40, "churn@v1.3.1")


def test_a_first_version_is_the_policys() -> None:
    decision = decide(MODEL, [], "b" * 40, "h1", None, MINOR, "v0.1.0")
    assert (decision.action, decision.version, decision.reason) == ("register", "v0.1.0", "its first version")


def test_a_changed_artifact_gets_the_bump_after_the_greatest() -> None:
    decision = decide(MODEL, [V1, V0], "b" * 40, "h2", "h1", MINOR, "v0.1.0")
    assert (decision.action, decision.version, decision.previous) == ("register", "v1.4.0", V1)
    assert decision.reason == "minor bump: label release:minor"


def test_an_unchanged_artifact_gets_none() -> None:
    decision = decide(MODEL, [V1], "b" * 40, "h1", "h1", MINOR, "v0.1.0")
    assert decision.action == "unchanged" and decision.version is None and "v1.3.2" in decision.reason


def test_a_commit_that_has_a_version_keeps_it() -> None:
    decision = decide(MODEL, [V1, V0], "c" * 40, "h0", "h1", MINOR, "v0.1.0")
    assert (decision.action, decision.version) == ("registered", "v1.3.1")


def test_an_artifact_dvc_records_no_hash_for() -> None:
    decision = decide(MODEL, [V1], "b" * 40, None, "h1", MINOR, "v0.1.0")
    assert decision.action == "missing" and "models/churn.onnx" in decision.reason
