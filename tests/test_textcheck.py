"""pipeline/textcheck.py: which characters are hidden, over all of Unicode, and where bytes
stop being UTF-8."""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from pipeline import textcheck


def test_the_fast_pattern_finds_every_hidden_character_and_nothing_visible() -> None:
    """HIDDEN (one regex, for speed) and kind_of (the definition, by Unicode category) agree
    on every code point this Python knows; the pattern may also hold format characters of a
    newer Unicode, which this Python sees as unassigned (Cn) and kind_of leaves alone."""
    missed, extra = [], []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if unicodedata.category(char) == "Cs":
            continue
        found, kind = textcheck.HIDDEN.fullmatch(char) is not None, textcheck.kind_of(char)
        if kind and not found:
            missed.append(f"U+{code:04X}")
        elif found and not kind and unicodedata.category(char) != "Cn":
            extra.append(f"U+{code:04X}")
    assert missed == [] and extra == []


def test_kinds() -> None:
    assert [textcheck.kind_of(c) for c in "\x07\x1b\x00\x85\u2028"] == [textcheck.CONTROL] * 5
    assert [textcheck.kind_of(c) for c in "\u202e\u2066\u200f\u061c"] == [textcheck.BIDI] * 4
    assert [textcheck.kind_of(c) for c in "\u200b\u200d\ufeff\xad\u3164\U000e0041"] == [textcheck.INVISIBLE] * 6
    assert [textcheck.kind_of(c) for c in "\t\n\r a中\ufe0f\u3000"] == [None] * 8  # line ends, tab, VS16, full-width space


def test_a_joiner_inside_an_emoji_sequence_is_not_hidden() -> None:
    family = "👨\u200d👩\u200d👧"
    assert list(textcheck.hidden(family)) == []
    assert [h.offset for h in textcheck.hidden(family, emoji_joins=False)] == [1, 3]
    assert list(textcheck.hidden("👍🏽\u200d👍")) == []  # after a skin tone modifier too
    assert [(h.offset, h.kind) for h in textcheck.hidden("王\u200d芳")] == [(1, textcheck.INVISIBLE)]
    assert [h.offset for h in textcheck.hidden("\u200d👨")] == [0]  # nothing before it: not joining two emoji


def test_describe_names_even_unnamed_controls() -> None:
    assert textcheck.describe("\u202e") == "U+202E(RIGHT-TO-LEFT OVERRIDE)"
    assert textcheck.describe("\x07") == "U+0007(BELL)"
    assert textcheck.describe("\x1e") == "U+001E(CONTROL)"


LATIN = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=1, max_size=8)
CYRILLIC = st.text(st.sampled_from("абвгдежзийклмнопрст"), min_size=1, max_size=8)
HAN = st.text(st.sampled_from("赌博毒品六合彩代考"), min_size=0, max_size=4)


@given(LATIN, CYRILLIC, HAN)
def test_look_alike_alphabets_are_found_only_when_mixed(latin: str, cyrillic: str, han: str) -> None:
    assert textcheck.lookalike_scripts(han + latin) == ()  # Han with Latin (K粉) is ordinary Chinese
    assert textcheck.lookalike_scripts(cyrillic + han) == ()
    assert textcheck.lookalike_scripts(latin + cyrillic + han) == ("LATIN", "CYRILLIC")
    assert textcheck.lookalike_scripts("ｃ" + cyrillic) == ("LATIN", "CYRILLIC")  # full-width Latin is Latin


@given(st.binary(max_size=200))
def test_decode_gives_the_text_or_exactly_where_it_breaks(raw: bytes) -> None:
    result = textcheck.decode(raw)
    try:
        expected = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        assert isinstance(result, textcheck.NotUtf8)
        assert (result.offset, result.byte, result.line) == (exc.start, raw[exc.start], raw[: exc.start].count(b"\n") + 1)
        assert f"第 {exc.start} 字节" in str(result) and f"第 {result.line} 行" in str(result)
    else:
        assert result == expected


@given(st.text())
def test_utf8_text_always_decodes_to_itself(text: str) -> None:
    assert textcheck.decode(text.encode("utf-8")) == text.removeprefix("\ufeff")
