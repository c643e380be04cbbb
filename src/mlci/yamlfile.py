"""Reading mlci.yaml as YAML, with the line of every key: for messages that name file and line.

Its own module, below config and extras: the install step reads the policy with it before
anything of mlci's is installed but PyYAML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from mlci.errors import ConfigError

DEFAULT_CONFIG = "mlci.yaml"
Path_ = tuple[str | int, ...]


def read_yaml(text: str, file: str = DEFAULT_CONFIG) -> Any:
    """The file's data as YAML gives it, not validated (ConfigError on invalid YAML): what the
    install step reads to choose extras before anything else is installed."""
    return parse_yaml(text, file)[0]


def parse_yaml(text: str, file: str) -> tuple[Any, dict[Path_, int]]:
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
                raise ConfigError(f"{file}:{key_node.start_mark.line + 1}: {dotted(child)}: duplicate key")
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _walk(item, (*path, i), lines, file)


def dotted(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def where(file: str, lines: Mapping[Path_, int], path: Sequence[str | int]) -> str:
    line = lines.get(tuple(path))
    probe = tuple(path)
    while line is None and probe:
        probe = probe[:-1]
        line = lines.get(probe)
    return f"{file}:{line}: {dotted(path)}" if line else f"{file}: {dotted(path)}"
