"""Moved: GateResult and Table live in mlci.report, CheckError in mlci.errors.

Kept only until every importer is updated (the architecture change in progress).
"""

from mlci.errors import CheckError
from mlci.report import GateKind, GateResult, GateStatus, Table

__all__ = ["CheckError", "GateKind", "GateResult", "GateStatus", "Table"]
