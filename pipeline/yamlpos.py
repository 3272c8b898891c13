"""YAML loading that remembers where every key came from, within a budget.

The one YAML loader of wxpub (front matter, policies.yaml, themes). It reads PyYAML's event
stream and builds plain Python values in a loop, never by recursion, and beside them a map
from each key path (a tuple of keys and indexes) to its 1-based line, so errors about
configuration can say `policies.yaml:17` instead of "somewhere".

Hostile input cannot make it hang or crash:
- nesting deeper than `max_depth` is an error at the line where it goes too deep (no
  RecursionError here or in anything that walks the result);
- an alias (`*name`) counts as every value it stands for, so the billion-laughs bomb (nine
  levels of nine aliases, under 300 bytes, 387 million values) stops at `max_nodes` values,
  at the line of the alias that went over, after work proportional to the budget;
- an anchor is defined only once its node is complete, so a node cannot contain itself: an
  alias inside the node it names is a cycle, said as such; an anchor name is written once.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import yaml

try:  # the C parser is ~5x faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

KeyPath = tuple[str | int, ...]

MAX_DEPTH = 32  # nesting levels; policies.yaml needs 6, front matter 3
MAX_NODES = 100_000  # values once aliases are expanded; the sample policy has about 800

_MAX_INT_CHARS = 1000  # below Python's own 4300-digit cap, whose message is English

_PLAIN_TAGS = frozenset({None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})

# libyaml's and Python's explanations are English; editors read Chinese. Each known phrase
# (matched as a substring: some carry the offending text after them) has its Chinese
# meaning; anything else is said in general terms rather than leaking English to editors.
_SYNTAX_ZH: tuple[tuple[str, str], ...] = (
    ("mapping values are not allowed", "这里不能再出现“键: 值”(值里有冒号加空格的请给整个值加引号,键要顶格对齐)"),
    ("tab character", "缩进里有制表符(Tab);请改用空格缩进"),
    ("cannot start any token", "值以 YAML 不允许的字符开头(如 @、`、% 或制表符);请给整个值加引号"),
    ("did not find expected key", "这里应是“键: 值”(列表项“- ”或多余的括号不能出现在这里)"),
    ("did not find expected '-' indicator", "列表项应以“- ”开头,且与上一项对齐"),
    ("could not find expected ':'", "缺少冒号:键后面要写“: ”"),
    ("unexpected end of stream", "引号没有闭合;请补上结尾的引号"),
    ("expected ',' or ']'", "方括号 [ ] 没有闭合或项之间缺少逗号"),
    ("expected ',' or '}'", "花括号 { } 没有闭合或项之间缺少逗号"),
    ("unknown escape character", "双引号里的反斜杠 \\ 后面跟了无法识别的字符;请改用单引号或写成 \\\\"),
    ("did not find expected node content", "这里缺少值"),
    ("did not find the expected '>'", "标签 !< 没有闭合"),
    ("directive", "YAML 指令(% 开头的行)有误;这里用不到指令,请删除这一行"),
    ("characters are not allowed", "含 YAML 不允许的控制字符或特殊字符(常见于从网页、Word 或聊天软件复制的文字);请删除该字符"),
)
_VALUE_ZH: tuple[tuple[str, str], ...] = (
    ("day is out of range for month", "日期不存在(这个月没有这一天)"),
    ("month must be in", "月份应在 1 到 12 之间"),
    ("hour must be in", "小时应在 0 到 23 之间"),
    ("minute must be in", "分钟应在 0 到 59 之间"),
    ("second must be in", "秒应在 0 到 59 之间"),
    ("year", "年份无效"),
    ("invalid literal", "不是有效的数字"),
    ("could not determine a constructor", "不支持的类型标签(! 或 !! 开头)"),
)


def _in_chinese(problem: str, table: tuple[tuple[str, str], ...], otherwise: str) -> str:
    return next((chinese for phrase, chinese in table if phrase in problem), otherwise)


def _shown_key(key: Any) -> str:
    """A key as the editor wrote it: Python's None/True/False are not what YAML text says."""
    if key is None:
        return "(空键:冒号前没有写键名)"
    if isinstance(key, bool):
        return f"`{'true' if key else 'false'}`"
    return f"`{key}`"


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


class YamlBudgetError(YamlSyntaxError):
    """Nested too deep, or too many values once aliases are expanded (Chinese message)."""


# What PyYAML raises when a scalar parses but cannot be built (an empty `!!int` indexes its
# first character: IndexError)
_CONSTRUCT_ERRORS = (yaml.YAMLError, ValueError, TypeError, AttributeError, OverflowError, LookupError)


def load_positioned(text: str, *, line_offset: int = 0, max_depth: int = MAX_DEPTH,
                    max_nodes: int = MAX_NODES) -> PositionedYaml:
    """Parse one YAML document; lines are shifted by `line_offset` (front matter starts late)."""
    loader = _Loader(text)
    try:
        return _Builder(loader, line_offset, max_depth, max_nodes).run()
    except yaml.MarkedYAMLError as exc:
        # An unclosed quote or bracket is best shown where it opened, not where the text ended
        opened = exc.context_mark if exc.context and exc.context.startswith("while scanning a quoted") else None
        mark = opened or exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        column = mark.column + 1 if mark else 1
        if "maximum nesting depth" in str(exc.problem):  # libyaml's own cap (1000), met while looking ahead
            raise YamlBudgetError(_too_deep(max_depth), line, column) from None
        problem = str(exc.problem or exc.context or exc)
        raise YamlSyntaxError(_in_chinese(problem, _SYNTAX_ZH, "无法解析这一处的写法"), line, column) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(_in_chinese(str(exc), _SYNTAX_ZH, "无法解析这一处的写法"), 1 + line_offset, 1) from None
    finally:
        loader.dispose()


def _too_deep(max_depth: int) -> str:
    return f"嵌套过深:超过 {max_depth} 层"


_NO_KEY = object()  # a mapping waiting for its next key


@dataclass
class _Open:
    """A mapping or sequence whose end event has not come yet."""

    value: dict[Any, Any] | list[Any]
    path: KeyPath
    line: int
    anchor: str | None
    nodes_before: int  # the node count before this node: its size is known at its end
    key: Any = _NO_KEY  # in a mapping: the key read, waiting for its value
    key_line: int = 0


@dataclass
class _Builder:
    loader: Any
    offset: int
    max_depth: int
    max_nodes: int
    stack: list[_Open] = field(default_factory=list)
    anchors: dict[str, tuple[Any, int]] = field(default_factory=dict)  # name -> (value, values it stands for)
    anchor_lines: dict[str, int] = field(default_factory=dict)  # name -> line where it was written
    lines: dict[KeyPath, int] = field(default_factory=dict)
    nodes: int = 0
    documents: int = 0
    root: Any = None

    def run(self) -> PositionedYaml:
        while True:
            event = self.loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.ScalarEvent):  # the commonest event first
                self._new_anchor(event)
                self._count(event, 1)
                self._place(self._scalar(event), event, event.anchor, 1)
            elif isinstance(event, yaml.DocumentStartEvent) and self.documents:
                raise self._error(YamlSyntaxError, event, "文件中只能有一个 YAML 文档(多了一行 ---)")
            elif isinstance(event, yaml.DocumentEndEvent):
                self.documents += 1
            elif isinstance(event, yaml.AliasEvent):
                self._alias(event)
            elif isinstance(event, yaml.CollectionStartEvent):
                self._open(event)
            elif isinstance(event, yaml.CollectionEndEvent):
                done = self.stack.pop()
                self._place(done.value, event, done.anchor, self.nodes - done.nodes_before, done)
        self.lines.setdefault((), 1 + self.offset)
        return PositionedYaml(self.root, MappingProxyType(self.lines))

    def _line(self, event: yaml.Event) -> int:
        mark = event.start_mark  # the parser always sets it
        return (mark.line if mark else 0) + 1 + self.offset

    def _error(self, kind: type[YamlSyntaxError], event: yaml.Event, message: str) -> YamlSyntaxError:
        mark = event.start_mark
        return kind(message, self._line(event), (mark.column if mark else 0) + 1)

    def _count(self, event: yaml.Event, values: int) -> None:
        self.nodes += values
        if self.nodes > self.max_nodes:
            how = "(别名 * 每用一次都展开它代表的全部内容)" if isinstance(event, yaml.AliasEvent) else ""
            raise self._error(YamlBudgetError, event, f"内容过多:超过 {self.max_nodes} 个值{how}")

    def _open(self, event: yaml.CollectionStartEvent) -> None:
        if len(self.stack) >= self.max_depth:
            raise self._error(YamlBudgetError, event, _too_deep(self.max_depth))
        if event.tag not in _PLAIN_TAGS:
            shown = str(event.tag).replace("tag:yaml.org,2002:", "!!", 1)  # as it was written: !!int, not the URI
            raise self._error(YamlValueError, event, f"列表或映射前不能写类型标签 {shown};请删去它")
        self._expect_value(event)
        self._new_anchor(event)
        before = self.nodes
        self._count(event, 1)
        path = self._child_path()
        self.lines[path] = self._line(event)
        value: dict[Any, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
        self.stack.append(_Open(value, path, self._line(event), event.anchor, before))

    def _new_anchor(self, event: yaml.NodeEvent) -> None:
        """An anchor name is written once (as PyYAML's own loader insists): which of two `&x` an
        alias means would be a puzzle for the reviewer, and an open `&x` is then always the one
        an alias inside it names."""
        if event.anchor is None:
            return
        if event.anchor in self.anchor_lines:
            raise self._error(YamlValueError, event, f"锚点 &{event.anchor} 重复定义(第一次在第 "
                                                     f"{self.anchor_lines[event.anchor]} 行);每个锚点名只能用一次")
        self.anchor_lines[event.anchor] = self._line(event)

    def _alias(self, event: yaml.AliasEvent) -> None:
        if any(open_.anchor == event.anchor for open_ in self.stack):
            # `a: &x [*x]`: the alias names a node it is inside; plain data cannot hold the cycle
            raise self._error(YamlValueError, event, "别名引用了包含它自己的列表或映射(循环引用)")
        if event.anchor not in self.anchors:
            raise self._error(YamlValueError, event, f"别名 *{event.anchor} 没有对应的锚点 &{event.anchor}")
        value, size = self.anchors[event.anchor]
        self._count(event, size)  # before copying: the copy costs what the budget allows, no more
        self._place(copy.deepcopy(value), event, None, size)

    def _expect_value(self, event: yaml.Event) -> None:
        """A mapping or sequence cannot be a mapping's key."""
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.value, dict) and top.key is _NO_KEY:
            raise self._error(YamlValueError, event, "键只能是文字,不能是列表或映射")

    def _child_path(self) -> KeyPath:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        return (*top.path, str(top.key))

    def _place(self, value: Any, event: yaml.Event, anchor: str | None, size: int, done: _Open | None = None) -> None:
        """Put a finished value where it belongs: the root, a sequence item, a key or a value."""
        if anchor is not None:
            self.anchors[anchor] = (value, size)
        line = done.line if done is not None else self._line(event)
        top = self.stack[-1] if self.stack else None
        if top is None:
            self.root = value
            self.lines[()] = line
        elif isinstance(top.value, list):
            self.lines[(*top.path, len(top.value))] = line
            top.value.append(value)
        elif top.key is _NO_KEY:
            if isinstance(value, (dict, list)):  # an alias of a mapping or sequence used as a key
                raise self._error(YamlValueError, event, "键只能是文字,不能是列表或映射")
            if value in top.value:
                first = self.lines.get((*top.path, str(value)))
                where = f"(第 {first} 行已经写过)" if first is not None else ""
                raise self._error(YamlValueError, event, f"重复的键 {_shown_key(value)}{where};请删去其中一行,只留一个")
            top.key, top.key_line = value, line
        else:
            self.lines[(*top.path, str(top.key))] = top.key_line
            top.value[top.key] = value
            top.key = _NO_KEY

    def _scalar(self, event: yaml.ScalarEvent) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == "tag:yaml.org,2002:merge":  # `<<: *x` would be a key named "<<" here, not a merge
            raise self._error(YamlValueError, event, "不支持合并键 <<;请把要用的键逐个写出")
        if tag == "tag:yaml.org,2002:str":  # most values: what SafeConstructor would return, without building a node
            return event.value
        if tag == "tag:yaml.org,2002:int" and len(event.value) > _MAX_INT_CHARS:
            raise self._error(YamlValueError, event, f"数字过长(超过 {_MAX_INT_CHARS} 位);要当作文字请加引号")
        node = yaml.ScalarNode(tag, event.value, style=event.style)
        try:
            value = self.loader.construct_object(node, deep=True)
        except _CONSTRUCT_ERRORS as exc:
            reason = exc.problem if isinstance(exc, yaml.MarkedYAMLError) and exc.problem else str(exc)
            raise self._error(YamlValueError, event, _in_chinese(reason, _VALUE_ZH, "无法识别的值")) from None
        if isinstance(value, bytes):  # !!binary: not text, and no field takes it
            raise self._error(YamlValueError, event, "二进制值")
        # YAML turns 2026-09-01 into a date; keep dates but make them JSON-schema friendly
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value.isoformat()
        return value
