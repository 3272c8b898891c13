"""A phone-sized tab in Debian's headless Chromium, shared by the render tests that look at
rendered articles (import `tab` and `browser_only` into the test module)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

browser_only = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                                  reason="/usr/bin/chromium 不存在:安装 Debian 的 chromium 包后才能运行浏览器测试")


@pytest.fixture(scope="module")
def tab() -> Iterator[Any]:
    """One 375 px page for the whole module (tests resize it as they need)."""
    from playwright.sync_api import sync_playwright

    from tests.test_preview_browser import CHROMIUM, CHROMIUM_ARGS
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 375, "height": 800})
        yield page
        browser.close()
