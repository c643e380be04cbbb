"""Static checks that keep the package honest: strict typing, docs that match the schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlci.config import schema

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_strict_is_clean() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _keys(node: object, found: set[str]) -> None:
    if isinstance(node, dict):
        for name, value in (node.get("properties") or {}).items():
            found.add(name)
            _keys(value, found)
        for value in node.values():
            _keys(value, found)
    elif isinstance(node, list):
        for value in node:
            _keys(value, found)


def test_configuration_reference_names_every_policy_key() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    keys: set[str] = set()
    _keys(schema(), keys)
    missing = sorted(k for k in keys if f"`{k}`" not in doc and f"{k}:" not in doc and f".{k}`" not in doc)
    assert not missing, f"docs/configuration.md does not mention: {missing}"
