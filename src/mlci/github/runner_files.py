"""The Actions runner's files: the job summary and step outputs.

The only place mlci reads GITHUB_STEP_SUMMARY and GITHUB_OUTPUT: outside an Actions
step (the variable unset or empty) nothing is written.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path

STEP_SUMMARY_LIMIT = 1024 * 1024  # GitHub's limit for one step's summary


def append_step_summary(path: str | Path, markdown: str) -> bool:
    """Append ``markdown`` to GITHUB_STEP_SUMMARY within its 1 MiB; False when it would not fit."""
    file = Path(path)
    used = file.stat().st_size if file.exists() else 0
    data = markdown.encode("utf-8")
    if used + len(data) + 1 > STEP_SUMMARY_LIMIT:
        return False
    with file.open("ab") as f:
        f.write(data + (b"" if data.endswith(b"\n") else b"\n"))
    return True


def write_outputs(path: str | Path, values: Mapping[str, str]) -> None:
    """Append step outputs to GITHUB_OUTPUT; every value as a heredoc with a random delimiter,
    so no value (however multi-line, whatever it contains) can end it early."""
    with Path(path).open("a", encoding="utf-8") as f:
        for name, value in values.items():
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            while delimiter in value:
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            f.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def write_step_outputs(env: Mapping[str, str], values: Mapping[str, str]) -> bool:
    """Append ``values`` to the step's outputs (GITHUB_OUTPUT in ``env``); False when not in a step."""
    path = env.get("GITHUB_OUTPUT")
    if not path:
        return False
    write_outputs(path, values)
    return True


def write_job_summary(env: Mapping[str, str], markdown: str) -> bool | None:
    """Append ``markdown`` to the job summary (GITHUB_STEP_SUMMARY in ``env``).

    True when written; False when it would not fit in the summary's 1 MiB (nothing is
    written then); None when not in a step.
    """
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return None
    return append_step_summary(path, markdown)
