"""mlci.yaml: loading and validating the policy, with errors that name file, line and key.

The file is checked against ``schemas/policy-v1.schema.json`` (``mlci schema``
prints it, editors use it for completion), then semantically (min > max, ...).
Unknown keys are errors: they are usually typos.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

from mlci import ACTION_MAJOR, ACTION_REPOSITORY
from mlci.errors import ConfigError
from mlci.plots.model import PlotSettings
from mlci.release import spec as release_spec
from mlci.release.spec import ReleaseSpec
from mlci.yamlfile import DEFAULT_CONFIG, Path_, dotted, parse_yaml, read_yaml, where

if TYPE_CHECKING:
    from mlci.checks.base import Check
    from mlci.checks.metrics.spec import MetricRule

__all__ = ["DEFAULT_CONFIG", "Policy", "load_policy", "read_yaml", "schema", "schema_text"]

SCHEMA_FILE = "schemas/policy-v1.schema.json"
SCHEMA_URL = f"https://raw.githubusercontent.com/{ACTION_REPOSITORY}/{ACTION_MAJOR}/src/mlci/{SCHEMA_FILE}"

@dataclass(frozen=True)
class Policy:
    """The parsed mlci.yaml: each check's specs (mlci.checks.CHECKS, in its order) and how to publish."""

    file: str = DEFAULT_CONFIG
    project: str | None = None
    use: Literal["base", "head"] = "base"
    checks: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # (check key, its specs)
    comment_mode: Literal["update", "new", "once", "off"] = "update"
    take_over_cml: bool = False
    check_name: str = "mlci"
    plots: PlotSettings = PlotSettings()
    release: ReleaseSpec = ReleaseSpec()
    stages: tuple[tuple[str, Policy], ...] = ()  # promote.stages: each stage's own gates
    stage_order: tuple[str, ...] = ()  # promote.order

    def specs(self, key: str) -> tuple[Any, ...]:
        """The specs of the check at ``key`` ("metrics", "checks.data", ...), in mlci.yaml's order."""
        return next((specs for k, specs in self.checks if k == key), ())

    def gates(self, check: Check) -> tuple[Any, ...]:
        """The specs of ``check`` that are gates of a report (``Check.in_report``), in mlci.yaml's order:
        what collect measures and evaluate judges, under the same indexes."""
        return tuple(spec for spec in self.specs(check.key) if check.in_report(spec))

    @property
    def metrics(self) -> tuple[MetricRule, ...]:
        """The rules of ``metrics:``."""
        return tuple(rule for rules in self.specs("metrics") for rule in rules.rules)

    @property
    def gate_count(self) -> int:
        from mlci.checks.registry import CHECKS

        return sum(check.count(spec) for check in CHECKS for spec in self.gates(check))


@cache
def schema() -> dict[str, Any]:
    text = resources.files("mlci").joinpath(SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def schema_text() -> str:
    return resources.files("mlci").joinpath(SCHEMA_FILE).read_text("utf-8")


# -- loading -----------------------------------------------------------------------


def load_policy(text: str, file: str = DEFAULT_CONFIG) -> Policy:
    """Parse and validate policy text; ConfigError names file:line: key on any mistake."""
    data, lines = parse_yaml(text, file)
    if data is None:
        data = {}
    _validate(data, lines, file)
    return _build(data, lines, file)


# -- schema validation with readable messages -----------------------------------------


def _validate(data: Any, lines: Mapping[Path_, int], file: str) -> None:
    import jsonschema

    _keys_are_text(data, lines, file)
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
    raise ConfigError(f"{where(file, lines, path)}: {_message(error)}")


def _keys_are_text(data: Any, lines: Mapping[Path_, int], file: str) -> None:
    """JSON Schema knows only text keys: a key YAML reads as a number, a boolean or null is a
    mistake to name (quote it), not something for the validator to trip on."""
    stack: list[tuple[Any, Path_]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, Mapping):
            for key, child in value.items():
                if not isinstance(key, str):
                    raise ConfigError(f"{where(file, lines, (*path, str(key)))}: a key must be text, got "
                                      f"{_show(key)} (quote it)")
                stack.append((child, (*path, key)))
        elif isinstance(value, list):
            stack.extend((child, (*path, i)) for i, child in enumerate(value))


def _deepest(error: Any) -> Any:
    """For oneOf/anyOf, the most telling sub-error."""
    import jsonschema

    if error.validator in ("oneOf", "anyOf") and error.context:
        # The alternatives of another type than the value's say only that: the others tell what is wrong.
        telling = [e for e in error.context if e.relative_path or e.validator != "type"]
        best = jsonschema.exceptions.best_match(telling or error.context)
        if best is not None and best.validator not in ("type",) or (best is not None and best.relative_path):
            return _deepest(best)
    return error


_TYPE_NAMES = {"number": "a number", "integer": "a whole number", "string": "a string", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "nothing"}


def _message(error: Any) -> str:
    v, instance = error.validator, error.instance
    if v == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        extra = sorted(set(instance) - set(allowed)) if isinstance(instance, Mapping) else []
        key = str(extra[0]) if extra else "?"
        hint = difflib.get_close_matches(key, allowed, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else (f"; expected one of: {', '.join(allowed)}" if allowed else "")
        shown = f"'{key}'" if key.isprintable() and len(key) <= 60 else _show(key)
        return f"unknown key {shown}{suggestion}"
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
    message = " ".join(str(error.message).split())  # the validator's own words quote the value: cut them
    return message if len(message) <= 200 else message[:200] + "…"


def _describe(schema_part: Mapping[str, Any]) -> str:
    ref = json.dumps(schema_part)
    if "%" in ref:
        return 'a number or a percentage like "2%"'
    if "iB" in ref or "[bB]" in ref:
        return 'a size like 10MB or 512KiB, or a number of bytes'
    if '"boolean"' in ref:
        return "true, false or a mapping"
    if ".lock" in ref:
        return "a branch name (letters, digits, '.', '_', '/', '-'; no '..')"
    return "a different value"


def _show(value: Any) -> str:
    """The value at fault, cut to 60 characters: the file may be a PR's, and hostile."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:60]) + "…"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, (bool, int, float)):
        text = json.dumps(value)
        return text if len(text) <= 60 else text[:60] + "…"
    return f"a {type(value).__name__}"  # a date, bytes or a set: YAML has types JSON lacks


# -- building the typed policy ---------------------------------------------------------


def _build(data: Mapping[str, Any], lines: Mapping[Path_, int], file: str) -> Policy:
    promote = data.get("promote") or {}
    stages = []
    for name, section in (promote.get("stages") or {}).items():
        prefix = ("promote", "stages", name)
        # The stage's section read as a policy of its own: its lines keep their place in the file.
        inner = {path[len(prefix):]: line for path, line in lines.items() if path[:len(prefix)] == prefix}
        stages.append((name, Policy(file=file, project=data.get("project"), checks=_specs(section or {}, inner, file))))
    return Policy(
        file=file,
        project=data.get("project"),
        use=data.get("policy", "base"),
        checks=_specs(data, lines, file),
        comment_mode=(data.get("comment") or {}).get("mode", "update"),
        take_over_cml=bool((data.get("comment") or {}).get("take_over_cml", False)),
        check_name=(data.get("check") or {}).get("name", "mlci"),
        plots=plot_settings(data.get("plots", True)),
        release=release_spec.parse(data.get("release"), lines.get(("release",))),
        stages=tuple(stages),
        stage_order=tuple(promote.get("order") or ()),
    )


def plot_settings(section: Any) -> PlotSettings:
    """``plots:`` as the schema has validated it: true, false, or its mapping."""
    if isinstance(section, bool):
        return PlotSettings(enabled=section)
    return PlotSettings.from_dict(section or {})


def _specs(data: Mapping[str, Any], lines: Mapping[Path_, int], file: str) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """Each check's specs from ``data`` (the top of mlci.yaml, or a stage's section)."""
    from mlci.checks.base import Source
    from mlci.checks.registry import CHECKS

    source = Source(file=file, lines=lines, where=lambda path: where(file, lines, path))
    specs = []
    for check in CHECKS:
        section: Any = data
        for part in check.path:
            section = section.get(part) if isinstance(section, Mapping) else None
        specs.append((check.key, check.parse(section, source)))
    return tuple(specs)
