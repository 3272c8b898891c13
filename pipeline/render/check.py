"""`wxpub render --check`: hold rendered article HTML to WeChat's article structure spec.

The rules follow WeChat's public spec (github.com/wechatjs/verify-article-structure-spec,
MIT: verify_article_structure.md and the rule engine in cli/engine/). WeChat checks some
rules by laying the article out in a browser at 375, 585 and 677 px; we cannot, so those
rules are judged from the inline styles alone, on the same facts (the narrowest screen is
375 px, WeChat gives every element `max-width: 100%`). Dark mode follows mp-darkmode, the
colour conversion the WeChat client runs, and the spec's contrast floor of 1.5.

`check_html` parses with the standard library's html.parser into a small tree, then runs
each rule in RULES over it. Messages are Chinese and say how to fix the theme.
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from typing import Callable, Iterator
from urllib.parse import urlsplit

from PIL import ImageColor

from pipeline.render.nesting import OFFICIAL_MAX_LEVEL


@dataclass(frozen=True)
class StructureProblem:
    rule: str  # a stable code, STRUCT001..
    message: str  # Chinese: what is wrong and how to fix it in the theme
    snippet: str  # the offending tag or declaration, short


# -- the parsed document ------------------------------------------------------------------

ALLOWED_TAGS = frozenset({
    "section", "p", "span", "strong", "em", "a", "img", "br", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "pre", "code", "sup",
    "figure", "figcaption",
})
VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                       "track", "wbr"})
# Tags a browser will not keep inside an open <p>: it closes the <p> first, so the tree
# WeChat sees differs from the one written.
BLOCK_TAGS = frozenset({"section", "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "table",
                        "pre", "figure", "div"})
# Where table and list parts may stand; anywhere else a browser moves or drops them.
REQUIRED_PARENTS: dict[str, frozenset[str]] = {
    "li": frozenset({"ul", "ol"}),
    "thead": frozenset({"table"}),
    "tbody": frozenset({"table"}),
    "tr": frozenset({"table", "thead", "tbody"}),
    "th": frozenset({"tr"}),
    "td": frozenset({"tr"}),
    "figcaption": frozenset({"figure"}),
}
# And what lists and tables may hold directly.
ALLOWED_CHILDREN: dict[str, frozenset[str]] = {
    "ul": frozenset({"li"}),
    "ol": frozenset({"li"}),
    "table": frozenset({"thead", "tbody", "tr"}),
    "thead": frozenset({"tr"}),
    "tbody": frozenset({"tr"}),
    "tr": frozenset({"th", "td"}),
}
SNIPPET_LENGTH = 120
_SPACE = re.compile(r"[\s\u00a0\u200b\ufeff]+")


@dataclass(frozen=True)
class Declaration:
    prop: str  # lower case
    value: str  # without !important
    important: bool
    text: str  # as written, for snippets


@dataclass(eq=False)
class Element:
    tag: str
    attrs: tuple[tuple[str, str | None], ...]
    source: str  # the start tag as written
    parent: Element | None
    style: tuple[Declaration, ...] = ()
    children: list[Element | str] = field(default_factory=list)
    _has_text: bool | None = field(default=None, repr=False)

    def get(self, prop: str) -> str | None:
        """The last declared value of `prop` (the one CSS applies), without !important."""
        value = None
        for decl in self.style:
            if decl.prop == prop:
                value = decl.value
        return value

    def elements(self) -> list[Element]:
        return [child for child in self.children if isinstance(child, Element)]

    def has_direct_text(self) -> bool:
        return any(isinstance(child, str) and _SPACE.sub("", child) for child in self.children)

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def has_text(self) -> bool:
        """Whether any text is inside, at any depth (several rules ask; it is asked once)."""
        if self._has_text is None:
            self._has_text = self.has_direct_text() or any(child.has_text() for child in self.elements())
        return self._has_text


@dataclass
class Document:
    root: Element
    elements: list[Element]  # every element, in document order
    parse_problems: list[StructureProblem]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_LENGTH else text[:SNIPPET_LENGTH - 1] + "…"


def parse_style(style: str) -> tuple[Declaration, ...]:
    """Split a style attribute into declarations. Semicolons and colons inside quotes or
    parentheses (url(data:...;base64,...), font names) do not split; junk without a colon
    is skipped rather than raising."""
    declarations = []
    for part in _split_outside(style, ";"):
        pieces = _split_outside(part, ":", maxsplit=1)
        if len(pieces) < 2 or not pieces[0].strip():
            continue  # not a declaration: skip it rather than fail
        prop, value = pieces
        important = bool(re.search(r"!\s*important\s*$", value, re.I))
        clean = re.sub(r"\s*!\s*important\s*$", "", value, flags=re.I).strip()
        declarations.append(Declaration(prop.strip().lower(), clean, important, part.strip()))
    return tuple(declarations)


def _split_outside(text: str, separator: str, maxsplit: int = -1) -> list[str]:
    """Split on `separator` where it is outside quotes and parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == separator and depth == 0 and (maxsplit < 0 or len(parts) < maxsplit):
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


class _TreeBuilder(HTMLParser):
    """Builds the Element tree and notes what a browser would repair (well-formedness)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", (), "", None)
        self.stack = [self.root]
        self.elements: list[Element] = []
        self.problems: list[StructureProblem] = []

    def _open(self, tag: str, attrs: list[tuple[str, str | None]]) -> Element:
        parent = self.stack[-1]
        source = self.get_starttag_text() or f"<{tag}>"
        style = next((value or "" for name, value in attrs if name == "style"), "")
        element = Element(tag, tuple(attrs), source, parent, parse_style(style))
        parent.children.append(element)
        self.elements.append(element)
        if tag in BLOCK_TAGS and any(open_.tag == "p" for open_ in self.stack):
            self._problem(f"<{tag}> 不能放在 <p> 里:浏览器和微信会先把 <p> 结束,结构与样式随之错乱。"
                          "请在模板中把 <p> 换成 <section>,或把块级元素移到 <p> 之外", source)
        allowed = REQUIRED_PARENTS.get(tag)
        if allowed and parent.tag not in allowed:
            self._problem(f"<{tag}> 只能直接放在 {'、'.join(f'<{t}>' for t in sorted(allowed))} 里,"
                          f"现在在 {'顶层' if parent is self.root else f'<{parent.tag}>'} 中,浏览器会挪动或丢弃它。"
                          "请在模板中补上外层元素", source)
        children = ALLOWED_CHILDREN.get(parent.tag)
        if children and tag not in children:
            self._problem(f"<{parent.tag}> 里只能直接放 {'、'.join(f'<{t}>' for t in sorted(children))},"
                          f"不能放 <{tag}>,浏览器会把它挪出去。请在模板中把它包进合适的元素", source)
        return element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = self._open(tag, attrs)
        if tag not in VOID_TAGS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = self._open(tag, attrs)
        if tag not in VOID_TAGS:  # HTML ignores the slash: <section/> opens a section that never closes
            self._problem(f"<{tag}/> 在 HTML 中不会自闭合,后面的内容都会落进它里面。请写成 <{tag}></{tag}>",
                          element.source)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            self._problem(f"</{tag}> 是多余的结束标签(<{tag}> 没有结束标签),请从模板中删除", f"</{tag}>")
            return
        if not any(open_.tag == tag for open_ in self.stack[1:]):
            self._problem(f"多余的结束标签 </{tag}>:前面没有对应的 <{tag}>。请检查模板中的标签配对", f"</{tag}>")
            return
        while self.stack[-1].tag != tag:
            unclosed = self.stack.pop()
            self._problem(f"<{unclosed.tag}> 没有结束标签就遇到了 </{tag}>。请检查模板中的标签配对", unclosed.source)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def finish(self) -> Document:
        self.close()
        for unclosed in self.stack[1:]:
            self._problem(f"<{unclosed.tag}> 没有结束标签。请检查模板中的标签配对", unclosed.source)
        return Document(self.root, self.elements, self.problems)

    def _problem(self, message: str, snippet: str) -> None:
        self.problems.append(StructureProblem("STRUCT001", message, _short(snippet)))


def parse(html: str) -> Document:
    builder = _TreeBuilder()
    builder.feed(html)
    return builder.finish()


# -- lengths and colours -------------------------------------------------------------------

NARROWEST_SCREEN_PX = 375  # WeChat lays articles out at 375, 585 and 677 px wide
ROOT_FONT_PX = 16.0  # rem
ARTICLE_FONT_PX = 17.0  # WeChat's default article font size (--articleFontsize)
_UNITS = {"px": 1.0, "pt": 4 / 3, "pc": 16.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4, "q": 96 / 101.6}
_LENGTH = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))([a-z%]*)$")
_FONT_KEYWORDS = {"xx-small": 9.0, "x-small": 10.0, "small": 13.0, "medium": 16.0, "large": 18.0,
                  "x-large": 24.0, "xx-large": 32.0, "xxx-large": 48.0}
# The browser's own sizes, for elements a theme does not size.
_DEFAULT_EM = {"h1": 2.0, "h2": 1.5, "h3": 1.17, "h4": 1.0, "h5": 0.83, "h6": 0.67, "sup": 5 / 6}


def length_px(value: str, font_px: float) -> float | None:
    """An absolute length in px (em against `font_px`); None for %, auto, calc() and the like."""
    match = _LENGTH.match(value.strip().lower())
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2)
    if unit == "":
        return number if number == 0 else None
    if unit in _UNITS:
        return number * _UNITS[unit]
    if unit == "em":
        return number * font_px
    if unit == "rem":
        return number * ROOT_FONT_PX
    return None


def _is_zero(value: str) -> bool:
    match = _LENGTH.match(value.strip().lower())
    return match is not None and float(match.group(1)) == 0


def font_sizes(doc: Document) -> dict[Element, float]:
    """Each element's computed font size in px, inherited down the tree."""
    sizes: dict[Element, float] = {doc.root: ARTICLE_FONT_PX}
    for element in doc.elements:
        parent_px = sizes[element.parent] if element.parent is not None else ARTICLE_FONT_PX
        declared = element.get("font-size")
        size = parent_px * _DEFAULT_EM.get(element.tag, 1.0)
        if declared:
            value = declared.strip().lower()
            if value in _FONT_KEYWORDS:
                size = _FONT_KEYWORDS[value]
            elif value == "smaller":
                size = parent_px / 1.2
            elif value == "larger":
                size = parent_px * 1.2
            elif value.endswith("%") and _LENGTH.match(value):
                size = parent_px * float(value[:-1]) / 100
            else:
                size = length_px(value, parent_px) or size
        sizes[element] = size
    return sizes


RGBA = tuple[float, float, float, float]
_COLOR_TOKEN = re.compile(r"#[0-9a-f]{3,8}\b|(?:rgba?|hsla?)\([^)]*\)|\b[a-z]+\b", re.I)


def parse_color(value: str) -> RGBA | None:
    """A CSS colour as (r, g, b, a) with r, g, b in 0..255 and a in 0..1; None if not a colour."""
    text = value.strip().lower()
    if text.startswith("#"):
        digits = text[1:]
        if len(digits) in (3, 4):
            digits = "".join(c * 2 for c in digits)
        if len(digits) not in (6, 8) or not re.fullmatch(r"[0-9a-f]+", digits):
            return None
        channels = [int(digits[i:i + 2], 16) for i in range(0, len(digits), 2)]
        return (channels[0], channels[1], channels[2], channels[3] / 255 if len(channels) == 4 else 1.0)
    match = re.fullmatch(r"(rgba?|hsla?)\((.*)\)", text)
    if match:
        parts = [p for p in re.split(r"[\s,/]+", match.group(2).strip()) if p]
        if len(parts) not in (3, 4):
            return None
        try:
            alpha = _fraction(parts[3]) if len(parts) == 4 else 1.0
            if match.group(1).startswith("rgb"):
                r, g, b = (_fraction(p) * 255 if p.endswith("%") else float(p) for p in parts[:3])
                return (_clamp(r), _clamp(g), _clamp(b), min(1.0, max(0.0, alpha)))
            hue = float(parts[0].removesuffix("deg")) % 360
            sat, light = _fraction(parts[1]), _fraction(parts[2])
        except ValueError:
            return None
        return _from_hsl(hue, sat * 100, light * 100, alpha)
    if text == "transparent":
        return (255.0, 255.0, 255.0, 0.0)  # as mp-darkmode reads it
    if text in ImageColor.colormap:
        rgb = ImageColor.getrgb(text)
        return (float(rgb[0]), float(rgb[1]), float(rgb[2]), 1.0)
    return None


def _fraction(text: str) -> float:
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


def _clamp(channel: float) -> float:
    return min(255.0, max(0.0, channel))


def _to_hsl(color: RGBA) -> tuple[float, float, float]:
    """Hue in degrees, saturation and lightness in 0..100 (the units mp-darkmode compares)."""
    hue, light, sat = colorsys.rgb_to_hls(color[0] / 255, color[1] / 255, color[2] / 255)
    return hue * 360, sat * 100, light * 100


def _from_hsl(hue: float, sat: float, light: float, alpha: float = 1.0) -> RGBA:
    r, g, b = colorsys.hls_to_rgb(hue / 360, min(100.0, max(0.0, light)) / 100, min(100.0, max(0.0, sat)) / 100)
    return (r * 255, g * 255, b * 255, alpha)


def hex_color(color: RGBA) -> str:
    return "#" + "".join(f"{round(_clamp(c)):02x}" for c in color[:3])


def luminance(color: RGBA) -> float:
    """WCAG relative luminance."""
    def channel(value: float) -> float:
        c = _clamp(value) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(color[0]) + 0.7152 * channel(color[1]) + 0.0722 * channel(color[2])


def contrast(a: RGBA, b: RGBA) -> float:
    """WCAG contrast ratio, 1..21 (alpha ignored, as WeChat's check does)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# -- mp-darkmode: how the WeChat client recolours an article in dark mode -----------------

DARK_BG: RGBA = (25.0, 25.0, 25.0, 1.0)  # #191919, the dark page
DARK_TEXT: RGBA = (163.0, 163.0, 163.0, 1.0)  # #a3a3a3, the verifier's default dark text
LIGHT_BG: RGBA = (255.0, 255.0, 255.0, 1.0)
LIGHT_TEXT: RGBA = (25.0, 25.0, 25.0, 1.0)  # #191919
MIN_CONTRAST = 1.5  # below this the spec reports "文字与背景色对比度太低"
WHITE_LIKE_BRIGHTNESS = 250  # perceived brightness treated as white
MAX_BG_BRIGHTNESS = 190  # brighter backgrounds are dimmed to this
MIN_OFFSET_BRIGHTNESS = 65  # text must differ from its background by this much
HIGH_BG_BRIGHTNESS = 100  # at or above: a light background, text is darkened
HIGH_GREY_LIGHTNESS = 40  # HSL lightness above which greys are inverted
LOW_LIGHTNESS = 22  # darker colours are lifted to this HSL lightness
IGNORE_ALPHA = 0.05  # nearly transparent colours are left alone


def brightness(color: RGBA) -> float:
    """Perceived brightness (W3C AERT), the measure mp-darkmode adjusts."""
    return (color[0] * 299 + color[1] * 587 + color[2] * 114) / 1000


_DARK_TEXT_OFFSET = max(brightness(DARK_TEXT) - brightness(DARK_BG), 0)  # 138
_DARK_BG_LIGHTNESS = _to_hsl(DARK_BG)[2]


def blend(backdrop: RGBA, source: RGBA) -> RGBA:
    """`source` painted over `backdrop` (normal blending)."""
    alpha = source[3] + backdrop[3] * (1 - source[3])
    if alpha == 0:
        return source
    mixed = [(s * source[3] + b * backdrop[3] * (1 - source[3])) / alpha for s, b in zip(source[:3], backdrop[:3])]
    return (mixed[0], mixed[1], mixed[2], alpha)


def _gradient_mix(colors: list[RGBA]) -> RGBA:
    """The one colour a gradient becomes in dark mode: each stop mixed in by its alpha
    (so opaque stops end on the last one), as mp-darkmode does before converting."""
    result = colors[0]
    for color in colors[1:]:
        weight = color[3]
        w = 2 * weight - 1
        a = color[3] - result[3]
        w1 = ((w if w * a == -1 else (w + a) / (1 + w * a)) + 1) / 2
        mixed = [w1 * c + (1 - w1) * r for c, r in zip(color[:3], result[:3])]
        result = (mixed[0], mixed[1], mixed[2], color[3] * weight + result[3] * (1 - weight))
    return result


def _front_color(mixed: RGBA, backdrop: RGBA, alpha: float) -> RGBA:
    """The colour that, painted at `alpha` over `backdrop`, gives `mixed`."""
    if alpha >= 1:
        return (mixed[0], mixed[1], mixed[2], 1.0)
    front = [round(m + backdrop[3] * (1 - alpha) * (m - b) / alpha) for m, b in zip(mixed[:3], backdrop[:3])]
    return (_clamp(front[0]), _clamp(front[1]), _clamp(front[2]), alpha)


def _brightness_to(target: float, color: RGBA) -> RGBA:
    """Scale a colour to a perceived brightness, moving one channel when another saturates."""
    ratio = target / (brightness(color) or 1)
    r, g, b = (min(255.0, c * ratio) for c in color[:3])
    if g == 0 or r == 255 or b == 255:
        g = (target * 1000 - r * 299 - b * 114) / 587
    elif r == 0:
        r = (target * 1000 - g * 587 - b * 114) / 299
    elif b == 0 or g == 255:
        b = (target * 1000 - r * 299 - g * 587) / 114
    return (_clamp(r), _clamp(g), _clamp(b), color[3] or 1.0)


def dark_background(color: RGBA, backdrop: RGBA) -> RGBA:
    """A background in dark mode: white and light greys inverted, bright colours dimmed to
    brightness 190, very dark colours lifted to lightness 22."""
    mixed = blend(backdrop, color)
    _, sat, light = _to_hsl(mixed)
    result = mixed
    if (sat == 0 and light > HIGH_GREY_LIGHTNESS) or brightness(mixed) > WHITE_LIKE_BRIGHTNESS:
        result = _from_hsl(0, 0, min(100.0, 100 + _DARK_BG_LIGHTNESS - light), mixed[3])
    elif brightness(mixed) > MAX_BG_BRIGHTNESS:
        result = _brightness_to(MAX_BG_BRIGHTNESS, mixed)
    elif light < LOW_LIGHTNESS:
        hue, sat, _ = _to_hsl(mixed)
        result = _from_hsl(hue, sat, LOW_LIGHTNESS, mixed[3])
    return _front_color(result, backdrop, color[3])


def dark_text(color: RGBA, background: RGBA, *, alpha: float | None = None,
              background_brightness: float | None = None) -> RGBA:
    """A text colour in dark mode against its (already dark) background: near-white kept,
    otherwise moved until its brightness differs from the background's by at least 65."""
    nested = alpha is not None
    text_alpha = alpha if alpha is not None else color[3]
    mixed = color if nested else blend(background, color)
    hue, sat, light = _to_hsl(mixed)
    text_brightness = brightness(mixed)
    bg_brightness = background_brightness if background_brightness is not None else brightness(background)
    offset = abs(bg_brightness - text_brightness)
    if text_brightness >= WHITE_LIKE_BRIGHTNESS:
        return _front_color(color, background, text_alpha) if nested else color
    if offset > _DARK_TEXT_OFFSET and bg_brightness <= brightness(DARK_BG) + 2:
        return _front_color(_brightness_to(_DARK_TEXT_OFFSET + bg_brightness, mixed), background, text_alpha)
    if offset >= MIN_OFFSET_BRIGHTNESS:
        return _front_color(color, background, text_alpha) if nested else color
    if bg_brightness >= HIGH_BG_BRIGHTNESS:  # a light background: darken the text
        if light > 90 - HIGH_GREY_LIGHTNESS:
            return dark_text(_from_hsl(hue, sat, 90 - light), background, alpha=text_alpha,
                             background_brightness=bg_brightness)
        target = min(_DARK_TEXT_OFFSET, bg_brightness - MIN_OFFSET_BRIGHTNESS)
    else:  # a dark background: lighten the text
        if light <= HIGH_GREY_LIGHTNESS:
            return dark_text(_from_hsl(hue, sat, 90 - light), background, alpha=text_alpha,
                             background_brightness=bg_brightness)
        target = min(_DARK_TEXT_OFFSET, bg_brightness + MIN_OFFSET_BRIGHTNESS)
    return _front_color(_brightness_to(target, mixed), background, text_alpha)


@dataclass(frozen=True)
class DarkState:
    """What mp-darkmode passes down the tree: colours so far in dark and light mode (None:
    the page's own) and whether a background image hides the colours (then WeChat keeps
    the light ones and its check skips the element)."""

    background: RGBA | None = None
    light_background: RGBA | None = None
    text: RGBA | None = None
    light_text: RGBA | None = None
    under_image: bool = False


_BACKGROUND_PROPS = ("background-color", "background", "background-image")


def _background_color(value: str) -> RGBA | None:
    colors = [c for c in (parse_color(t) for t in _COLOR_TOKEN.findall(value)) if c is not None]
    if not colors:
        return None
    return _gradient_mix(colors) if "gradient" in value.lower() else colors[0]


def dark_state(element: Element, inherited: DarkState) -> DarkState:
    """The state for `element` and its children after mp-darkmode converts its inline colours:
    backgrounds first, each against the dark background so far, then the text colour against
    the result. A background without a text colour re-converts the inherited one."""
    if inherited.under_image or any("url(" in (element.get(p) or "").lower()
                                    for p in (*_BACKGROUND_PROPS, "border-image", "-webkit-border-image")):
        return replace(inherited, under_image=True)
    state = inherited
    declares_color = element.get("color") is not None  # even one it cannot use, like transparent
    for decl in sorted((d for d in element.style if d.prop in _BACKGROUND_PROPS),
                       key=lambda d: d.prop == "background-image"):  # background-color first, as mp-darkmode
        color = _background_color(decl.value)
        if color is None or color[3] < IGNORE_ALPHA:
            continue
        backdrop = state.background or DARK_BG
        under = blend(backdrop, dark_background(color, backdrop))
        state = replace(state, background=under, light_background=blend(state.light_background or LIGHT_BG, color))
        if not declares_color:
            light_text = state.light_text or LIGHT_TEXT
            state = replace(state, text=blend(under, dark_text(light_text, under)), light_text=light_text)
    text_color = parse_color(element.get("color") or "")
    if text_color is not None and text_color[3] >= IGNORE_ALPHA:
        under = state.background or DARK_BG
        state = replace(state, text=blend(under, dark_text(text_color, under)), light_text=text_color)
    return state


# -- rules ---------------------------------------------------------------------------------

Rule = Callable[[Document], Iterator[StructureProblem]]


def _problem(rule: str, message: str, snippet: str) -> StructureProblem:
    return StructureProblem(rule, message, _short(snippet))


def rule_well_formed(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT001: WeChat stores what a browser parses; unclosed or misplaced tags change the tree."""
    yield from doc.parse_problems


def rule_allowed_tags(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT002: the draft API drops or rewrites anything outside the tags WeChat keeps."""
    for element in doc.elements:
        if element.tag not in ALLOWED_TAGS:
            yield _problem("STRUCT002", f"<{element.tag}> 不是微信图文保留的标签,会被删除或改写。"
                           f"请在模板中改用 {', '.join(sorted(ALLOWED_TAGS))} 之一", element.source)


def rule_allowed_attributes(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT003: only style, href (http/https on <a>), src/alt on <img> and start on <ol> survive."""
    for element in doc.elements:
        for name, value in element.attrs:
            message = _attribute_problem(element.tag, name, value)
            if message:
                yield _problem("STRUCT003", message, element.source)


def _attribute_problem(tag: str, name: str, value: str | None) -> str:
    if name == "style":
        return ""
    if name in ("class", "id"):
        return f"{name} 属性会被微信删除,依赖它的样式都会丢失。请把样式写进主题 theme.yaml 的内联样式"
    if name.startswith("on"):
        return f"事件属性 {name} 不允许出现在图文中(微信会删除脚本)。请从模板中删除"
    if name == "href" and tag == "a":
        scheme = urlsplit(value or "").scheme.lower()
        return "" if scheme in ("http", "https") else \
            f"链接地址只能是 http(s),这里是 “{_short(value or '')}”。请在模板中改用 http(s) 链接或去掉链接"
    if name in ("src", "alt") and tag == "img":
        return ""
    if name == "start" and tag == "ol":
        return "" if (value or "").strip().isdigit() else "ol 的 start 应为非负整数"
    return f"<{tag}> 上的 {name} 属性不在允许范围内(只允许 style、<a> 的 href、<img> 的 src/alt、<ol> 的 start)。请从模板中删除"


def rule_font_family(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT004: WeChat's own font stack keeps editor and phones consistent; any font-family breaks that."""
    for element in doc.elements:
        for decl in element.style:
            if decl.prop == "font-family":
                yield _problem("STRUCT004", "不要设置 font-family:手机上可能没有该字体,微信默认字体栈会因此失效、"
                               "字号和字距与预览不一致。请从主题 theme.yaml 中删除 font-family", decl.text)


def rule_important(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT005: !important overrides WeChat's own styles and defeats its dark-mode overrides."""
    for element in doc.elements:
        for decl in element.style:
            if decl.important:
                yield _problem("STRUCT005", "不要使用 !important:它会让微信的公共样式和深色模式转换失效。"
                               "请从主题 theme.yaml 中删除 !important", decl.text)


def rule_text_align(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT006: text-align start/end are read differently by different clients (iOS 18+)."""
    for element in doc.elements:
        for decl in element.style:
            if decl.prop == "text-align" and decl.value.strip().lower() in ("start", "end"):
                yield _problem("STRUCT006", f"text-align: {decl.value.strip()} 在不同终端解析不一致(有的居中有的居左)。"
                               "请在主题中改用 left、right、center 或 justify", decl.text)


def rule_fixed_width(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT007: WeChat lays the article out at 375, 585 and 677 px and caps every element at
    100%. A fixed width wider than the 375 px screen is squeezed there but not on the others,
    so its proportion (and centring) differs; a min-width or margins/padding that wide overflow."""
    sizes = font_sizes(doc)
    for element in doc.elements:
        font_px = sizes[element]
        for decl in element.style:
            if decl.prop in ("width", "min-width"):
                px = length_px(decl.value, font_px)
                if px is not None and px > NARROWEST_SCREEN_PX:
                    yield _problem("STRUCT007", f"固定宽度 {decl.prop}: {decl.value} 超过最窄屏幕的 {NARROWEST_SCREEN_PX}px,"
                                   "在不同屏幕上宽度比例不同、可能溢出或不再居中。请在主题中改用百分比(如 100%)或 max-width",
                                   decl.text)
        side = _horizontal_space(element, font_px)
        if side > NARROWEST_SCREEN_PX:
            yield _problem("STRUCT007", f"左右外边距与内边距合计 {side:.0f}px,超过最窄屏幕的 {NARROWEST_SCREEN_PX}px,"
                           "内容会溢出屏幕被截断。请在主题中减小 margin/padding", element.source)
        if element.tag == "tr":
            total = sum(_cell_width(cell, sizes[cell]) for cell in element.elements() if cell.tag in ("th", "td"))
            if total > NARROWEST_SCREEN_PX:
                yield _problem("STRUCT007", f"表格列宽合计 {total:.0f}px,超过最窄屏幕的 {NARROWEST_SCREEN_PX}px,"
                               "窄屏会水平溢出。请去掉单元格的固定宽度", element.source)


def _cell_width(cell: Element, font_px: float) -> float:
    widths = [length_px(cell.get(p) or "", font_px) for p in ("width", "min-width")]
    return max((w for w in widths if w is not None), default=0.0)


def _box_sides(value: str) -> tuple[str, str, str, str]:
    parts = value.split()
    if not parts:
        return ("", "", "", "")
    top = parts[0]
    right = parts[1] if len(parts) > 1 else top
    bottom = parts[2] if len(parts) > 2 else top
    left = parts[3] if len(parts) > 3 else right
    return (top, right, bottom, left)


def _horizontal_space(element: Element, font_px: float) -> float:
    """Positive px taken from the width by this element's left and right margin and padding."""
    total = 0.0
    for box in ("margin", "padding"):
        sides = {"left": "", "right": ""}
        for decl in element.style:
            if decl.prop == box:
                _, sides["right"], _, sides["left"] = _box_sides(decl.value)
            elif decl.prop in (f"{box}-left", f"{box}-right"):
                sides[decl.prop.rsplit("-", 1)[1]] = decl.value
        total += sum(max(0.0, length_px(v, font_px) or 0.0) for v in sides.values() if v)
    return total


def rule_line_height(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT008: a line-height below the font size overlaps lines of text. Judged on every
    element with text, with the line-height it inherits; text-less (image-only) boxes are exempt."""
    sizes = font_sizes(doc)
    # computed line-height: ("number", n) stays relative; ("px", v) is inherited as a length
    heights: dict[Element, tuple[str, float, Element | None]] = {doc.root: ("normal", 1.2, None)}
    for element in doc.elements:
        parent = element.parent or doc.root
        font_px = sizes[element]
        declared = (element.get("line-height") or "").strip().lower()
        computed = heights[parent]
        if declared == "normal":
            computed = ("normal", 1.2, element)
        elif declared:
            match = _LENGTH.match(declared)
            if match and match.group(2) == "":
                computed = ("number", float(match.group(1)), element)
            elif match and match.group(2) == "%":
                computed = ("px", float(match.group(1)) / 100 * font_px, element)
            elif match:
                px = length_px(declared, font_px)
                computed = ("px", px, element) if px is not None else computed
        heights[element] = computed
        if not element.has_direct_text():
            continue
        kind, value, source = computed
        line_px = value if kind == "px" else value * font_px
        if line_px + 1e-6 < font_px:
            where = source or element
            yield _problem("STRUCT008", f"行高 {line_px:.1f}px 小于字号 {font_px:.1f}px,多行文字会重叠。"
                           "请在主题中把 line-height 设为不小于 1 的无单位数(如 1.5),或不小于字号的 px 值",
                           where.source)


def rule_height_zero(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT009: text inside a height-0 box is invisible on phones; the editor gives boxes a min-height, so it looks fine there."""
    for element in doc.elements:
        value = element.get("height")
        if value is not None and _is_zero(value) and element.has_text():
            yield _problem("STRUCT009", "容器 height 为 0,其中的文字在手机上完全不可见。"
                           "请在主题中删除 height: 0(或改为 height: auto)", element.source)


def rule_fixed_height(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT010: a fixed height around text clips (or overlaps) whatever is taller on a narrow
    screen; scroll containers are exempt, as in the spec."""
    sizes = font_sizes(doc)
    for element in doc.elements:
        # overflow's second value (or only one) is the vertical one
        overflow_y = (element.get("overflow-y") or element.get("overflow") or "").lower().split()[-1:]
        if overflow_y in (["auto"], ["scroll"]) or not element.has_text():
            continue
        for prop in ("height", "max-height"):
            value = element.get(prop)
            px = length_px(value, sizes[element]) if value else None
            if px is not None and px > 0:
                yield _problem("STRUCT010", f"包含文字的容器设置了固定 {prop}: {value},窄屏上文字换行变多时超出部分会被裁剪或重叠。"
                               "请在主题中删除固定高度(用 height: auto 或 padding 控制留白)", element.source)


_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
PROSE_LINE_CJK = 20  # about a phone's width of Chinese at code sizes (13-14 px)
_BREAK_OPPORTUNITY = re.compile(r"[ \u2e80-\u9fff\uf900-\ufaff\u3000-\u303f]")


_WRAPPING = frozenset({"normal", "pre-wrap", "pre-line", "break-spaces"})
_BREAKS_WORDS = (("overflow-wrap", ("anywhere", "break-word")), ("word-wrap", ("anywhere", "break-word")),
                 ("word-break", ("break-all", "break-word")))
# Columns (a Chinese character is two) of code that fit a 375 px screen at the themes' 13 px
# monospace with the block's padding (about 45); a longer line or unbroken run overflows.
MAX_UNBROKEN_CHARS = 40


def _inherited(element: Element, prop: str) -> str:
    """The value `prop` (an inherited property) takes on `element`: its own or its nearest ancestor's."""
    node: Element | None = element
    while node is not None:
        value = node.get(prop)
        if value is not None:
            return value.strip().lower()
        node = node.parent
    return ""


def rule_pre_prose(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT011: WeChat measures every <pre> for overflow at 375 px. One that does not wrap
    (a pre's own white-space, or nowrap) runs off the screen with its first long line, and so
    does an unbroken run of characters (code with &nbsp;, a URL) unless words may break.
    Code belongs in <pre><code>; text outside <code>, or a line of Chinese prose, is prose."""
    for element in doc.elements:
        if element.tag != "pre" or not element.has_text():
            continue
        white_space = element.get("white-space") or "pre"  # a pre's own default, whatever is inherited
        wraps = white_space.strip().lower() in _WRAPPING
        lines = _pre_lines(element)
        if _text_outside_code(element):
            yield _problem("STRUCT011", "<pre> 里有不在 <code> 中的文字:pre 是给代码用的,正文会被当作代码排版。"
                           "正文请用 <p> 或 <section>,代码请放进 <pre><code>", element.source)
        elif not wraps:
            longest = max(_columns(line) for line in lines)
            prose = next((line for line in lines if _is_prose(line)), None)
            if prose is not None:
                yield _problem("STRUCT011", f"<pre> 中有一行 {len(_CJK.findall(prose))} 个汉字的正文,不会换行,会在手机上横向溢出。"
                               "正文请写成普通段落,不要放进代码块", _short(prose))
            elif longest > MAX_UNBROKEN_CHARS:
                yield _problem("STRUCT011", f"<pre> 设置了 white-space: {white_space},不会换行,其中 {longest} 个字符宽的一行"
                               "会在手机上横向溢出(微信检查 pre 的溢出)。请在主题中为 pre 设置 white-space: normal 或 pre-wrap"
                               "以及 overflow-wrap: anywhere", element.source)
        elif not any(_inherited(element, prop) in values for prop, values in _BREAKS_WORDS):
            # where a wrapping line may break: at a space, and between Chinese characters (not at &nbsp;)
            longest = max(_columns(run) for line in lines for run in _BREAK_OPPORTUNITY.split(line))
            if longest > MAX_UNBROKEN_CHARS:
                yield _problem("STRUCT011", f"<pre> 中有 {longest} 个字符宽的一串文字没有可换行处,会在手机上横向溢出。"
                               "请在主题中为 pre 设置 overflow-wrap: anywhere", element.source)


def _is_prose(line: str) -> bool:
    cjk = len(_CJK.findall(line))
    return cjk >= PROSE_LINE_CJK and cjk * 2 >= len(_SPACE.sub("", line))


def _columns(text: str) -> int:
    """How wide `text` is in a monospaced font, in half-width columns: a Chinese character is two."""
    return len(text) + len(_CJK.findall(text))


def _text_outside_code(element: Element) -> bool:
    for child in element.children:
        if isinstance(child, str):
            if _SPACE.sub("", child):
                return True
        elif child.tag != "code" and _text_outside_code(child):
            return True
    return False


def _pre_lines(element: Element) -> list[str]:
    parts: list[str] = []

    def walk(node: Element) -> None:
        for child in node.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag == "br":
                parts.append("\n")
            else:
                walk(child)

    walk(element)
    return "".join(parts).split("\n")


MAX_SAME_NESTING = 10
_MEDIA_TAGS = frozenset({"img", "video", "svg", "audio", "iframe"})


def rule_nesting(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT012: WeChat's editor strips nesting it finds redundant. Its checker (engine/nest.ts)
    numbers elements by depth, its own container being level 1, and looks for layers to strip
    from level 15 down (pipeline/render/nesting.py): any element that deep is reported, whatever
    its tag. So are more than 10 nested elements of the same tag and inline style, each the only
    child of the one above, at any depth, as the spec's text describes."""
    levels: dict[Element, int] = {doc.root: 1}  # the root stands for the checker's container
    for element in doc.elements:
        level = levels[element] = levels[element.parent or doc.root] + 1
        if level == OFFICIAL_MAX_LEVEL:
            yield _problem("STRUCT012", f"元素嵌套到第 {level} 层(从微信的文章容器算起),微信编辑器会删除其中的层级,"
                           "排版随之改变。请减少列表、引用或模板的嵌套层数", element.source)
    runs: dict[Element, int] = {}
    for element in doc.elements:
        parent = element.parent
        linked = (parent is not None and parent.tag == element.tag and _single_child(parent) is element
                  and _style_attr(parent) == _style_attr(element))
        run = runs.get(parent, 1) + 1 if linked and parent is not None else 1
        runs[element] = run
        if run == MAX_SAME_NESTING + 1 and element.tag not in _MEDIA_TAGS:
            yield _problem("STRUCT012", f"同一标签、同一样式、只有一个子节点的 <{element.tag}> 连续嵌套超过 {MAX_SAME_NESTING} 层,"
                           "微信编辑器会删除多余层级。请精简模板中的嵌套", element.source)


def _single_child(element: Element) -> Element | None:
    if any(isinstance(c, str) and _SPACE.sub("", c) for c in element.children):
        return None
    elements = element.elements()
    return elements[0] if len(elements) == 1 else None


def _style_attr(element: Element) -> str:
    return " ".join(d.text for d in element.style)


def rule_dark_contrast(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT013: in dark mode WeChat recolours inline colours (mp-darkmode) but keeps their
    hues, so text must reach a contrast of 1.5 with its background in dark mode, and already
    in light mode (a pair unreadable there stays unreadable: WeChat's own low-contrast
    example, white on light green, fails only there)."""
    states: dict[Element, DarkState] = {doc.root: DarkState()}
    for element in doc.elements:
        state = dark_state(element, states[element.parent or doc.root])
        states[element] = state
        if state.under_image or not element.has_direct_text() or (element.get("display") or "").strip() == "none":
            continue
        light_background = state.light_background or LIGHT_BG
        pairs = (("深色模式", state.text or DARK_TEXT, state.background or DARK_BG),
                 ("浅色模式", blend(light_background, state.light_text or LIGHT_TEXT), light_background))
        for mode, text, background in pairs:
            ratio = contrast(text, background)
            if ratio < MIN_CONTRAST:
                yield _problem("STRUCT013", f"{mode}下文字({hex_color(text)})与背景({hex_color(background)})对比度只有 "
                               f"{ratio:.2f},低于微信要求的 {MIN_CONTRAST}。请在主题中调整 color 或 background-color,"
                               "让文字与背景的明暗差更大", element.source)
                break


def rule_gradient_text(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT014: dark mode flattens a gradient to one colour, so text over it may become unreadable."""
    for element in doc.elements:
        for decl in element.style:
            if decl.prop.startswith("background") and "gradient(" in decl.value.lower() and element.has_text():
                yield _problem("STRUCT014", "文字背景使用了渐变,深色模式会把渐变混成一种纯色,文字可能看不清。"
                               "请在主题中改用纯色 background-color", decl.text)


def rule_opacity(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT015: opacity 0 hides content (an image so hidden can no longer be replaced in the editor)."""
    for element in doc.elements:
        value = element.get("opacity")
        if value is not None and _is_zero(value):
            yield _problem("STRUCT015", "opacity 为 0,内容完全透明不可见,图片发布后也无法在后台替换。"
                           "请从主题中删除 opacity: 0", element.source)


def rule_caret_color(doc: Document) -> Iterator[StructureProblem]:
    """STRUCT016: a transparent caret makes the editor unusable for whoever edits the draft."""
    for element in doc.elements:
        value = element.get("caret-color")
        color = parse_color(value) if value else None
        if color is not None and color[3] == 0:
            yield _problem("STRUCT016", "caret-color 设为透明,编辑时看不到光标。请从主题中删除 caret-color",
                           element.source)


RULES: tuple[Rule, ...] = (
    rule_well_formed,
    rule_allowed_tags,
    rule_allowed_attributes,
    rule_font_family,
    rule_important,
    rule_text_align,
    rule_fixed_width,
    rule_line_height,
    rule_height_zero,
    rule_fixed_height,
    rule_pre_prose,
    rule_nesting,
    rule_dark_contrast,
    rule_gradient_text,
    rule_opacity,
    rule_caret_color,
)


def check_html(html: str) -> list[StructureProblem]:
    """Every spec problem in `html`, in rule order; a problem inherited by many elements
    (the same rule, message and snippet) is reported once."""
    doc = parse(html)
    return list(dict.fromkeys(problem for rule in RULES for problem in rule(doc)))
