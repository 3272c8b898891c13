"""The one Markdown dialect of wxpub, shared by the linter and the renderer.

CommonMark with raw HTML off (WeChat strips it, and it is an XSS door), plus tables,
strikethrough, footnotes, task lists and GFM alerts (`> [!NOTE]`); the last two are
markdown-it-py's own rules (4.1+). Lint and render must parse alike, or a finding's line
would point at something the reader never sees.

What a reader sees of the parsed tokens is decided here too, once, for the renderer (which
writes it as HTML) and for `pipeline.readertext` (which gives it as text to match phrases
against): which inline tokens are shown (comments are not), how a soft line break joins two
lines, which paragraphs become figures, which links stay links.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.table import escapedSplit
from markdown_it.rules_block.table import table as gfm_table
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin


@functools.cache
def parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough"])
    md.options["tasklists"] = True
    md.options["alerts"] = True
    md.use(footnote_plugin, inline=False)
    md.block.tokenize = _noting_drops(md.block.tokenize)  # type: ignore[method-assign,assignment]
    md.core.ruler.before("footnote_tail", "wxpub_unreferenced_notes", _note_unreferenced)
    md.block.ruler.at("table", _noting_extra_cells, {"alt": ["paragraph", "reference"]})
    return md


# markdown-it's own limit is 20 (lists ten deep); the renderer flattens what WeChat cannot
# nest (pipeline/render/nesting.py), so the parser keeps far more: lists 64 deep, quotes 128.
# Past that it still drops the rest (BODY007): the limit guards the recursion.
MAX_NESTING = 128

_DROPPED = "wxpub_dropped_from"
# What lint (BODY007) and render say about it, in one place
DROPPED_TEXT = "从这一行起嵌套过深(列表超过 63 层或引用超过 128 层),这一行和它后面的全部文字都不会显示"
DROPPED_HINT = "减少列表或引用的嵌套层数;深层内容可改为普通段落或小标题"


@dataclass(frozen=True)
class Parsed:
    """A body's tokens, and the 0-based body line from which markdown-it dropped the text
    (None when it kept everything)."""

    tokens: list[Token]
    dropped_from: int | None
    unreferenced_notes: tuple[tuple[int, str], ...] = ()  # (0-based line, label) of each note no text cites
    extra_cells: tuple[tuple[int, int], ...] = ()  # (0-based line, cells past the header's count) of table rows


def parse(body: str) -> Parsed:
    """The one way a body is parsed: lint, render, preview and the reader text share it."""
    env: dict[str, Any] = {}
    tokens = parser().parse(body, env)
    return Parsed(tokens, env.get(_DROPPED), tuple(env.get(_UNREFERENCED, ())), tuple(env.get(_EXTRA_CELLS, ())))


_EXTRA_CELLS = "wxpub_extra_cells"


def _noting_extra_cells(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """markdown-it's table rule, noting each row with more cells than the header: GFM drops
    the extra cells, and their text with them. Counted with the rule's own splitter, on the
    row as the rule saw it (inside quotes and lists too)."""
    first = len(state.tokens)
    if not gfm_table(state, start, end, silent):
        return False
    header = 0
    for token in state.tokens[first:]:
        if token.type == "th_open":
            header += 1
        elif token.type == "tr_open" and token.map and token.map[0] >= start + 2:
            line = token.map[0]
            cells = escapedSplit(state.src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]].strip())
            cells = cells[1:] if cells and cells[0] == "" else cells  # the leading and trailing pipes
            cells = cells[:-1] if cells and cells[-1] == "" else cells
            lost = sum(1 for cell in cells[header:] if cell.strip())  # an empty extra cell loses nothing
            if lost:
                state.env.setdefault(_EXTRA_CELLS, []).append((line, lost))
    return True


_UNREFERENCED = "wxpub_unreferenced_notes"


def _note_unreferenced(state: StateCore) -> None:
    """The footnote plugin drops a definition no text cites (`[^b]: ...` without `[^b]`), and
    its text with it; note where each one was, before footnote_tail removes it."""
    refs = state.env.get("footnotes", {}).get("refs", {})
    state.env[_UNREFERENCED] = [(token.map[0], label) for token in state.tokens
                                if token.type == "footnote_reference_open" and token.map
                                and refs.get(":" + (label := str(token.meta.get("label", "")))) == -1]


def _noting_drops(tokenize: Callable[[StateBlock, int, int], None]) -> Callable[[StateBlock, int, int], None]:
    """markdown-it stops at its nesting limit (maxNesting, MAX_NESTING: lists 64 deep, quotes 129 deep)
    and skips the rest of the block without a word, and with it everything after the block:
    nothing of it is rendered, counted or checked. Note the first line it skips, so that lint
    and render can say so instead of publishing part of the article."""

    def noting(state: StateBlock, start: int, end: int) -> None:
        if state.level >= state.md.options.maxNesting and _DROPPED not in state.env:
            line = state.skipEmptyLines(start)
            if line < end and state.sCount[line] >= state.blkIndent:
                state.env[_DROPPED] = line
        tokenize(state, start, end)

    return noting


WECHAT_ARTICLE_HOSTS = ("mp.weixin.qq.com",)


def is_clickable(url: str) -> bool:
    """Whether a link stays a link in WeChat: only articles on mp.weixin.qq.com do; the
    renderer turns every other one into a numbered reference, and lint says so."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in WECHAT_ARTICLE_HOSTS


def scheme_of(target: str) -> str:
    """A link or image target's scheme, lower case ("" for a file of the bundle): the one
    classification lint, the renderer, previews and the publisher all make (`HTTPS://x` is a
    web image; `https%3A//x`, decoded to a name, is a bundle file)."""
    return urlsplit(target).scheme.lower()


def is_external(url: str) -> bool:
    """A web link: the renderer lists it under 参考链接 unless it is clickable."""
    return scheme_of(url) in ("http", "https")


# Wide characters (CJK ideographs, kana, full-width forms and punctuation): no space between two
_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]")
# Chinese punctuation: no space on either side of it, whatever is on the other
_CJK_PUNCTUATION = re.compile(r"[\u3000-\u303f\ufe30-\ufe4f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]")
# Quotes, ellipsis and dashes serve Chinese and English alike: the letter beyond them decides
_SHARED_PUNCTUATION = "‘’“”…—–·"


def is_figure(inline: Token, children: Sequence[Token]) -> bool:
    """Whether a paragraph holds only images (and line breaks): each becomes a figure,
    its alt text the caption."""
    if "![" not in inline.content:
        return False
    kinds = {c.type for c in children if not (c.type == "text" and not c.content.strip())}
    return bool(kinds) and kinds <= {"image", "softbreak"} and "image" in kinds


def visible_children(inline: Token) -> Sequence[Token]:
    """An inline token's children as the reader sees them: without HTML comments."""
    children = inline.children or []
    return _without_comments(children) if "<!--" in inline.content else children


def _without_comments(children: Sequence[Token]) -> list[Token]:
    """The children with HTML comments removed. With raw HTML off markdown-it leaves them as
    text, but they are editors' notes and wxpub-disable lines, never shown to the reader
    (lint does not count them either). Everything from `<!--` in a text to the next `-->` in
    a text goes, whatever lies between: line breaks, and links or emphasis that markdown-it
    found inside the note (a note's link must not become a numbered reference). A `<!--`
    that is never closed is not a comment and stays, as lint sees it too; inline code keeps
    its comments, as written."""
    rest = list(children)
    # For each index, the first text at or after it holding a `-->`: found once, so that many
    # unclosed `<!--` do not each scan the rest of the paragraph (quadratic). Only texts at or
    # before the current one are ever rewritten, so the table stays true for what lies ahead.
    closers = [len(rest)] * (len(rest) + 1)
    for j in range(len(rest) - 1, -1, -1):
        closers[j] = j if rest[j].type == "text" and "-->" in rest[j].content else closers[j + 1]
    out: list[Token] = []
    i = 0
    while i < len(rest):
        child = rest[i]
        if child.type != "text" or "<!--" not in child.content:
            out.append(child)
            i += 1
            continue
        head, _, after = child.content.partition("<!--")
        if "-->" in after:
            close, tail = i, after.partition("-->")[2]
        else:
            close = closers[i + 1]
            if close == len(rest):
                out.append(child)
                i += 1
                continue
            tail = rest[close].content.partition("-->")[2]
        if head:
            out.append(_text_token(head))
        out.append(_COMMENT)
        out.extend(_unpaired(rest[i + 1:close]))
        rest[close] = _text_token(tail)  # looked at again: it may hold the next comment
        i = close
    return _close_gaps([c for c in out if c.type != "text" or c.content])


_COMMENT = Token("comment", "", 0)  # where a comment was, until _close_gaps has tidied around it


def _unpaired(removed: Sequence[Token]) -> list[Token]:
    """The opening and closing tokens among those a comment removes whose partner lies
    outside it: `*a<!--*-->` has its emphasis closed inside the note, and dropping that close
    would leave <em> open to the end of the article. They stay (in order); pairs wholly
    inside the note go with it."""
    kept: list[tuple[int, Token]] = []
    opened: list[tuple[int, Token]] = []
    for index, token in enumerate(removed):
        if token.nesting == 1:
            opened.append((index, token))
        elif token.nesting == -1:
            if opened and opened[-1][1].type.removesuffix("_open") == token.type.removesuffix("_close"):
                opened.pop()
            else:
                kept.append((index, token))
    return [token for _, token in sorted(kept + opened, key=lambda pair: pair[0])]


def _text_token(content: str) -> Token:
    return Token("text", "", 0, content=content)


def _close_gaps(children: list[Token]) -> list[Token]:
    """Tidy where comments were: a comment that filled its lines takes one line break with it
    (`a / <!-- note --> / b` reads `a / b`), and spaces around a comment become one space
    (`Inline <!-- c --> text`) or none at a line's edge."""
    out: list[Token] = []
    for child in children:
        if child is not _COMMENT:
            if out and out[-1] is _COMMENT:
                out.pop()
                before = out[-1] if out else None
                if child.type == "softbreak" and (before is None or before.type == "softbreak"):
                    continue  # the comment had its own line: drop its line break
                if child.type == "text" and before is not None and before.type == "text":
                    left, right = before.content, child.content
                    space = " " if left[-1:] in " \t" or right[:1] in " \t" else ""
                    out[-1] = _text_token(left.rstrip(" \t") + space + right.lstrip(" \t"))
                    continue
                if child.type == "text" and (before is None or before.type == "softbreak"):
                    child = _text_token(child.content.lstrip(" \t"))
                elif before is not None and before.type == "text" and child.type == "softbreak":
                    out[-1] = _text_token(before.content.rstrip(" \t"))
            out.append(child)
        elif not out or out[-1] is not _COMMENT:
            out.append(child)
    if out and out[-1] is _COMMENT:  # a comment ends the paragraph: so does the line before it
        out.pop()
        while out and out[-1].type == "softbreak":
            out.pop()
        if out and out[-1].type == "text":
            out[-1] = _text_token(out[-1].content.rstrip(" \t"))
    return [c for c in out if c.type != "text" or c.content]


def soft_break(children: Sequence[Token], index: int) -> str:
    """A line break inside a paragraph, joined the way Chinese typesetting wants: nothing
    between two Chinese characters or next to Chinese punctuation, one space between Latin
    words and between Chinese and Latin or digits (the spacing lint's typography rule asks for)."""
    before = _neighbour_text(children, index, -1)
    after = _neighbour_text(children, index, 1)
    if _CJK_PUNCTUATION.match(before[-1:]) or _CJK_PUNCTUATION.match(after[:1]):
        return ""
    left, right = before.rstrip(_SHARED_PUNCTUATION)[-1:], after.lstrip(_SHARED_PUNCTUATION)[:1]
    if not left and not right:
        return " "
    return "" if (not left or _WIDE.match(left)) and (not right or _WIDE.match(right)) else " "


def _neighbour_text(children: Sequence[Token], index: int, step: int) -> str:
    """The text next to a soft break, looking through markup that has none (`**`, link
    brackets) to the nearest text or code; empty at the paragraph's edge or an image."""
    j = index + step
    while 0 <= j < len(children):
        child = children[j]
        if child.content and child.type in ("text", "code_inline"):
            return child.content
        if child.type in ("softbreak", "hardbreak", "image"):
            return ""
        j += step
    return ""


def bundle_name(target: str) -> str:
    """The file name a relative link or image target means, as the bundle resolver takes it.

    markdown-it percent-encodes targets (现场.jpg -> %E7%8E%B0...) and keeps `?query` and
    `#fragment`; lint, the renderer, previews and the publisher all decode through here, once,
    so they name the same file (a second decode would turn a file `a%41.jpg` into `aA.jpg`)."""
    return unquote(target.split("#", 1)[0].split("?", 1)[0])
