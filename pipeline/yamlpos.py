"""YAML loading that remembers where every key came from.

PyYAML's composer gives nodes with start marks; we build plain Python values from them
and, beside, a map from each key path (a tuple of keys and indexes) to its 1-based line.
Errors about configuration can then say `policies.yaml:17` instead of "somewhere".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

import yaml

try:  # the C loader is ~5x faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class PositionedYaml:
    """A YAML document as plain data plus the line of every key path in it."""

    data: Any
    lines: Mapping[KeyPath, int]

    def line_of(self, path: KeyPath) -> int:
        """The line of `path`, or of its nearest ancestor that has one (1 for the root)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


class YamlSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class YamlValueError(YamlSyntaxError):
    """Well-formed YAML holding a value that cannot become plain data: `2026-02-30`
    unquoted (YAML reads it as a date), `!!binary`, an unknown `!tag`, a duplicate key."""


# What PyYAML raises when a scalar parses but cannot be built
_CONSTRUCT_ERRORS = (yaml.YAMLError, ValueError, TypeError, AttributeError)


def load_positioned(text: str, *, line_offset: int = 0) -> PositionedYaml:
    """Parse one YAML document; lines are shifted by `line_offset` (front matter starts late)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        # An unclosed quote or bracket is best shown where it opened, not where the text ended
        opened = exc.context_mark if exc.context and exc.context.startswith("while scanning a quoted") else None
        mark = opened or exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        column = mark.column + 1 if mark else 1
        raise YamlSyntaxError(str(exc.problem or exc.context or exc), line, column) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), 1 + line_offset, 1) from None
    lines: dict[KeyPath, int] = {}
    if node is None:
        return PositionedYaml(None, MappingProxyType({(): 1 + line_offset}))
    # A fresh constructor per document: PyYAML's keeps every node it built, forever
    data = _construct(node, (), lines, line_offset, _Loader(""))
    return PositionedYaml(data, MappingProxyType(lines))


def _value_error(node: yaml.Node, offset: int, reason: str) -> YamlValueError:
    return YamlValueError(reason, node.start_mark.line + 1 + offset, node.start_mark.column + 1)


def _construct(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], offset: int, loader: Any,
               enclosing: frozenset[int] = frozenset()) -> Any:
    lines[path] = node.start_mark.line + 1 + offset
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        # `a: &x [*x]` is a node inside itself: plain data cannot hold the cycle
        if id(node) in enclosing:
            raise _value_error(node, offset, "别名引用了包含它自己的列表或映射(循环引用)")
        enclosing = enclosing | {id(node)}
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, offset, loader)
            if key in result:
                raise _value_error(key_node, offset, f"重复的键 `{key}`")
            child = (*path, str(key))
            result[key] = _construct(value_node, child, lines, offset, loader, enclosing)
            lines[child] = key_node.start_mark.line + 1 + offset
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), lines, offset, loader, enclosing) for i, item in enumerate(node.value)]
    return _scalar(node, offset, loader)


def _scalar(node: yaml.Node, offset: int, loader: Any) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise _value_error(node, offset, "键只能是文字,不能是列表或映射")
    try:
        value = loader.construct_object(node, deep=True)
    except _CONSTRUCT_ERRORS as exc:
        reason = exc.problem if isinstance(exc, yaml.MarkedYAMLError) and exc.problem else str(exc)
        raise _value_error(node, offset, reason) from None
    if isinstance(value, bytes):  # !!binary: not text, and no field takes it
        raise _value_error(node, offset, "二进制值")
    # YAML turns 2026-09-01 into a date; keep dates but make them JSON-schema friendly
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value
