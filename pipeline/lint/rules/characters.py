"""Characters a reader cannot see, in the front matter and the body (CHAR001-CHAR003).

A BEL or ESC pasted from a terminal, a right-to-left override (U+202E) that makes a
reviewer read a title backwards from what readers get, a zero-width space that splits 赌博
so the word list misses it: each passes review unseen and is published. They are errors
here, on the pull request, so nothing is refused only after review. What counts as hidden
is pipeline/textcheck.py's decision.
"""

from __future__ import annotations

from typing import Any, Iterator

from pipeline import textcheck
from pipeline.lint.document import Document
from pipeline.lint.model import Finding, RuleInfo, Severity
from pipeline.lint.rules.frontmatter import FIELD_NAMES
from pipeline.yamlpos import KeyPath

INFO = (
    RuleInfo("CHAR001", "含控制字符", Severity.ERROR, "R20"),
    RuleInfo("CHAR002", "含双向文本控制字符", Severity.ERROR, "R20"),
    RuleInfo("CHAR003", "含零宽或不可见字符", Severity.ERROR, "R20"),
)

_CODES = {textcheck.CONTROL: "CHAR001", textcheck.BIDI: "CHAR002", textcheck.INVISIBLE: "CHAR003"}
_WHY = {
    textcheck.CONTROL: "读者看不见它,它却会随文章发布,还可能让微信拒收",
    textcheck.BIDI: "它会改变文字的显示顺序,让审核人看到的与读者看到的不一样",
    textcheck.INVISIBLE: "它看不见,却会把词语隔开,使违规用语、规范用词等检查失效",
}
_FIX = "请删除该字符(常见于从网页、Word 或聊天软件复制粘贴的文字)"


def check(doc: Document) -> Iterator[Finding]:
    yield from _front_matter(doc)
    yield from _body(doc)


def _front_matter(doc: Document) -> Iterator[Finding]:
    lines = doc.article.front_matter_lines
    for path, text in _strings(dict(doc.article.front_matter), ()):
        label = FIELD_NAMES.get(str(path[0]), "") if len(path) == 1 else ""
        field = f"{label}({'.'.join(map(str, path))})" if label else f"字段 {'.'.join(map(str, path))}"
        line = next((lines[p] for p in (path[:n] for n in range(len(path), -1, -1)) if p in lines), 1)
        reported: set[str] = set()
        for found in textcheck.hidden(text):
            if found.kind in reported:
                continue
            reported.add(found.kind)
            yield doc.finding(_CODES[found.kind], line, 1, f"{field}的第 {found.offset + 1} 个字符是 "
                              f"{textcheck.describe(found.char)}:{_WHY[found.kind]};{_FIX}")


def _strings(value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    """Every text in the front matter with its key path: values, and keys too (a key with a
    hidden character is a field that silently is not the one it looks like)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield (*path, key), key
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _body(doc: Document) -> Iterator[Finding]:
    reported: set[tuple[int, str]] = set()
    for found in textcheck.hidden(doc.article.body):
        line, column = doc.position(found.offset)
        if (line, found.kind) in reported:
            continue  # one finding per line and kind: a pasted block is one mistake, not hundreds
        reported.add((line, found.kind))
        yield doc.finding(_CODES[found.kind], line, column, f"正文中有 {textcheck.describe(found.char)}:"
                          f"{_WHY[found.kind]};{_FIX}")
