"""Classified and internal material (R6): marker words and the `classification` field."""

from __future__ import annotations

from typing import Iterator

from pipeline.lint.document import Document
from pipeline.lint.model import Finding, RuleInfo, Severity

INFO = (
    RuleInfo("SEC001", "含涉密或内部资料标记", Severity.ERROR, "R6"),
    RuleInfo("SEC002", "密级不是公开", Severity.ERROR, "R6"),
)


def check(doc: Document) -> Iterator[Finding]:
    level = doc.article.front_matter.get("classification", "public")
    if level != "public":
        yield doc.front_matter_finding("SEC002", "classification", f"classification 为 `{level}`:涉密或内部信息不得发布;"
                                       "确认可公开后改为 public,否则请撤回这篇文章")
    markers = doc.policies.classified_markers
    # in what a reader sees (机**密** is 机密); 机密 inside 计算机密码 is not a marker (content.classified_allow)
    for match in doc.reader.find(markers, doc.policies.classified_allow):
        marker = markers[match.phrase]
        yield doc.finding("SEC001", *doc.reader.position(match.start), f"出现涉密标记「{marker}」:涉密、内部资料不得发布;"
                          "请删去相关内容,确属公开信息的请说明理由后抑制此条")
