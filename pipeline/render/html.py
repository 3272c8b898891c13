"""Markdown tokens to WeChat article HTML, one small function per token type.

Styles come from the theme as inline `style` attributes set while rendering each token,
never by rewriting HTML afterwards. Only tags WeChat keeps are written; `class` and `id`
never are. External links cannot be clicked in WeChat (only mp.weixin.qq.com articles
can), so they become text with a numbered reference listed once per URL at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from typing import Callable, Sequence
from urllib.parse import urlsplit

from markdown_it.token import Token

from pipeline.render.highlight import highlight
from pipeline.render.themes import Alert, Theme

WECHAT_ARTICLE_HOSTS = ("mp.weixin.qq.com",)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
TASK_DONE, TASK_TODO = "☑", "☐"


def attr(value: str) -> str:
    return escape(value, quote=True)


@dataclass
class RenderState:
    """What one render collects on the way: numbered references, footnotes, images."""

    theme: Theme
    image_url: Callable[[str], str]
    references: dict[str, int] = field(default_factory=dict)  # url -> number, in order of first use
    reference_titles: dict[str, str] = field(default_factory=dict)
    footnotes: list[tuple[int, str]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # image targets as written, in order

    def reference(self, url: str, title: str = "") -> int:
        if url not in self.references:
            self.references[url] = len(self.references) + 1
            self.reference_titles[url] = title
        return self.references[url]

    def style(self, key: str, extra: str = "") -> str:
        css = "; ".join(part for part in (self.theme.style(key), extra) if part)
        return f' style="{attr(css)}"' if css else ""


def is_clickable(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in WECHAT_ARTICLE_HOSTS


def is_external(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


class Renderer:
    """Walks the block tokens; `render` returns the body HTML."""

    def __init__(self, state: RenderState) -> None:
        self.state = state
        self._pending_task = ""  # the box of a task item, written before its first text
        self._alert: Alert | None = None  # the alert being rendered, for its title

    def render(self, tokens: Sequence[Token]) -> str:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            i = self._block(tokens, i, out)
        return "".join(out)

    # -- blocks -------------------------------------------------------------------------
    def _block(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        token = tokens[i]
        kind = token.type
        s = self.state
        if kind == "paragraph_open":
            return self._paragraph(tokens, i, out)
        if kind == "inline":
            out.append(self.inline(token.children or []))
        elif kind == "heading_open":
            out.append(f"<{token.tag}{s.style(token.tag)}>")
        elif kind == "heading_close":
            out.append(f"</{token.tag}>\n")
        elif kind in ("blockquote_open", "bullet_list_open", "ordered_list_open"):
            tag = {"blockquote_open": "blockquote", "bullet_list_open": "ul", "ordered_list_open": "ol"}[kind]
            start = token.attrs.get("start")
            extra = f' start="{attr(str(start))}"' if tag == "ol" and start not in (None, 1) else ""
            out.append(f"<{tag}{s.style(tag)}{extra}>")
        elif kind in ("blockquote_close", "bullet_list_close", "ordered_list_close"):
            out.append(f"</{token.tag}>\n")
        elif kind == "list_item_open":
            out.append(f"<li{s.style('li')}>")
            checked = token.meta.get("checked")
            if checked is not None:  # a task: the box is text, WeChat drops <input>
                box = TASK_DONE if checked else TASK_TODO
                self._pending_task = f"<span{s.style('task')}>{box}</span> "
        elif kind == "list_item_close":
            out.append("</li>")
        elif kind in ("fence", "code_block"):
            out.append(self._code(token))
        elif kind == "hr":
            out.append(f"<section{s.style('hr')}></section>\n")
        elif kind == "table_open":
            out.append(f"<section{s.style('table_wrap')}><table{s.style('table')}>")
        elif kind == "table_close":
            out.append("</table></section>\n")
        elif kind in ("thead_open", "tbody_open", "tr_open", "thead_close", "tbody_close", "tr_close"):
            out.append(f"<{'/' if kind.endswith('_close') else ''}{token.tag}>")
        elif kind in ("th_open", "td_open"):
            align = str(token.attrs.get("style", ""))  # markdown-it: text-align:left|center|right
            out.append(f"<{token.tag}{s.style(token.tag, align.replace(':', ': '))}>")
        elif kind in ("th_close", "td_close"):
            out.append(f"</{token.tag}>")
        elif kind == "alert_open":
            alert = s.theme.alerts[str(token.meta.get("kind", "NOTE")).upper()]
            colours = f"border-left-color: {alert.color}; background-color: {alert.background}"
            out.append(f"<section{s.style('alert', colours)}>")
            self._alert = alert
        elif kind == "alert_title_open":
            alert = self._alert or s.theme.alerts["NOTE"]
            out.append(f"<p{s.style('alert_title', f'color: {alert.color}')}>{escape(alert.title)}</p>")
            return i + 3  # skip markdown-it's English title text and the close
        elif kind == "alert_close":
            out.append("</section>\n")
        elif kind == "footnote_block_open":
            return self._footnotes(tokens, i)
        elif kind.endswith("_open") or kind.endswith("_close"):
            pass  # a container we do not style: keep its content, drop the tag
        return i + 1

    def _paragraph(self, tokens: Sequence[Token], i: int, out: list[str]) -> int:
        inline = tokens[i + 1]
        children = inline.children or []
        hidden = tokens[i].hidden  # tight list items: no <p>
        if _only_images(children):
            out.extend(self._figure(child) for child in children if child.type == "image")
            return i + 3
        body = self.inline(children)
        if not body.strip() and not self._pending_task:
            return i + 3  # e.g. a line holding only a suppression comment
        prefix, self._pending_task = self._pending_task, ""
        out.append(prefix + body if hidden else f"<p{self.state.style('p')}>{prefix}{body}</p>\n")
        return i + 3

    def _code(self, token: Token) -> str:
        s = self.state
        language = token.info.strip() if token.type == "fence" else ""
        html = highlight(token.content, language, s.theme.code_style)
        return f"<section{s.style('code_block')}><pre{s.style('pre')}><code>{html}</code></pre></section>\n"

    def _figure(self, image: Token) -> str:
        s = self.state
        target = str(image.attrs.get("src", ""))
        s.images.append(target)
        alt = image.content
        caption = f"<figcaption{s.style('figcaption')}>{escape(alt)}</figcaption>" if alt else ""
        return (f'<figure{s.style("figure")}><img src="{attr(s.image_url(target))}" alt="{attr(alt)}"'
                f'{s.style("img")}>{caption}</figure>\n')

    def _footnotes(self, tokens: Sequence[Token], i: int) -> int:
        """Collect footnote bodies for the template's 注释 list; nothing is written in place."""
        j, number = i + 1, 0
        parts: list[str] = []
        while tokens[j].type != "footnote_block_close":
            token = tokens[j]
            if token.type == "footnote_open":
                number, parts = int(token.meta["id"]) + 1, []
            elif token.type == "inline":
                parts.append(self.inline(token.children or []))
            elif token.type == "footnote_close":
                self.state.footnotes.append((number, " ".join(parts)))
            j += 1
        return j + 1

    # -- inline -------------------------------------------------------------------------
    def inline(self, children: Sequence[Token]) -> str:
        out: list[str] = []
        link_stack: list[str] = []  # how each open link closes
        s = self.state
        for index, child in enumerate(children):
            kind = child.type
            if kind == "text":
                out.append(escape(_HTML_COMMENT.sub("", child.content), quote=False))
            elif kind == "softbreak":
                out.append(_soft_break(children, index))
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
                s.images.append(str(child.attrs.get("src", "")))
                out.append(f'<img src="{attr(s.image_url(str(child.attrs.get("src", ""))))}" '
                           f'alt="{attr(child.content)}"{s.style("img")}>')
            elif kind == "footnote_ref":
                out.append(f"<sup{s.style('ref')}>注{int(child.meta['id']) + 1}</sup>")
            else:  # anything else: its text, escaped
                out.append(escape(child.content, quote=False))
        return "".join(out)

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


def _only_images(children: Sequence[Token]) -> bool:
    kinds = {c.type for c in children if not (c.type == "text" and not c.content.strip())}
    return bool(kinds) and kinds <= {"image", "softbreak"} and "image" in kinds


def _link_text(children: Sequence[Token], index: int) -> str:
    parts = []
    for child in children[index + 1:]:
        if child.type == "link_close":
            break
        parts.append(child.content)
    return "".join(parts).strip()


def _soft_break(children: Sequence[Token], index: int) -> str:
    """A line break inside a paragraph: a space between Latin words, nothing between Chinese."""
    before = children[index - 1].content[-1:] if index > 0 else ""
    after = children[index + 1].content[:1] if index + 1 < len(children) else ""
    return "" if _CJK.match(before) or _CJK.match(after) else " "
