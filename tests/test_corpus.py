"""The render corpus (tests/corpus/content: long code lines, 3 to 10 columns, nesting 2 to 20
deep, long unbroken tokens, odd image sizes, every construct of the Markdown dialect) and the
sample content, rendered in every theme by tools/render_corpus.py, the files one runs WeChat's
official structure checker over (BENCHMARKS.md has the recipe).

Every file passes the static `--check` rules; lint reports a flattened level (RENDER003) at
exactly the lines whose nesting goes past WeChat's limit, and nothing else is lost; and in
Debian's Chromium no element of any file sticks out of the article at 375, 585 or 677 px,
scroll boxes included, as the official checker measures.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pipeline.render.check import check_html
from tests.testing.fixtures import PROJECT, found, lint_json, make_repo

CORPUS = PROJECT / "tests" / "corpus" / "content"
SCREEN_WIDTHS = (375, 585, 677)  # the widths WeChat's checker lays an article out at


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_corpus", PROJECT / "tools" / "render_corpus.py")
    assert spec is not None and spec.loader is not None
    module = sys.modules["render_corpus"] = importlib.util.module_from_spec(spec)  # its dataclass looks itself up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT_DIR as `python tools/render_corpus.py OUT_DIR` writes it."""
    out = tmp_path_factory.mktemp("corpus-html")
    assert _tool().main([str(out)]) == 0
    return out


def test_every_article_is_rendered_in_every_theme(rendered: Path) -> None:
    themes = sorted(p.name for p in (PROJECT / "themes").iterdir() if (p / "theme.yaml").is_file())
    articles = len(list(CORPUS.rglob("index.md"))) + len(list((PROJECT / "content").rglob("index.md")))
    files = sorted(rendered.glob("*.html"))
    assert len(files) == articles * len(themes) and articles >= 40, (len(files), articles, themes)
    assert {f.name.rsplit(".", 2)[1] for f in files} == set(themes)


def test_every_file_passes_the_static_check(rendered: Path) -> None:
    problems = {f.name: check_html(f.read_text(encoding="utf-8")) for f in sorted(rendered.glob("*.html"))}
    assert not {name: p for name, p in problems.items() if p}, problems


def test_the_corpus_covers_what_it_promises() -> None:
    bodies = {p.parent.name: p.read_text(encoding="utf-8") for p in CORPUS.rglob("index.md")}
    code = bodies["2026-11-30-code"]
    lines = [line for line in code.split("\n") if line and not line.startswith(("```", "---"))]
    assert max(map(len, lines)) >= 150 and sum(40 <= len(line) for line in lines) >= 10
    assert len(re.findall(r"^```\w+$", code, re.M)) >= 10 and "\n```\n0123" in code  # languages, and none
    columns = {int(name[-2:]) for name in bodies if name.startswith("2026-11-30-table-")}
    assert columns == set(range(3, 11))
    depths = {int(name[-2:]) for name in bodies if name.startswith("2026-11-30-nesting-")}
    assert {2, 10, 20} <= depths
    gfm = bodies["2026-11-30-gfm"]
    for construct in ("[^note]", "- [x]", "~~", "###### ", "---", "<!--", "  \n", "<https://", "> [!NOTE]", ":---:"):
        assert construct in gfm, construct


@pytest.fixture(scope="module")
def corpus_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_repo(tmp_path_factory.mktemp("corpus"))
    shutil.copytree(CORPUS, root / "content")
    return root


def test_lint_reports_each_flattened_level_and_nothing_is_dropped(corpus_repo: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, report = lint_json(corpus_repo, capsys)
    assert not found(report, "BODY007", "RENDER001", "RENDER002"), report
    assert code == 0, [f for f in report["findings"] if f["severity"] == "error"]
    flattened: dict[str, set[int]] = {}
    for finding in found(report, "RENDER003"):
        assert finding["severity"] == "warning" and "展平" in finding["message"] and "文字全部保留" in finding["message"]
        flattened.setdefault(Path(finding["path"]).parent.name, set()).add(finding["line"])
    for index in CORPUS.rglob("index.md"):
        lines = index.read_text(encoding="utf-8").split("\n")
        # the levels past the limit: 12 elements fit in the article section (level 3 to 14);
        # a list level is two (list, item), a quote one, and a paragraph with one inline
        # element must fit below: list items from the 6th level, quotes from the 11th
        deep = {n for n, line in enumerate(lines, 1) if (level := re.search(r"第 (\d+) 层(列表项|引用)$", line))
                and int(level[1]) >= (6 if level[2] == "列表项" else 11)}
        reported = flattened.get(index.parent.name, set())
        assert deep <= reported, (index.parent.name, sorted(deep - reported))
        assert all("层" in lines[n - 1] for n in reported), (index.parent.name, sorted(reported))


# -- in the browser ---------------------------------------------------------------------------

from tests.testing.browser import browser_only, tab  # noqa: E402,F401  (tab: a fixture)


@browser_only
def test_nothing_sticks_out_at_any_screen_width(rendered: Path, tab: Any) -> None:
    """Each file as the checker lays it out: the HTML alone in a page of the screen's width."""
    from tests.test_preview_browser import OVERFLOW_JS
    sticking_out: dict[str, Any] = {}
    for html in sorted(rendered.glob("*.html")):
        tab.goto(html.as_uri(), wait_until="load")
        tab.add_style_tag(content="body { margin: 0 }")
        broken = tab.evaluate("() => Array.from(document.images).filter(i => !i.complete || !i.naturalWidth).length")
        assert broken == 0, html.name  # the odd-sized pictures are really there, and measured
        for width in SCREEN_WIDTHS:
            tab.set_viewport_size({"width": width, "height": 800})
            result = tab.locator("body").evaluate(OVERFLOW_JS, True)
            if result["bad"] or result["scroll"] > result["client"]:
                sticking_out[f"{html.name}@{width}"] = result
    assert not sticking_out, sticking_out
