"""What every check is made of: its spec (from mlci.yaml), its measurement (I/O, collected
before judging) and its judgement (pure). A check is one :class:`Check`; the registry in
``mlci.checks`` lists them in the order their gates are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import json
from dataclasses import MISSING, asdict, dataclass, fields, is_dataclass
from pathlib import Path
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from mlci.evidence import Evidence
from mlci.report import GateKind, GateResult

ConfigPath = tuple[str | int, ...]
T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """Where a check's section of mlci.yaml sits: for its specs' lines and error messages."""

    file: str
    lines: Mapping[ConfigPath, int]
    where: Callable[[ConfigPath], str]  # "mlci.yaml:12: checks.data[0]"

    def line(self, path: ConfigPath) -> int | None:
        return self.lines.get(path)


@dataclass(frozen=True)
class Workspace:
    """What a measurement may look at: the repository's root, and the paths it leaves out
    (the bundle directory)."""

    root: Path
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    """One kind of check.

    ``path``: its section of mlci.yaml (``("metrics",)``, ``("checks", "data")``).
    ``parse(section, source)``: the specs of that section (ConfigError on a mistake).
    ``measure(spec, workspace)``: everything the judgement needs from outside (files, git,
    timings); None when the evidence every check shares is enough. It may raise CheckError
    or MissingExtra, which fail the gate. ``extra``: the mlci extra a spec's measurement
    needs (checked before measuring), or None.
    ``judge(spec, measured, evidence)``: the gates, pure: no file, process, network or clock.
    ``subject(spec)`` and ``informational(spec)`` / ``line(spec)``: for a gate that could not
    be measured or judged. ``count(spec)``: how many gates the spec stands for in the policy.
    ``encode(measured)`` / ``decode(data)``: the measurement as JSON for the bundle and back,
    so that a privileged job re-judges a bundle's evidence with a policy it trusts instead of
    taking its verdict. ``decode`` gets untrusted data: it raises ValueError, TypeError or
    KeyError on anything that is not a measurement of this check, and the gate fails closed.
    A check that measures without a codec cannot be re-judged from a bundle (its gate fails
    there, closed). ``in_report(spec)``: whether the spec is a gate of ``mlci report`` (and so of
    the bundle judged again); a drift entry is only the monitor's unless it says ``pr_gate``.
    """

    kind: GateKind
    path: ConfigPath
    parse: Callable[[Any, Source], tuple[Any, ...]]
    judge: Callable[[Any, Any, Evidence], Sequence[GateResult]]
    subject: Callable[[Any], str]
    measure: Callable[[Any, Workspace], Any] | None = None
    extra: Callable[[Any], str | None] = lambda spec: None
    informational: Callable[[Any], bool] = lambda spec: bool(getattr(spec, "informational", False))
    line: Callable[[Any], int | None] = lambda spec: getattr(spec, "line", None)
    count: Callable[[Any], int] = lambda spec: 1
    encode: Callable[[Any], Any] | None = None
    decode: Callable[[Any], Any] | None = None
    in_report: Callable[[Any], bool] = lambda spec: True

    @property
    def key(self) -> str:
        return ".".join(str(p) for p in self.path)


def spec_key(spec: Any) -> str:
    """What a measurement was made for: the spec as canonical JSON, without its line in mlci.yaml.

    A bundle's measurement is re-judged only under a spec with the same key: one measured for
    another rule (a loosened copy of mlci.yaml) is not evidence for this one.
    """
    data = {k: v for k, v in asdict(spec).items() if k != "line"} if is_dataclass(spec) and not isinstance(spec, type) else spec
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


MAX_ITEMS = 10_000
MAX_TEXT = 20_000


def encode_record(record: Any) -> Any:
    """A measurement record (frozen dataclasses, tuples, numbers, text) as JSON-able data."""
    return asdict(record) if is_dataclass(record) and not isinstance(record, type) else record


def decode_record(cls: type[T], data: Any) -> T:
    """``cls`` (a frozen dataclass) from untrusted JSON data, strictly: every field there with
    its annotated type (str, int, float, bool, None, ``tuple[X, ...]``, ``X | None``, nested
    dataclasses), nothing else, at most MAX_ITEMS items and MAX_TEXT characters each.
    ValueError or TypeError otherwise."""
    return _decode(cls, data, cls.__name__)  # type: ignore[no-any-return]


def _decode(kind: Any, data: Any, where: str) -> Any:
    origin, args = get_origin(kind), get_args(kind)
    if is_dataclass(kind) and isinstance(kind, type):
        if not isinstance(data, dict):
            raise TypeError(f"{where}: expected an object")
        hints = get_type_hints(kind)
        names = [f.name for f in fields(kind)]
        if set(data) - set(names):
            raise ValueError(f"{where}: unexpected {sorted(set(data) - set(names))[:3]}")
        missing = [n for n in names if n not in data and _required(kind, n)]
        if missing:
            raise ValueError(f"{where}: missing {missing[:3]}")
        return kind(**{n: _decode(hints[n], data[n], f"{where}.{n}") for n in names if n in data})
    if origin in (Union, UnionType):
        if data is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        for option in options:
            try:
                return _decode(option, data, where)
            except (TypeError, ValueError):
                continue
        raise TypeError(f"{where}: not a {kind}")
    if origin is tuple:
        if not isinstance(data, (list, tuple)) or len(data) > MAX_ITEMS:
            raise TypeError(f"{where}: expected a list of at most {MAX_ITEMS:,} items")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], item, f"{where}[{i}]") for i, item in enumerate(data))
        if len(args) != len(data):
            raise ValueError(f"{where}: expected {len(args)} items")
        return tuple(_decode(a, item, f"{where}[{i}]") for i, (a, item) in enumerate(zip(args, data)))
    if kind is Any:
        return data
    if kind is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise TypeError(f"{where}: expected a number")
        return float(data)
    if kind is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise TypeError(f"{where}: expected an integer")
        return data
    if kind is bool:
        if not isinstance(data, bool):
            raise TypeError(f"{where}: expected true or false")
        return data
    if kind is str:
        if not isinstance(data, str) or len(data) > MAX_TEXT:
            raise TypeError(f"{where}: expected text of at most {MAX_TEXT:,} characters")
        return data
    if kind is type(None):
        if data is not None:
            raise TypeError(f"{where}: expected null")
        return None
    raise TypeError(f"{where}: cannot decode {kind}")


def _required(kind: type, name: str) -> bool:
    field = next(f for f in fields(kind) if f.name == name)
    return field.default is MISSING and field.default_factory is MISSING
