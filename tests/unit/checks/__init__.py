"""Tests of the checks, one file per check; shared here: changing one item of a record's JSON."""

from __future__ import annotations

import json
from typing import Any

REMOVE = object()


def with_item(data: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A copy of ``data`` with the item at ``path`` set to ``value`` (or removed, for REMOVE)."""
    data = json.loads(json.dumps(data))
    *head, last = path
    target = data
    for key in head:
        target = target[key]
    if value is REMOVE:
        del target[last]
    else:
        target[last] = value
    return data
