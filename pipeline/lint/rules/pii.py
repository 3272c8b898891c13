"""Personal information (R7): ID numbers, mobile numbers, bank cards, student numbers, e-mail.

Patterns use digit look-arounds instead of \\b: in Chinese text a number sits right
against characters (电话13812345678), and \\b sees no boundary there. ID and card numbers
must pass their checksums, so a random long number is not reported. Code and URLs are
masked out (see Document.prose_text): digits there are identifiers, not people.
"""

from __future__ import annotations

import re
from typing import Iterator

from pipeline.lint.document import Document
from pipeline.lint.model import Finding, RuleInfo, Severity

INFO = (
    RuleInfo("PII001", "含居民身份证号码", Severity.ERROR, "R7"),
    RuleInfo("PII002", "含手机号码", Severity.ERROR, "R7"),
    RuleInfo("PII003", "含银行卡号", Severity.ERROR, "R7"),
    RuleInfo("PII004", "含学号或学籍号", Severity.ERROR, "R7"),
    RuleInfo("PII005", "含电子邮箱地址", Severity.WARNING, "R7"),
)

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![0-9])")
_BANK_CARD = re.compile(r"(?<![0-9])(?:\d[ -]?){15,18}\d(?![0-9])")
# 学号：123 is usually typed with a full-width colon, so accept both colons
_STUDENT_NO = re.compile(r"(?:学号|学籍号|学生证号)\s*[:：]?\s*([A-Za-z]?\d{6,20})(?![0-9])")
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_checksum_ok(number: str) -> bool:
    """GB 11643-1999: weighted sum of the first 17 digits mod 11 picks the check character."""
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _mask(value: str) -> str:
    """Show enough to find it, not enough to leak it again in CI logs."""
    return value[:3] + "*" * max(len(value) - 7, 3) + value[-4:] if len(value) > 7 else value[:1] + "***"


def check(doc: Document) -> Iterator[Finding]:
    for text, line in [(doc.prose_text, None), *doc.front_matter_texts()]:
        yield from _scan(doc, text, line)


# Every pattern above needs a digit (\d: any script's digits, as the patterns read them) or an @
_CANDIDATE = re.compile(r"[\d@]")


def _scan(doc: Document, text: str, line: int | None) -> Iterator[Finding]:
    if not _CANDIDATE.search(text):
        return  # most titles, authors and digests: five patterns cannot match
    def at(offset: int) -> tuple[int, int]:
        return doc.position(offset) if line is None else (line, 1)

    taken: list[tuple[int, int]] = []  # spans already reported, so a card is not also a phone
    def hint(masked: str) -> str:  # the example is what was found, masked: not a phone number for an ID card
        return f"公开发布前请删除或打码(如 {masked}),确需公开的请取得本人同意并抑制此条"

    for m in _ID_NUMBER.finditer(text):
        if id_checksum_ok(m.group()):
            taken.append(m.span())
            yield doc.finding("PII001", *at(m.start()), f"疑似居民身份证号码 {_mask(m.group())};{hint(_mask(m.group()))}")
    for m in _BANK_CARD.finditer(text):
        digits = re.sub(r"[ -]", "", m.group())
        if 16 <= len(digits) <= 19 and luhn_ok(digits) and not _overlaps(m.span(), taken):
            taken.append(m.span())
            yield doc.finding("PII003", *at(m.start()), f"疑似银行卡号 {_mask(digits)};{hint(_mask(digits))}")
    for m in _MOBILE.finditer(text):
        if not _overlaps(m.span(), taken):
            taken.append(m.span())
            masked = _mask(re.sub(r"[ -]", "", m.group()))
            yield doc.finding("PII002", *at(m.start()), f"疑似手机号码 {masked};{hint(masked)}")
    for m in _STUDENT_NO.finditer(text):
        if not _overlaps(m.span(1), taken):
            yield doc.finding("PII004", *at(m.start(1)), f"含学号/学籍号 {_mask(m.group(1))};学生个人信息不得公开,{hint(_mask(m.group(1)))}")
    for m in _EMAIL.finditer(text):
        yield doc.finding("PII005", *at(m.start()), f"含电子邮箱 {_mask(m.group())};个人邮箱请删除,公务邮箱可抑制此条并说明")


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)
