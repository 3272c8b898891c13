"""Render an article bundle into the HTML that goes into a WeChat draft's `content`.

`render_article` is the one entry point: the publisher passes `image_url` to swap each
body image's bundle path for its uploaded URL; previews pass a function that points at the
local file. Everything else (theme, byline, references) comes from the article and policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Callable

from markupsafe import Markup

from pipeline.content import Article, Resolved
from pipeline.markdown import parser
from pipeline.policies import Policies
from pipeline.render.html import Renderer, RenderState
from pipeline.render.themes import DEFAULT_THEME, Theme, load_theme


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
    refused: tuple[Resolved, ...]  # local body images the resolver refuses (outside, symlink, missing)
    references: tuple[Reference, ...]
    content_source_url: str  # 阅读原文: read_more, or a repost's source
    theme: str


def theme_for(article: Article, policies: Policies, override: str | None = None) -> Theme:
    account = policies.accounts.get(article.account)
    name = override or (account.theme if account else DEFAULT_THEME)
    return load_theme(policies.files, name)


def render_article(article: Article, policies: Policies, *, image_url: Callable[[str], str] = str,
                   theme: str | None = None) -> RenderedArticle:
    fm = article.front_matter
    chosen = theme_for(article, policies, theme)
    state = RenderState(chosen, image_url, article.files)
    source = fm.get("source") if isinstance(fm.get("source"), dict) else None
    source_ref = state.reference(str(source["url"]), str(source["name"])) if source else 0  # the repost's link first
    body = Renderer(state).render(parser().parse(article.body))
    account = policies.accounts.get(article.account)
    department = policies.departments.get(str(fm.get("department", "")))
    references = tuple(Reference(n, url, state.reference_titles[url]) for url, n in state.references.items())
    html = chosen.template.render(
        article={
            "title": fm.get("title", ""), "author": fm.get("author", ""),
            "department": department.name if department else fm.get("department", ""),
            "account": account.name if account else article.account, "category": fm.get("category", ""),
            "original": fm.get("original") is True, "source_name": source["name"] if source else "",
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
        refused=tuple(dict.fromkeys(state.refused)),
        references=references,
        content_source_url=str(fm.get("read_more") or (source["url"] if source else "")),
        theme=chosen.name,
    )
