"""What WeChat does to an article's HTML when a draft is saved.

WECHAT_API.md: "Any <img> in content whose src is not such a URL [media/uploadimg's] is
dropped" and "scripts removed". We rewrite with html.parser and keep every other tag's
source text as it came, so a test can compare what it sent with what was stored.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Callable
from urllib.parse import urlsplit


class _Cleaner(HTMLParser):
    def __init__(self, image_allowed: Callable[[str], bool]) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.text: list[str] = []
        self.removed_images: list[str] = []
        self._image_allowed = image_allowed
        self._in_script = False

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        if tag == "script":
            self._in_script = not closed
            return
        if tag == "img":
            src = dict(attrs).get("src") or ""
            if not self._image_allowed(src):
                self.removed_images.append(src)
                return
        if any(_is_script_attr(name, value) for name, value in attrs):
            kept = [(n, v) for n, v in attrs if not _is_script_attr(n, v)]
            text = "".join(f' {n}="{html.escape(v, quote=True)}"' if v is not None else f" {n}" for n, v in kept)
            self.out.append(f"<{tag}{text}{' /' if closed else ''}>")
            return
        self.out.append(self.get_starttag_text() or "")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closed=True)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        elif tag != "img":
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self._in_script:
            self.out.append(data)
            self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if not self._in_script:
            self.out.append(f"&{name};")
            self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        if not self._in_script:
            self.out.append(f"&#{name};")
            self.text.append(html.unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")


def _is_script_attr(name: str, value: str | None) -> bool:
    """Event handlers and javascript: URLs are scripts too."""
    return name.startswith("on") or (value or "").strip().lower().startswith("javascript:")


def clean_content(content: str, image_allowed: Callable[[str], bool]) -> tuple[str, list[str]]:
    """The content as WeChat stores it, and the src of every <img> it dropped."""
    cleaner = _Cleaner(image_allowed)
    cleaner.feed(content)
    cleaner.close()
    return "".join(cleaner.out), cleaner.removed_images


def plain_text(content: str) -> str:
    """The visible text of `content` (for the digest WeChat makes when none is given)."""
    cleaner = _Cleaner(lambda _src: True)
    cleaner.feed(content)
    cleaner.close()
    return " ".join("".join(cleaner.text).split())


def url_key(url: str) -> tuple[str, str]:
    """(host, path) of a URL: WeChat's image URLs work over http and https and with any
    query (`?wx_fmt=png`), so those parts do not decide whether an image is ours."""
    parts = urlsplit(url.strip())
    return parts.netloc.lower(), parts.path
