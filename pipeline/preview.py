"""Phone previews: one standalone HTML page showing an article the way WeChat shows it.

The page puts a 375 px phone (an iPhone's CSS width, the size most editors check on)
twice side by side, in light and in dark mode. Each shows the subscription feed first
(the cover cropped at 2.35:1 as a headline, at 1:1 as a secondary article and in a chat
share card, with the title and digest) and then the article page: title, the meta line
WeChat writes (原创, author, account, date), and `render_article`'s HTML unchanged.

Dark mode is emulated in Python, without scripts or CSS filters: the article's inline
`style` colours are recomputed the way WeChat's dark mode treats them (light backgrounds
become dark greys keeping their hue, dark text becomes light, accents stay recognisable).

Images are embedded as data: URIs so the page works opened from disk, from an artifact
zip and from `wxpub serve` alike, and never reads a file outside the article's bundle.
The page is for people only: it may use <style> and classes, WeChat never sees it.
"""

from __future__ import annotations

import base64
import colorsys
import datetime
import math
import re
from dataclasses import dataclass
from html import escape, unescape
from typing import Callable, Sequence
from urllib.parse import quote

from pipeline.content import BUNDLE_NAME, Article, Bundle
from pipeline.lint.document import without_comments
from pipeline.markdown import parse
from pipeline.policies import Policies
from pipeline.render import RenderedArticle, render_article, theme_for
from pipeline.render.html import ImageSource

PHONE_WIDTH = 375  # CSS pixels: iPhone 6-8/X/11 Pro/12 mini/SE 2, the common reference
MAX_EMBED_BYTES = 10 * 1024 * 1024  # WeChat's own cap for a permanent image
# All images of one page together: a data: URI is repeated wherever the body shows the image, so
# a 2 MB photo named 2,000 times in a 26 KB index.md made a page of gigabytes (and used them twice)
MAX_PAGE_IMAGE_BYTES = 64 * 1024 * 1024
DIGEST_FALLBACK_CHARS = 54  # WeChat takes about this many characters of the body when digest is empty
DEFAULT_TIME = "12:00"

# WeChat's dark palette (its article page and message list in dark mode).
DARK_PAGE_LIGHTNESS = 0.098  # #191919, the article page background


# -- file names -----------------------------------------------------------------------------
def preview_file_name(article: Article) -> str:
    """`<account>--<department>--<bundle>.html`: unique, and sorts by account then department."""
    return f"{article.account}--{article.department_dir}--{article.bundle.name}.html"


# -- images ---------------------------------------------------------------------------------
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def _sniff(data: bytes) -> str | None:
    """The image type from the content, never from the name (R20: names can lie)."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


_PLACEHOLDER = "data:image/svg+xml;charset=utf-8,"  # no picture wxpub embeds is an SVG (_MAGIC)


def placeholder(text: str, width: int = 343, height: int = 120) -> str:
    """An SVG data: URI with `text`, shown where an image cannot be: the reviewer sees why."""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
           f'<rect width="100%" height="100%" fill="#f2f2f2" stroke="#d0d0d0" stroke-dasharray="6 4"/>'
           f'<text x="50%" y="50%" fill="#999" font-size="14" text-anchor="middle" dominant-baseline="middle">'
           f'{escape(text)}</text></svg>')
    return _PLACEHOLDER + quote(svg, safe="")


def embed_image(files: Bundle, image: ImageSource) -> str:
    """A data: URI for an image of an article, as the renderer classified it: a web image
    becomes a placeholder (the page fetches nothing, and WeChat does not show it either); a
    bundle file, named as the renderer hands it over (decoded once, see markdown.bundle_name),
    is embedded, however much its name looks like a URL (`https:/x.jpg`): the publisher
    uploads that very file.

    The file is read only through the bundle's resolver; anything it refuses, and anything
    that is not an image, becomes a placeholder saying why, so a preview never reads outside
    the article and never breaks.
    """
    if not image.in_bundle:
        return placeholder("外链图片：微信中不会显示")
    target = image.name
    resolved = files.resolve(target)
    if resolved.problem == "missing":
        return placeholder(f"找不到图片：{target}")
    if resolved.problem == "not-a-file":
        return placeholder(f"不是图片文件：{target}")
    if resolved.problem == "ignored":
        return placeholder(f"图片被 Git 忽略，不会发布：{target}")
    if resolved.problem:  # outside, or through a symlink
        return placeholder(f"图片不在文章目录中：{target}")
    with files.open(target) as handle:
        if handle.seek(0, 2) > MAX_EMBED_BYTES:
            return placeholder(f"图片过大：{target}")
        handle.seek(0)
        data = handle.read()
    mime = _sniff(data)
    if mime is None:
        return placeholder(f"不是图片文件：{target}")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def bundle_image_url(files: Bundle) -> Callable[[ImageSource], str]:
    """The `image_url` hook for render_article: each distinct image read and encoded once
    (by kind and name: the web image `https:/x.jpg` is not the bundle file of that name)."""
    cache: dict[ImageSource, str] = {}
    embedded = 0  # characters of data: URIs on the page so far

    def image_url(image: ImageSource) -> str:
        nonlocal embedded
        if image not in cache:
            cache[image] = embed_image(files, image)
        if embedded + len(cache[image]) > MAX_PAGE_IMAGE_BYTES:
            return placeholder("图片过多,预览中省略(发布时每张图片都会上传)")
        embedded += len(cache[image])
        return cache[image]

    return image_url


# -- dark mode ------------------------------------------------------------------------------
_STYLE_ATTR = re.compile(r'style="([^"]*)"')
_DECLARATION_SPLIT = re.compile(r";(?![^(]*\))")  # not inside url(...) or rgb(...)
_COLOUR = re.compile(r"#[0-9a-fA-F]{8}\b|#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3,4}\b|rgba?\([^)]*\)|\b[a-zA-Z]+\b")
_NAMED = {
    "white": (255, 255, 255), "black": (0, 0, 0), "gray": (128, 128, 128), "grey": (128, 128, 128),
    "silver": (192, 192, 192), "red": (255, 0, 0), "green": (0, 128, 0), "blue": (0, 0, 255),
    "orange": (255, 165, 0), "yellow": (255, 255, 0), "purple": (128, 0, 128), "navy": (0, 0, 128),
    "maroon": (128, 0, 0), "teal": (0, 128, 128), "olive": (128, 128, 0), "lightgray": (211, 211, 211),
    "lightgrey": (211, 211, 211), "darkgray": (169, 169, 169), "darkgrey": (169, 169, 169),
    "whitesmoke": (245, 245, 245), "gainsboro": (220, 220, 220), "pink": (255, 192, 203),
}
_TEXT_PROPERTIES = frozenset({"color", "-webkit-text-fill-color", "text-decoration-color", "caret-color"})
_BACKGROUND_PROPERTIES = frozenset({"background", "background-color", "background-image", "text-shadow"})
Rgba = tuple[int, int, int, float]


def _parse_colour(token: str) -> Rgba | None:
    token = token.strip().lower()
    if token in _NAMED:
        return (*_NAMED[token], 1.0)
    if token.startswith("#"):
        digits = token[1:]
        if len(digits) in (3, 4):
            digits = "".join(c * 2 for c in digits)
        alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1.0
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), alpha
    match = re.fullmatch(r"rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)", token)
    if not match:
        return None
    red, green, blue = (min(255, round(float(v))) for v in match.group(1, 2, 3))
    raw_alpha = match.group(4)
    alpha = 1.0 if raw_alpha is None else (float(raw_alpha[:-1]) / 100 if raw_alpha.endswith("%") else float(raw_alpha))
    return red, green, blue, alpha


def _format_colour(red: float, green: float, blue: float, alpha: float) -> str:
    r, g, b = (max(0, min(255, round(v * 255))) for v in (red, green, blue))
    if alpha >= 1:
        return f"#{r:02x}{g:02x}{b:02x}"
    return f"rgba({r}, {g}, {b}, {alpha:.2f})"


Hls = tuple[float, float]  # (lightness, saturation), both 0..1


def dark_text(lightness: float, saturation: float) -> Hls:
    """Dark text turns light (darker stays brighter, so emphasis survives); light text is
    dimmed to WeChat's dark-mode white, rgba(255,255,255,.8) on #191919."""
    if lightness < 0.6:
        return 0.82 - lightness / 0.6 * 0.27, saturation
    return min(lightness, 0.86), saturation


def dark_background(lightness: float, saturation: float) -> Hls:
    """Light backgrounds become dark greys just above the page (#191919): the lighter the
    original, the closer to the page; a pastel keeps a muted trace of its hue (at low
    lightness full saturation would glare). Already dark or saturated fills are only dimmed."""
    if lightness > 0.5:
        return DARK_PAGE_LIGHTNESS + 0.25 * math.sqrt((1 - lightness) / 0.5), saturation * 0.45
    return lightness * 0.8, saturation


def dark_border(lightness: float, saturation: float) -> Hls:
    """Light rules and frames become subtle dark lines; coloured accents keep their colour."""
    if lightness > 0.5:
        return DARK_PAGE_LIGHTNESS + 0.3 * math.sqrt((1 - lightness) / 0.5), saturation * 0.45
    return lightness, saturation


Mapping = Callable[[float, float], Hls]


def _recolour(token: str, mapping: Mapping) -> str:
    parsed = _parse_colour(token)
    if parsed is None:
        return token
    red, green, blue, alpha = parsed
    hue, lightness, saturation = colorsys.rgb_to_hls(red / 255, green / 255, blue / 255)
    new_lightness, new_saturation = mapping(lightness, saturation)
    return _format_colour(*colorsys.hls_to_rgb(hue, new_lightness, new_saturation), alpha)


def _mapping_for(prop: str) -> Mapping | None:
    if prop in _TEXT_PROPERTIES:
        return dark_text
    if prop in _BACKGROUND_PROPERTIES:
        return dark_background
    if prop.startswith("border") or prop.startswith("outline") or prop == "box-shadow":
        return dark_border
    return None


def dark_declarations(css: str) -> str:
    """One style attribute's declarations with every colour moved to its dark-mode value."""
    out: list[str] = []
    for declaration in _DECLARATION_SPLIT.split(css):
        prop, colon, value = declaration.partition(":")
        mapping = _mapping_for(prop.strip().lower())
        if colon and mapping is not None and "url(" not in value:
            value = _COLOUR.sub(lambda m: _recolour(m.group(0), mapping), value)
        out.append(f"{prop}{colon}{value}")
    return ";".join(out)


def dark_html(html: str) -> str:
    """`html` with every inline style recoloured for dark mode; tags and text untouched."""
    return _STYLE_ATTR.sub(lambda m: f'style="{escape(dark_declarations(unescape(m.group(1))))}"', html)


# -- what the page shows --------------------------------------------------------------------
@dataclass(frozen=True)
class Meta:
    """The facts around the content: feed card and WeChat's meta line."""

    account: str
    department: str
    date: str  # as WeChat writes it, 2026年9月7日
    time: str  # 12:10
    digest: str
    digest_is_fallback: bool
    original: bool
    source_name: str
    comments: str  # open | fans | closed
    theme_label: str


def publish_moment(article: Article) -> tuple[datetime.date | None, str]:
    """The date (publish_at, else the bundle's date) and time the feed shows."""
    raw = str(article.front_matter.get("publish_at") or "")
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2}))?", raw) or BUNDLE_NAME.match(article.bundle.name)
    if not match:
        return None, DEFAULT_TIME
    try:
        day = datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None, DEFAULT_TIME
    has_time = match.re.groups >= 5 and match.group(4) is not None
    return day, f"{int(match.group(4)):02d}:{match.group(5)}" if has_time else DEFAULT_TIME


def body_text(article: Article) -> str:
    """The body's plain text, for the digest WeChat makes when none is given."""
    pieces: list[str] = []
    for token in parse(article.body).tokens:
        if token.type == "inline":
            pieces.extend(c.content for c in token.children or [] if c.type in ("text", "code_inline"))
    # lint's linear comment remover: `<!--.*?-->` rescanned the rest for each unclosed `<!--`
    # (800 KB of them held the preview for over six minutes)
    return re.sub(r"\s+", " ", without_comments("".join(pieces))).strip()


def article_meta(article: Article, policies: Policies, rendered: RenderedArticle, theme_label: str) -> Meta:
    fm = article.front_matter
    account = policies.accounts.get(article.account)
    department = policies.departments.get(str(fm.get("department", "")))
    day, time = publish_moment(article)
    source = fm.get("source") if isinstance(fm.get("source"), dict) else None
    digest = rendered.digest.strip()
    return Meta(
        account=account.name if account else article.account,
        department=department.name if department else str(fm.get("department", "")),
        date=f"{day.year}年{day.month}月{day.day}日" if day else "",
        time=time,
        digest=digest or body_text(article)[:DIGEST_FALLBACK_CHARS],
        digest_is_fallback=not digest,
        original=fm.get("original") is True,
        source_name=str(source.get("name", "")) if source else "",
        comments=str(fm.get("comments", "open")),
        theme_label=theme_label,
    )


# -- the page -------------------------------------------------------------------------------
_ICON_CLOSE = ('<svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true"><path d="M3 3l12 12M15 3L3 15" '
               'stroke="currentColor" stroke-width="1.6" fill="none" stroke-linecap="round"/></svg>')
_ICON_BACK = ('<svg width="12" height="20" viewBox="0 0 12 20" aria-hidden="true"><path d="M10 2L2 10l8 8" '
              'stroke="currentColor" stroke-width="1.8" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>')
_ICON_MORE = ('<svg width="22" height="6" viewBox="0 0 22 6" aria-hidden="true"><circle cx="3" cy="3" r="2.2" fill="currentColor"/>'
              '<circle cx="11" cy="3" r="2.2" fill="currentColor"/><circle cx="19" cy="3" r="2.2" fill="currentColor"/></svg>')
_COMMENTS = {"open": "留言：所有人可留言", "fans": "留言：仅关注者可留言", "closed": "留言已关闭"}

PAGE_CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#e9e9ee;color:#1d1d1f;
  font-family:-apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Microsoft YaHei UI","Microsoft YaHei",
  "Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",Arial,sans-serif}
.top{max-width:900px;margin:0 auto;padding:20px 24px 4px}
.top h1{font-size:20px;line-height:1.4;margin:0 0 6px}
.top .facts{font-size:13px;line-height:1.7;color:#6e6e73;margin:0}
.top .facts span+span::before{content:"·";margin:0 6px;color:#b0b0b5}
.top .facts code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.top .note{font-size:12px;color:#8e8e93;margin:4px 0 0}
.live{display:inline-block;margin-left:8px;padding:0 8px;border-radius:10px;background:#07c160;color:#fff;font-size:12px;
  line-height:20px;vertical-align:middle}
.modes{display:flex;flex-wrap:wrap;justify-content:center;align-items:flex-start;gap:40px;padding:16px 24px 48px}
.mode{display:flex;flex-direction:column;align-items:center;gap:18px}
.mode-label{font-size:15px;font-weight:600;color:#3a3a3c;margin:0}
.screen-label{font-size:12px;color:#8e8e93;margin:0 0 -10px}
.device{padding:11px;border-radius:50px;background:#1c1c1e;box-shadow:0 10px 30px rgba(0,0,0,.18),inset 0 0 0 2px #3a3a3c}
.phone{width:375px;border-radius:40px;overflow:hidden;background:var(--page);color:var(--text);position:relative}
.mode-light{--page:#fff;--list:#ededed;--card:#fff;--text:rgba(0,0,0,.9);--sub:rgba(0,0,0,.5);--faint:rgba(0,0,0,.3);
  --link:#576b95;--line:rgba(0,0,0,.08);--tag:rgba(0,0,0,.05);--bar:#ededed;--bubble:#fff;--no-cover:#5c5c5c}
.mode-dark{--page:#191919;--list:#111;--card:#191919;--text:rgba(255,255,255,.8);--sub:rgba(255,255,255,.5);
  --faint:rgba(255,255,255,.3);--link:#7d90a9;--line:rgba(255,255,255,.08);--tag:rgba(255,255,255,.08);--bar:#111;
  --bubble:#2c2c2c;--no-cover:#b3b3b3}
.status{height:44px;display:flex;align-items:center;justify-content:space-between;padding:0 26px 0 32px;
  font-size:15px;font-weight:600;background:var(--bar)}
.article-phone .status{background:var(--page)}
.battery{width:25px;height:12px;border:1.5px solid currentColor;border-radius:4px;padding:1px;opacity:.85;position:relative}
.battery::before{content:"";display:block;height:100%;width:80%;background:currentColor;border-radius:1.5px}
.battery::after{content:"";position:absolute;right:-4px;top:3px;width:2px;height:4px;background:currentColor;border-radius:1px}
.nav{height:44px;display:flex;align-items:center;justify-content:space-between;padding:0 16px;background:var(--bar);
  font-size:17px;font-weight:500}
.article-phone .nav{background:var(--page)}
.nav .title{position:absolute;left:0;right:0;text-align:center;pointer-events:none}
.feed{background:var(--list);padding:4px 0 20px}
.feed .label{font-size:12px;color:var(--faint);text-align:center;margin:14px 0 8px}
.card{margin:0 8px;background:var(--card);border-radius:8px;overflow:hidden}
.card-head{display:flex;align-items:center;gap:8px;padding:12px 16px;font-size:14px;color:var(--sub)}
.avatar{width:24px;height:24px;border-radius:50%;background:#576b95;color:#fff;display:flex;align-items:center;
  justify-content:center;font-size:12px;flex:none}
.card-head .name{color:var(--text);font-weight:500}
.card-head .time{margin-left:auto;color:var(--faint);font-size:13px}
.cover{background-position:center;background-size:cover;background-repeat:no-repeat;background-color:var(--tag);
  display:flex;align-items:center;justify-content:center;overflow:hidden}
/* No cover picture: the crop says so in text a person can read at its own size (a picture
   holding the words would be scaled down to a 48 px square with them) */
.no-cover{font-size:14px;line-height:1.3;color:var(--no-cover);text-align:center;padding:0 2px;overflow-wrap:anywhere}
.crop-wide{width:100%;aspect-ratio:2.35/1}
.crop-square{width:60px;aspect-ratio:1/1;flex:none;border-radius:4px}
.card-title{font-size:17px;line-height:1.4;font-weight:600;color:var(--text);margin:12px 16px 0;
  display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.card-digest{font-size:14px;line-height:1.5;color:var(--sub);margin:6px 16px 14px;
  display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.row{display:flex;align-items:center;gap:12px;padding:14px 16px}
.row .row-title{flex:1;font-size:16px;line-height:1.45;color:var(--text);
  display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.row+.row{border-top:1px solid var(--line)}
.ghost{height:10px;border-radius:3px;background:var(--tag);margin:6px 0}
.chat{display:flex;justify-content:flex-end;gap:8px;padding:0 12px}
.bubble{width:250px;background:var(--bubble);border-radius:6px;padding:12px 12px 8px}
.bubble .b-title{font-size:16px;line-height:1.4;color:var(--text);margin:0 0 6px;
  display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.bubble .b-body{display:flex;gap:8px;align-items:flex-start}
.bubble .b-digest{flex:1;font-size:13px;line-height:1.5;color:var(--sub);
  display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden}
.bubble .crop-square{width:48px}
.bubble .b-from{border-top:1px solid var(--line);margin-top:8px;padding-top:6px;font-size:12px;color:var(--faint)}
.me{width:36px;height:36px;border-radius:4px;background:#9fb3c8;flex:none}
.rich_media_area_primary{padding:20px 16px 12px;background:var(--page)}
.rich_media_title{font-size:22px;line-height:1.4;font-weight:700;margin:0 0 14px;color:var(--text)}
.rich_media_meta_list{font-size:15px;line-height:20px;margin:0 0 22px;color:var(--faint);word-wrap:break-word}
.rich_media_meta_list>span{margin-right:8px}
.meta_tag{display:inline-block;padding:0 4px;font-size:12px;line-height:18px;border-radius:2px;background:var(--tag);
  color:var(--faint);vertical-align:1px}
.meta_nickname{color:var(--link)}
/* WeChat's own rules for article content: everything fits the column, long words wrap.
   It also clips the content (overflow:hidden); the preview does not, so a too-wide element
   shows up here instead of being silently cut off on the phone. */
.rich_media_content{color:var(--text);font-size:17px;line-height:1.6;text-align:justify;word-wrap:break-word;
  position:relative;z-index:0}
.rich_media_content *{max-width:100%!important;box-sizing:border-box!important;word-wrap:break-word!important}
.rich_media_content img{height:auto!important}
.tail{padding:16px 16px 28px;font-size:15px;background:var(--page)}
.tail .read-more{color:var(--link)}
.tail .comments{margin-top:18px;padding-top:14px;border-top:1px solid var(--line);color:var(--faint);font-size:14px}
.home{height:30px;display:flex;align-items:center;justify-content:center;background:var(--page)}
.home::before{content:"";width:134px;height:5px;border-radius:3px;background:var(--text);opacity:.6}
.index{max-width:900px;margin:0 auto;padding:8px 24px 48px}
.index h2{font-size:15px;color:#3a3a3c;margin:24px 0 8px}
.index ul{list-style:none;margin:0;padding:0;background:#fff;border-radius:10px;overflow:hidden}
.index li{padding:12px 16px;border-top:1px solid #eee}
.index li:first-child{border-top:0}
.index a{color:#1d1d1f;text-decoration:none;font-size:16px;font-weight:500}
.index a:hover{color:#576b95}
.index .sub{font-size:13px;color:#8e8e93;margin-top:2px}
.index .problem{font-size:13px;color:#c0392b;margin-top:2px;white-space:pre-wrap}
.top,.index{overflow-wrap:anywhere}
/* A screen narrower than the framed phone and its margins (a reviewer on a phone): the page
   becomes the phone, as wide as the screen, so nothing scrolls sideways */
@media (max-width: 444px){
  .top{padding:16px 12px 4px}
  .index{padding:8px 12px 40px}
  .modes{padding:12px 0 32px;gap:28px}
  .mode{width:100%}
  .device{width:100%;padding:0;border-radius:0;background:none;box-shadow:none}
  .phone{width:100%;border-radius:0}
}
"""


def _e(text: str) -> str:
    return escape(text, quote=True)


def _status_bar(time: str) -> str:
    return f'<div class="status"><span>{_e(time)}</span><span class="battery" aria-hidden="true"></span></div>'


@dataclass(frozen=True)
class CoverNote:
    """Why no cover picture shows, in words for the headline crop and for the small squares."""

    wide: str
    square: str


NO_COVER = CoverNote("未设置封面", "无封面")
BROKEN_COVER = CoverNote("封面图片无法在预览中显示", "无封面")  # missing, not an image, too large: wxpub lint says which


def _cover(crop: str, note: CoverNote | None) -> str:
    """A cover crop (`wide` or `square`): the picture (the page's .cover background), or the note in text."""
    ratio = "2.35:1" if crop == "wide" else "1:1"
    text = "" if note is None else f'<span class="no-cover">{_e(note.wide if crop == "wide" else note.square)}</span>'
    return f'<div class="cover crop-{crop}" data-crop="{ratio}" role="img" aria-label="封面 {ratio}">{text}</div>'


def _feed(rendered: RenderedArticle, meta: Meta, note: CoverNote | None) -> str:
    """The subscription message list: how followers first meet the article."""
    title, digest, avatar = _e(rendered.title), _e(meta.digest), _e(meta.account[:1])
    head = (f'<div class="card-head"><span class="avatar">{avatar}</span><span class="name">{_e(meta.account)}</span>'
            f'<span class="time">{_e(meta.time)}</span></div>')
    return (
        f'<div class="nav"><span>{_ICON_BACK}</span><span class="title">订阅号消息</span><span>{_ICON_MORE}</span></div>'
        '<div class="feed">'
        '<p class="label">单篇推送（头条封面按 2.35:1 裁切）</p>'
        f'<div class="card">{head}{_cover("wide", note)}'
        f'<div class="card-title">{title}</div><div class="card-digest">{digest}</div></div>'
        '<p class="label">多篇推送中作为次条（封面按 1:1 裁切）</p>'
        f'<div class="card"><div class="row"><div class="row-title" style="opacity:.35"><div class="ghost"></div>'
        '<div class="ghost" style="width:60%"></div></div><div class="cover crop-square" style="opacity:.35"></div></div>'
        f'<div class="row"><div class="row-title">{title}</div>{_cover("square", note)}</div></div>'
        '<p class="label">转发到聊天（标题、摘要与 1:1 封面）</p>'
        f'<div class="chat"><div class="bubble"><p class="b-title">{title}</p><div class="b-body">'
        f'<div class="b-digest">{digest}</div>{_cover("square", note)}</div>'
        f'<div class="b-from">{_e(meta.account)}</div></div><div class="me"></div></div>'
        '</div>'
    )


def _meta_line(rendered: RenderedArticle, meta: Meta) -> str:
    """WeChat's line under the title: 原创 tag, author, account (a link), date and time."""
    parts = []
    if meta.original:
        parts.append('<span class="meta_tag">原创</span>')
    if rendered.author:
        parts.append(f'<span class="meta_author">{_e(rendered.author)}</span>')
    parts.append(f'<span class="meta_nickname">{_e(meta.account)}</span>')
    if meta.date:
        parts.append(f'<span class="meta_date">{_e(meta.date)} {_e(meta.time)}</span>')
    return f'<div class="rich_media_meta_list">{"".join(parts)}</div>'


def _article_view(rendered: RenderedArticle, meta: Meta, content: str) -> str:
    read_more = '<div class="read-more">阅读原文</div>' if rendered.content_source_url else ""
    comments = _COMMENTS.get(meta.comments, _COMMENTS["open"])
    return (
        f'<div class="nav"><span>{_ICON_CLOSE}</span><span>{_ICON_MORE}</span></div>'
        '<div class="rich_media_area_primary">'
        f'<h1 class="rich_media_title">{_e(rendered.title)}</h1>'
        f'{_meta_line(rendered, meta)}'
        f'<div class="rich_media_content">{content}</div>'
        '</div>'
        f'<div class="tail">{read_more}<div class="comments">{_e(comments)}</div></div>'
        '<div class="home"></div>'
    )


def _mode(kind: str, label: str, rendered: RenderedArticle, meta: Meta, content: str, note: CoverNote | None) -> str:
    return (
        f'<section class="mode mode-{kind}" data-mode="{kind}">'
        f'<p class="mode-label">{label}</p>'
        '<p class="screen-label">订阅号消息列表</p>'
        f'<div class="device"><div class="phone feed-phone">{_status_bar(meta.time)}{_feed(rendered, meta, note)}</div></div>'
        '<p class="screen-label">文章页</p>'
        f'<div class="device"><div class="phone article-phone">{_status_bar(meta.time)}'
        f'{_article_view(rendered, meta, content)}</div></div>'
        '</section>'
    )


def live_reload_script(version_url: str, version: str) -> str:
    """Poll `version_url`; reload when the answer differs from `version`, keeping the scroll."""
    return (
        "<script>(function(){"
        f"var url={_js(version_url)},version={_js(version)},key='wxpub-scroll:'+location.pathname;"
        "var y=sessionStorage.getItem(key);"
        "if(y!==null){sessionStorage.removeItem(key);window.addEventListener('load',function(){window.scrollTo(0,+y);});}"
        "function poll(){fetch(url,{cache:'no-store'}).then(function(r){return r.ok?r.text():version;})"
        ".then(function(v){if(v!==version){sessionStorage.setItem(key,String(window.scrollY));location.reload();}"
        "else{setTimeout(poll,500);}}).catch(function(){setTimeout(poll,2000);});}"
        "setTimeout(poll,500);})();</script>"
    )


def _js(text: str) -> str:
    """A JavaScript string literal safe inside <script>."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\u003c").replace("\n", "\\n") + '"'


def page(title: str, body: str, *, extra_css: str = "", script: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light">'
        f"<title>{_e(title)}</title><style>{PAGE_CSS}{extra_css}</style></head>"
        f"<body>{body}{script}</body></html>\n"
    )


def build_preview(article: Article, policies: Policies, *, theme: str | None = None,
                  live: tuple[str, str] | None = None) -> str:
    """The preview page of `article`. `live` is (version URL, current version) when served
    by `wxpub serve`: the page then reloads itself when the article changes."""
    chosen = theme_for(article, policies, theme)
    image_url = bundle_image_url(article.files)
    rendered = render_article(article, policies, image_url=image_url, theme=theme)
    meta = article_meta(article, policies, rendered, chosen.label)
    # the cover is always a bundle file: the publisher reads it by its front matter name as written
    cover = image_url(ImageSource(rendered.cover, in_bundle=True)) if rendered.cover else None
    note = NO_COVER if cover is None else BROKEN_COVER if cover.startswith(_PLACEHOLDER) else None
    cover_css = f'.cover{{background-image:url("{cover}")}}' if note is None else ""
    digest_note = "（未填写 digest，取正文前 54 字）" if meta.digest_is_fallback else ""
    header = (
        '<header class="top">'
        f'<h1>{_e(rendered.title)}{"<span class=live>实时预览</span>" if live else ""}</h1>'
        '<p class="facts">'
        f"<span>{_e(meta.account)}</span><span>{_e(meta.department)}</span>"
        f"<span>主题：{_e(meta.theme_label)}</span><span><code>{_e(str(article.path))}</code></span></p>"
        f'<p class="note">宽度 {PHONE_WIDTH} px 的手机效果（屏幕更窄时按屏幕宽度）；深色模式按微信的配色规则模拟；摘要{_e(digest_note) or "取自 digest"}。'
        "本页仅供预览，不会发送到微信。</p>"
        "</header>"
    )
    modes = (
        '<main class="modes">'
        f'{_mode("light", "浅色模式", rendered, meta, rendered.content, note)}'
        f'{_mode("dark", "深色模式", rendered, meta, dark_html(rendered.content), note)}'
        "</main>"
    )
    script = live_reload_script(*live) if live else ""
    return page(f"预览 · {rendered.title}", header + modes, extra_css=cover_css, script=script)


# -- index pages ----------------------------------------------------------------------------
@dataclass(frozen=True)
class IndexEntry:
    href: str
    title: str
    account: str
    department: str
    path: str  # repo-relative index.md
    problem: str = ""  # why the article could not be previewed, if it could not


def index_entry(article: Article, policies: Policies, href: str) -> IndexEntry:
    fm = article.front_matter
    account = policies.accounts.get(article.account)
    department = policies.departments.get(str(fm.get("department", "")))
    return IndexEntry(href, str(fm.get("title", "")) or article.bundle.name, account.name if account else article.account,
                      department.name if department else str(fm.get("department", "")), str(article.path))


def build_index(entries: Sequence[IndexEntry], *, heading: str, note: str = "",
                live: tuple[str, str] | None = None) -> str:
    """A list of previews grouped by account, linking each page."""
    groups: dict[str, list[IndexEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.account, []).append(entry)
    parts = [f'<header class="top"><h1>{_e(heading)}{"<span class=live>实时预览</span>" if live else ""}</h1>'
             f'<p class="facts">{_e(note or f"共 {len(entries)} 篇文章")}</p></header><main class="index">']
    if not entries:
        parts.append('<p class="sub">没有需要预览的文章。</p>')
    for account, items in groups.items():
        parts.append(f"<h2>{_e(account)}</h2><ul>")
        for item in items:
            link = f'<a href="{_e(item.href)}">{_e(item.title)}</a>' if item.href else f"<span>{_e(item.title)}</span>"
            problem = f'<div class="problem">{_e(item.problem)}</div>' if item.problem else ""
            parts.append(f'<li>{link}<div class="sub">{_e(item.department)} · <code>{_e(item.path)}</code></div>{problem}</li>')
        parts.append("</ul>")
    parts.append("</main>")
    script = live_reload_script(*live) if live else ""
    return page(heading, "".join(parts), script=script)
