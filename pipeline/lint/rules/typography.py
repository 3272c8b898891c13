"""Typography (CJK/Latin spacing, full-width punctuation) via autocorrect, as suggestions."""

from __future__ import annotations

from typing import Iterator

import autocorrect_py

from pipeline.lint.document import Document
from pipeline.lint.model import Finding, RuleInfo, Severity

INFO = (
    RuleInfo("TYPO001", "中英文混排的空格与标点", Severity.WARNING),
    RuleInfo("TYPO002", "排版检查无法处理这篇文章", Severity.NOTICE),
)

# autocorrect's Markdown grammar gets its call limit during its first Markdown parse, so the
# first article of a process could pass where the same article later gives up (TYPO002):
# one parse here, and every article is judged the same whatever was linted before it
autocorrect_py.lint_for("", "md")


def _excerpt(old: str, new: str, width: int = 6) -> tuple[int, str, str]:
    """Where the line first changes (0-based) and a few characters around it, before and after."""
    start = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    begin = max(0, start - width)
    grown = len(new) - len(old)  # the fix inserts spaces, so show the same stretch a little wider
    return start, old[begin:start + width], new[begin:start + width + max(grown, 0) // 4 + 1]


def _segment_column(source: str, segment: str, reported: int) -> int:
    """1-based column of `segment` in its source line.

    autocorrect reports where a text segment starts before it trims the segment's leading
    spaces (` 表示` after inline code, `  - 列表` in a nested list), so look the trimmed
    text up from there; keep the reported column if it cannot be found.
    """
    found = source.find(segment, max(reported - 1, 0))
    return found + 1 if found != -1 else reported


def check(doc: Document) -> Iterator[Finding]:
    text = doc.visible_text
    lines = text.split("\n")
    try:
        result = autocorrect_py.lint_for(text, "md")
    except ValueError:  # its Markdown grammar gives up ("call limit reached") on thousands of nested brackets
        yield doc.finding("TYPO002", doc.article.body_line, 1, "排版检查无法处理这篇文章(嵌套过深或单行过长),"
                          "已跳过中英文空格与标点的检查;请人工检查排版,或删去成串的括号、星号等符号")
        return
    for line_result in result.lines:
        column, before, after = _excerpt(line_result.old, line_result.new)
        source = lines[line_result.line - 1] if 0 < line_result.line <= len(lines) else ""
        line = doc.article.body_line + line_result.line - 1
        yield doc.finding("TYPO001", line, _segment_column(source, line_result.old, line_result.col) + column,
                          f"排版建议:「{before.strip()}」→「{after.strip()}」(中英文之间加空格,中文里用全角标点)")
