"""Render an article bundle into the HTML that goes into a WeChat draft's `content`.

`render_article` is the one entry point: the publisher passes `image_url` to swap each
body image's bundle path for its uploaded URL; previews pass a function that embeds the
bundle file. The hook is told whether an image is a bundle file or a web image (ImageSource):
the renderer decides that once, and the publisher uploads exactly the bundle files it named. Everything else (theme, byline, references) comes from the article and policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Callable, Iterator, Sequence

import jinja2
from markdown_it.token import Token
from markupsafe import Markup

from pipeline.content import Article, Resolved
from pipeline.errors import UserError
from pipeline.markdown import DROPPED_HINT, DROPPED_TEXT, parse
from pipeline.policies import Policies
from pipeline.render.check import Element
from pipeline.render.check import parse as parse_html
from pipeline.render.html import ImageSource, Renderer, RenderState, as_written
from pipeline.render.themes import DEFAULT_THEME, THEMES_DIR, Theme, load_theme


@dataclass(frozen=True)
class Reference:
    number: int
    url: str
    title: str


@dataclass(frozen=True)
class RenderedArticle:
    """What the publisher needs from one article: the draft's fields and the files to upload."""

    path: PurePosixPath  # index.md
    title: str
    author: str
    digest: str
    content: str  # the HTML for the draft's `content`
    cover: str  # the cover's file name in the bundle
    images: tuple[str, ...]  # body images to upload, in order: web URLs, and bundle files the resolver serves
    bundle_images: tuple[str, ...]  # those of `images` that are bundle files, the ones to upload
    refused: tuple[Resolved, ...]  # local body images the resolver refuses (outside, symlink, missing)
    references: tuple[Reference, ...]
    flattened: tuple[int, ...]  # 0-based body lines flattened to stay within WeChat's nesting limit (lint: RENDER003)
    content_source_url: str  # 阅读原文: read_more, or a repost's source
    theme: str


def theme_for(article: Article, policies: Policies, override: str | None = None) -> Theme:
    account = policies.accounts.get(article.account)
    name = override or (account.theme if account else DEFAULT_THEME)
    return load_theme(policies.files, name)


def render_article(article: Article, policies: Policies, *, image_url: Callable[[ImageSource], str] = as_written,
                   theme: str | None = None, tokens: Sequence[Token] | None = None) -> RenderedArticle:
    """`tokens`: the body already parsed (the linter has it; the renderer only reads them)."""
    fm = article.front_matter
    chosen = theme_for(article, policies, theme)
    state = RenderState(chosen, image_url, article.files)
    source = fm.get("source") if isinstance(fm.get("source"), dict) else None
    source_url, source_name = (str(source.get("url") or ""), str(source.get("name") or "")) if source else ("", "")
    source_ref = state.reference(source_url, source_name) if source_url else 0  # the repost's link first
    renderer = Renderer(state, around=_elements_around_body(chosen))
    body = renderer.render(tokens if tokens is not None else _all_of(article))
    account = policies.accounts.get(article.account)
    department = policies.departments.get(str(fm.get("department", "")))
    references = tuple(Reference(n, url, state.reference_titles[url]) for url, n in state.references.items())
    html = _fill_template(
        chosen,
        article={
            "title": fm.get("title", ""), "author": fm.get("author", ""),
            "department": department.name if department else fm.get("department", ""),
            "account": account.name if account else article.account, "category": fm.get("category", ""),
            "original": fm.get("original") is True, "source_name": source_name,
            "source_ref": source_ref,
        },
        body=Markup(body),
        footnotes=[{"number": n, "html": Markup(text)} for n, text in state.footnotes],
        references=references,
        footer=account.footer if account else "",
        style=chosen.style,
    )
    return RenderedArticle(
        path=article.path,
        title=str(fm.get("title", "")),
        author=str(fm.get("author", "")),
        digest=str(fm.get("digest", "")),
        content=html.strip(),
        cover=str(fm.get("cover", "")),
        images=tuple(dict.fromkeys(state.images)),
        bundle_images=tuple(dict.fromkeys(state.bundle_images)),
        refused=tuple(dict.fromkeys(state.refused)),
        references=references,
        flattened=tuple(state.flattened),
        content_source_url=str(fm.get("read_more") or source_url),
        theme=chosen.name,
    )


_BODY_MARK = "wxpub-body-mark"
_AROUND_BODY: dict[int, tuple[Theme, int]] = {}  # per theme object, as html.py caches styles


def _elements_around_body(theme: Theme) -> int:
    """How many elements the theme's template opens around `{{ body }}` (the shipped ones: its
    article <section>). WeChat counts nesting from the page, so a school's template that wraps
    the body deeper leaves the body less room (pipeline/render/nesting.py)."""
    entry = _AROUND_BODY.get(id(theme))
    if entry is None or entry[0] is not theme:
        if len(_AROUND_BODY) >= 16:
            _AROUND_BODY.clear()
        page = _fill_template(theme, article={"title": "", "author": "", "department": "", "account": "", "category": "",
                                              "original": False, "source_name": "", "source_ref": 0},
                              body=Markup(f"<{_BODY_MARK}></{_BODY_MARK}>"), footnotes=[], references=(), footer="",
                              style=theme.style)
        marks = [element for element in parse_html(page).elements if element.tag == _BODY_MARK]
        around = len(list(_ancestors(marks[0]))) if marks else 1
        entry = _AROUND_BODY[id(theme)] = (theme, around)
    return entry[1]


def _ancestors(element: Element) -> Iterator[Element]:
    parent = element.parent
    while parent is not None and parent.parent is not None:  # the document root is not an element
        yield parent
        parent = parent.parent


def _all_of(article: Article) -> list[Token]:
    """The body's tokens, refusing a body markdown-it could not parse to its end: an article
    is published whole or not at all (lint reports the same line as BODY007)."""
    parsed = parse(article.body)
    if parsed.dropped_from is not None:
        raise UserError(DROPPED_TEXT, where=f"{article.path}:{article.body_line + parsed.dropped_from}", hint=DROPPED_HINT)
    return parsed.tokens


def _fill_template(theme: Theme, **values: object) -> str:
    """The theme's article.html.j2 filled in; a template a school edited wrongly (an unknown
    variable, a filter that fails) is its configuration problem, not a wxpub crash."""
    try:
        return theme.template.render(**values)
    except jinja2.TemplateError as exc:
        raise UserError(f"主题模板出错:{exc.message or type(exc).__name__}", where=f"{THEMES_DIR}/{theme.name}/article.html.j2",
                        hint="对照 themes/classic/article.html.j2 改正模板中的变量名和过滤器") from None
    except (MemoryError, OverflowError):
        # `'x'|center(1000000000000)`: the sandbox checks attributes, not sizes; the allocation
        # fails at once, so this is the template's problem to report, not a crash
        raise UserError("主题模板出错:模板要生成的内容大得无法放入内存", where=f"{THEMES_DIR}/{theme.name}/article.html.j2",
                        hint="检查模板中 center、indent、format 等过滤器的宽度参数") from None


# draft/add takes `content` under 20,000 characters and under 1 MB (../shared/WECHAT_API.md)
MAX_CONTENT_CHARS, MAX_CONTENT_BYTES = 20_000, 1024 * 1024


# What the publisher adds to the content later: its attempt marker, data-wxpub="<attempt>.<index>"
# (pipeline/sending.py), which the linter's measure must leave room for
PUBLISH_MARK_CHARS = 40


def content_too_long(html: str, *, reserve: int = 0) -> str:
    """Why WeChat would refuse this draft content as too long (Chinese), or "" when it fits,
    with `reserve` more characters still to come. The linter asks before review and the
    publisher again with the real image URLs and its marker."""
    chars, size = len(html) + reserve, len(html.encode()) + reserve
    if chars < MAX_CONTENT_CHARS and size < MAX_CONTENT_BYTES:
        return ""
    return (f"渲染后的 HTML 有 {chars} 字符({size // 1024} KB),微信要求少于 {MAX_CONTENT_CHARS} 字符且小于 1 MB"
            "(多为过长的代码块、表格或列表);请精简或拆分为多篇")
