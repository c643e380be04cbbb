"""mlci.yaml: loading and validating the policy, with errors that name file, line and key.

The file is checked against ``schemas/policy-v1.schema.json`` (``mlci schema``
prints it, editors use it for completion), then semantically (min > max, ...).
Unknown keys are errors: they are usually typos.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

import yaml

from mlci import ACTION_MAJOR, ACTION_REPOSITORY
from mlci.errors import ConfigError

if TYPE_CHECKING:
    from mlci.gates.data import DataSpec
    from mlci.gates.fairness import FairnessSpec
    from mlci.gates.runtime import RuntimeSpec

DEFAULT_CONFIG = "mlci.yaml"
SCHEMA_FILE = "schemas/policy-v1.schema.json"
SCHEMA_URL = f"https://raw.githubusercontent.com/{ACTION_REPOSITORY}/{ACTION_MAJOR}/src/mlci/{SCHEMA_FILE}"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class MetricRule:
    """The gate for the metrics one key pattern of ``metrics:`` matches."""

    pattern: str  # as written: "accuracy", "per_class.*.f1", "eval/metrics.json:accuracy"
    direction: Literal["higher", "lower"] = "higher"
    min: float | None = None
    max: float | None = None
    max_drop: float | None = None  # absolute, or a fraction of |base| when relative
    max_drop_relative: bool = False
    required: bool = False
    informational: bool = False
    on_missing_base: Literal["pass", "fail", "informational"] = "pass"
    line: int | None = None

    @property
    def path_pattern(self) -> str | None:
        return self.pattern.split(":", 1)[0] if ":" in self.pattern else None

    @property
    def key_pattern(self) -> str:
        return self.pattern.split(":", 1)[1] if ":" in self.pattern else self.pattern

    def matches(self, path: str, key: str) -> bool:
        if self.path_pattern is not None and not fnmatch.fnmatchcase(path, self.path_pattern):
            return False
        return fnmatch.fnmatchcase(key, self.key_pattern)


@dataclass(frozen=True)
class ReproducibleSpec:
    informational: bool = False
    line: int | None = None


@dataclass(frozen=True)
class Policy:
    """The parsed mlci.yaml."""

    file: str = DEFAULT_CONFIG
    project: str | None = None
    use: Literal["base", "head"] = "base"
    metrics: tuple[MetricRule, ...] = ()
    reproducible: ReproducibleSpec | None = None
    data: tuple[DataSpec, ...] = field(default=())
    fairness: tuple[FairnessSpec, ...] = field(default=())
    runtime: tuple[RuntimeSpec, ...] = field(default=())
    comment_mode: Literal["update", "new", "once", "off"] = "update"
    take_over_cml: bool = False
    check_name: str = "mlci"

    @property
    def gate_count(self) -> int:
        return len(self.metrics) + (self.reproducible is not None) + len(self.data) + len(self.fairness) + len(self.runtime)


@cache
def schema() -> dict[str, Any]:
    text = resources.files("mlci").joinpath(SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def schema_text() -> str:
    return resources.files("mlci").joinpath(SCHEMA_FILE).read_text("utf-8")


# -- loading -----------------------------------------------------------------------


def load_policy(text: str, file: str = DEFAULT_CONFIG) -> Policy:
    """Parse and validate policy text; ConfigError names file:line: key on any mistake."""
    data, lines = _parse_yaml(text, file)
    if data is None:
        data = {}
    _validate(data, lines, file)
    return _build(data, lines, file)


def read_yaml(text: str, file: str = DEFAULT_CONFIG) -> Any:
    """The file's data as YAML gives it, not validated (ConfigError on invalid YAML): what the
    install step reads to choose extras before anything else is installed."""
    return _parse_yaml(text, file)[0]


def _parse_yaml(text: str, file: str) -> tuple[Any, dict[Path_, int]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: dict[Path_, int] = {}
        _walk(node, (), lines, file)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{file}:{mark.line + 1}" if mark else file
        raise ConfigError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], file: str) -> None:
    """Record the line of every key and item, and refuse duplicate keys."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                raise ConfigError(f"{file}:{key_node.start_mark.line + 1}: {_dotted(child)}: duplicate key")
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _walk(item, (*path, i), lines, file)


def _dotted(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _where(file: str, lines: Mapping[Path_, int], path: Sequence[str | int]) -> str:
    line = lines.get(tuple(path))
    probe = tuple(path)
    while line is None and probe:
        probe = probe[:-1]
        line = lines.get(probe)
    return f"{file}:{line}: {_dotted(path)}" if line else f"{file}: {_dotted(path)}"


# -- schema validation with readable messages -----------------------------------------


def _validate(data: Any, lines: Mapping[Path_, int], file: str) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    errors = list(validator.iter_errors(data))
    if not errors:
        return
    error = min(errors, key=lambda e: (lines.get(tuple(e.absolute_path), 0), -len(e.absolute_path)))
    error = _deepest(error)
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = set((error.schema.get("properties") or {}).keys())
        path.append(sorted(set(error.instance) - allowed)[0])  # point at the unknown key itself
    raise ConfigError(f"{_where(file, lines, path)}: {_message(error)}")


def _deepest(error: Any) -> Any:
    """For oneOf/anyOf, the most telling sub-error."""
    import jsonschema

    if error.validator in ("oneOf", "anyOf") and error.context:
        best = jsonschema.exceptions.best_match(error.context)
        if best is not None and best.validator not in ("type",):
            return _deepest(best)
    return error


_TYPE_NAMES = {"number": "a number", "integer": "a whole number", "string": "a string", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "nothing"}


def _message(error: Any) -> str:
    v, instance = error.validator, error.instance
    if v == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        extra = sorted(set(instance) - set(allowed)) if isinstance(instance, Mapping) else []
        key = extra[0] if extra else "?"
        hint = difflib.get_close_matches(key, allowed, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else (f"; expected one of: {', '.join(allowed)}" if allowed else "")
        return f"unknown key '{key}'{suggestion}"
    if v == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        names = " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in expected)
        return f"expected {names}, got {_show(instance)}"
    if v == "enum":
        return f"expected one of {', '.join(str(x) for x in error.validator_value)}, got {_show(instance)}"
    if v == "const":
        return f"expected {error.validator_value!r}, got {_show(instance)}"
    if v == "required":
        missing = [k for k in error.validator_value if isinstance(instance, Mapping) and k not in instance]
        return f"missing required key '{missing[0] if missing else error.validator_value[0]}'"
    if v in ("oneOf", "anyOf"):
        return f"expected {_describe(error.schema)}, got {_show(instance)}"
    if v == "pattern":
        return f"expected {_describe(error.schema)}, got {_show(instance)}"
    if v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        word = {"minimum": "at least", "exclusiveMinimum": "more than", "maximum": "at most", "exclusiveMaximum": "less than"}[v]
        return f"expected a number {word} {error.validator_value}, got {_show(instance)}"
    if v in ("minItems", "minLength"):
        return f"must not be empty, got {_show(instance)}"
    return str(error.message)


def _describe(schema_part: Mapping[str, Any]) -> str:
    ref = json.dumps(schema_part)
    if "%" in ref:
        return 'a number or a percentage like "2%"'
    if "iB" in ref or "[bB]" in ref:
        return 'a size like 10MB or 512KiB, or a number of bytes'
    if '"boolean"' in ref:
        return "true, false or a mapping"
    return "a different value"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return json.dumps(value)


# -- building the typed policy ---------------------------------------------------------

_PERCENT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$")


def _build(data: Mapping[str, Any], lines: Mapping[Path_, int], file: str) -> Policy:
    rules = tuple(_metric_rule(pattern, spec or {}, lines, file) for pattern, spec in (data.get("metrics") or {}).items())
    checks = data.get("checks") or {}
    reproducible = None
    repro_cfg = checks.get("reproducible")
    if repro_cfg is not None and repro_cfg is not False:
        informational = bool(repro_cfg.get("informational", False)) if isinstance(repro_cfg, Mapping) else False
        reproducible = ReproducibleSpec(informational=informational, line=lines.get(("checks", "reproducible")))
    data_specs, fairness_specs, runtime_specs = [], [], []
    if checks.get("data"):
        from mlci.gates.data import DataSpec

        data_specs = [DataSpec.from_config(c, line=lines.get(("checks", "data", i)), where=_where(file, lines, ("checks", "data", i)))
                      for i, c in enumerate(checks["data"])]
    if checks.get("fairness"):
        from mlci.gates.fairness import FairnessSpec

        fairness_specs = [FairnessSpec.from_config(c, line=lines.get(("checks", "fairness", i)),
                                                   where=_where(file, lines, ("checks", "fairness", i)))
                          for i, c in enumerate(checks["fairness"])]
    if checks.get("runtime"):
        from mlci.gates.runtime import RuntimeSpec

        runtime_specs = [RuntimeSpec.from_config(c, line=lines.get(("checks", "runtime", i)),
                                                 where=_where(file, lines, ("checks", "runtime", i)))
                         for i, c in enumerate(checks["runtime"])]
    return Policy(
        file=file,
        project=data.get("project"),
        use=data.get("policy", "base"),
        metrics=rules,
        reproducible=reproducible,
        data=tuple(data_specs),
        fairness=tuple(fairness_specs),
        runtime=tuple(runtime_specs),
        comment_mode=(data.get("comment") or {}).get("mode", "update"),
        take_over_cml=bool((data.get("comment") or {}).get("take_over_cml", False)),
        check_name=(data.get("check") or {}).get("name", "mlci"),
    )


def _metric_rule(pattern: str, spec: Mapping[str, Any], lines: Mapping[Path_, int], file: str) -> MetricRule:
    where = _where(file, lines, ("metrics", pattern))
    if not pattern.strip():
        raise ConfigError(f"{where}: a metric key must not be empty")
    lo, hi = spec.get("min"), spec.get("max")
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"{where}: min {lo} is greater than max {hi}")
    drop = spec.get("max_drop")
    relative = False
    if isinstance(drop, str):
        match = _PERCENT.match(drop)
        assert match is not None  # the schema's pattern guarantees it
        drop, relative = float(match.group(1)) / 100.0, True
    if not any(k in spec for k in ("min", "max", "max_drop", "required")) and not spec.get("informational"):
        raise ConfigError(f"{where}: no rule given; set min, max, max_drop or required (or informational: true to only show it)")
    return MetricRule(
        pattern=pattern,
        direction=spec.get("direction", "higher"),
        min=None if lo is None else float(lo),
        max=None if hi is None else float(hi),
        max_drop=None if drop is None else float(drop),
        max_drop_relative=relative,
        required=bool(spec.get("required", False)),
        informational=bool(spec.get("informational", False)),
        on_missing_base=spec.get("on_missing_base", "pass"),
        line=lines.get(("metrics", pattern)),
    )
