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
from pipeline.lint.rules.words import find_all
from pipeline.policies import CustomRule

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


_BODY = -1  # text id of the body in _matches; front matter texts are numbered from 0


def _matches(doc: Document, tokens: tuple[str, ...],
             exceptions: tuple[str, ...] = ()) -> list[tuple[int, int, str, tuple[int, int], int]]:
    """(start, end, token, (line, column), text id) over the front matter texts and the body.

    The body is what a reader reads (no link targets, no `!` of images). A token inside one of
    `exceptions` in the same text does not count (江大 in 浙江大学). Offsets are relative to
    their own text, so spans only compare when the text ids agree.
    """
    texts = [*((text, number, (line, 1)) for number, (text, line) in enumerate(doc.front_matter_texts())),
             (doc.reader_text, _BODY, None)]
    found: list[tuple[int, int, str, tuple[int, int], int]] = []
    for text, number, where in texts:
        excepted = [(s, e) for _, s, e in find_all(exceptions, text)]
        found.extend((s, e, tokens[i], where or doc.position(s), number) for i, s, e in find_all(tokens, text)
                     if not any(a <= s and e <= b for a, b in excepted))
    return found


def _finding(doc: Document, rule: CustomRule, where: tuple[int, int], **values: object) -> Finding:
    message = rule.message.format_map(_Defaults(values))
    return doc.finding(rule.code, *where, message, severity=Severity(rule.severity), regulation=rule.regulation)


class _Defaults(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _existence(doc: Document, rule: CustomRule) -> Iterator[Finding]:
    for _, _, token, where, _ in _matches(doc, rule.tokens, rule.exceptions):
        yield _finding(doc, rule, where, match=token)


def _substitution(doc: Document, rule: CustomRule) -> Iterator[Finding]:
    wrong = tuple(rule.swap)
    preferred_spans = [(s, e, text) for s, e, _, _, text in _matches(doc, tuple(set(rule.swap.values())))]
    for start, end, token, where, source in _matches(doc, wrong, rule.exceptions):
        # 团委 inside 校团委 is the preferred form itself, not a mistake (in the same text only:
        # 校团委 in the title says nothing about 团委 at the same offset in the body)
        if any(text == source and s <= start and end <= e for s, e, text in preferred_spans):
            continue
        yield _finding(doc, rule, where, match=token, replacement=rule.swap[token])


def _occurrence(doc: Document, rule: CustomRule) -> Iterator[Finding]:
    found = _matches(doc, rule.tokens, rule.exceptions)
    count = len(found)
    values = {"count": count, "max": rule.max, "min": rule.min}
    if rule.max is not None and count > rule.max:
        yield _finding(doc, rule, found[rule.max][3], match=found[rule.max][2], **values)
    if rule.min is not None and count < rule.min:
        yield _finding(doc, rule, (doc.article.body_line, 1), match="", **values)


def _conditional(doc: Document, rule: CustomRule) -> Iterator[Finding]:
    found = _matches(doc, rule.tokens, rule.exceptions)
    if not found:
        return
    _, _, token, where, _ = found[0]
    if rule.require_field and rule.require_field not in doc.article.front_matter:
        yield _finding(doc, rule, where, match=token, field=rule.require_field)
    if rule.require_stage:
        stage = doc.policies.stages[rule.require_stage]
        yield _finding(doc, rule, where, match=token, stage=stage.name)


_RULE_TYPES = {"existence": _existence, "substitution": _substitution, "occurrence": _occurrence,
               "conditional": _conditional}
