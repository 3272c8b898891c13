"""Previews a person can read, measured in Debian's headless Chromium (the `tab` fixture).

- Chinese is drawn with a CJK font, not as boxes: without one, Chromium draws every Chinese
  character as the same empty box and every other browser test still passes. Measured three
  ways: ten CJK characters are ten em wide (Latin letters are not); different characters,
  and characters no font has (the box), are drawn differently, pixel for pixel; and the
  font Chromium itself reports for the text (DevTools protocol) is a CJK font.
- The preview page never scrolls sideways on a phone (320-430 px wide), for every sample
  article and the index, and nothing sticks out of the drawn phone.
- Without a cover (or with one that cannot be shown) each cover crop says so in text of at
  least 14 CSS px with a contrast of at least 4.5:1 (WCAG AA), on one line, inside its crop.

Skipped only when /usr/bin/chromium is missing (./dev installs it, and the CJK font, so CI
never skips); a missing font fails.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from tests.test_preview import copy_samples
from tests.testing.browser import browser_only, tab  # noqa: F401 (a fixture)

pytestmark = browser_only

WIDTHS = sorted({*range(320, 431, 10), 375})  # every 10 px, and the most common phone, 375
CJK_SAMPLE = "中文预览字体测试汉字"  # ten characters
NO_GLYPH = "\ue000" * 10  # Private Use Area: in no font, so drawn as the missing-glyph box
CJK_FAMILY = re.compile(r"CJK|Han Sans|Han Serif|Hei|Song|Ming|Kai|PingFang|YaHei|WenQuanYi|Noto Sans SC|Noto Serif SC")

PROBES_JS = """
(args) => {
  const [host, samples] = args;
  const out = {};
  for (const [name, text] of Object.entries(samples)) {
    const span = document.createElement('span');
    span.id = 'probe-' + name;
    span.textContent = text;
    span.style.cssText = 'display:inline-block;white-space:nowrap;font-size:20px;letter-spacing:0';
    document.querySelector(host).appendChild(span);
    out[name] = span.getBoundingClientRect().width;
  }
  return out;
}
"""

SCROLL_JS = """
() => ({page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth,
        body: document.body.scrollWidth})
"""

# Elements that stick out of a drawn phone, outside any box that scrolls or clips sideways
STICKING_OUT_JS = """
(phone) => {
  const frame = phone.getBoundingClientRect();
  const bad = [];
  for (const el of phone.querySelectorAll('*')) {
    let clipped = false;
    for (let a = el.parentElement; a && a !== phone; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') { clipped = true; break; }
    }
    const r = el.getBoundingClientRect();
    if (clipped || (r.width === 0 && r.height === 0)) continue;
    if (r.left < frame.left - 0.5 || r.right > frame.right + 0.5) {
      bad.push(el.tagName + '.' + (el.getAttribute('class') || '') + ' ' + (el.textContent || '').slice(0, 20));
    }
  }
  return bad;
}
"""

# WCAG 2 contrast of an element's text against what is drawn behind it: the background
# colours of the element and its ancestors, composited down to the first opaque one
CONTRAST_JS = """
(el) => {
  const rgba = (s) => { const v = s.match(/[\\d.]+/g).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
  const over = (top, bottom) => {
    const a = top[3] + bottom[3] * (1 - top[3]);
    return [0, 1, 2].map(i => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a).concat([a]);
  };
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] >= 1) break;
  }
  let behind = [255, 255, 255, 1];
  for (const layer of layers.reverse()) behind = over(layer, behind);
  const text = over(rgba(getComputedStyle(el).color), behind);
  const lum = (c) => { const l = c.slice(0, 3).map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                       return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]; };
  const [a, b] = [lum(text), lum(behind)].sort((x, y) => y - x);
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect(), crop = el.parentElement.getBoundingClientRect();
  return {contrast: (a + 0.05) / (b + 0.05), size: parseFloat(style.fontSize), text: el.textContent,
          lines: Math.round(box.height / parseFloat(style.lineHeight)),
          inside: box.left >= crop.left - 0.5 && box.right <= crop.right + 0.5 && box.top >= crop.top - 0.5
                  && box.bottom <= crop.bottom + 0.5};
}
"""


def _previews(repo: Path) -> list[Path]:
    out = repo / "preview"
    assert main(["--root", str(repo), "preview", "-o", str(out)]) == 0
    return sorted(out.glob("*.html"))


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The preview page of every sample article in content/, and the index."""
    pages = _previews(copy_samples(tmp_path_factory.mktemp("samples") / "repo"))
    assert len(pages) == 1 + sum(1 for _ in (Path(__file__).parents[1] / "content").rglob("index.md"))
    return pages


@pytest.fixture(scope="module")
def coverless(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two sample articles' pages: one without a cover, one whose cover file is gone."""
    repo = copy_samples(tmp_path_factory.mktemp("coverless") / "repo")
    bundles = sorted(p.parent for p in (repo / "content").rglob("index.md"))[:2]
    for bundle, cover in zip(bundles, ("", "cover: missing.jpg\n")):
        index = bundle / "index.md"
        index.write_text(re.sub(r"^cover:.*\n", cover, index.read_text(encoding="utf-8"), count=1, flags=re.M),
                         encoding="utf-8")
    pages = {page.stem.split("--")[-1]: page for page in _previews(repo)}
    return {"none": pages[bundles[0].name], "broken": pages[bundles[1].name]}


def _platform_fonts(tab: Any, selector: str) -> dict[str, int]:  # noqa: F811
    """The fonts Chromium drew the text of `selector` with: family -> glyphs."""
    cdp = tab.context.new_cdp_session(tab)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, selector
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return {f["familyName"]: f["glyphCount"] for f in fonts}


def _drawn(tab: Any, name: str) -> bytes:  # noqa: F811
    return bytes(tab.locator(f"#probe-{name}").screenshot())


def test_chinese_is_drawn_with_a_cjk_font_not_boxes(tab: Any, samples: list[Path]) -> None:  # noqa: F811
    page = next(p for p in samples if p.name != "index.html")
    tab.set_viewport_size({"width": 375, "height": 800})
    tab.goto(page.as_uri())
    widths = tab.evaluate(PROBES_JS, ['[data-mode="light"] .rich_media_content', {
        "cjk": CJK_SAMPLE, "zhong": "中" * 10, "wen": "文" * 10, "box": NO_GLYPH, "latin": "x" * 10}])
    # a CJK font draws each character one em wide (10 x 20 px), Latin letters narrower
    assert abs(widths["cjk"] - 200) <= 2, f"中文字宽不对(缺少中文字体?安装 fonts-noto-cjk):{widths}"
    assert widths["cjk"] > 1.5 * widths["latin"], widths
    # without a CJK font every character is the same missing-glyph box: different characters,
    # and characters no font has, would be drawn pixel for pixel alike
    assert _drawn(tab, "zhong") != _drawn(tab, "wen"), "“中”和“文”画得一模一样:是缺字方框,安装 fonts-noto-cjk"
    assert _drawn(tab, "cjk") != _drawn(tab, "box"), "中文画成了缺字方框:安装 fonts-noto-cjk"
    # and Chromium says which font it drew them with
    probe = _platform_fonts(tab, "#probe-cjk")
    assert sum(probe.values()) == 10 and all(CJK_FAMILY.search(name) for name in probe), probe
    # the page's own Chinese: the header, the article title, the feed card in dark mode
    for selector in (".top h1", '[data-mode="light"] .rich_media_title', '[data-mode="dark"] .card-title'):
        fonts = _platform_fonts(tab, selector)
        cjk = sum(1 for ch in tab.inner_text(selector) if "\u4e00" <= ch <= "\u9fff")
        assert cjk and sum(n for name, n in fonts.items() if CJK_FAMILY.search(name)) >= cjk, (selector, fonts)


def test_the_font_checks_tell_boxes_from_chinese(tab: Any) -> None:  # noqa: F811
    # the checks above can fail: two strings of characters no font has are drawn alike (boxes),
    # and with a Latin font named first, Chromium reports that font for them, not a CJK one
    tab.set_content('<html lang="zh-CN"><body><p id="host" style="font-family:\'DejaVu Sans\'"></p></body></html>')
    tab.evaluate(PROBES_JS, ["#host", {"box": NO_GLYPH, "other": "\ue001" * 10, "cjk": CJK_SAMPLE}])
    assert _drawn(tab, "box") == _drawn(tab, "other")
    assert _drawn(tab, "box") != _drawn(tab, "cjk")
    assert not any(CJK_FAMILY.search(name) for name in _platform_fonts(tab, "#probe-box"))
    assert all(CJK_FAMILY.search(name) for name in _platform_fonts(tab, "#probe-cjk"))


def test_no_sideways_scroll_on_a_phone(tab: Any, samples: list[Path]) -> None:  # noqa: F811
    problems = []
    for page in samples:
        tab.set_viewport_size({"width": WIDTHS[0], "height": 800})
        tab.goto(page.as_uri())
        for width in WIDTHS:
            tab.set_viewport_size({"width": width, "height": 800})
            scroll = tab.evaluate(SCROLL_JS)
            if max(scroll["page"], scroll["body"]) > scroll["view"]:
                problems.append((page.name, width, scroll))
            phones = tab.locator(".phone")
            for i in range(phones.count()):
                if bad := phones.nth(i).evaluate(STICKING_OUT_JS):
                    problems.append((page.name, width, bad[:3]))
    assert problems == []


def test_the_phone_keeps_its_375_px_where_there_is_room(tab: Any, samples: list[Path]) -> None:  # noqa: F811
    page = next(p for p in samples if p.name != "index.html")
    tab.set_viewport_size({"width": 960, "height": 800})
    tab.goto(page.as_uri())
    assert tab.evaluate("() => Array.from(document.querySelectorAll('.phone')).map(p => p.clientWidth)") == [375] * 4
    tab.set_viewport_size({"width": 320, "height": 800})
    assert tab.evaluate("() => Array.from(document.querySelectorAll('.phone')).map(p => p.clientWidth)") == [320] * 4


@pytest.mark.parametrize("case", ["none", "broken"])
def test_a_missing_cover_says_so_in_readable_text(tab: Any, coverless: dict[str, Path], case: str) -> None:  # noqa: F811
    tab.set_viewport_size({"width": 375, "height": 800})
    tab.goto(coverless[case].as_uri())
    crops = tab.locator("[data-crop]")
    assert crops.count() == 6  # headline, secondary and chat crops, in light and dark mode
    assert tab.evaluate("() => getComputedStyle(document.querySelector('[data-crop]')).backgroundImage") == "none"
    for width in (320, 375, 430, 960):
        tab.set_viewport_size({"width": width, "height": 800})
        for i in range(crops.count()):
            label = crops.nth(i).locator(".no-cover")
            assert label.count() == 1, (case, i)
            seen: dict[str, Any] = label.evaluate(CONTRAST_JS)
            wide = crops.nth(i).get_attribute("data-crop") == "2.35:1"
            assert seen["text"] == ({"none": "未设置封面", "broken": "封面图片无法在预览中显示"}[case]
                                    if wide else "无封面"), seen
            assert seen["size"] >= 14 and seen["contrast"] >= 4.5 and seen["inside"], (case, width, i, seen)
            assert seen["lines"] == 1, (case, width, i, seen)


def test_the_contrast_measure_is_wcags(tab: Any) -> None:  # noqa: F811
    # black on white is 21:1 and WeChat's faint grey (30% black) on white about 2.1:1, as WCAG computes them
    tab.set_content('<div style="background:#fff"><span id="a" style="color:#000">黑</span>'
                    '<span id="b" style="color:rgba(0,0,0,.3)">灰</span></div>')
    black = tab.locator("#a").evaluate(CONTRAST_JS)["contrast"]
    grey = tab.locator("#b").evaluate(CONTRAST_JS)["contrast"]
    assert abs(black - 21) < 0.01 and 2.0 < grey < 2.2, (black, grey)


HOSTILE_BODY = """第一段正文，后面是一个很长的网址：https://example.invalid/{long}。

一个不能断开的词：{word}

| {head} |
| {rule} |
| {cells} |

```
{code}
```

- 一
  - 二
    - 三
      - 四

![很宽的图片](wide.jpg)

> 引用里还有一个很长的词：{word}
"""


def test_an_article_built_to_be_too_wide_still_fits(tab: Any, tmp_path: Path) -> None:  # noqa: F811
    # one step beyond the samples: every way an editor could make something wider than a phone
    from tests.testing.fixtures import jpeg_bytes, make_repo, write_article
    repo = make_repo(tmp_path)
    body = HOSTILE_BODY.format(long="a" * 300, word="Pneumonoultramicroscopic" * 6,
                               head=" | ".join(f"第{i}列" for i in range(12)), rule=" | ".join(["---"] * 12),
                               cells=" | ".join("数据" * 4 for _ in range(12)), code="x = '" + "长" * 150 + "'")
    write_article(repo, front_matter={"title": "W" * 60, "author": "A" * 40}, body=body,
                  files={"wide.jpg": jpeg_bytes(2400, 300)})
    (page,) = [p for p in _previews(repo) if p.name != "index.html"]
    tab.goto(page.as_uri())
    assert "W" * 60 in tab.inner_text(".top h1") and tab.locator(".rich_media_content pre").count() == 2
    assert 2400 in tab.evaluate("() => Array.from(document.images).map(i => i.naturalWidth)")
    assert tab.locator(".rich_media_content").first.inner_text().count("Pneumonoultramicroscopic") == 12
    for width in (320, 375, 430):
        tab.set_viewport_size({"width": width, "height": 800})
        scroll = tab.evaluate(SCROLL_JS)
        assert max(scroll["page"], scroll["body"]) <= scroll["view"], (width, scroll)
        phones = tab.locator(".phone")
        assert [phones.nth(i).evaluate(STICKING_OUT_JS) for i in range(phones.count())] == [[]] * 4, width


_TOKENS = st.one_of(
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=30),  # Chinese
    st.from_regex(r"[A-Za-z]{20,120}", fullmatch=True),  # a word with no place to break
    st.from_regex(r"https://[a-z]{3,10}\.invalid/[A-Za-z0-9/_-]{20,200}", fullmatch=True),
    st.from_regex(r"`[A-Za-z0-9_.()]{30,150}`", fullmatch=True),  # inline code
    st.sampled_from(["🎉" * 20, "——" * 15, "1234567890" * 8, "**加粗**", "~~删除~~"]),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(title=st.from_regex(r"[A-Za-z0-9一-龥]{1,60}", fullmatch=True),
       paragraphs=st.lists(st.lists(_TOKENS, min_size=1, max_size=6).map(" ".join), min_size=1, max_size=4),
       width=st.integers(320, 430))
def test_any_article_fits_any_phone_width(tab: Any, title: str, paragraphs: list[str], width: int) -> None:  # noqa: F811
    # the class, not the samples: whatever words an editor writes, at any width a phone has
    from tests.testing.fixtures import make_repo, write_article
    with tempfile.TemporaryDirectory() as folder:
        repo = make_repo(Path(folder))
        write_article(repo, front_matter={"title": title}, body="\n\n".join(paragraphs) + "\n")
        (page,) = [p for p in _previews(repo) if p.name != "index.html"]
        tab.set_viewport_size({"width": width, "height": 800})
        tab.goto(page.as_uri())
        scroll = tab.evaluate(SCROLL_JS)
        assert max(scroll["page"], scroll["body"]) <= scroll["view"], scroll
        phones = tab.locator(".phone")
        assert [phones.nth(i).evaluate(STICKING_OUT_JS) for i in range(phones.count())] == [[]] * 4
