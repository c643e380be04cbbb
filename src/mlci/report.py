"""The Report: what one run found, and the codec of its records.

The bundle (see :mod:`mlci.bundle`) holds ``report.json`` (this model, schema
``mlci.report/v1``, described by ``schemas/report-v1.schema.json``), ``report.md``
(the PR comment body) and ``repro.json`` (what ``mlci repro`` did, schema
``mlci.repro/v1``, described by the same file's ``$defs/repro_record``). It is the one
seam between steps: every command after ``report`` reads it, possibly in another,
more privileged job, so decoding validates against the schema and trusts nothing else.

The same inputs give a byte-identical record: no timestamps, keys sorted, rows in a
fixed order.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from mlci import __version__
from mlci.errors import BundleError
from mlci.plots.model import Plot, PlotSettings

SCHEMA_ID = "mlci.report/v1"
REPRO_SCHEMA_ID = "mlci.repro/v1"
REPORT_JSON = "report.json"
REPORT_MD = "report.md"
REPRO_JSON = "repro.json"

# A metric or param value as read from the user's files.
Value = Any
MetricStatus = Literal["changed", "unchanged", "added", "removed"]


GateStatus = Literal["pass", "fail", "warn", "skipped"]
GateKind = Literal["pipeline", "metric", "reproducible", "data", "fairness", "runtime", "serving", "drift"]


@dataclass(frozen=True)
class Table:
    """Detail rows for a gate (failing columns, per-group metrics, latencies)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class GateResult:
    """One gate: what it checked, how it came out and why, in words.

    ``subject`` names what was checked (a metric key, a data file, a sensitive
    feature, a model file). ``rule`` is the policy in words ("min 0.85",
    "max drop 0.01"). ``reason`` says why it came out as it did
    ("accuracy 0.912 < min 0.92"). ``line`` is where the rule sits in the
    policy file, for messages and annotations.
    """

    kind: GateKind
    subject: str
    status: GateStatus
    reason: str
    rule: str = ""
    informational: bool = False
    line: int | None = None
    table: Table | None = None
    facts: tuple[tuple[str, Any], ...] = ()  # named numbers for later use (p95_ms, dpd, rows)

    @property
    def blocking(self) -> bool:
        """A failure that fails the verdict (informational gates never do)."""
        return self.status == "fail" and not self.informational


@dataclass(frozen=True)
class Revision:
    """One side of the comparison: what the user asked for and what it resolved to."""

    rev: str  # as given or chosen: "main", "a1b2c3d", "workspace"
    sha: str | None  # the commit; for the workspace, the commit it sits on
    workspace: bool = False  # the files on disk, including uncommitted changes


@dataclass(frozen=True)
class Context:
    """Where and for what the report was made."""

    event: str  # "pull_request", "push", ..., or "local"
    base: Revision
    head: Revision
    repository: str | None = None  # "owner/name"
    pr_number: int | None = None
    workflow: str | None = None
    run_id: str | None = None
    server_url: str | None = None
    default_branch: str | None = None
    base_reason: str = ""  # how the base was chosen, in words
    pr_head_sha: str | None = None  # the PR's head commit (a pull_request run checks out a merge commit)

    @property
    def run_url(self) -> str | None:
        if self.server_url and self.repository and self.run_id:
            return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"
        return None


@dataclass(frozen=True)
class MetricRow:
    """One metric at both revisions.

    ``change`` and ``relative_change`` are set only when both values are finite
    numbers; ``relative_change`` is a fraction of |base| (0.01 is 1 %) and None
    when base is 0.
    """

    path: str
    key: str
    base: Value
    head: Value
    status: MetricStatus
    change: float | None = None
    relative_change: float | None = None

    @property
    def id(self) -> str:
        return f"{self.path}:{self.key}"


@dataclass(frozen=True)
class ParamRow:
    path: str
    key: str
    base: Value
    head: Value
    status: MetricStatus

    @property
    def id(self) -> str:
        return f"{self.path}:{self.key}"


@dataclass(frozen=True)
class Problem:
    """Something that went wrong while collecting: shown in the report, never dropped."""

    source: str  # the file at fault, e.g. "metrics.json"
    side: Literal["base", "head", "both"]
    message: str


@dataclass(frozen=True)
class StageRun:
    name: str
    state: Literal["ran", "restored", "unchanged", "failed"]
    seconds: float


@dataclass(frozen=True)
class Repro:
    """What ``mlci repro`` did, when it ran before the report."""

    stages: tuple[StageRun, ...]
    pulled: bool
    pushed: bool
    seconds: float
    dirty_before: tuple[str, ...] = ()  # files already changed before the run (not its doing)
    # Why the pipeline did not run to the end ("`dvc repro` failed in stage 'train' with exit
    # code 1"); None when it did. Its output is in the job's log, never in the bundle: a
    # training script's output may hold what GitHub masks in logs but not in comments.
    failure: str | None = None
    # Why the DVC remote could not be pulled from, when mlci went on without it (every stage ran).
    pull_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _encode_values(asdict(self))  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Repro:
        """From data the schema has validated (``$defs/repro``), non-finite floats decoded."""
        return cls(
            stages=tuple(StageRun(**s) for s in data["stages"]),
            pulled=data["pulled"],
            pushed=data["pushed"],
            seconds=data["seconds"],
            dirty_before=tuple(data["dirty_before"]),
            failure=data.get("failure"),
            pull_error=data.get("pull_error"),
        )

    def to_record(self, head_sha: str | None) -> str:
        """repro.json: this run, on ``head_sha``, for ``mlci report`` to pick up."""
        data = {"schema": REPRO_SCHEMA_ID, "head_sha": head_sha, **self.to_dict()}
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_record(cls, data: Any) -> tuple[str | None, Repro]:
        """The head commit and the run of a repro.json's data; BundleError when the schema says no."""
        if not isinstance(data, dict) or data.get("schema") != REPRO_SCHEMA_ID:
            found = data.get("schema") if isinstance(data, dict) else type(data).__name__
            raise BundleError(f"{REPRO_JSON}: schema is {found!r}, expected {REPRO_SCHEMA_ID!r}")
        _validate(data, "repro_record", REPRO_JSON)
        data = _decode_values(data)
        return data["head_sha"], cls.from_dict(data)


@dataclass(frozen=True)
class PolicyInfo:
    """Which mlci.yaml was applied, and whether this change edits it."""

    file: str  # "mlci.yaml"
    source: Literal["base", "head"]  # whose copy applied
    rev: str  # the revision it was read at ("main", "workspace")
    sha: str | None
    changed: bool = False  # head's copy differs from base's
    diff: str = ""  # unified diff base -> head when changed (capped)
    note: str = ""  # why this copy applies, in words
    # How this policy says the report is published (mlci.yaml's `comment` and `check`): the
    # policy that judged the gates decides, not another copy read later. Absent from bundles
    # of mlci 0.1, where the defaults apply.
    comment_mode: Literal["update", "new", "once", "off"] = "update"
    take_over_cml: bool = False
    check_name: str = "mlci"
    plots: PlotSettings = PlotSettings()  # the policy's `plots:` (which, how wide, where hosted)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicyInfo:
        """From data the schema has validated."""
        plots = data.get("plots")
        return cls(**{**data, "plots": PlotSettings() if plots is None else PlotSettings.from_dict(plots)})


@dataclass(frozen=True)
class Measurement:
    """One spec's measurement as ``mlci report`` made it, kept so that a privileged job can judge
    the evidence again with a policy it trusts, instead of taking the bundle's verdict."""

    check: str  # the check's section of mlci.yaml ("checks.runtime")
    spec: str  # what it was measured for: the spec as canonical JSON (mlci.checks.base.spec_key)
    value: Any = None  # the check's own record of what it measured (its Check.encode); None on error
    error: str | None = None  # why it could not be measured (the gate failed closed)


@dataclass(frozen=True)
class ForkChanges:
    """What a fork's PR changes, as GitHub lists it. Not in the bundle: the publish job asks
    GitHub, and the comment names these, because a fork's numbers come from its own code."""

    files: tuple[str, ...]
    complete: bool = True  # False when the list was cut


Verdict = Literal["pass", "fail"]


@dataclass(frozen=True)
class Report:
    project: str
    context: Context
    metrics: tuple[MetricRow, ...] = ()
    params: tuple[ParamRow, ...] = ()
    problems: tuple[Problem, ...] = ()
    repro: Repro | None = None
    policy: PolicyInfo | None = None
    gates: tuple[GateResult, ...] = ()
    measurements: tuple[Measurement, ...] = ()
    plots: tuple[Plot, ...] = ()
    # What `mlci drift` found, one plain object per (reference, current) pair in policy order, in the
    # shape users script against (mlci.drift's DatasetDrift.to_dict with the pair's paths). report.json
    # holds the first as ``drift`` and, with two or more, all of them as ``drift_all``; neither when
    # no drift ran.
    drift: tuple[dict[str, Any], ...] = ()
    mlci_version: str = __version__
    schema: str = field(default=SCHEMA_ID)

    # -- views used by renderers -------------------------------------------------
    def metrics_with(self, *statuses: str) -> list[MetricRow]:
        return [m for m in self.metrics if m.status in statuses]

    @property
    def changed_params(self) -> list[ParamRow]:
        return [p for p in self.params if p.status != "unchanged"]

    @property
    def verdict(self) -> Verdict | None:
        """``fail`` when any non-informational gate failed; None without a policy (and a pipeline that ran)."""
        if self.policy is None and not self.gates:
            return None
        return "fail" if any(g.blocking for g in self.gates) else "pass"

    # -- serialisation --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["context"]["run_url"] = self.context.run_url
        drift = data.pop("drift")
        if drift:
            data["drift"] = drift[0]
        if len(drift) > 1:
            data["drift_all"] = drift
        data["verdict"] = self.verdict
        for gate, source in zip(data["gates"], self.gates):
            gate["blocking"] = source.blocking
            gate["facts"] = {name: value for name, value in source.facts}
        return _encode_values(data)  # type: ignore[no-any-return]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        validate(data)
        data = _decode_values(data)
        ctx = dict(data["context"])
        ctx.pop("run_url", None)
        ctx["base"] = Revision(**ctx["base"])
        ctx["head"] = Revision(**ctx["head"])
        repro = data.get("repro")
        policy = data.get("policy")
        return cls(
            project=data["project"],
            context=Context(**ctx),
            metrics=tuple(MetricRow(**m) for m in data["metrics"]),
            params=tuple(ParamRow(**p) for p in data["params"]),
            problems=tuple(Problem(**p) for p in data["problems"]),
            repro=None if repro is None else Repro.from_dict(repro),
            policy=None if policy is None else PolicyInfo.from_dict(policy),
            gates=tuple(_gate(g) for g in data["gates"]),
            measurements=tuple(Measurement(**m) for m in data.get("measurements", ())),
            plots=_plots(data.get("plots", ())),
            drift=tuple(data["drift_all"]) if "drift_all" in data else ((data["drift"],) if "drift" in data else ()),
            mlci_version=data["mlci_version"],
            schema=data["schema"],
        )


def _plots(data: list[dict[str, Any]]) -> tuple[Plot, ...]:
    try:
        return tuple(Plot.from_dict(p) for p in data)
    except ValueError as exc:
        raise BundleError(f"{REPORT_JSON}: plots: {exc}") from None


def _gate(data: dict[str, Any]) -> GateResult:
    table = data.get("table")
    return GateResult(
        kind=data["kind"],
        subject=data["subject"],
        status=data["status"],
        reason=data["reason"],
        rule=data["rule"],
        informational=data["informational"],
        line=data["line"],
        table=None if table is None else Table(headers=tuple(table["headers"]), rows=tuple(tuple(r) for r in table["rows"])),
        facts=tuple(sorted(data["facts"].items())),
    )


# Non-finite floats are not JSON. They appear in real metrics files (DVC even
# writes bare NaN), so the bundle keeps them as {"float": "NaN"|"Infinity"|"-Infinity"}.
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _encode_values(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"float": "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")}
    if isinstance(obj, dict):
        return {k: _encode_values(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode_values(v) for v in obj]
    return obj


def _decode_values(obj: Any) -> Any:
    if isinstance(obj, dict):
        if len(obj) == 1 and isinstance(obj.get("float"), str) and obj["float"] in _NONFINITE:
            return _NONFINITE[obj["float"]]
        return {k: _decode_values(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode_values(v) for v in obj]
    return obj


def schema_text() -> str:
    return resources.files("mlci").joinpath("schemas/report-v1.schema.json").read_text("utf-8")


@cache
def schema() -> dict[str, Any]:
    """The bundle's JSON Schema, shipped in the package."""
    return json.loads(schema_text())  # type: ignore[no-any-return]


def validate(data: Any) -> None:
    """Raise BundleError naming the first place where ``data`` breaks the report's schema."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_ID:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise BundleError(f"{REPORT_JSON}: schema is {found!r}, expected {SCHEMA_ID!r}")
    _validate(data, None, REPORT_JSON)


def _validate(data: Any, definition: str | None, file: str) -> None:
    """Validate ``data`` against the schema, or against one of its ``$defs`` (its references
    resolve within the same file)."""
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator(definition).iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise BundleError(f"{file}: {where}: {error.message}")


@cache
def _validator(definition: str | None) -> Any:
    """A validator of the schema (or one of its ``$defs``), made once, with every plain ``$ref``
    written out in place: jsonschema then resolves no reference per value, which halves the time
    a bundle of 10,000 metrics takes to check (3.5 s to 1.7 s). A ``$ref`` beside other keywords,
    or one that would recurse, stays a reference ($defs are kept for it)."""
    import jsonschema

    whole = schema()
    defs = whole["$defs"]

    def inline(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and len(node) == 1 and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                return node if name in seen else inline(defs[name], (*seen, name))
            return {k: inline(v, seen) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v, seen) for v in node]
        return node

    target = whole if definition is None else {"$schema": whole["$schema"], **defs[definition], "$defs": defs}
    return jsonschema.Draft202012Validator(inline(target, ()))
