"""Validate YAML data against our published JSON Schemas, with Chinese messages and lines.

The schemas in pipeline/schemas/ serve twice: editors get completion from them (via the
yaml-language-server comment) and wxpub validates with the very same files, so the
published schema can never drift from what the tool accepts.
"""

from __future__ import annotations

import difflib
import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterator

import jsonschema

from pipeline.yamlpos import KeyPath, PositionedYaml


@dataclass(frozen=True)
class SchemaProblem:
    path: KeyPath  # where in the document
    line: int
    key: str  # dotted key path for messages, e.g. accounts.official.type
    message: str  # Chinese, says what is wrong and how to fix it
    kind: str  # the JSON Schema keyword that failed: required, type, additionalProperties...

    @property
    def is_unknown_key(self) -> bool:
        return self.kind == "additionalProperties"


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("pipeline.schemas").joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def check(doc: PositionedYaml, schema_name: str) -> list[SchemaProblem]:
    """All problems of `doc` against the schema, in document order."""
    problems = [p for error in _validator(schema_name).iter_errors(doc.data) for p in _explain(error, doc)]
    return sorted(problems, key=lambda p: (p.line, p.key))


def dotted(path: KeyPath) -> str:
    return ".".join(str(part) for part in path) or "(根)"


def _explain(error: jsonschema.ValidationError, doc: PositionedYaml) -> Iterator[SchemaProblem]:
    path: KeyPath = tuple(error.absolute_path)
    kind = str(error.validator)
    if kind in ("anyOf", "oneOf", "allOf") and error.context:
        # Report the most specific sub-error instead of "is not valid under any schema".
        best = jsonschema.exceptions.best_match(error.context)
        yield from _explain(best, doc)
        return
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extras = [k for k in error.instance if k not in error.schema.get("properties", {})]
        for extra in extras:
            where = (*path, extra)
            close = difflib.get_close_matches(str(extra), allowed, n=1, cutoff=0.6)
            guess = f"是否想写 `{close[0]}`?" if close else ""
            hint = f"可用的键:{', '.join(allowed)}" if allowed else "请删除该键"
            yield SchemaProblem(where, doc.line_of(where), dotted(where), f"未知的键 `{extra}`。{guess}{hint}", kind)
        return
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        yield SchemaProblem(path, doc.line_of(path), dotted(path), f"缺少必填键 `{missing}`", kind)
        return
    yield SchemaProblem(path, doc.line_of(path), dotted(path), _describe(error), kind)


_TYPE_NAMES = {"string": "字符串", "integer": "整数", "number": "数字", "boolean": "true/false",
               "array": "列表", "object": "映射(键: 值)", "null": "空值"}


def _describe(error: jsonschema.ValidationError) -> str:
    """A Chinese sentence for one failed keyword, ending with what a valid value looks like."""
    v, value = error.validator, error.validator_value
    shown = json.dumps(error.instance, ensure_ascii=False)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    what = error.schema.get("description") if isinstance(error.schema, dict) else None
    if v == "type":
        expected = " 或 ".join(_TYPE_NAMES.get(t, t) for t in ([value] if isinstance(value, str) else value))
        if error.instance is None:  # `author:` with nothing after it: YAML reads null
            return f"没有填写;请填写:{what}" if what else f"没有填写,应为{expected}"
        return f"值 {shown} 的类型不对,应为{expected}" + (f";{what}" if what else "")
    if v == "enum":
        return f"值 {shown} 不在可选范围内,可选:{', '.join(map(str, value))}"
    if v == "const":
        return f"值 {shown} 不对,应为 {json.dumps(value, ensure_ascii=False)}"
    if v == "maxLength":
        return f"长度 {len(error.instance)} 超过上限 {value};请删减到 {value} 字以内"
    if v == "minLength":  # what to write comes from the schema's own description of the field
        wanted = f";请填写:{what}" if what else ""
        return f"不能为空{wanted}" if value == 1 else f"长度不足 {value}{wanted}"
    if v in ("minimum", "maximum"):
        return f"值 {shown} 应{'不小于' if v == 'minimum' else '不大于'} {value}"
    if v in ("minItems", "minProperties"):
        return f"至少需要 {value} 项"
    if v == "uniqueItems":
        return "列表中有重复项"
    if v == "pattern":
        hint = error.schema.get("x-hint") if isinstance(error.schema, dict) else None
        return f"值 {shown} 的格式不对:{hint}" if hint else f"值 {shown} 的格式不对(应匹配 {value})"
    if v == "format":
        return f"值 {shown} 不是合法的 {value}(日期写作 YYYY-MM-DD)"
    if v == "propertyNames":
        return f"键名 {shown} 不合法:只能用小写字母、数字和连字符"
    return f"值 {shown} 不符合要求:{error.message}"
