"""Previews in a real browser: Debian's headless Chromium driven by Playwright.

Every sample article is opened from `wxpub serve` (a real subprocess on a loopback port)
and checked the way a reviewer would look at it: nothing wider than the 375 px phone,
every image loaded, the cover crops at their ratios, dark mode dark. One page is also
opened from disk (file://), as from the CI artifact. Live reload is checked by editing an
article and a theme while the page is open. Screenshots go to the test's tmp_path.

Skipped only when /usr/bin/chromium is missing; .ci/run installs it, so CI never skips.
No browser is downloaded: Playwright's own driver talks to the system Chromium.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("/usr/bin/chromium 不存在:安装 Debian 的 chromium 包(apt-get install chromium)后才能运行浏览器测试",
                allow_module_level=True)

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from pipeline.cli import main  # noqa: E402
from tests.test_preview import copy_samples, running_serve  # noqa: E402
from tests.testing.fixtures import PROJECT  # noqa: E402

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--disable-extensions", "--disable-default-apps",
]
PHONE_WIDTH = 375
SAMPLES = sorted(p.parent.relative_to(PROJECT).as_posix() for p in (PROJECT / "content").rglob("index.md"))
RELOAD_TIMEOUT_MS = 8000

# Elements inside a phone that stick out of it, ignoring those inside a box that scrolls
# or clips horizontally (tables and code may scroll in their own overflow-x:auto wrapper),
# unless `strict`: WeChat's structure checker measures every element, scroll box or not.
OVERFLOW_JS = """
(phone, strict) => {
  const frame = phone.getBoundingClientRect();
  const bad = [];
  for (const el of phone.querySelectorAll('*')) {
    let clipped = false;
    for (let a = el.parentElement; a && a !== phone && !strict; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') { clipped = true; break; }
    }
    if (clipped) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < frame.left - 0.5 || r.right > frame.right + 0.5) {
      bad.push(el.tagName + ' ' + (el.getAttribute('class') || '') + ' ' + Math.round(r.left - frame.left) + '..'
               + Math.round(r.right - frame.left) + ' ' + (el.textContent || '').slice(0, 30));
    }
  }
  return {client: phone.clientWidth, scroll: phone.scrollWidth, bad: bad};
}
"""

IMAGES_JS = """
() => Array.from(document.images).map(img => ({
  src: img.getAttribute('src').slice(0, 30), complete: img.complete, width: img.naturalWidth,
  shown: img.getBoundingClientRect().width}))
"""

CROPS_JS = """
() => Array.from(document.querySelectorAll('[data-crop]')).map(el => {
  const r = el.getBoundingClientRect();
  return {crop: el.dataset.crop, ratio: r.width / r.height, image: getComputedStyle(el).backgroundImage.slice(0, 20)};
})
"""


def luminance(css_colour: str) -> float:
    """Relative brightness 0..1 of a computed `rgb(...)`/`rgba(...)` colour."""
    values = [float(v) for v in css_colour[css_colour.index("(") + 1:-1].replace("/", ",").split(",")[:3]]
    return (0.2126 * values[0] + 0.7152 * values[1] + 0.0722 * values[2]) / 255


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 960, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_samples(tmp_path_factory.mktemp("samples") / "repo")


@pytest.fixture(scope="module")
def server(samples: Path) -> Iterator[str]:
    with running_serve(samples) as base:
        yield base


def check_layout(tab: Page) -> None:
    phones = tab.locator(".phone")
    assert phones.count() == 4
    for i in range(phones.count()):
        result: dict[str, Any] = phones.nth(i).evaluate(OVERFLOW_JS)
        assert result["client"] == PHONE_WIDTH, result
        assert result["scroll"] <= result["client"], result
        assert not result["bad"], result["bad"]
    images: list[dict[str, Any]] = tab.evaluate(IMAGES_JS)
    for image in images:
        assert image["complete"] and image["width"] > 0, image
        assert image["src"].startswith(("data:image/jpeg", "data:image/png")), image  # real pictures, no placeholder
        assert 0 < image["shown"] <= PHONE_WIDTH - 32 + 0.5, image
    crops: list[dict[str, Any]] = tab.evaluate(CROPS_JS)
    wanted = {"2.35:1": 2.35, "1:1": 1.0}
    assert {c["crop"] for c in crops} == set(wanted)
    for crop in crops:
        assert abs(crop["ratio"] - wanted[crop["crop"]]) < 0.03, crop
        assert crop["image"].startswith('url("data:image/'), crop


def check_modes(tab: Page) -> None:
    light = tab.locator('[data-mode="light"] .article-phone')
    dark = tab.locator('[data-mode="dark"] .article-phone')
    assert luminance(light.evaluate("e => getComputedStyle(e).backgroundColor")) > 0.9
    assert luminance(dark.evaluate("e => getComputedStyle(e).backgroundColor")) < 0.15
    text = "e => getComputedStyle(e.querySelector('.rich_media_content > section')).color"
    assert luminance(light.evaluate(text)) < 0.35
    assert luminance(dark.evaluate(text)) > 0.6
    assert "浅色模式" in tab.inner_text("body") and "深色模式" in tab.inner_text("body")


@pytest.mark.parametrize("bundle", SAMPLES)
def test_sample_article_fits_the_phone(server: str, page: Page, bundle: str, tmp_path: Path) -> None:
    response = page.goto(f"{server}{bundle}/", wait_until="load")
    assert response is not None and response.status == 200
    check_layout(page)
    check_modes(page)
    shot = tmp_path / f"{bundle.replace('/', '--')}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_varied_samples_are_covered() -> None:
    """The parametrized test above includes a table, a code block and two body images."""
    bodies = {b: (PROJECT / b / "index.md").read_text(encoding="utf-8") for b in SAMPLES}
    assert any("| --- |" in text for text in bodies.values())
    assert any("```" in text for text in bodies.values())
    assert any(text.count("](photo-") >= 2 for text in bodies.values())


def test_index_links_every_article(server: str, page: Page) -> None:
    page.goto(server)
    links = page.locator("main a")
    assert links.count() == len(SAMPLES)
    links.first.click()
    page.wait_for_selector(".rich_media_content")
    check_layout(page)


def test_preview_files_open_from_disk(samples: Path, page: Page, tmp_path: Path) -> None:
    """The CI artifact: pages written by `wxpub preview`, opened as file:// with no server."""
    out = tmp_path / "preview"
    assert main(["--root", str(samples), "preview", "-o", str(out)]) == 0
    page.goto((out / "index.html").as_uri())
    page.locator("main a", has_text="第 58 届田径运动会").click()  # the one with two body images and a table
    page.wait_for_selector(".rich_media_content")
    assert page.url.startswith("file://")
    assert len(page.evaluate(IMAGES_JS)) == 4  # two photos, in each mode
    check_layout(page)
    page.screenshot(path=str(tmp_path / "from-disk.png"), full_page=True)


def test_live_reload_after_editing_the_article_and_the_theme(page: Page, tmp_path: Path) -> None:
    samples = copy_samples(tmp_path / "repo")  # its own copy: this test edits files
    bundle = "content/official/academic-affairs/2026-09-07-course-selection"
    with running_serve(samples) as base:
        page.goto(f"{base}{bundle}/")
        page.wait_for_selector(".rich_media_content")
        index = samples / bundle / "index.md"
        index.write_text(index.read_text(encoding="utf-8") + "\n实时刷新测试：这一段是刚刚加上的。\n", encoding="utf-8")
        page.wait_for_function("document.body.innerText.includes('实时刷新测试：这一段是刚刚加上的。')",
                               timeout=RELOAD_TIMEOUT_MS)
        assert page.locator(".rich_media_content", has_text="实时刷新测试").count() == 2  # both modes

        heading = "e => getComputedStyle(e.querySelector('.rich_media_content h2')).color"
        light = page.locator('[data-mode="light"] .article-phone')
        assert light.evaluate(heading) == "rgb(178, 34, 34)"  # classic's #b22222
        theme = samples / "themes/classic/theme.yaml"
        theme.write_text(theme.read_text(encoding="utf-8").replace("color: #b22222", "color: #1a5fb4"), encoding="utf-8")
        page.wait_for_function(
            "getComputedStyle(document.querySelector('[data-mode=light] .rich_media_content h2')).color"
            " === 'rgb(26, 95, 180)'", timeout=RELOAD_TIMEOUT_MS)
        page.screenshot(path=str(tmp_path / "reloaded.png"), full_page=True)

        index.write_text("---\ntitle: [broken\n---\n", encoding="utf-8")
        page.wait_for_function("document.body.innerText.includes('YAML')", timeout=RELOAD_TIMEOUT_MS)


def test_the_preview_shows_the_uploaded_bundle_images_and_fetches_nothing(page: Page, tmp_path: Path) -> None:
    """Bundle files named like URLs (`https%3A//…`, `http%3Ax.png`), web images whose text is
    such a file's name, `//host` and data: targets (tests/test_preview_images.py): opened from
    disk in Chromium, each picture of the article is the one the publisher uploads at that
    place (each test picture has its own width) or a placeholder, and the page asks for
    nothing but itself."""
    import io

    from PIL import Image

    from pipeline.policies import load_policies
    from tests.test_preview_images import ATTACKER_TARGETS, sent_and_shown, write_bundle
    from tests.testing.fixtures import make_repo

    root = make_repo(tmp_path)
    policies = load_policies(root)
    article = write_bundle(root, ATTACKER_TARGETS)
    sent, _, html, uploaded = sent_and_shown(article, policies)
    widths = [Image.open(io.BytesIO(article.files.read(uploaded[src]))).width if src in uploaded else 343 for src in sent]
    assert widths.count(343) < len(widths)  # some real photos among the placeholders
    preview = tmp_path / "preview.html"
    preview.write_text(html, encoding="utf-8")
    asked: list[str] = []

    def refuse_all_but_the_page(route: Any) -> None:
        asked.append(route.request.url)
        if route.request.url == preview.as_uri():
            route.continue_()
        else:
            route.abort()

    page.context.route("**/*", refuse_all_but_the_page)
    page.goto(preview.as_uri())
    page.wait_for_load_state("load")
    shown = page.evaluate("""() => Array.from(document.querySelectorAll('[data-mode="light"] .rich_media_content img'))
                               .map(img => ({width: img.naturalWidth, complete: img.complete}))""")
    assert all(image["complete"] for image in shown), shown
    assert [image["width"] for image in shown] == widths
    assert asked == [preview.as_uri()]
