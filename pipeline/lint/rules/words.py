"""Word lists (R5): one Aho-Corasick pass for the exact words, one over loosely folded text.

Both read what a reader sees (`Document.reader`: markup removed, entities decoded, full-width
forms and invisible characters folded), so 赌**博**, 赌&#21338; and 赌<!-- -->博 are the word
itself. The loose pass also drops case, spaces, punctuation and symbols, so 赌 博, 赌*博 and
ｖｐｎ are found too; sentence ends stay as barriers. It is a warning: the folding can still
join two words of one sentence, so a person decides.
"""

from __future__ import annotations

from typing import Iterator

from pipeline.lint.document import Document
from pipeline.lint.model import Finding, RuleInfo, Severity
from pipeline.policies import WordList, fill

INFO = (
    RuleInfo("WORD001", "含词表中的违规用语", Severity.ERROR, "R5"),
    RuleInfo("WORD002", "疑似违规用语(插入了空格、符号或全角字符)", Severity.WARNING, "R5"),
)


def _message(wordlist: WordList, match: str) -> str:
    if wordlist.message:
        return fill(wordlist.message, {"match": match})
    return f"含「{wordlist.name}」词表中的词「{match}」(来自 {wordlist.source});请删改,确属正常用法的可加入允许列表"


def check(doc: Document) -> Iterator[Finding]:
    reader = doc.reader
    for wordlist in doc.policies.wordlists:
        if wordlist.severity == "off":
            continue
        severity = Severity(wordlist.severity) if wordlist.severity else None
        regulation = wordlist.regulation  # the list's own clause; empty falls back to the code's default
        exact = reader.find(wordlist.words, wordlist.allowed)  # an allowed phrase (远离毒品) masks the word in it
        for match in exact:
            yield doc.finding(wordlist.code, *reader.position(match.start),
                              _message(wordlist, wordlist.words[match.phrase]), severity=severity, regulation=regulation)
        for match in reader.find_loose(wordlist.words, wordlist.allowed):
            if any(e.start < match.end and match.start < e.end for e in exact):
                continue  # the exact pass already reported this spot
            shown = reader.written(match.start, match.end).replace("\n", " ")
            word = wordlist.words[match.phrase]  # the entry as the list spells it, so it can be found there
            yield doc.finding("WORD002", *reader.position(match.start), f"「{shown}」疑似「{wordlist.name}」词表中的「{word}」"
                              f"(插入了空格、符号或全角字符);请核实并删改", regulation=regulation)
