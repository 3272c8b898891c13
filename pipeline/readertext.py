"""The text a reader sees of an article: what every check that looks for a phrase reads.

Conditional approval stages (a policy's `require_stage` rules), word lists, classified
markers and the school's custom rules all ask "does the article say X?". They must ask it of
what a reader reads, not of the Markdown: `招生**计划**`, `招生<!-- -->计划`, `招[生](x)计划`,
`&#25307;生计划`, a footnote mark, a zero-width space or full-width letters all read as
招生计划. `reader_text` walks the markdown-it tokens the renderer writes HTML from, through
the same helpers (`pipeline.markdown`: which inline tokens are shown, how a soft line break
joins two lines, which paragraphs are figures, which links are listed as references), and
keeps for every character the line and column in index.md it came from, so a finding still
points at what the editor wrote.

The text is in segments that no phrase spans: the title, digest, author and source name (as
the feed, the share card and the byline show them), the body (blocks one a line, footnotes
at the end as they are rendered, images' alt text where the image is), and the web addresses
listed under 参考链接. Footnote marks and reference numbers are left out: they are marks beside
the text, not part of it.

Phrases are matched against two foldings of it, each one table filled on first sight of a
character and applied with one `str.translate`:
- `text` is the shown text width-folded (NFKC per character: ＡＢＣ → ABC, full-width
  punctuation → half-width, ⼈ → 人) with invisible characters removed (zero-width, bidi
  controls, variation selectors, fillers): the exact matches.
- `loose` is `text` without case, spaces, punctuation and symbols (赌 博, 赌*博), sentence ends
  kept as barriers (举办。证书 is not 办证): the word lists' second, suspicious pass, and
  conditional stages, which must not be dodged by a space.
"""

from __future__ import annotations

import bisect
import functools
import unicodedata
from dataclasses import dataclass
from typing import Any, Mapping, Protocol, Sequence

import ahocorasick_rs
from markdown_it.common.entities import entities
from markdown_it.common.utils import fromCodePoint, isValidEntityCode
from markdown_it.rules_inline.entity import DIGITAL_RE, NAMED_RE
from markdown_it.token import Token

from pipeline.content import Article
from pipeline.markdown import is_clickable, is_external, is_figure, parse, soft_break, visible_children

# Between segments in the shown text and `text`; a barrier in `loose`. Never from the source:
# markdown-it turns NUL into U+FFFD, and a front matter value's NUL is replaced the same way.
SEPARATOR = "\x00"

# -- folding -------------------------------------------------------------------------------

# Characters a reader does not see, beyond the format (Cf) and control (Cc) categories: the
# combining grapheme joiner, Hangul fillers (letters that print as nothing), variation selectors.
_INVISIBLE = frozenset("\u034f\u115f\u1160\u3164\uffa0")
_VARIATION_SELECTORS = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
_LINE_BREAKS = frozenset("\r\x0b\x0c\x85\u2028\u2029")  # shown as a new line, like \n
_SENTENCE_ENDS = frozenset("。！？；!?;")


def _invisible(char: str) -> bool:
    code = ord(char)
    return (unicodedata.category(char) in ("Cc", "Cf") or char in _INVISIBLE
            or any(low <= code <= high for low, high in _VARIATION_SELECTORS))


class _FoldTable(dict[int, "int | str | None"]):
    """A str.translate table filled on first sight of each character: a code point where a
    character folds to one (twice as fast to apply as a one-character string), None where it
    goes, a string where it becomes several."""

    def __missing__(self, code: int) -> int | str | None:
        folded = self.fold(chr(code))
        entry = ord(folded) if len(folded) == 1 else folded or None
        self[code] = entry
        return entry

    def fold(self, char: str) -> str:
        raise NotImplementedError

    def text(self, code: int) -> str:
        """What the character with this code point folds to."""
        entry = self[code]
        return chr(entry) if isinstance(entry, int) else entry or ""


class _WidthTable(_FoldTable):
    """The width folding: NFKC per character, invisible characters removed."""

    def fold(self, char: str) -> str:
        if char in ("\n", "\t", SEPARATOR):
            return char
        if char in _LINE_BREAKS:
            return "\n"
        return "".join(c for c in unicodedata.normalize("NFKC", char) if not _invisible(c))


class _LooseTable(_FoldTable):
    """The loose folding, on top of the width folding: lower case, letters and numbers only,
    a sentence end or a segment's end becomes a barrier."""

    def fold(self, char: str) -> str:
        width = _WIDTH.text(ord(char))
        if char == SEPARATOR or (width and all(c in _SENTENCE_ENDS for c in width)):
            return SEPARATOR
        return "".join(c for c in width.lower() if unicodedata.category(c)[0] in "LN")


_WIDTH = _WidthTable()
_LOOSE = _LooseTable()


def width_fold(text: str) -> str:
    """Full-width forms to half-width (NFKC), invisible characters removed."""
    return text.translate(_WIDTH)


def loose_fold(text: str) -> str:
    """The width folding, lower-cased, letters and numbers only, sentence ends as barriers."""
    return text.translate(_LOOSE)


def _origins(text: str, table: _FoldTable) -> list[int]:
    """For each character of text.translate(table), the offset in `text` it came from."""
    origin: list[int] = []
    for i, char in enumerate(text):
        entry = table[ord(char)]
        origin.extend([i] * (1 if isinstance(entry, int) else len(entry or "")))
    return origin


# -- phrases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Phrases:
    """A list of phrases folded and compiled: the automaton, and for each of its patterns the
    index of the first phrase as written that folds to it."""

    automaton: ahocorasick_rs.AhoCorasick | None
    written: tuple[int, ...]


@functools.cache
def _compile(phrases: tuple[str, ...], loose: bool) -> _Phrases:
    fold = loose_fold if loose else width_fold
    index: dict[str, int] = {}
    for i, phrase in enumerate(phrases):
        folded = fold(phrase)
        if folded.strip(SEPARATOR):
            index.setdefault(folded, i)  # two entries folding alike: name the first
    patterns = tuple(index)
    return _Phrases(ahocorasick_rs.AhoCorasick(patterns) if patterns else None, tuple(index.values()))


@dataclass(frozen=True, order=True)
class Match:
    """One occurrence of a phrase: offsets into `ReaderText.text`, the phrase's index as asked."""

    start: int
    end: int
    phrase: int


# -- the text --------------------------------------------------------------------------------


class _Anchor(Protocol):
    """Something characters were written in: it knows the line and column of an offset in it."""

    def place(self, offset: int) -> tuple[int, int]: ...


@dataclass(frozen=True)
class _Fixed:
    """A place known outright: a front matter value (column 1 of its key's line), a line of code."""

    line: int
    column: int

    def place(self, offset: int) -> tuple[int, int]:
        return self.line, self.column + offset


# A run of shown characters from one anchor: (anchor, offset of its first character there,
# whether the offset moves along the run). Places are worked out only for a finding.
Run = tuple[_Anchor, int, bool]


@dataclass(frozen=True)
class ReaderText:
    """What a reader sees, with where each character came from in index.md."""

    shown: str  # as displayed (markup removed, not folded); segments separated by SEPARATOR
    run_starts: tuple[int, ...]  # offsets in `shown` where a run of characters from one place begins
    runs: tuple[Run, ...]

    @functools.cached_property
    def text(self) -> str:
        """The shown text width-folded: what phrases are matched against."""
        return width_fold(self.shown)

    @functools.cached_property
    def loose(self) -> str:
        return loose_fold(self.text)

    @functools.cached_property
    def _shown_offsets(self) -> list[int]:  # computed on a finding only: a clean article never needs it
        return _origins(self.shown, _WIDTH)

    @functools.cached_property
    def _loose_offsets(self) -> list[int]:
        return _origins(self.text, _LOOSE)

    def find(self, phrases: tuple[str, ...], exceptions: tuple[str, ...] = ()) -> list[Match]:
        """Every occurrence (overlapping too) of each phrase, width-folded, in reading order;
        one inside an occurrence of an exception (江大 in 浙江大学) does not count."""
        return self._find(phrases, exceptions, loose=False)

    def find_loose(self, phrases: tuple[str, ...], exceptions: tuple[str, ...] = ()) -> list[Match]:
        """The same in the loose folding: also through spaces, punctuation and case."""
        return self._find(phrases, exceptions, loose=True)

    def mention(self, phrases: tuple[str, ...], exceptions: tuple[str, ...] = ()) -> Match | None:
        """The first place the text mentions one of the phrases, exactly or loosely, or None:
        what a conditional rule (a stage or a field the mention requires) asks."""
        found = self.find(phrases, exceptions) + self.find_loose(phrases, exceptions)
        return min(found) if found else None

    def _find(self, phrases: tuple[str, ...], exceptions: tuple[str, ...], loose: bool) -> list[Match]:
        compiled = _compile(phrases, loose)
        if compiled.automaton is None:
            return []
        haystack = self.loose if loose else self.text
        hits = compiled.automaton.find_matches_as_indexes(haystack, overlapping=True)
        if not hits:
            return []  # the usual case: nothing to map back
        spans = [(s, e, compiled.written[i]) for i, s, e in hits]
        excepted = []
        if exceptions and (exception_set := _compile(exceptions, loose)).automaton is not None:
            excepted = [(s, e) for _, s, e in exception_set.automaton.find_matches_as_indexes(haystack, overlapping=True)]
        found = [Match(s, e, phrase) for s, e, phrase in spans if not any(a <= s and e <= b for a, b in excepted)]
        if loose:  # back to offsets in `text`
            origin = self._loose_offsets
            found = [Match(origin[m.start], origin[m.end - 1] + 1, m.phrase) for m in found]
        return sorted(found)

    def _shown_at(self, offset: int) -> int:
        offsets = self._shown_offsets
        return offsets[min(offset, len(offsets) - 1)] if offsets else 0

    def position(self, offset: int) -> tuple[int, int]:
        """(line in index.md, 1-based column) of the character at `offset` in `text`."""
        if not self.runs:
            return 1, 1
        at = self._shown_at(offset)
        run = max(bisect.bisect_right(self.run_starts, at) - 1, 0)
        anchor, start, moves = self.runs[run]
        return anchor.place(start + (at - self.run_starts[run] if moves else 0))

    def written(self, start: int, end: int) -> str:
        """The shown text of `text[start:end]`, before folding (ｖｐｎ stays ｖｐｎ)."""
        return self.shown[self._shown_at(start):self._shown_at(end - 1) + 1] if end > start else ""


# -- building it ---------------------------------------------------------------------------------


class _Builder:
    """Collects the shown text in runs, each with where its first character came from."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[int] = []
        self.runs: list[Run] = []
        self.length = 0
        self.last: Run = (_Fixed(1, 1), 0, False)  # the last character's source: for characters without one
        self.fresh = True  # nothing since the last block or segment break
        self.separate = False  # a segment ended: the next text starts a new one

    def add(self, text: str, anchor: _Anchor, offset: int, moves: bool = True) -> None:
        if not text:
            return
        if self.separate:
            self.separate = False
            self._run(SEPARATOR, self.last)
        self.starts.append(self.length)  # _run, inlined: this is called for every piece of text
        self.runs.append((anchor, offset, moves))
        self.parts.append(text)
        self.length += len(text)
        self.last = (anchor, offset + len(text) - 1, False) if moves else (anchor, offset, False)
        self.fresh = False

    def _run(self, text: str, run: Run) -> None:
        self.starts.append(self.length)
        self.runs.append(run)
        self.parts.append(text)
        self.length += len(text)

    def insert(self, text: str) -> None:
        """Text the renderer writes that has no source of its own (a soft break's space)."""
        self.add(text, *self.last)

    def block(self) -> None:
        if not self.fresh:
            self._run("\n", self.last)
            self.fresh = True

    def segment(self) -> None:
        self.separate = self.separate or self.length > 0
        self.fresh = True

    def done(self) -> ReaderText:
        return ReaderText("".join(self.parts), tuple(self.starts), tuple(self.runs))


def reader_text(article: Article, tokens: Sequence[Token] | None = None) -> ReaderText:
    """What a reader sees of `article` (its body parsed once by the caller, or here)."""
    builder = _Builder()
    fm = article.front_matter
    for key in ("title", "digest", "author"):
        _front_matter_value(builder, fm.get(key), article.line_of(key))
    source = fm.get("source")
    if isinstance(source, Mapping):
        _front_matter_value(builder, source.get("name"), article.front_matter_lines.get(("source", "name"),
                                                                                      article.line_of("source")))
    builder.segment()
    body = _Body(builder, article.body.split("\n"), article.body_line)
    if isinstance(source, Mapping) and isinstance(source.get("url"), str):  # the repost's source is reference 1
        body.references[source["url"]] = (_Fixed(article.front_matter_lines.get(("source", "url"),
                                                                                article.line_of("source")), 1), 0)
    body.walk(parse(article.body).tokens if tokens is None else tokens)
    builder.segment()
    for url, (anchor, offset) in body.references.items():  # the 参考链接 list: web addresses the reader sees
        builder.block()
        builder.add(url, anchor, offset, moves=False)
    return builder.done()


def _front_matter_value(builder: _Builder, value: Any, line: int) -> None:
    if value is None:
        return
    builder.segment()
    # as the draft shows it: a non-string value is shown as its text too; column 1 of the key's line
    builder.add(str(value).replace(SEPARATOR, "\ufffd"), _Fixed(line, 1), 0, moves=False)


class _Body:
    """Walks the block tokens as the renderer does (pipeline.render.html.Renderer)."""

    def __init__(self, builder: _Builder, lines: list[str], body_line: int) -> None:
        self.out = builder
        self.lines = lines
        self.body_line = body_line
        self.references: dict[str, tuple[_Anchor, int]] = {}  # url -> where its first link is
        self.cells: dict[int, int] = {}  # table row line -> column searched from, for the next cell

    def walk(self, tokens: Sequence[Token]) -> None:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if kind == "alert_title_open":
                i += 3  # the theme's title (提示, 注意...) replaces markdown-it's English one
                continue
            if kind == "footnote_block_open":
                i = self._footnotes(tokens, i)
                continue
            if kind == "inline":
                children = visible_children(token)
                parent = tokens[i - 1] if i else None
                figure = parent is not None and parent.type == "paragraph_open" and is_figure(token, children)
                self.out.block()
                self._inline(token, children, figure=figure,
                             cell=parent is not None and parent.type in ("th_open", "td_open"))
            elif kind in ("fence", "code_block"):
                self.out.block()
                self._code_block(token)
            i += 1

    def _footnotes(self, tokens: Sequence[Token], i: int) -> int:
        """Each note as the 注释 list shows it: its paragraphs (and code) joined by a space."""
        j, first = i + 1, True
        while j < len(tokens) and tokens[j].type != "footnote_block_close":
            token = tokens[j]
            if token.type == "footnote_open":
                self.out.block()
                first = True
            elif token.type == "alert_title_open":  # as the renderer: markdown-it's English title is not shown
                j += 3
                continue
            elif token.type == "inline" or token.type in ("fence", "code_block"):
                if not first:
                    self.out.insert(" ")
                first = False
                if token.type == "inline":
                    self._inline(token, visible_children(token))
                else:
                    self._code_block(token)
            j += 1
        return j + 1

    def _code_block(self, token: Token) -> None:
        if not token.map:
            self.out.insert(token.content)
            return
        first = token.map[0] + (1 if token.type == "fence" else 0)  # a fence's first line is ```
        for k, text in enumerate(token.content.split("\n")):
            if k:
                self.out.insert("\n")
            if text:
                source = self.lines[first + k] if first + k < len(self.lines) else ""
                self.out.add(text, _Fixed(self.body_line + first + k, max(source.find(text), 0) + 1), 0)

    def _inline(self, token: Token, children: Sequence[Token], *, figure: bool = False, cell: bool = False) -> None:
        src = _Source(token, self, cell)
        if len(children) == 1 and children[0].type == "text" and children[0].content == token.content:
            self.out.add(token.content, src, 0)  # most paragraphs: plain text, written as shown
            return
        for index, child in enumerate(children):
            kind = child.type
            if kind == "text":
                if not figure:  # between a figure's images: only spaces
                    src.text(child.content)
            elif kind in ("softbreak", "hardbreak"):
                if not figure:
                    self.out.insert(soft_break(children, index) if kind == "softbreak" else "\n")
                src.skip_line_break()
            elif kind == "code_inline":
                src.code(child)
            elif kind == "image":  # its alt text: a figure's caption, or beside the text (what a screen reader reads)
                if figure:
                    self.out.block()
                src.image(child)
            elif kind == "link_open":
                href = str(child.attrs.get("href", ""))
                at = src.skip_markup("<" if child.markup == "autolink" else "[")
                if is_external(href) and not is_clickable(href):  # listed under 参考链接
                    self.references.setdefault(href, (src, at))
            elif kind == "link_close":
                src.skip_link_end(child.markup == "autolink")
            elif kind == "footnote_ref":  # the 注1 mark beside the text
                src.skip_footnote_ref()
            elif kind in ("strong_open", "strong_close", "em_open", "em_close", "s_open", "s_close"):
                src.skip_delimiter(child.markup)
            elif child.content:  # anything else, as the renderer does: its text
                src.text(child.content)


class _Source:
    """One inline token's source (`token.content`, its lines as in index.md) and a cursor in it
    that follows the children: where each shown character came from."""

    def __init__(self, token: Token, body: _Body, cell: bool) -> None:
        self.body = body
        self.out = body.out
        self.content = token.content
        self.pos = 0
        self.map = token.map
        self.fallback = body.out.last  # for a token without a source line (none is shown today)
        self.cell = cell
        if cell:  # the cells of a row are found left to right: now, while it is this cell's turn
            self.columns = self._columns(cell=True)

    @functools.cached_property
    def first(self) -> int | None:
        """The body line of `content`'s first line: the block's first, unless lines of only
        white space (U+3000 too) were stripped before it."""
        if not self.map:
            return None
        first = self.content.split("\n", 1)[0].strip()
        for index in range(self.map[0], min(self.map[1], len(self.body.lines))):
            if first in self.body.lines[index]:
                return index
        return self.map[0]

    @functools.cached_property
    def breaks(self) -> list[int]:
        """Offsets of the line breaks in `content`."""
        found, at = [], self.content.find("\n")
        while at != -1:
            found.append(at)
            at = self.content.find("\n", at + 1)
        return found

    @functools.cached_property
    def columns(self) -> list[int]:
        return self._columns(cell=False)

    def _columns(self, cell: bool) -> list[int]:
        """For each line of `content`, the 0-based column in index.md of its first character:
        the source line ends with it (after a `>` or list marker and the indentation, which
        markdown-it may have turned from a tab into spaces), except in a table, where the row
        holds several cells."""
        if self.first is None:
            return []
        columns = []
        for k, text in enumerate(self.content.split("\n")):
            index = self.first + k
            source = self.body.lines[index] if index < len(self.body.lines) else ""
            core = text.strip()
            lead = len(text) - len(text.lstrip())
            if not core:
                at = lead
            elif cell:  # markdown-it took the backslash off each `\|` of a cell before parsing it
                written = core.replace("|", "\\|")
                at = source.find(written, self.body.cells.get(index, 0))
                self.body.cells[index] = at + len(written) if at != -1 else self.body.cells.get(index, 0)
            else:
                stripped = source.rstrip()
                at = len(stripped) - len(core) if stripped.endswith(core) else source.find(core)
            columns.append(at - lead if at != -1 else 0)
        return columns

    def place(self, offset: int) -> tuple[int, int]:
        """(line, column) in index.md of an offset in `content`: worked out only for a finding."""
        if self.first is None:
            anchor, at, _ = self.fallback
            return anchor.place(at)
        k = bisect.bisect_left(self.breaks, offset)
        start = self.breaks[k - 1] + 1 if k else 0
        unescaped = self.content.count("|", start, offset) if self.cell else 0
        return self.body.body_line + self.first + k, self.columns[k] + offset - start + unescaped + 1

    def _line_end(self, pos: int) -> int:
        end = self.content.find("\n", pos)
        return len(self.content) if end == -1 else end

    # -- the shown text ----------------------------------------------------------------------------

    def text(self, text: str, *, code: bool = False) -> None:
        """Show `text`, which comes next in the source, mapping each character to its place."""
        content, pos = self.content, self.pos
        if content.startswith(text, pos):  # the usual case: written as shown
            if "\n" not in text:
                self.out.add(text, self, pos)
                self.pos = pos + len(text)
                return
            for k, piece in enumerate(text.split("\n")):  # an image's alt text may span lines
                if k:
                    self.out.add("\n", self, pos - 1, moves=False)
                self.out.add(piece, self, pos)
                pos += len(piece) + 1
            self.pos += len(text)
            return
        for char, offset in zip(text, self._align(text, code)):
            self.out.add(char, self, offset)

    def _align(self, text: str, code: bool) -> list[int]:
        """Offsets in `content` of each character of `text`, through what markdown-it decoded
        (entities, backslash escapes), comments the renderer dropped, code spans' line breaks,
        and markup the tokens do not name; a character with no source of its own (a space
        where a comment was) gets the current offset."""
        content, pos, n = self.content, self.pos, len(self.content)
        offsets: list[int] = []
        i = 0
        while i < len(text):
            char = text[i]
            if not code:
                pos = self._skip_comments(pos, text, i)
            entity = None if code else _entity(content, pos)
            if entity and entity[0] and text.startswith(entity[0], i):  # before `&` itself: &amp; shows &
                offsets.extend([pos] * len(entity[0]))
                pos, i = entity[1], i + len(entity[0])
                continue
            if pos < n and (content[pos] == char or (char.isspace() and content[pos].isspace())):
                offsets.append(pos)
                pos, i = pos + 1, i + 1
                continue
            if not code and pos < n and content[pos] in " \t\n" and not char.isspace():
                pos += 1  # white space the renderer drops (the line break of a comment's own line)
                continue
            if not code and content.startswith("\\", pos) and content[pos + 1:pos + 2] == char:
                offsets.append(pos)
                pos, i = pos + 2, i + 1
                continue
            found = self._find(char, pos, code, text, i)
            if found == -1:
                offsets.append(min(pos, max(n - 1, 0)))
            else:
                offsets.append(found)
                pos = found + 1
            i += 1
        self.pos = pos
        return offsets

    def _skip_comments(self, pos: int, text: str, i: int) -> int:
        content = self.content
        while content.startswith("<!--", pos) and not text.startswith("<!--", i):
            close = content.find("-->", pos + 4)
            if close == -1:
                break
            pos = close + 3
        return pos

    def _find(self, char: str, pos: int, code: bool, text: str, i: int) -> int:
        """The next `char` on this line, looking past comments (which may span lines)."""
        content = self.content
        while True:
            end = self._line_end(pos)
            found = content.find(char, pos, end)
            comment = -1 if code or text.startswith("<!--", i) else content.find("<!--", pos, end)
            if comment == -1 or (found != -1 and found < comment):
                return found
            close = content.find("-->", comment + 4)
            if close == -1:
                return found
            pos = close + 3

    # -- markup: moves the cursor, shows nothing ------------------------------------------------

    def skip_markup(self, markup: str) -> int:
        """Step over `markup` if it is next (or further on this line); the offset it was at."""
        pos = self._skip_comments(self.pos, "", 0)
        found = self.content.find(markup, pos, self._line_end(pos))
        if found != -1 and not self.content[pos:found].strip():
            self.pos = found + len(markup)
            return found
        return pos

    def skip_delimiter(self, markup: str) -> None:
        if markup and self.content.startswith(markup, self.pos):
            self.pos += len(markup)

    def skip_line_break(self) -> None:
        at = self.content.find("\n", self._skip_comments(self.pos, "", 0))
        if at != -1:
            self.pos = at + 1

    def skip_footnote_ref(self) -> None:
        if self.content.startswith("[^", self.pos):
            close = self.content.find("]", self.pos)
            self.pos = close + 1 if close != -1 else self.pos

    def skip_link_end(self, autolink: bool = False) -> None:
        """Step over `]` and the destination: `(url "title")`, `[label]` or nothing."""
        content, pos = self.content, self.pos
        if autolink:
            self.pos = pos + 1 if content.startswith(">", pos) else pos
            return
        if not content.startswith("]", pos):
            return
        pos += 1
        if content.startswith("(", pos):
            pos = _after_parentheses(content, pos)
        elif content.startswith("[", pos):
            close = content.find("]", pos)
            pos = close + 1 if close != -1 else pos
        self.pos = pos

    def code(self, token: Token) -> None:
        """A code span: shown as written between its backtick runs, line breaks as spaces, one
        space of padding off each end when both ends have one (CommonMark)."""
        ticks = token.markup or "`"
        content = self.content
        opened = content.find(ticks, self.pos)
        closed = _closing_ticks(content, opened + len(ticks), ticks) if opened != -1 else -1
        if closed == -1:
            self.text(token.content, code=True)
            return
        start = opened + len(ticks)
        inner = content[start:closed].replace("\n", " ")
        if inner.startswith(" ") and inner.endswith(" ") and inner.strip(" "):
            start += 1
        self.pos = start
        self.text(token.content, code=True)
        self.pos = closed + len(ticks)

    def image(self, token: Token) -> None:
        self.skip_markup("![")
        self.text(token.content)  # markdown-it's image content is the alt text as written
        self.skip_link_end()


def _entity(content: str, pos: int) -> tuple[str, int] | None:
    """What markdown-it decodes an entity at `pos` to, and where it ends (its own rules)."""
    if not content.startswith("&", pos):
        return None
    if match := DIGITAL_RE.match(content, pos):
        digits = match.group(1)
        code = int(digits[1:], 16) if digits[0].lower() == "x" else int(digits, 10)
        return (fromCodePoint(code) if isValidEntityCode(code) else fromCodePoint(0xFFFD)), match.end()
    if (match := NAMED_RE.match(content, pos)) and match.group(1) in entities:
        return entities[match.group(1)], match.end()
    return None


def _closing_ticks(content: str, start: int, ticks: str) -> int:
    """Where the backtick run as long as `ticks` that closes a code span begins, or -1."""
    at = content.find(ticks, start)
    while at != -1:
        end = at
        while end < len(content) and content[end] == "`":
            end += 1
        if end - at == len(ticks):
            return at
        at = content.find(ticks, end)
    return -1


def _after_parentheses(content: str, pos: int) -> int:
    """The offset after the `)` that closes the `(` at `pos` (a link's destination and title),
    minding backslash escapes, nested parentheses and a quoted title; `pos` when unclosed."""
    depth, quote, i = 0, "", pos
    while i < len(content):
        char = content[i]
        if char == "\\":
            i += 2
            continue
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'" and depth == 1 and content[i - 1] in " \t\n":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return pos
