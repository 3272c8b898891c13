"""Typography (CJK/Latin spacing, full-width punctuation) via autocorrect, as suggestions."""

from __future__ import annotations

import difflib
import os
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


def _excerpt(old: str, new: str, width: int = 6, reach: int = 400) -> tuple[int, str, str]:
    """Where the line first changes (0-based) and the same stretch of it before and after.

    The stretch is the first change (with the changes at most `width` characters after it,
    while it is shorter than `3 * width`) and up to `width` unchanged characters on each side, the same characters in both, so
    an editor who copies the suggestion neither loses nor duplicates a word. Only `reach`
    characters from the first change are compared: a difference costs up to quadratic time
    in the length compared, and a paragraph can be one line of any length.
    """
    start = len(os.path.commonprefix([old, new]))
    if start == len(old) == len(new):
        return start, "", ""
    ahead_old, ahead_new = old[start:start + reach], new[start:start + reach]
    changes = [(i1, i2, j2) for tag, i1, i2, _, j2
               in difflib.SequenceMatcher(None, ahead_old, ahead_new, autojunk=False).get_opcodes() if tag != "equal"]
    _, end_old, end_new = changes[0]
    following = len(ahead_old)  # where the next change not shown begins
    for i1, i2, j2 in changes[1:]:
        if i1 - end_old > width or end_old > 3 * width:  # far enough, or the stretch is long enough
            following = i1
            break
        end_old, end_new = i2, j2
    begin = max(0, start - width)
    tail = min(width, following - end_old)  # unchanged after the stretch, so as long in `new`
    return start, old[begin:start + end_old + tail], new[begin:start + end_new + tail]


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
