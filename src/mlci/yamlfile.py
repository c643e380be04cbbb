"""Reading mlci.yaml as YAML, with the line of every key: for messages that name file and line.

Its own module, below config and extras: the install step reads the policy with it before
anything of mlci's is installed but PyYAML. So it imports nothing of mlci's but the errors.

YAML from a pull request is hostile input, so every document is read within :class:`Limits`:
its size in bytes, its nesting, and its nodes counted as aliases expand them (a 350-byte
"billion laughs" of 7 levels of 10 aliases stands for 10 million nodes). Anchors and aliases
stay usable within those limits, and an alias that contains itself is refused. PyYAML's
composer recurses once per level, so the nesting is checked while composing, before Python's
own recursion limit is reached.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from mlci.errors import ConfigError


class BeyondLimits(ConfigError):
    """YAML that may be valid but is more than mlci reads: too large, too deep, too many values."""


DEFAULT_CONFIG = "mlci.yaml"
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Limits:
    """How much YAML one document may be: bytes (UTF-8), nesting levels, nodes (aliases expanded)."""

    bytes: int
    depth: int
    nodes: int


# mlci.yaml: real policies are a few KB of a few hundred values (5,000 metric gates are some
# 30,000); PyYAML reads about 10,000 values a second on a busy runner, so a PR's copy at the
# limits costs seconds, never the gigabytes and minutes of an unbounded alias bomb.
POLICY_LIMITS = Limits(bytes=1_000_000, depth=64, nodes=50_000)
# dvc.lock: written by DVC, an entry per dependency and output, so larger in big projects.
LOCK_LIMITS = Limits(bytes=16_000_000, depth=64, nodes=1_000_000)


def read_yaml(text: str, file: str = DEFAULT_CONFIG) -> Any:
    """The file's data as YAML gives it, not validated (ConfigError on invalid YAML): what the
    install step reads to choose extras before anything else is installed."""
    return parse_yaml(text, file)[0]


def parse_yaml(text: str, file: str, limits: Limits = POLICY_LIMITS) -> tuple[Any, dict[Path_, int]]:
    """The document's data and the line of every key and item; ConfigError naming ``file`` (and
    the line, when there is one) for invalid YAML or a document beyond ``limits``."""
    return _load(text, file, limits, lines=True)


def load_yaml(text: str, file: str, limits: Limits) -> Any:
    """The document's data, read within ``limits`` (ConfigError naming ``file`` otherwise)."""
    return _load(text, file, limits, lines=False)[0]


def _load(text: str, file: str, limits: Limits, *, lines: bool) -> tuple[Any, dict[Path_, int]]:
    size = len(text) if len(text) > limits.bytes else len(text.encode("utf-8", "surrogatepass"))
    if size > limits.bytes:
        raise BeyondLimits(f"{file}: {size:,} bytes, more than the {limits.bytes:,} mlci reads")
    fast = _load_fast(text, file, limits, lines=lines)
    if fast is not None:
        return fast
    loader: _Loader | None = None
    try:
        loader = _Loader(text, limits)
        return _document(loader, file, limits, lines=lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{file}:{mark.line + 1}" if mark else file
        kind = BeyondLimits if isinstance(exc, (_BeyondFlow, _Beyond)) else ConfigError
        raise kind(f"{where}: invalid YAML: {_clip(exc.problem or exc.context, 200)}") from None
    except yaml.reader.ReaderError as exc:  # a control character, or a byte that is not UTF-8
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        if 0xDC80 <= code <= 0xDCFF:  # undecodable bytes, kept as surrogates (surrogateescape)
            raise ConfigError(f"{file}:{line}: not UTF-8 text: the byte 0x{code - 0xDC00:02X}") from None
        raise ConfigError(f"{file}:{line}: invalid YAML: the character U+{code:04X} is not allowed in YAML") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: invalid YAML: {_clip(str(exc))}") from None
    finally:
        if loader is not None:
            loader.dispose()


def _load_fast(text: str, file: str, limits: Limits, *, lines: bool) -> tuple[Any, dict[Path_, int]] | None:
    """:func:`_load` through libyaml (PyYAML's C parser), about 5 times faster: what a project of
    thousands of .dvc files needs. None when libyaml is missing or finds anything wrong (the pure
    Python path then names it, in the same words everywhere). libyaml's parser keeps its own
    stack, so its events are counted first; its composer recurses, so it runs only on a document
    already known to nest no deeper than the limit."""
    if _CLoader is None:
        return None
    loader = None
    try:
        depth = events = 0
        for event in yaml.parse(text, Loader=_CLoader):
            events += 1
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if depth >= limits.depth or events > 2 * limits.nodes:
                return None
        loader = _CLoader(text)
        return _document(loader, file, limits, lines=lines)
    except ConfigError:
        raise  # mlci's own words on the document's nodes, the same in both paths
    except Exception:  # noqa: BLE001 - any complaint of libyaml's is said again, exactly, by the pure path
        return None
    finally:
        if loader is not None:
            loader.dispose()


_CLoader: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def _document(loader: yaml.SafeLoader | yaml.CSafeLoader, file: str, limits: Limits, *,
              lines: bool) -> tuple[Any, dict[Path_, int]]:
    """The loader's one document: composed, held to ``limits`` with its aliases counted, its
    lines recorded (``lines``), then constructed."""
    node = loader.get_single_node()
    if node is None:
        return None, {}
    _check_size(node, file, limits)
    found: dict[Path_, int] = {}
    if lines:
        _walk(node, (), found, file)
    return loader.construct_document(node), found


class _Beyond(yaml.composer.ComposerError):
    """Nested deeper, or more values, than the limits: found while composing."""


class _BeyondFlow(yaml.scanner.ScannerError):
    """Flow collections (``[[[…``) nested deeper than the limit: found while scanning."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing nesting deeper than ``depth`` and naming the node of a
    value Python cannot make (an integer of 5,000 digits, a date that does not exist)."""

    def __init__(self, text: str, limits: Limits) -> None:
        super().__init__(text)
        self._depth = 0
        self._nodes = 0
        self._max_depth = limits.depth
        self._max_nodes = limits.nodes

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self._depth >= self._max_depth:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise _Beyond(None, None, f"nested more than {self._max_depth} levels deep", mark)
        self._nodes += 1
        if self._nodes > self._max_nodes:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise _Beyond(None, None, f"more than {self._max_nodes:,} values", mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            why = str(exc).split(";")[0]
            raise yaml.constructor.ConstructorError(None, None, f"cannot read the {node.tag.rsplit(':', 1)[-1]} "
                                                    f"{_clip(str(node.value), 40)}: {why}", node.start_mark) from None

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:  # noqa: N803 - PyYAML's name
        # The scanner looks ahead over every `[` or `{` before the composer sees one: check here.
        if self.flow_level >= self._max_depth:
            raise _BeyondFlow(None, None, f"nested more than {self._max_depth} levels deep", self.get_mark())
        super().fetch_flow_collection_start(TokenClass)


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


def _check_size(root: yaml.Node, file: str, limits: Limits) -> None:
    """Refuse a document whose nodes, aliases expanded, are more than ``limits.nodes`` or nest
    deeper than ``limits.depth``, or that contains itself: without expanding it (each node once)."""
    done: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, depth) of its expansion
    totals = {id(root): [1, 1]}
    stack: list[tuple[yaml.Node, Iterator[yaml.Node]]] = [(root, _children(root))]
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            nodes, depth = done[id(node)] = tuple(totals.pop(id(node)))  # type: ignore[assignment]
            if stack:
                parent = totals[id(stack[-1][0])]
                parent[0] += nodes
                parent[1] = max(parent[1], depth + 1)
                if parent[0] > limits.nodes or parent[1] > limits.depth:
                    what = (f"more than {limits.nodes:,} values once its aliases are expanded" if parent[0] > limits.nodes
                            else f"nested more than {limits.depth} levels deep once its aliases are expanded")
                    raise BeyondLimits(f"{file}:{stack[-1][0].start_mark.line + 1}: invalid YAML: {what}")
        elif id(child) in done:
            stack.append((child, iter(())))
            totals[id(child)] = list(done[id(child)])
        elif id(child) in totals:
            raise BeyondLimits(f"{file}:{child.start_mark.line + 1}: invalid YAML: an alias refers to a value "
                               "that contains it")
        else:
            totals[id(child)] = [1, 1]
            stack.append((child, _children(child)))


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], file: str) -> None:
    """Record the line of every key and item, and refuse duplicate keys."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                raise ConfigError(f"{file}:{key_node.start_mark.line + 1}: {dotted(child)}: duplicate key")
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _walk(item, (*path, i), lines, file)


def dotted(path: Sequence[str | int]) -> str:
    """``metrics.acc.min``, ``checks.data[0]``; a key that is long or not printable (a PR may
    write one) is quoted, cut to 60 characters, so a message stays one short line."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            if not text.isprintable() or len(text) > 60:
                text = repr(text[:60]) + ("…" if len(text) > 60 else "")
            out += f".{text}" if out else text
    return out or "(top level)"


def where(file: str, lines: Mapping[Path_, int], path: Sequence[str | int]) -> str:
    line = lines.get(tuple(path))
    probe = tuple(path)
    while line is None and probe:
        probe = probe[:-1]
        line = lines.get(probe)
    return f"{file}:{line}: {dotted(path)}" if line else f"{file}: {dotted(path)}"


def _clip(text: str | None, limit: int = 60) -> str:
    """One line of at most ``limit`` characters (and an ellipsis) of text from the document."""
    line = " ".join(str(text or "").split())
    return line if len(line) <= limit else line[:limit] + "…"
