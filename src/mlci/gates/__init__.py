"""Moved: every check lives in ``mlci.checks`` (spec, measure, judge), GateResult and Table in
``mlci.report``, CheckError in ``mlci.errors``.

Only the re-export shim ``result`` is left, until its last importer is updated.
"""
