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
from urllib.parse import urlsplit

from markdown_it.token import Token

from pipeline.content import Bundle, Resolved
from pipeline.markdown import bundle_name, is_clickable, is_external, is_figure, soft_break, visible_children
from pipeline.render.highlight import highlight
from pipeline.render.themes import Alert, Theme

_IMAGE_SCHEMES = ("", "http", "https")  # a bundle file or a web image; data: and the like never
TASK_DONE, TASK_TODO = "☑", "☐"
TASK_LIST_CSS = "list-style: none; padding-left: 4px"


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
    image_url: Callable[[str], str]
    files: Bundle  # the article's files: whether a local image exists is the resolver's answer
    references: dict[str, int] = field(default_factory=dict)  # url -> number, in order of first use
    reference_titles: dict[str, str] = field(default_factory=dict)
    footnotes: list[tuple[int, str]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # web URLs and bundle file names it serves, in order
    # which of `images` are bundle files (to upload): decided here, by the scheme the renderer saw,
    # not guessed later from the name (`HTTPS://x` is a web URL, a file `https:/x` is not)
    bundle_images: list[str] = field(default_factory=list)
    refused: list[Resolved] = field(default_factory=list)  # local images the resolver refuses

    def __post_init__(self) -> None:
        self._styles = _style_cache(self.theme)

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
        cannot be shown. The hook gets a local image's file name as lint and the publisher
        read it (markdown.bundle_name: decoded once); `images` lists it only when the bundle
        serves it, `refused` otherwise (so the publisher never asks for it)."""
        target = str(token.attrs.get("src", ""))
        scheme = urlsplit(target).scheme.lower()
        if scheme not in _IMAGE_SCHEMES:
            return None
        if scheme:
            self.images.append(target)
            return self.image_url(target)
        name = bundle_name(target)
        resolved = self.files.resolve(name)
        if resolved.name is None:
            self.refused.append(resolved)
        else:
            self.images.append(name)
            self.bundle_images.append(name)
        return self.image_url(name)


Handler = Callable[["Renderer", Sequence[Token], int, list[str]], int]


class Renderer:
    """Walks the block tokens; `render` returns the body HTML."""

    def __init__(self, state: RenderState) -> None:
        self.state = state
        self._pending_task = ""  # the box of a task item, written before its first text
        self._alert: Alert | None = None  # the alert being rendered, for its title

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
        return i + 1

    def _close_line(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        out.append(f"</{tokens[i].tag}>\n")  # a block, a list item or a table row: one a line, for diffs
        return i + 1

    def _close(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        out.append(f"</{tokens[i].tag}>")
        return i + 1

    def _open(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        out.append(f"<{tokens[i].tag}>")  # thead, tbody, tr: styled through their cells
        return i + 1

    def _container_open(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        tag = tokens[i].tag  # blockquote, ul
        # A task list shows its ☑/☐ boxes as text, so it needs no bullets beside them
        extra = TASK_LIST_CSS if "contains-task-list" in str(tokens[i].attrs.get("class", "")) else ""
        out.append(f"<{tag}{self.state.style(tag, extra)}>")
        return i + 1

    def _ordered_list_open(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        start = tokens[i].attrs.get("start")
        extra = f' start="{attr(str(start))}"' if start not in (None, 1) else ""
        out.append(f"<ol{self.state.style('ol')}{extra}>")
        return i + 1

    def _list_item_open(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        s = self.state
        out.append(f"<li{s.style('li')}>")
        checked = tokens[i].meta.get("checked")
        if checked is not None:  # a task: the box is text, WeChat drops <input>
            box = TASK_DONE if checked else TASK_TODO
            self._pending_task = f"<span{s.style('task')}>{box}</span> "
        return i + 1

    def _code(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        s, token = self.state, tokens[i]
        language = token.info.strip() if token.type == "fence" else ""
        html = highlight(token.content, language, s.theme.code_style)
        out.append(f"<section{s.style('code_block')}><pre{s.style('pre')}><code>{html}</code></pre></section>\n")
        return i + 1

    def _hr(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        out.append(f"<section{self.state.style('hr')}></section>\n")
        return i + 1

    def _table_open(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        s = self.state
        out.append(f"<section{s.style('table_wrap')}><table{s.style('table')}>")
        return i + 1

    def _table_close(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        out.append("</table></section>\n")
        return i + 1

    def _cell_open(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        token = tokens[i]
        align = str(token.attrs.get("style", ""))  # markdown-it: text-align:left|center|right
        out.append(f"<{token.tag}{self.state.style(token.tag, align.replace(':', ': '))}>")
        return i + 1

    def _alert_open(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        s = self.state
        alert = s.theme.alerts[str(tokens[i].meta.get("kind", "NOTE")).upper()]
        colours = f"border-left-color: {alert.color}; background-color: {alert.background}"
        out.append(f"<section{s.style('alert', colours)}>")
        self._alert = alert
        return i + 1

    def _alert_title_open(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        s = self.state
        alert = self._alert or s.theme.alerts["NOTE"]
        out.append(f"<p{s.style('alert_title', f'color: {alert.color}')}>{escape(alert.title)}</p>\n")
        return i + 3  # skip markdown-it's English title text and the close

    def _alert_close(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        out.append("</section>\n")
        return i + 1

    def _paragraph(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        inline = tokens[i + 1]
        children = visible_children(inline)
        hidden = tokens[i].hidden  # tight list items: no <p>
        if is_figure(inline, children):
            out.extend(self._figure(child) for child in children if child.type == "image")
            return i + 3
        body = self._inline(children)
        if not body.strip() and not self._pending_task:
            return i + 3  # e.g. a line holding only a suppression comment
        prefix, self._pending_task = self._pending_task, ""
        out.append(prefix + body if hidden else f"<p{self.state.style('p')}>{prefix}{body}</p>\n")
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
                parts.append(self.inline(token))
            elif token.type in ("fence", "code_block"):  # a note is one <p>: its code goes inline
                parts.append(f"<code{self.state.style('code')}>{highlight(token.content, '', '')}</code>")
            elif token.type == "footnote_close":
                self.state.footnotes.append((number, " ".join(parts)))
            j += 1
        return j + 1

    # -- inline -------------------------------------------------------------------------
    def inline(self, token: Token) -> str:
        """The HTML of one inline token (a paragraph's, heading's or cell's text)."""
        return self._inline(visible_children(token))

    def _inline(self, children: Sequence[Token]) -> str:
        out: list[str] = []
        link_stack: list[str] = []  # how each open link closes
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
                out.append(f"<code{s.style('code')}>{escape(child.content, quote=False)}</code>")
            elif kind in ("strong_open", "em_open"):
                out.append(f"<{child.tag}{s.style(child.tag)}>")
            elif kind in ("strong_close", "em_close"):
                out.append(f"</{child.tag}>")
            elif kind == "s_open":
                out.append(f"<span{s.style('del')}>")
            elif kind == "s_close":
                out.append("</span>")
            elif kind == "link_open":
                out.append(self._link_open(child, children, index, link_stack))
            elif kind == "link_close":
                out.append(link_stack.pop() if link_stack else "")
            elif kind == "image":
                out.append(self._inline_image(child))
            elif kind == "footnote_ref":
                out.append(f"<sup{s.style('ref')}>注{int(child.meta['id']) + 1}</sup>")
            else:  # anything else: its text, escaped
                out.append(escape(child.content, quote=False))
        return "".join(out)

    def _inline_image(self, image: Token) -> str:
        s = self.state
        src = s.image(image)
        if src is None:
            return escape(image.content, quote=False)
        return f'<img src="{attr(src)}" alt="{attr(image.content)}"{s.style("img")}>'

    def _link_open(self, token: Token, children: Sequence[Token], index: int, stack: list[str]) -> str:
        s = self.state
        href = str(token.attrs.get("href", ""))
        if is_clickable(href):
            stack.append("</a>")
            return f'<a href="{attr(href)}"{s.style("a")}>'
        if is_external(href):
            title = _link_text(children, index)
            number = s.reference(href, "" if title == href else title)
            stack.append(f"<sup{s.style('ref')}>[{number}]</sup>")
            return ""
        stack.append("")  # relative files, mailto: and the like: the text alone
        return ""


_BLOCK: dict[str, Handler] = {
    "paragraph_open": Renderer._paragraph,
    "inline": Renderer._inline_block,
    "heading_open": Renderer._heading_open,
    "heading_close": Renderer._close_line,
    "blockquote_open": Renderer._container_open,
    "bullet_list_open": Renderer._container_open,
    "ordered_list_open": Renderer._ordered_list_open,
    "blockquote_close": Renderer._close_line,
    "bullet_list_close": Renderer._close_line,
    "ordered_list_close": Renderer._close_line,
    "list_item_open": Renderer._list_item_open,
    "list_item_close": Renderer._close_line,
    "fence": Renderer._code,
    "code_block": Renderer._code,
    "hr": Renderer._hr,
    "table_open": Renderer._table_open,
    "table_close": Renderer._table_close,
    "thead_open": Renderer._open,
    "tbody_open": Renderer._open,
    "tr_open": Renderer._open,
    "thead_close": Renderer._close,
    "tbody_close": Renderer._close,
    "tr_close": Renderer._close_line,
    "th_open": Renderer._cell_open,
    "td_open": Renderer._cell_open,
    "th_close": Renderer._close,
    "td_close": Renderer._close,
    "alert_open": Renderer._alert_open,
    "alert_title_open": Renderer._alert_title_open,
    "alert_close": Renderer._alert_close,
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
