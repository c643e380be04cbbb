"""The job summary (1 MiB) and step outputs (random heredoc delimiters)."""

from __future__ import annotations

import re
from pathlib import Path

from mlci.github.runner_files import STEP_SUMMARY_LIMIT, append_step_summary, write_outputs


def test_summary_appends_within_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_text("earlier step\n")
    assert append_step_summary(path, "## mlci")
    assert path.read_text() == "earlier step\n## mlci\n"
    assert not append_step_summary(path, "x" * STEP_SUMMARY_LIMIT)
    assert path.read_text() == "earlier step\n## mlci\n"  # nothing half-written


def test_outputs_survive_multi_line_values_and_fake_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "output"
    nasty = "line 1\nEOF\nghadelimiter_0123\nverdict<<x"
    write_outputs(path, {"verdict": "fail", "report": nasty})
    text = path.read_text()
    parsed = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        name, delimiter = re.fullmatch(r"([\w-]+)<<(\S+)", lines[i]).groups()  # type: ignore[union-attr]
        end = lines.index(delimiter, i + 1)
        parsed[name] = "\n".join(lines[i + 1:end])
        i = end + 1
    assert parsed == {"verdict": "fail", "report": nasty}
    delimiters = re.findall(r"<<(ghadelimiter_[0-9a-f]{32})", text)
    assert len(set(delimiters)) == 2
