"""School-defined rules from policies.yaml `custom_rules`, in the spirit of Vale's rule types.

- existence: any of `tokens` appears.
- substitution: a key of `swap` appears where its preferred form is not written.
- occurrence: `tokens` appear more than `max` or fewer than `min` times.
- conditional: if any of `tokens` appears, front matter `require_field` must be set, or
  the article needs approval stage `require_stage` (reported here so the approvals check
  and reviewers see it).
"""

from __future__ import annotations

from typing import Iterator

from pipeline.lint.document import Document
from pipeline.lint.model import Finding, Severity
from pipeline.policies import CustomRule, fill
from pipeline.readertext import Match

INFO = ()  # codes come from the policy


def check(doc: Document) -> Iterator[Finding]:
    fm = doc.article.front_matter
    for rule in doc.policies.custom_rules:
        if rule.severity == "off":
            continue
        if rule.accounts and doc.article.account not in rule.accounts:
            continue
        if rule.categories and fm.get("category") not in rule.categories:
            continue
        yield from _RULE_TYPES[rule.type](doc, rule)


def _matches(doc: Document, tokens: tuple[str, ...], exceptions: tuple[str, ...] = ()) -> list[Match]:
    """Every occurrence of the tokens in what a reader sees (title, digest, author, source name,
    body, 参考链接, in reading order: not the targets of links that stay links, not the `!` of
    images, 校**团委** is 校团委); a token inside one of `exceptions` (江大 in 浙江大学) does not count."""
    return doc.reader.find(tokens, exceptions)


def _finding(doc: Document, rule: CustomRule, where: Match | None, **values: object) -> Finding:
    """A finding at a match (None: the body's start)."""
    message = fill(rule.message, values)
    line, column = doc.reader.position(where.start) if where else (doc.article.body_line, 1)
    return doc.finding(rule.code, line, column, message, severity=Severity(rule.severity), regulation=rule.regulation)


def _existence(doc: Document, rule: CustomRule) -> Iterator[Finding]:
    for match in _matches(doc, rule.tokens, rule.exceptions):
        yield _finding(doc, rule, match, match=rule.tokens[match.phrase])


def _substitution(doc: Document, rule: CustomRule) -> Iterator[Finding]:
    wrong = tuple(rule.swap)
    preferred = _matches(doc, tuple(dict.fromkeys(rule.swap.values())))
    for match in _matches(doc, wrong, rule.exceptions):
        # 团委 inside 校团委 is the preferred form itself, not a mistake
        if any(p.start <= match.start and match.end <= p.end for p in preferred):
            continue
        token = wrong[match.phrase]
        yield _finding(doc, rule, match, match=token, replacement=rule.swap[token])


def _occurrence(doc: Document, rule: CustomRule) -> Iterator[Finding]:
    found = _matches(doc, rule.tokens, rule.exceptions)
    count = len(found)
    values = {"count": count, "max": rule.max, "min": rule.min}
    if rule.max is not None and count > rule.max:
        extra = found[rule.max]
        yield _finding(doc, rule, extra, match=rule.tokens[extra.phrase], **values)
    if rule.min is not None and count < rule.min:
        yield _finding(doc, rule, None, match="", **values)


def _conditional(doc: Document, rule: CustomRule) -> Iterator[Finding]:
    # the same question the approvals check asks for `require_stage` (approvals.conditional_stages):
    # the first mention, exact or through spaces and punctuation, so the two never disagree
    mention = doc.reader.mention(rule.tokens, rule.exceptions)
    if mention is None:
        return
    stage = doc.policies.stages[rule.require_stage].name if rule.require_stage else ""
    values = {"match": rule.tokens[mention.phrase], "field": rule.require_field or "", "stage": stage}
    if rule.require_field and rule.require_field not in doc.article.front_matter:
        yield _finding(doc, rule, mention, **values)
    if rule.require_stage:
        yield _finding(doc, rule, mention, **values)


_RULE_TYPES = {"existence": _existence, "substitution": _substitution, "occurrence": _occurrence,
               "conditional": _conditional}
