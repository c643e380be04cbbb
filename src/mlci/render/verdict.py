"""The verdict of a bundle, as ``mlci gate`` prints it and as an exit code."""

from __future__ import annotations

import json

from mlci.report import Report

EXIT_PASS = 0
EXIT_FAIL = 1


def gate_exit_code(report: Report) -> int:
    """0 when no non-informational gate failed (or no policy applied), 1 otherwise."""
    return EXIT_FAIL if report.verdict == "fail" else EXIT_PASS


def render_verdict(report: Report, fmt: str, *, color: bool = False) -> str:
    """The verdict: the report's text or markdown rendering, or JSON with the gates only."""
    if fmt == "json":
        data = report.to_dict()
        slim = {"verdict": data["verdict"], "project": data["project"], "policy": data["policy"], "gates": data["gates"]}
        return json.dumps(slim, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    from mlci.render import render

    text = render(report, fmt, color=color)
    if report.policy is None:
        text += "mlci: no policy (mlci.yaml) applied, so there is nothing to gate on\n"
    return text
