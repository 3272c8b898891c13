"""Classified and internal material (R6): marker words and the `classification` field."""

from __future__ import annotations

from typing import Iterator

from pipeline.lint.document import Document
from pipeline.lint.model import Finding, RuleInfo, Severity

INFO = (
    RuleInfo("SEC001", "含涉密或内部资料标记", Severity.ERROR, "I9"),
    RuleInfo("SEC002", "密级不是公开", Severity.ERROR, "F6"),
)


def check(doc: Document) -> Iterator[Finding]:
    level = doc.article.front_matter.get("classification", "public")
    if level != "public":
        yield doc.front_matter_finding("SEC002", "classification", f"classification 为 `{level}`:涉密或内部信息不得发布;"
                                       "确认可公开后改为 public,否则请撤回这篇文章")
    markers = doc.policies.classified_markers
    for text, line in [(doc.visible_text, None), *doc.front_matter_texts()]:
        allowed = _spans(text, doc.policies.classified_allow)
        for marker in markers:
            for start, end in _spans(text, (marker,)):
                if any(a <= start and end <= b for a, b in allowed):
                    continue  # 机密 inside 计算机密码 is not a marker (content.classified_allow)
                where = doc.position(start) if line is None else (line, 1)
                yield doc.finding("SEC001", *where, f"出现涉密标记「{marker}」:涉密、内部资料不得发布;"
                                  "请删去相关内容,确属公开信息的请说明理由后抑制此条")


def _spans(text: str, phrases: tuple[str, ...]) -> list[tuple[int, int]]:
    """(start, end) of every non-overlapping occurrence of each phrase in `text`."""
    spans = []
    for phrase in phrases:
        start = text.find(phrase)
        while start != -1:
            spans.append((start, start + len(phrase)))
            start = text.find(phrase, start + len(phrase))
    return spans
