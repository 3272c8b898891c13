"""The structure rules that need a browser: the article laid out in headless Chromium.

WeChat's structure checker lays an article out at 375, 585 and 677 px and judges what only
layout shows: elements running off the screen or changing their share of it (`width`), code
blocks wider than their box (`pre`), content cut off by a fixed height (`height-nodisplay`),
lines drawn over each other (`line-height`) and layers its editor would unwrap (`nestNodes`).
check.py can only guess these from inline styles; here they are measured, by our own script
(layout.js) in Debian's Chromium, driven by Playwright (an optional dependency: the
`browser` extra). Dark-mode contrast stays with check.py's model of mp-darkmode, the one model
of how the WeChat client recolours an article; it needs no layout.

Where we measure more than WeChat's checker, on purpose: it skips a paragraph whose HTML names
none of the style properties it looks for (a table without width or line-height in its styles
is not measured at all, however wide), and keeps one image, one fixed width and one text
element per paragraph; we measure every paragraph and every such element. And images are
loaded from the article's folder at their real size (the checker, fed a fragment, sees
placeholders). On everything else the facts are the spec's: the screens and their order, the
1 px and 10 px tolerances, a box as wide as the screen counted as "centred", a paragraph
judged for overflow only, nesting counted from the editor's root as level 1.

One `LayoutChecker` is one browser and one page, reused for every article of a run. When
the browser cannot be had, `open_checker` raises `BrowserUnavailable` saying why; callers
report which rules did not run (`LAYOUT_RULES`) instead of passing what was not measured.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import unquote, urlsplit

from pipeline.render.check import ARTICLE_FONT_PX, StructureProblem, check_html

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright, Route

CHROMIUM_ENV = "WXPUB_CHROMIUM"  # where the browser is; the tests point it elsewhere to take it away
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--disable-extensions", "--disable-default-apps",
)
SCREENS_PX = (375, 585, 677)
ARTICLE_TIMEOUT_MS = 30_000  # one article's measurement; a page that takes longer is broken
IMAGE_TIMEOUT_MS = 5_000  # images still loading after this are measured as placeholders
# The article's own files are served from this host (it never resolves); every other
# request is refused, so measuring an article never reaches the network.
ARTICLE_ORIGIN = "http://article.invalid"
SCRIPT = Path(__file__).with_name("layout.js")


@dataclass(frozen=True)
class LayoutRule:
    code: str
    official: str  # the rule key WeChat's checker reports
    name: str  # Chinese, for the list of rules that did not run


LAYOUT_RULES: tuple[LayoutRule, ...] = (
    LayoutRule("LAYOUT001", "width", "元素溢出屏幕"),
    LayoutRule("LAYOUT002", "width", "不同屏幕下宽度比例不一致"),
    LayoutRule("LAYOUT003", "width", "不同屏幕下是否占满整行不一致"),
    LayoutRule("LAYOUT004", "pre", "代码块(pre)横向溢出"),
    LayoutRule("LAYOUT005", "height-nodisplay", "固定高度裁剪内容"),
    LayoutRule("LAYOUT006", "line-height", "行高过小导致文字重叠"),
    LayoutRule("LAYOUT007", "nestNodes", "嵌套层级过深"),
)

# Static rules that guess from inline styles what the layout rules measure; once the article
# was measured, the measurement is the verdict and the guess is dropped.
GUESSED_BY_STATIC = frozenset({"STRUCT007", "STRUCT008", "STRUCT010", "STRUCT011", "STRUCT012"})

# Our rule codes for the rules WeChat's checker reports, by its keys (for comparing verdicts).
OFFICIAL_KEY: Mapping[str, str] = {
    **{rule.code: rule.official for rule in LAYOUT_RULES},
    "STRUCT006": "text-align",
    "STRUCT009": "height",
    "STRUCT013": "darkmode-low-contrast",
    "STRUCT014": "darkmode-no-gradient",
    "STRUCT015": "opacity",
    "STRUCT016": "caret-color",
}


class BrowserUnavailable(Exception):
    """No browser to measure with; the message (Chinese) says why and how to get one."""


class LayoutFailed(Exception):
    """The browser broke while measuring (crash, timeout); the message (Chinese) says which."""


def _harness() -> str:
    """The page every article is measured in: a box standing for WeChat's article area, whose
    CSS caps each element at its container's width, as the WeChat client's does."""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><base href='{ARTICLE_ORIGIN}/'><style>"
        "html,body{margin:0;padding:0}"
        f"#article{{position:absolute;left:0;top:0;box-sizing:border-box;overflow:hidden;"
        f"font-size:{ARTICLE_FONT_PX:g}px;color:rgba(0,0,0,0.9);text-align:justify}}"
        "#article *{max-width:100%!important;box-sizing:border-box!important;word-wrap:break-word!important}"
        "</style></head><body><div id='article'></div></body></html>"
    )


def _problem(finding: Mapping[str, Any]) -> StructureProblem:
    """A finding from layout.js as a problem: a stable code and a Chinese message with the fix."""
    kind = finding["kind"]
    snippet = str(finding["snippet"])
    if kind in ("overflow", "width", "span"):
        screens = "、".join(f"{s['screen']}px 宽 {s['left']}..{s['right']}" for s in finding["screens"])
        if kind == "overflow":
            return StructureProblem("LAYOUT001", f"元素超出了屏幕(各屏幕上的位置:{screens}),手机上会被截断或需要横向拖动。"
                                    "请去掉固定宽度、过宽的表格列或内外边距,让内容随屏幕宽度排版", snippet)
        if kind == "width":
            return StructureProblem("LAYOUT002", f"元素在不同宽度的屏幕上占屏幕的比例不同(各屏幕:{screens}),排版会走样。"
                                    "请用百分比宽度(如 100%)或 max-width 代替固定宽度", snippet)
        return StructureProblem("LAYOUT003", f"元素在有的屏幕上占满整行、有的不占满(各屏幕:{screens}),排版不一致"
                                "(常见于 376–676px 宽的图片或固定宽度)。请改用百分比宽度(如 100%),"
                                "或让它在所有屏幕上都窄于 375px", snippet)
    if kind == "pre":
        return StructureProblem("LAYOUT004", f"代码块在 {finding['screen']}px 宽的屏幕上内容宽 {finding['scroll']}px,"
                                f"超出代码块的 {finding['client']}px,会横向溢出。请缩短过长的代码行,或让代码块自动换行"
                                "(white-space: pre-wrap)", snippet)
    if kind == "height":
        return StructureProblem("LAYOUT005", f"内容高 {finding['height']}px,超出了固定高度的容器(全文只有 {finding['limit']}px 高),"
                                "超出部分会被裁剪或与后文重叠。请删除固定的 height(或改为 height: auto)", snippet)
    if kind == "line-height":
        return StructureProblem("LAYOUT006", f"行高 {finding['line']:.1f}px 明显小于字号 {finding['font']:.1f}px,"
                                f"{finding['screen']}px 宽的屏幕上多行文字会重叠。请把 line-height 设为不小于 1 的无单位数(如 1.5)",
                                snippet)
    if kind == "nesting":
        return StructureProblem("LAYOUT007", "元素嵌套达到 14 层(微信编辑器计为第 15 层),其中有与外层标签、样式重复的一层,微信编辑器会删除这层,"
                                "排版随之改变。请减少嵌套:引用、列表不要套得过深,模板中去掉多余的包裹层", snippet)
    raise LayoutFailed(f"排版检查返回了未知的结果类型 {kind!r}")


class LayoutChecker:
    """One browser and one page, measuring article after article. Use `open_checker`."""

    def __init__(self, playwright: Playwright, browser: Browser, page: Page) -> None:
        self._playwright = playwright
        self._browser = browser
        self._page = page
        self._folder: Path | None = None  # the article whose files are served now
        self._articles = 0  # articles measured so far: each gets its own URL prefix

    def check(self, html: str, folder: Path | None = None) -> list[StructureProblem]:
        """The layout problems of one article's HTML. `folder` holds its images (relative
        `src`), so they are measured at their real size; without it they are placeholders."""
        from playwright.sync_api import Error

        self._folder = folder
        self._articles += 1
        try:
            findings: list[dict[str, Any]] = self._page.evaluate(
                "([html, wait, base]) => window.wxpubMeasure(html, wait, base)",
                [html, IMAGE_TIMEOUT_MS, f"{ARTICLE_ORIGIN}/{self._articles}/"])
        except Error as exc:
            raise LayoutFailed(f"浏览器排版检查失败:{_first_line(exc)}") from None
        finally:
            self._folder = None
        return list(dict.fromkeys(_problem(finding) for finding in findings))

    def _serve(self, route: Route) -> None:
        """Serve the current article's own files; refuse everything else (no network)."""
        url = urlsplit(route.request.url)
        if f"{url.scheme}://{url.netloc}" != ARTICLE_ORIGIN:
            route.abort()
            return
        if url.path in ("", "/"):
            # No script of the article's runs (an onerror= could replace the measuring function
            # and fake a pass); ours is evaluated through the DevTools protocol, which CSP allows.
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=_harness(),
                          headers={"Content-Security-Policy": "script-src 'none'; object-src 'none'; frame-src 'none'"})
            return
        folder = self._folder
        prefix = f"/{self._articles}/"
        if folder is None or not url.path.startswith(prefix):  # no article, or an earlier article's file
            route.fulfill(status=404, body="")
            return
        target = (folder / unquote(url.path[len(prefix):])).resolve()
        if not target.is_file() or not target.is_relative_to(folder.resolve()):
            route.fulfill(status=404, body="")
            return
        route.fulfill(status=200, body=target.read_bytes())

    def close(self) -> None:
        from playwright.sync_api import Error

        try:
            self._browser.close()
        except Error:
            pass  # it crashed already: nothing left to close
        finally:
            self._playwright.stop()

    def __enter__(self) -> LayoutChecker:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def chromium_path() -> Path:
    return Path(os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM)


def open_checker() -> LayoutChecker:
    """Start the browser and load the measuring page once, or raise BrowserUnavailable."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise BrowserUnavailable("未安装 Playwright(可选依赖 browser),无法在浏览器中检查排版。"
                                 "请运行 pip install 'wxpub[browser]'(./dev 会自动安装)") from None
    executable = chromium_path()
    if not executable.is_file():
        raise BrowserUnavailable(f"找不到浏览器 {executable},无法在浏览器中检查排版。请安装 Debian 的 chromium 包"
                                 f"(apt-get install chromium),或用环境变量 {CHROMIUM_ENV} 指向 Chromium") from None
    try:
        playwright = sync_playwright().start()
    except Error as exc:  # e.g. another Playwright already runs in this thread
        raise BrowserUnavailable(f"无法启动 Playwright:{_first_line(exc)}") from None
    try:
        browser = playwright.chromium.launch(executable_path=str(executable), args=list(CHROMIUM_ARGS))
    except Error as exc:
        playwright.stop()
        raise BrowserUnavailable(f"浏览器 {executable} 无法启动:{_first_line(exc)}") from None
    try:
        page = browser.new_page(viewport={"width": max(SCREENS_PX) + 200, "height": 900})
        page.set_default_timeout(ARTICLE_TIMEOUT_MS)
        checker = LayoutChecker(playwright, browser, page)
        page.route("**/*", checker._serve)
        page.goto(f"{ARTICLE_ORIGIN}/")
        page.evaluate(SCRIPT.read_text(encoding="utf-8"))
    except Error as exc:
        browser.close()
        playwright.stop()
        raise BrowserUnavailable(f"浏览器 {executable} 无法打开检查页面:{_first_line(exc)}") from None
    return checker


def structure_problems(checker: LayoutChecker, html: str, folder: Path | None = None) -> list[StructureProblem]:
    """Every structure problem of `html`: the static rules, with the layout rules measured
    instead of guessed."""
    measured = checker.check(html, folder)
    return [p for p in check_html(html) if p.rule not in GUESSED_BY_STATIC] + measured


def skipped_rules_message(reason: str) -> str:
    """What `--check` says when it could not measure: why, and which rules did not run."""
    names = "、".join(f"{rule.code} {rule.name}" for rule in LAYOUT_RULES)
    return f"{reason}\n以下需要浏览器排版的规则没有运行,不能判定通过:{names}"
