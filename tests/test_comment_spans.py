"""Comments are found in linear time (many unclosed `<!--` used to cost quadratic time) and
exactly where the pattern `<!--.*?-->` finds them, which is what editors were told: a `<!--`
that is never closed is not a comment and stays."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from pipeline.lint.document import _mask_spans, comment_spans, without_comments

PATTERN = re.compile(r"<!--.*?-->", re.S)
PIECES = st.sampled_from(["<!--", "-->", "<!-->", "<!---->", "-", "--", "<", "!", ">", "a", "注", "\n", " "])
texts = st.lists(PIECES, max_size=30).map("".join)


@given(texts)
def test_comment_spans_are_the_patterns_matches(text: str) -> None:
    assert list(comment_spans(text)) == [match.span() for match in PATTERN.finditer(text)]
    assert without_comments(text) == PATTERN.sub("", text)


@given(texts)
def test_masking_keeps_every_line_and_column(text: str) -> None:
    masked = _mask_spans(text, comment_spans(text))
    assert len(masked) == len(text) and [i for i, c in enumerate(masked) if c == "\n"] == \
        [i for i, c in enumerate(text) if c == "\n"]
    # what is left unmasked holds no comment: any `<!--` in it has no `-->` after it
    assert "<!--" not in masked or "-->" not in masked[masked.index("<!--") + 4:]
