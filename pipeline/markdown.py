"""The one Markdown dialect of wxpub, shared by the linter and the renderer.

CommonMark with raw HTML off (WeChat strips it, and it is an XSS door), plus tables,
strikethrough, footnotes, task lists and GFM alerts (`> [!NOTE]`); the last two are
markdown-it-py's own rules (4.1+). Lint and render must parse alike, or a finding's line
would point at something the reader never sees.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin


@functools.cache
def parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.options["tasklists"] = True
    md.options["alerts"] = True
    md.use(footnote_plugin, inline=False)
    return md


WECHAT_ARTICLE_HOSTS = ("mp.weixin.qq.com",)


def is_clickable(url: str) -> bool:
    """Whether a link stays a link in WeChat: only articles on mp.weixin.qq.com do; the
    renderer turns every other one into a numbered reference, and lint says so."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in WECHAT_ARTICLE_HOSTS
