"""Inline suppressions: `<!-- wxpub-disable CODE[, CODE]: reason -->`.

On a line of its own it silences those codes on the next non-blank line; at the end of a
line, on that line; `wxpub-disable-file` silences them in the whole article. A reason is
mandatory, and every suppression is listed in the output so reviewers see what was waived.
A binding finding (the publisher refuses the article for it whatever lint says) is never
silenced: the directive is then reported as suppressing nothing (SUP002).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable

from pipeline.lint.document import Document
from pipeline.lint.model import Finding, RuleInfo, Severity, Suppression

INFO = (
    RuleInfo("SUP001", "抑制注释缺少理由", Severity.ERROR),
    RuleInfo("SUP002", "抑制注释没有抑制任何问题", Severity.WARNING),
    RuleInfo("SUP003", "抑制注释格式错误", Severity.ERROR),
)
UNSUPPRESSIBLE = frozenset(code.code for code in INFO)

_DIRECTIVE = re.compile(r"<!--\s*wxpub-disable(?P<file>-file)?\b(?P<rest>.*?)-->")
_INLINE_CODE = re.compile(r"(`+).+?\1")
_CODE = re.compile(r"[A-Z]+\d{3}")
_CODES_AND_REASON = re.compile(r"^\s*(?P<codes>[A-Z]+\d{3}(?:\s*[,，]\s*[A-Z]+\d{3})*)\s*(?:[:：](?P<reason>.*))?$", re.S)


@dataclass(frozen=True)
class _Directive:
    suppression: Suppression
    lines: frozenset[int] | None  # None: the whole file


def parse(doc: Document) -> tuple[list[_Directive], list[Finding]]:
    directives: list[_Directive] = []
    problems: list[Finding] = []
    lines = doc.article.body.split("\n")
    content_after = _next_content_lines(lines)
    for index, text in enumerate(lines):
        if index in doc.code_block_lines:
            continue  # an example inside a code block is not a directive
        examples = _inline_code(text)
        for match in _DIRECTIVE.finditer(text):
            if any(start <= match.start() < end for start, end in examples):
                continue  # `<!-- wxpub-disable ... -->` in inline code shows the syntax, it is not one
            line = doc.body_line(index)
            column = match.start() + 1
            parsed = _CODES_AND_REASON.match(match.group("rest"))
            if not parsed:
                problems.append(doc.finding("SUP003", line, column, "抑制注释格式应为 <!-- wxpub-disable 规则代码: 理由 -->,"
                                            f"例如 <!-- wxpub-disable PII005: 公务邮箱,可公开 -->{_what_is_wrong(match.group('rest'))}"))
                continue
            codes = tuple(c.strip() for c in re.split("[,，]", parsed.group("codes")))
            reason = (parsed.group("reason") or "").strip()
            if not reason:
                problems.append(doc.finding("SUP001", line, column, f"抑制 {', '.join(codes)} 时必须写明理由:"
                                            f"<!-- wxpub-disable {', '.join(codes)}: 理由 -->;没有理由的抑制无效"))
                continue
            if match.group("file"):
                scope, covered = "file", None
            elif text[:match.start()].strip() or text[match.end():].strip():
                scope, covered = "line", frozenset({line})
            else:
                scope, covered = "line", frozenset({doc.body_line(content_after[index])})
            directives.append(_Directive(Suppression(str(doc.article.path), line, codes, reason, scope), covered))
    return directives, problems


def _what_is_wrong(rest: str) -> str:
    """The part of a malformed directive that is not a code (`PII02`, `pii002`), named, so an
    editor who wrote the format right sees which word to fix."""
    words = [w for w in re.split(r"[\s,，]+", re.split(r"[:：]", rest, maxsplit=1)[0]) if w]
    wrong = [w for w in words if not _CODE.fullmatch(w)]
    if not words:
        return ";没有写规则代码"
    if wrong:
        # named only when it looks like a mistyped code: any other text may be the very phone
        # number the directive was meant for, which lint never repeats
        shown = f"「{wrong[0]}」" if re.fullmatch(r"[A-Za-z]{1,8}\d{0,4}", wrong[0]) else "其中的"
        return f";{shown}不是规则代码(大写字母加三位数字,如 PII002,见检查结果中的代码)"
    return ";多个代码之间要用逗号分开" if len(words) > 1 else ""


def _inline_code(text: str) -> list[tuple[int, int]]:
    """Spans of inline code (`...`) on one line."""
    return [m.span() for m in _INLINE_CODE.finditer(text)]


def _next_content_lines(lines: list[str]) -> list[int]:
    """For each line, the next line below it that is neither blank nor only a directive (the
    line itself when there is none): one pass from the end, where asking per directive
    scanned the lines below it again each time (20,000 directives took minutes)."""
    after: list[int] = [0] * len(lines)
    following: int | None = None
    for index in range(len(lines) - 1, -1, -1):
        after[index] = index if following is None else following
        text = lines[index].strip()
        if text and not _DIRECTIVE.fullmatch(text):
            following = index
    return after


def apply(doc: Document, findings: Iterable[Finding]) -> tuple[list[Finding], list[tuple[Finding, Suppression]], list[Suppression]]:
    """(kept findings, suppressed findings with their suppression, the suppressions with counts)."""
    directives, problems = parse(doc)
    kept: list[Finding] = list(problems)
    suppressed: list[tuple[Finding, Suppression]] = []
    counts = [0] * len(directives)
    for finding in findings:
        for i, directive in enumerate(directives):
            if (finding.code in directive.suppression.codes and finding.code not in UNSUPPRESSIBLE
                    and (directive.lines is None or finding.line in directive.lines)):
                if finding.binding:  # the publisher would refuse the article anyway: say so here
                    kept.append(replace(finding, message=f"{finding.message}(发布时会因此拒绝整篇文章,抑制注释对它无效)"))
                    break
                counts[i] += 1
                suppressed.append((finding, directive.suppression))
                break
        else:
            kept.append(finding)
    used = []
    for directive, count in zip(directives, counts):
        used.append(replace(directive.suppression, suppressed=count))
        if count == 0:
            s = directive.suppression
            kept.append(doc.finding("SUP002", s.line, 1, f"抑制注释({', '.join(s.codes)})没有抑制任何问题;请删除这条注释"))
    return kept, suppressed, used
