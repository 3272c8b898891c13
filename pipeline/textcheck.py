"""Text as schools and editors write it: UTF-8 with a position when it is not, and the
characters nobody sees.

Control characters (BEL, ESC, NUL...), bidirectional controls (U+202E turns 文章 into what
a reviewer cannot read back) and zero-width or otherwise invisible characters look like
nothing in a diff or on a phone, yet they are published, break word-list matching
(赌\u200b博 is not 赌博) and can make a reviewed text read differently from what goes out.
The linter (CHAR001-CHAR003) and the policy loader (word lists) both ask this module, so
what counts as hidden is decided in one place.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterator

CONTROL, BIDI, INVISIBLE = "control", "bidi", "invisible"

_LINE_ENDS_AND_TAB = frozenset("\t\n\r")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters and marks by category that still show nothing: Hangul fillers, the combining
# grapheme joiner. (Variation selectors are left alone: they pick an emoji's look.)
_BLANK_LETTERS = frozenset("\u034f\u115f\u1160\u3164\uffa0")
ZERO_WIDTH_JOINER = "\u200d"
_EMOJI_MODIFIERS = frozenset("\ufe0f") | frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))

# Every character `kind_of` reports, as one regular expression so a 900 KB body is scanned
# at C speed (Unicode 15's format characters; tests/test_textcheck.py proves it covers
# kind_of over all of Unicode, and kind_of has the last word on what the regex finds).
HIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)


def kind_of(char: str) -> str | None:
    """CONTROL, BIDI or INVISIBLE for a character a reader cannot see, else None."""
    if char in _LINE_ENDS_AND_TAB:
        return None
    if char in _BIDI:
        return BIDI
    category = unicodedata.category(char)
    if category in ("Cc", "Zl", "Zp"):
        return CONTROL
    if category == "Cf" or char in _BLANK_LETTERS:
        return INVISIBLE
    return None


def describe(char: str) -> str:
    """U+202E(RIGHT-TO-LEFT OVERRIDE): how a finding names a character nobody can see."""
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "CONTROL")
    return f"U+{ord(char):04X}({name})"


_CONTROL_NAMES = {"\x00": "NULL", "\x07": "BELL", "\x08": "BACKSPACE", "\x0b": "LINE TABULATION",
                  "\x0c": "FORM FEED", "\x1b": "ESCAPE", "\x7f": "DELETE", "\x85": "NEXT LINE"}


@dataclass(frozen=True)
class Hidden:
    offset: int  # in the text scanned
    char: str
    kind: str  # CONTROL | BIDI | INVISIBLE


def hidden(text: str, *, emoji_joins: bool = True) -> Iterator[Hidden]:
    """Every hidden character of `text`. A zero-width joiner between two emoji is how
    👨‍👩‍👧 is written, so it is not reported unless `emoji_joins` is False."""
    for match in HIDDEN.finditer(text):
        char, offset = match.group(), match.start()
        kind = kind_of(char)
        if kind is None:  # assigned only in a newer Unicode than this Python's: not judged
            continue
        if emoji_joins and char == ZERO_WIDTH_JOINER and _between_emoji(text, offset):
            continue
        yield Hidden(offset, char, kind)


def _between_emoji(text: str, offset: int) -> bool:
    before = offset - 1
    while before >= 0 and text[before] in _EMOJI_MODIFIERS:
        before -= 1
    after = offset + 1
    return (before >= 0 and after < len(text)
            and unicodedata.category(text[before]) == "So" and unicodedata.category(text[after]) == "So")


# Alphabets whose letters look alike (Latin a, Cyrillic а, Greek α): one word mixing them
# is a homoglyph, written to slip past a match or made by a bad copy.
_LOOKALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def lookalike_scripts(word: str) -> tuple[str, ...]:
    """The look-alike alphabets a word mixes (two or more means a homoglyph), in order."""
    seen: dict[str, None] = {}
    for char in unicodedata.normalize("NFKC", word):
        if unicodedata.category(char)[0] != "L":
            continue
        script = unicodedata.name(char, "").split(" ", 1)[0]
        if script in _LOOKALIKE_SCRIPTS:
            seen[script] = None
    return tuple(seen) if len(seen) > 1 else ()


@dataclass(frozen=True)
class NotUtf8:
    """Where bytes stop being UTF-8: 1-based line, 0-based byte offset, and the byte."""

    line: int
    offset: int
    byte: int

    def __str__(self) -> str:
        return f"第 {self.offset} 字节(0x{self.byte:02X},在第 {self.line} 行)不是 UTF-8 编码"


def decode(raw: bytes) -> str | NotUtf8:
    """UTF-8 text without a leading byte order mark, or where it stops being UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return NotUtf8(raw[: exc.start].count(b"\n") + 1, exc.start, raw[exc.start])
