"""Typography (CJK/Latin spacing, full-width punctuation) via autocorrect, as suggestions."""

from __future__ import annotations

from typing import Iterator

import autocorrect_py

from pipeline.lint.document import Document
from pipeline.lint.model import Finding, RuleInfo, Severity

INFO = (RuleInfo("TYPO001", "中英文混排的空格与标点", Severity.WARNING),)


def _excerpt(old: str, new: str) -> tuple[int, str, str]:
    """The first differing stretch of a line: (0-based column, before, after), a few characters wide."""
    start = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    tail_old, tail_new = old[::-1], new[::-1]
    common_tail = next((i for i, (a, b) in enumerate(zip(tail_old, tail_new)) if a != b), min(len(old), len(new)))
    begin = max(0, start - 4)
    return start, old[begin:max(start + 1, len(old) - common_tail) + 4], new[begin:max(start + 1, len(new) - common_tail) + 4]


def check(doc: Document) -> Iterator[Finding]:
    result = autocorrect_py.lint_for(doc.visible_text, "md")
    for line_result in result.lines:
        column, before, after = _excerpt(line_result.old, line_result.new)
        line = doc.article.body_line + line_result.line - 1
        yield doc.finding("TYPO001", line, line_result.col + column,
                          f"排版建议:「{before.strip()}」→「{after.strip()}」(中英文之间加空格,中文里用全角标点)")
