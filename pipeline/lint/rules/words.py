"""Word lists (R5): one Aho-Corasick pass for the exact words, one over normalised text.

The normalised pass folds full-width forms (NFKC), case, and drops spaces, punctuation and
symbols, so 赌 博, 赌*博 and ＡＢＣ are found too; sentence ends stay as barriers. It is a
warning: the folding can still join two words of one sentence, so a person decides.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Iterator

import ahocorasick_rs

from pipeline.lint.document import Document
from pipeline.lint.model import Finding, RuleInfo, Severity
from pipeline.policies import WordList

INFO = (
    RuleInfo("WORD001", "含词表中的违规用语", Severity.ERROR, "A12"),
    RuleInfo("WORD002", "疑似违规用语(插入了空格、符号或全角字符)", Severity.WARNING, "A12"),
)


# Sentence ends stay as a barrier in the folded text, so a match cannot run from one
# sentence into the next (举办。证书 is not 办证); commas and spaces are dropped (赌，博 is).
_BARRIER = "\x00"
_SENTENCE_ENDS = frozenset("。！？；!?;")


class _FoldTable(dict[int, str]):
    """str.translate table, filled on first sight of each character: what it folds to."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in _SENTENCE_ENDS:
            folded = _BARRIER
        else:  # full-width to half-width and case (NFKC, lower); keep letters and numbers only
            folded = "".join(c for c in unicodedata.normalize("NFKC", char).lower() if unicodedata.category(c)[0] in "LN")
        self[code] = folded
        return folded


_FOLD = _FoldTable()


@functools.lru_cache(maxsize=16)
def fold(text: str) -> str:
    """The normalised text (one C-speed translate; cached because every word list asks)."""
    return text.translate(_FOLD)


def origins(text: str) -> list[int]:
    """For each character of fold(text), the offset it came from: only needed on a match."""
    origin: list[int] = []
    for i, char in enumerate(text):
        origin.extend([i] * len(_FOLD[ord(char)]))
    return origin


def normalise(text: str) -> tuple[str, list[int]]:
    """Folded text and, for each of its characters, the offset it came from in `text`."""
    return fold(text), origins(text)


@functools.cache
def _automaton(words: tuple[str, ...]) -> ahocorasick_rs.AhoCorasick | None:
    return ahocorasick_rs.AhoCorasick(words) if words else None


@functools.cache
def _normalised_words(words: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Folded words for the automaton and, index for index, the word as written in the list."""
    written: dict[str, str] = {}
    for word in words:
        folded = normalise(word)[0]
        if folded:
            written.setdefault(folded, word)  # two entries folding alike: name the first
    return tuple(written), tuple(written.values())


def find_all(words: tuple[str, ...], text: str) -> list[tuple[int, int, int]]:
    automaton = _automaton(words)
    return automaton.find_matches_as_indexes(text, overlapping=True) if automaton else []


def _hits(wordlist: WordList, text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, word) of exact matches not inside an allowed phrase."""
    matches = find_all(wordlist.words, text)
    allowed = [(s, e) for _, s, e in find_all(wordlist.allowed, text)] if matches else []
    for index, start, end in matches:
        if not any(a <= start and end <= b for a, b in allowed):
            yield start, end, wordlist.words[index]


def _normalised_hits(wordlist: WordList, text: str) -> Iterator[tuple[int, int, str]]:
    folded = fold(text)
    words, written = _normalised_words(wordlist.words)
    matches = find_all(words, folded)
    if not matches:
        return  # the usual case: no offsets to map back
    origin = origins(text)
    allowed = [(origin[s], origin[e - 1] + 1) for _, s, e in find_all(_normalised_words(wordlist.allowed)[0], folded)]
    for index, start, end in matches:
        begin, stop = origin[start], origin[end - 1] + 1
        if not any(a <= begin and stop <= b for a, b in allowed):
            yield begin, stop, written[index]  # the entry as the list spells it, so it can be found there


def _message(wordlist: WordList, match: str) -> str:
    if wordlist.message:
        return wordlist.message.format(match=match)
    return f"含「{wordlist.name}」词表中的词「{match}」(来自 {wordlist.source});请删改,确属正常用法的可加入允许列表"


def check(doc: Document) -> Iterator[Finding]:
    for wordlist in doc.policies.wordlists:
        if wordlist.severity == "off":
            continue
        yield from _check_text(doc, wordlist, doc.visible_text, None)
        for text, line in doc.front_matter_texts():
            yield from _check_text(doc, wordlist, text, line)


def _check_text(doc: Document, wordlist: WordList, text: str, line: int | None) -> Iterator[Finding]:
    def where(offset: int) -> tuple[int, int]:
        return doc.position(offset) if line is None else (line, 1)

    exact = list(_hits(wordlist, text))
    severity = Severity(wordlist.severity) if wordlist.severity else None
    regulation = wordlist.regulation  # the list's own clause; empty falls back to the code's default
    for start, _, word in exact:
        yield doc.finding(wordlist.code, *where(start), _message(wordlist, word), severity=severity,
                          regulation=regulation)
    covered = [(s, e) for s, e, _ in exact]
    for start, end, word in _normalised_hits(wordlist, text):
        if any(s < end and start < e for s, e in covered):
            continue  # the exact pass already reported this spot
        shown = text[start:end].replace("\n", " ")
        yield doc.finding("WORD002", *where(start), f"「{shown}」疑似「{wordlist.name}」词表中的「{word}」"
                          f"(插入了空格、符号或全角字符);请核实并删改", regulation=regulation)
