"""Parsing `dvc repro` output into stage results."""

from __future__ import annotations


from mlci.dvc import classify_stages


def test_stage_marks_collapse_to_the_last_state() -> None:
    lines = [
        (0.0, "Stage 'prepare' didn't change, skipping"),
        (1.0, "Pulling data for stage: 'train'"),
        (1.5, "Unable to pull data for stage: 'train'"),
        (2.0, "Running stage 'train':"),
        (5.0, "Stage 'evaluate' is cached - skipping run, checking out outputs"),
    ]
    runs = classify_stages(lines, 6.0, missing_before={"prepare"})
    assert [(r.name, r.state, r.seconds) for r in runs] == [
        ("prepare", "restored", 1.0), ("train", "ran", 4.0), ("evaluate", "restored", 1.0)]
