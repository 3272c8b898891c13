"""An article parsed once, with the views every rule needs.

Rules look at the same text in different ways: the word lists, classified markers and the
school's rules read what a reader sees (`reader`, built once per article and shared), the
PII rule must skip code and URLs (digits there are not phone numbers), the length rule
counts only prose. The masked views keep the body's exact offsets (masked spans become
spaces, newlines stay) so any match maps back to `line:column` in index.md; the reader
text keeps a map of its own.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Iterable, Iterator
from urllib.parse import unquote

from markdown_it.token import Token

from pipeline.content import Article, Resolved
from pipeline.lint.model import Finding
from pipeline.markdown import Parsed, bundle_name, parse, scheme_of
from pipeline.policies import Policies
from pipeline.readertext import ReaderText, reader_text

# With raw HTML off, markdown-it leaves comments (editors' notes, wxpub-disable) as text
COMMENT_OPEN, COMMENT_CLOSE = "<!--", "-->"
_URL = re.compile(r"(?:https?|ftp)://[^\s<>()\]\"'，。、；）]+|www\.[^\s<>()\]\"'，。、；）]+", re.I)
_LINK_DESTINATION = re.compile(r"\]\(([^()\s]*(?:\([^()\s]*\))?[^()\s]*)(?:\s+\"[^\"]*\")?\)")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.S)


def comment_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each `<!-- ... -->`, as the pattern `<!--.*?-->` finds them, in linear
    time: once a `<!--` has no `-->` after it, no later one has, so the search ends there
    (the pattern would rescan the rest of the text for every unclosed `<!--`)."""
    start = text.find(COMMENT_OPEN)
    while start != -1:
        close = text.find(COMMENT_CLOSE, start + len(COMMENT_OPEN))
        if close == -1:
            return
        end = close + len(COMMENT_CLOSE)
        yield start, end
        start = text.find(COMMENT_OPEN, end)


def without_comments(text: str) -> str:
    pieces, last = [], 0
    for start, end in comment_spans(text):
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


_NOT_NEWLINE = re.compile(r"[^\n]")


def _mask_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Each span of `text` replaced with spaces, keeping newlines so lines do not move; built in
    one pass (replacing span by span copies the whole text each time)."""
    pieces, last = [], 0
    for start, end in spans:
        pieces.append(text[last:start])
        pieces.append(_NOT_NEWLINE.sub(" ", text[start:end]))
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _mask(text: str, pattern: re.Pattern[str], group: int = 0) -> str:
    return _mask_spans(text, (match.span(group) for match in pattern.finditer(text)))


@dataclass(frozen=True)
class Document:
    """Article + policies + the parsed Markdown. Views are computed on first use."""

    article: Article
    policies: Policies

    @functools.cached_property
    def parsed(self) -> Parsed:
        return parse(self.article.body)

    @property
    def tokens(self) -> list[Token]:
        return self.parsed.tokens

    @functools.cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        starts.extend(m.end() for m in re.finditer("\n", self.article.body))
        return starts

    def position(self, offset: int) -> tuple[int, int]:
        """(line in index.md, 1-based column) of a character offset into the body."""
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return self.article.body_line + index, offset - self._line_starts[index] + 1

    def body_line(self, token_line: int) -> int:
        """Line in index.md of a 0-based markdown-it `token.map` line."""
        return self.article.body_line + token_line

    @functools.cached_property
    def code_block_lines(self) -> frozenset[int]:
        """0-based body lines inside fenced or indented code blocks."""
        lines: set[int] = set()
        for token in self.tokens:
            if token.type in ("fence", "code_block") and token.map:
                lines.update(range(token.map[0], token.map[1]))
        return frozenset(lines)

    @functools.cached_property
    def reader(self) -> ReaderText:
        """What a reader sees (title, body as rendered, references), for every rule that looks
        for phrases: word lists, classified markers, the school's rules."""
        return reader_text(self.article, self.tokens)

    @functools.cached_property
    def visible_text(self) -> str:
        """The body as written, only comments masked: for typography, which fixes the source."""
        return _mask_spans(self.article.body, comment_spans(self.article.body))

    @functools.cached_property
    def prose_text(self) -> str:
        """The body without comments, code blocks, inline code, URLs and link targets: for PII."""
        text = self.visible_text
        lines = text.split("\n")
        for i in self.code_block_lines:
            if i < len(lines):
                lines[i] = " " * len(lines[i])
        text = "\n".join(lines)
        text = _mask(text, _INLINE_CODE)
        text = _mask(text, _LINK_DESTINATION, 1)
        return _mask(text, _URL)

    @functools.cached_property
    def inline_tokens(self) -> list[tuple[Token, Token]]:
        """(inline block token, child) pairs in document order; the block carries `map`."""
        return [(t, child) for t in self.tokens if t.type == "inline" for child in (t.children or [])]

    def finding(self, code: str, line: int, column: int, message: str, **extra: object) -> Finding:
        return Finding(str(self.article.path), line, column, code, message, **extra)  # type: ignore[arg-type]

    def front_matter_finding(self, code: str, key: str, message: str) -> Finding:
        return self.finding(code, self.article.line_of(key), 1, message)

    def front_matter_texts(self) -> list[tuple[str, int]]:
        """(text, line) of the front matter fields a reader sees: title, digest, author, source
        name; for PII, whose patterns run per field (phrase rules use `reader`, which holds them too)."""
        fm = self.article.front_matter
        texts = [(fm[key], self.article.line_of(key)) for key in ("title", "digest", "author")
                 if isinstance(fm.get(key), str)]
        source = fm.get("source")
        if isinstance(source, dict) and isinstance(source.get("name"), str):
            texts.append((source["name"], self.article.front_matter_lines.get(("source", "name"), 1)))
        return texts

    @functools.cached_property
    def lines(self) -> list[str]:
        return self.article.body.split("\n")

    def _next_occurrence(self, block: Token, needle: str, start: tuple[int, int]) -> tuple[int, int] | None:
        """(body line index, 0-based column) of the first `needle` at or after `start` in a block
        token's source lines; None when it is not there."""
        if not block.map or not needle:
            return None
        line, column = start
        for index in range(line, block.map[1]):
            found = self.lines[index].find(needle, column if index == line else 0)
            if found != -1:
                return index, found
        return None

    @functools.cached_property
    def references(self) -> list[Reference]:
        """Every link and image target in the body, in order, with where it was written.

        The n-th reference to a target in a block is at the n-th place it is written there; a
        cursor per (block, target) finds it from where the previous one was (counting from the
        block's start each time was quadratic: 30,000 links took a minute)."""
        refs: list[Reference] = []
        sources: dict[int, str] = {}  # block -> its source lines, joined once (a target has no line break)
        cursors: dict[tuple[int, str], tuple[int, int] | None] = {}  # where to look next; None: not written there
        for block, child in self.inline_tokens:
            if child.type == "image":
                target = str(child.attrs.get("src", ""))
            elif child.type == "link_open":
                target = str(child.attrs.get("href", ""))
            else:
                continue
            # markdown-it percent-encodes targets (附件 -> %E9%99...); search for what the editor wrote
            if id(block) not in sources:
                sources[id(block)] = "\n".join(self.lines[block.map[0]:block.map[1]]) if block.map else ""
            written = target if target in sources[id(block)] else unquote(target)
            key = (id(block), written)
            first = (block.map[0], 0) if block.map else (0, 0)
            cursor = cursors.get(key, first)
            found = None if cursor is None else self._next_occurrence(block, written, cursor)
            if found is None:
                cursors[key] = None  # later ones are not there either: the block's first line
                line, column = self.body_line(block.map[0]) if block.map else self.article.body_line, 1
            else:
                cursors[key] = (found[0], found[1] + len(written))
                line, column = self.body_line(found[0]), found[1] + 1
            refs.append(Reference(target, child.type == "image", line, column))
        return refs

    def resolve(self, target: str) -> Resolved:
        """Where a relative link or image target points: only through the bundle's resolver,
        which refuses `..`, absolute paths and symlinks (R20). Percent-encoding is decoded
        once, as everywhere (markdown.bundle_name), so `%2e%2e/` is `../` here too."""
        return self.article.files.resolve(bundle_name(target))


@dataclass(frozen=True)
class Reference:
    target: str
    is_image: bool
    line: int
    column: int

    @property
    def is_external(self) -> bool:
        """Any scheme: not a file of the bundle (as the renderer decides, markdown.scheme_of)."""
        return bool(scheme_of(self.target))

    @property
    def is_anchor(self) -> bool:
        return self.target.startswith("#") or self.target == ""

