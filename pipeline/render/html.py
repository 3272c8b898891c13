"""Markdown tokens to WeChat article HTML, one small function per token type.

Styles come from the theme as inline `style` attributes set while rendering each token,
never by rewriting HTML afterwards. Only tags WeChat keeps are written; `class` and `id`
never are. External links cannot be clicked in WeChat (only mp.weixin.qq.com articles
can), so they become text with a numbered reference listed once per URL at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Callable, Sequence

from markdown_it.token import Token

from pipeline.content import Bundle, Resolved
from pipeline.markdown import bundle_name, is_clickable, is_external, is_figure, scheme_of, soft_break, visible_children
from pipeline.render.highlight import highlight
from pipeline.render.nesting import container_fits, fits, room
from pipeline.render.themes import Alert, Theme

_IMAGE_SCHEMES = ("", "http", "https")  # a bundle file or a web image; data: and the like never


@dataclass(frozen=True)
class ImageSource:
    """A body image (or the cover) as the renderer classified it, once, for every `image_url`
    hook: a file of the article's bundle (`name` as the resolver reads it, decoded once: see
    markdown.bundle_name), which the publisher uploads, or a web image (`name` is the URL as
    written), which it sends as it is. A hook must not guess from the name: the bundle file
    `https:/x.jpg` (written `https%3A//x.jpg`) and the web image `HTTPS://x.jpg` look alike."""

    name: str
    in_bundle: bool


def as_written(image: ImageSource) -> str:
    """The hook that changes nothing: each image's `src` is its name (the publisher's measure
    of what it uploads, before it has the URLs)."""
    return image.name

TASK_DONE, TASK_TODO = "☑", "☐"
TASK_LIST_CSS = "list-style: none; padding-left: 4px"
# A table with more columns than this cannot be read at 375 px even with every cell wrapped
# (about 50 px a column): each row is written as a paragraph of "header：value" lines instead.
MAX_TABLE_COLUMNS = 6
BULLET = "•"


def attr(value: str) -> str:
    return escape(value, quote=True)


def merge_css(base: str, extra: str) -> str:
    """`base` with `extra`'s declarations on top: one that names a property already in `base`
    replaces it in place, the others are appended (so `color` is never written twice)."""
    if not extra:
        return base
    if not base:
        return extra
    declarations = {}
    for part in (*base.split(";"), *extra.split(";")):
        name, _, value = part.partition(":")
        if value:
            declarations[name.strip().lower()] = f"{name.strip()}: {value.strip()}"
    return "; ".join(declarations.values())


# The style attribute per (key, extra), per theme object: a theme's styles never change after
# loading, and the same few dozen attributes are asked for by every paragraph of every article.
_STYLE_CACHES: dict[int, tuple[Theme, dict[tuple[str, str], str]]] = {}


def _style_cache(theme: Theme) -> dict[tuple[str, str], str]:
    entry = _STYLE_CACHES.get(id(theme))
    if entry is None or entry[0] is not theme:  # keyed by id, so keep the theme to rule out reuse
        if len(_STYLE_CACHES) >= 16:  # `wxpub serve` reloads themes on every edit: forget old ones
            _STYLE_CACHES.clear()
        entry = _STYLE_CACHES[id(theme)] = (theme, {})
    return entry[1]


@dataclass
class RenderState:
    """What one render collects on the way: numbered references, footnotes, images."""

    theme: Theme
    image_url: Callable[[ImageSource], str]
    files: Bundle  # the article's files: whether a local image exists is the resolver's answer
    references: dict[str, int] = field(default_factory=dict)  # url -> number, in order of first use
    reference_titles: dict[str, str] = field(default_factory=dict)
    footnotes: list[tuple[int, str]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # web URLs and bundle file names it serves, in order
    # which of `images` are bundle files (to upload): decided here, by the scheme the renderer saw,
    # not guessed later from the name (`HTTPS://x` is a web URL, a file `https:/x` is not)
    bundle_images: list[str] = field(default_factory=list)
    refused: list[Resolved] = field(default_factory=list)  # local images the resolver refuses
    # 0-based body lines whose structure was flattened to stay within WeChat's nesting limit
    # (pipeline/render/nesting.py): every word is kept, some indentation or formatting is not
    flattened: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._styles = _style_cache(self.theme)

    def flatten(self, line: int) -> None:
        if line not in self.flattened:
            self.flattened.append(line)

    def reference(self, url: str, title: str = "") -> int:
        if url not in self.references:
            self.references[url] = len(self.references) + 1
            self.reference_titles[url] = title
        return self.references[url]

    def style(self, key: str, extra: str = "") -> str:
        cached = self._styles.get((key, extra))
        if cached is None:
            css = merge_css(self.theme.style(key), extra)
            cached = self._styles[key, extra] = f' style="{attr(css)}"' if css else ""
        return cached

    def image(self, token: Token) -> str | None:
        """The `src` for an image token (through the image_url hook), or None for a target that
        cannot be shown. The hook is told which kind the image is (ImageSource) and gets a
        local image's file name as lint and the publisher read it (markdown.bundle_name:
        decoded once); `images` lists it only when the bundle serves it, `refused` otherwise
        (so the publisher never asks for it)."""
        target = str(token.attrs.get("src", ""))
        scheme = scheme_of(target)
        if scheme not in _IMAGE_SCHEMES:
            return None
        if scheme:
            self.images.append(target)
            return self.image_url(ImageSource(target, in_bundle=False))
        name = bundle_name(target)
        resolved = self.files.resolve(name)
        if resolved.name is None:
            self.refused.append(resolved)
        else:
            self.images.append(name)
            self.bundle_images.append(name)
        return self.image_url(ImageSource(name, in_bundle=True))


Handler = Callable[["Renderer", Sequence[Token], int, list[str]], int]


@dataclass
class _ListFrame:
    """A list being rendered: whether its tags were written, and the next marker of a
    flattened one (its items become paragraphs that start with the marker)."""

    written: bool
    ordered: bool
    number: int = 1


def _line(token: Token) -> int:
    return token.map[0] if token.map else 0


class Renderer:
    """Walks the block tokens; `render` returns the body HTML."""

    def __init__(self, state: RenderState, around: int = 1) -> None:
        """`around`: how many elements the theme's template opens around the body (1: the
        article's <section>), from which nesting is counted."""
        self.state = state
        self._pending_task = ""  # the box of a task item, written before its first text
        self._alert: Alert | None = None  # the alert being rendered, for its title
        # How many elements are open around what is written now (0: directly in the article
        # section, as the shipped templates put the body); nothing opens past what WeChat
        # keeps (pipeline/render/nesting.py).
        self.depth = self._body_depth = around - 1
        self._closes: list[str] = []  # how each open container closes ("" when flattened)
        self._lists: list[_ListFrame] = []
        self._pending_marker = ""  # a flattened list item's bullet or number, before its first text

    def render(self, tokens: Sequence[Token]) -> str:
        out: list[str] = []
        i = 0
        block = _BLOCK
        while i < len(tokens):
            handler = block.get(tokens[i].type)
            # no handler: a container we do not style (a footnote anchor, ...): keep its content, drop the tag
            i = handler(self, tokens, i, out) if handler else i + 1
        return "".join(out)

    # -- blocks: each takes the token list and its index, writes to `out`, returns the next index
    def _inline_block(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        out.append(self.inline(tokens[i]))
        return i + 1

    def _heading_open(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        out.append(f"<{tokens[i].tag}{self.state.style(tokens[i].tag)}>")
        self.depth += 1
        return i + 1

    def _heading_close(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        out.append(f"</{tokens[i].tag}>\n")
        self.depth -= 1
        return i + 1

    def _open_container(self, html: str, close: str, levels: int, token: Token, out: list[str]) -> bool:
        """Write a container's start tag when it and a paragraph still fit inside WeChat's
        nesting limit; otherwise leave it out (its content is written in place) and note the line."""
        if container_fits(self.depth, levels):
            out.append(html)
            self.depth += 1
            self._closes.append(close)
            return True
        self.state.flatten(_line(token))
        self._closes.append("")
        return False

    def _container_close(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        close = self._closes.pop()
        if close:
            out.append(close)  # a block or a list item: one a line, for diffs
            self.depth -= 1
        if tokens[i].type in ("bullet_list_close", "ordered_list_close"):
            self._lists.pop()
        return i + 1

    def _blockquote_open(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        self._open_container(f"<blockquote{self.state.style('blockquote')}>", "</blockquote>\n", 1, tokens[i], out)
        return i + 1

    def _list_open(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        token = tokens[i]
        ordered = token.type == "ordered_list_open"
        start = token.attrs.get("start")
        if ordered:
            extra = f' start="{attr(str(start))}"' if start not in (None, 1) else ""
            html = f"<ol{self.state.style('ol')}{extra}>"
        else:
            # A task list shows its ☑/☐ boxes as text, so it needs no bullets beside them
            css = TASK_LIST_CSS if "contains-task-list" in str(token.attrs.get("class", "")) else ""
            html = f"<ul{self.state.style('ul', css)}>"
        written = self._open_container(html, f"</{token.tag}>\n", 2, token, out)  # the list and its item
        self._lists.append(_ListFrame(written, ordered, int(start) if isinstance(start, (int, str)) and str(start).isdigit() else 1))
        return i + 1

    def _list_item_open(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        s = self.state
        frame = self._lists[-1]
        if frame.written:
            out.append(f"<li{s.style('li')}>")
            self.depth += 1
            self._closes.append("</li>\n")
        else:  # a flattened list: its item is paragraphs, the first starting with the marker
            self._closes.append("")
            self._pending_marker = f"{frame.number}. " if frame.ordered else f"{BULLET} "
            frame.number += 1
        checked = tokens[i].meta.get("checked")
        if checked is not None:  # a task: the box is text, WeChat drops <input>
            box = TASK_DONE if checked else TASK_TODO
            self._pending_task = f"<span{s.style('task')}>{box}</span> "
        return i + 1

    def _code(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        s, token = self.state, tokens[i]
        language = token.info.strip() if token.type == "fence" else ""
        if fits(self.depth, 4):  # section, pre, code, a coloured span
            html = highlight(token.content, language, s.theme.code_style)
            out.append(f"<section{s.style('code_block')}><pre{s.style('pre')}><code>{html}</code></pre></section>\n")
        else:  # deep in a list or quote: the code, uncoloured, in as few elements as it takes
            s.flatten(_line(token))
            out.append(f"<pre{s.style('pre')}><code>{highlight(token.content, '', '')}</code></pre>\n")
        return i + 1

    def _hr(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        out.append(f"<section{self.state.style('hr')}></section>\n")
        return i + 1

    def _table(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        """A whole table: a grid when its columns fit a phone screen and the nesting limit,
        otherwise one paragraph per row listing each header with its value."""
        cells: list[list[tuple[Token, Token]]] = []  # per row: each cell's open token and its inline token
        j = i + 1
        while tokens[j].type != "table_close":
            if tokens[j].type == "tr_open":
                cells.append([])
            elif tokens[j].type in ("th_open", "td_open"):
                cells[-1].append((tokens[j], tokens[j + 1]))
            j += 1
        rows = cells
        if len(rows[0]) <= MAX_TABLE_COLUMNS and fits(self.depth, 6):  # wrapper, table, thead, tr, th, a <strong>
            out.append(self._grid(cells))
        else:
            if len(rows[0]) <= MAX_TABLE_COLUMNS:
                self.state.flatten(_line(tokens[i]))
            out.append(self._stacked(cells))
        return j + 1

    def _grid(self, rows: list[list[tuple[Token, Token]]]) -> str:
        s = self.state
        parts = [f"<section{s.style('table_wrap')}><table{s.style('table')}>"]
        self.depth += 5  # the cells' content
        for index, row in enumerate(rows):
            parts.append("<thead><tr>" if index == 0 else "<tbody><tr>" if index == 1 else "<tr>")
            for cell, inline in row:
                align = str(cell.attrs.get("style", ""))  # markdown-it: text-align:left|center|right
                parts.append(f"<{cell.tag}{s.style(cell.tag, align.replace(':', ': '))}>{self.inline(inline)}</{cell.tag}>")
            parts.append("</tr>\n</thead>" if index == 0 else "</tr>\n")
        self.depth -= 5
        parts.append(("</tbody>" if len(rows) > 1 else "") + "</table></section>\n")
        return "".join(parts)

    def _stacked(self, rows: list[list[tuple[Token, Token]]]) -> str:
        s = self.state
        self.depth += 2  # the row's paragraph and the header's <strong>
        headers = [self.inline(inline) for _, inline in rows[0]]
        self.depth -= 1
        body = [[self.inline(inline) for _, inline in row] for row in rows[1:]]
        self.depth -= 1
        strong = s.style("strong")
        if not body:
            return f"<p{s.style('p')}>{' | '.join(headers)}</p>\n"
        return "".join(
            f"<p{s.style('p')}>" + "<br>".join(f"<strong{strong}>{header}</strong>：{value}" for header, value in zip(headers, row))
            + "</p>\n" for row in body)

    def _alert_open(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        s = self.state
        alert = s.theme.alerts[str(tokens[i].meta.get("kind", "NOTE")).upper()]
        colours = f"border-left-color: {alert.color}; background-color: {alert.background}"
        self._open_container(f"<section{s.style('alert', colours)}>", "</section>\n", 1, tokens[i], out)
        self._alert = alert
        return i + 1

    def _alert_title_open(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        s = self.state
        alert = self._alert or s.theme.alerts["NOTE"]
        out.append(f"<p{s.style('alert_title', f'color: {alert.color}')}>{escape(alert.title)}</p>\n")
        return i + 3  # skip markdown-it's English title text and the close


    def _paragraph(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        inline = tokens[i + 1]
        children = visible_children(inline)
        # tight list items: no <p>, unless the list was flattened and the item is a paragraph
        hidden = tokens[i].hidden and self._closes[-1] == "</li>\n"
        marker = self._pending_marker
        if is_figure(inline, children):
            if marker:  # a flattened item that is a picture: its marker on a line of its own above
                self._pending_marker = ""
                out.append(f"<p{self.state.style('li')}>{marker.strip()}</p>\n")
            out.extend(self._figure(child) for child in children if child.type == "image")
            return i + 3
        self._pending_marker = ""
        if hidden:
            body = self._inline(children, inline)
        else:
            self.depth += 1
            body = self._inline(children, inline)
            self.depth -= 1
        if not body.strip() and not self._pending_task and not marker:
            return i + 3  # e.g. a line holding only a suppression comment
        prefix, self._pending_task = marker + self._pending_task, ""
        key = "li" if marker else "p"  # a flattened list's item keeps the spacing of one
        out.append(prefix + body if hidden else f"<p{self.state.style(key)}>{prefix}{body}</p>\n")
        return i + 3

    def _figure(self, image: Token) -> str:
        s = self.state
        alt = image.content
        src = s.image(image)
        if src is None:  # not an image WeChat can show: what it depicts, as text
            return f"<p{s.style('p')}>{escape(alt, quote=False)}</p>\n" if alt else ""
        caption = f"<figcaption{s.style('figcaption')}>{escape(alt, quote=False)}</figcaption>" if alt else ""
        return f'<figure{s.style("figure")}><img src="{attr(src)}" alt="{attr(alt)}"{s.style("img")}>{caption}</figure>\n'

    def _footnotes(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        """Collect footnote bodies for the template's 注释 list; nothing is written in place."""
        j, number = i + 1, 0
        parts: list[str] = []
        while tokens[j].type != "footnote_block_close":
            token = tokens[j]
            if token.type == "footnote_open":
                number, parts = int(token.meta["id"]) + 1, []
            elif token.type == "alert_title_open":  # markdown-it's English title (Note): not the article's
                j += 3
                continue
            elif token.type == "inline":
                self.depth = self._body_depth + 1  # notes go into the template's paragraphs, beside the body
                parts.append(self.inline(token))
                self.depth = self._body_depth
            elif token.type in ("fence", "code_block"):  # a note is one <p>: its code goes inline
                parts.append(f"<code{self.state.style('code')}>{highlight(token.content, '', '')}</code>")
            elif token.type == "footnote_close":
                self.state.footnotes.append((number, " ".join(parts)))
            j += 1
        return j + 1

    # -- inline -------------------------------------------------------------------------
    def inline(self, token: Token) -> str:
        """The HTML of one inline token (a paragraph's, heading's or cell's text), inside an
        element at `self.depth`."""
        return self._inline(visible_children(token), token)

    def _inline(self, children: Sequence[Token], line: Token) -> str:
        """Inline elements open only while they fit inside WeChat's nesting limit; past it
        their text is written without the element (and the line of `line`, the inline token
        they belong to, noted as flattened)."""
        if len(children) == 1 and children[0].type == "text":  # most headings and many paragraphs
            return escape(children[0].content, quote=False)
        out: list[str] = []
        closes: list[tuple[str, int]] = []  # how each open element closes, and the levels it opened
        free = room(self.depth)  # elements that can still open here; a leaf needs 1
        s = self.state
        for index, child in enumerate(children):
            kind = child.type
            if kind == "text":
                out.append(escape(child.content, quote=False))
            elif kind == "softbreak":
                out.append(soft_break(children, index))
            elif kind == "hardbreak":
                out.append("<br>")
            elif kind == "code_inline":
                text = escape(child.content, quote=False)
                out.append(f"<code{s.style('code')}>{text}</code>" if free > 0 else self._flat(line, text))
            elif kind in ("strong_open", "em_open", "s_open") or kind == "link_open" and is_clickable(href := str(child.attrs.get("href", ""))):
                if free > 0:
                    free -= 1
                    if kind == "s_open":
                        out.append(f"<span{s.style('del')}>")
                        closes.append(("</span>", 1))
                    elif kind == "link_open":
                        out.append(f'<a href="{attr(href)}"{s.style("a")}>')
                        closes.append(("</a>", 1))
                    else:
                        out.append(f"<{child.tag}{s.style(child.tag)}>")
                        closes.append((f"</{child.tag}>", 1))
                else:
                    closes.append((self._flat(line, ""), 0))
            elif kind in ("strong_close", "em_close", "s_close", "link_close"):
                close, levels = closes.pop() if closes else ("", 0)
                free += levels
                out.append(close)
            elif kind == "link_open":
                href = str(child.attrs.get("href", ""))
                if is_external(href):
                    title = _link_text(children, index)
                    number = s.reference(href, "" if title == href else title)
                    closes.append((f"<sup{s.style('ref')}>[{number}]</sup>" if free > 0 else self._flat(line, f"[{number}]"), 0))
                else:
                    closes.append(("", 0))  # relative files, mailto: and the like: the text alone
            elif kind == "image":
                out.append(self._inline_image(child) if free > 0 else self._flat(line, escape(child.content, quote=False)))
            elif kind == "footnote_ref":
                number = int(child.meta["id"]) + 1
                out.append(f"<sup{s.style('ref')}>注{number}</sup>" if free > 0 else self._flat(line, f"(注{number})"))
            else:  # anything else: its text, escaped
                out.append(escape(child.content, quote=False))
        return "".join(out)

    def _flat(self, line: Token, text: str) -> str:
        """`text` written in place of an element that does not fit, its line noted."""
        self.state.flatten(_line(line))
        return text

    def _inline_image(self, image: Token) -> str:
        s = self.state
        src = s.image(image)
        if src is None:
            return escape(image.content, quote=False)
        return f'<img src="{attr(src)}" alt="{attr(image.content)}"{s.style("img")}>'


_BLOCK: dict[str, Handler] = {
    "paragraph_open": Renderer._paragraph,
    "inline": Renderer._inline_block,
    "heading_open": Renderer._heading_open,
    "heading_close": Renderer._heading_close,
    "blockquote_open": Renderer._blockquote_open,
    "bullet_list_open": Renderer._list_open,
    "ordered_list_open": Renderer._list_open,
    "blockquote_close": Renderer._container_close,
    "bullet_list_close": Renderer._container_close,
    "ordered_list_close": Renderer._container_close,
    "list_item_open": Renderer._list_item_open,
    "list_item_close": Renderer._container_close,
    "fence": Renderer._code,
    "code_block": Renderer._code,
    "hr": Renderer._hr,
    "table_open": Renderer._table,
    "alert_open": Renderer._alert_open,
    "alert_title_open": Renderer._alert_title_open,
    "alert_close": Renderer._container_close,
    "footnote_block_open": Renderer._footnotes,
}


def _link_text(children: Sequence[Token], index: int) -> str:
    """A link's text for its 参考链接 entry, on one line: its lines joined as the body shows
    them (Hello / World is "Hello World", not "HelloWorld")."""
    parts = []
    for j in range(index + 1, len(children)):
        child = children[j]
        if child.type == "link_close":
            break
        if child.type == "softbreak":
            parts.append(soft_break(children, j))
        elif child.type == "hardbreak":
            parts.append(" ")
        else:
            parts.append(child.content)
    return "".join(parts).strip()
