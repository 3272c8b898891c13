"""Golden files: tests/golden/<case>.md rendered with the classic theme must equal <case>.html.

Each .md is an article body (or, when it starts with `---`, a whole index.md with its own
front matter, for byline cases). It goes through the real pipeline: a bundle written into a
temporary content repository, `load_article`, `render_article`. A change to the renderer or
the classic theme shows up as a readable diff of the .html; after checking the diff, rewrite
the files with

    UPDATE_GOLDEN=1 /work/venv/bin/python -m pytest -q tests/test_render_golden.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

import pytest

from pipeline.content import Article, load_article
from pipeline.policies import load_policies
from pipeline.render import RenderedArticle, render_article
from pipeline.render.html import ImageSource
from pipeline.snapshot import WorkTree
from tests.testing.fixtures import jpeg_bytes, make_repo, write_article

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.md"))
UPLOADED = "https://mmbiz.qpic.cn/mmbiz_jpg/test/"


def uploaded(image: ImageSource) -> str:
    """The image_url hook the tests use: a bundle file becomes an uploaded URL, with the file name
    visible in it (the publisher gets opaque mmbiz URLs back); a web image is left alone."""
    return UPLOADED + image.name if image.in_bundle else image.name


@pytest.fixture(scope="module")
def render_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A content repository with the sample policy and this project's themes (make_repo copies
    only the policy)."""
    root = make_repo(tmp_path_factory.mktemp("render"))
    return root


def render_markdown(root: Path, text: str, *, slug: str = "2026-10-20-golden", theme: str | None = "classic",
                    account: str = "official", department: str = "publicity",
                    files: dict[str, bytes] | None = None) -> RenderedArticle:
    """Write `text` as a bundle (a body, or a whole index.md when it starts with front matter),
    load it and render it the way the publisher does."""
    if text.startswith("---\n"):
        index = write_article(root, account=account, department=department, slug=slug, raw=text, files=files)
    else:
        index = write_article(root, account=account, department=department, slug=slug, body=text, files=files)
    article = load_article(WorkTree(root), PurePosixPath(index.relative_to(root).as_posix()))
    assert isinstance(article, Article), article
    return render_article(article, load_policies(root), image_url=uploaded, theme=theme)


@pytest.mark.parametrize("case", CASES)
def test_golden(render_repo: Path, case: str) -> None:
    source = (GOLDEN / f"{case}.md").read_text(encoding="utf-8")
    html = render_markdown(render_repo, source, slug=f"2026-10-20-{case}").content + "\n"
    expected_file = GOLDEN / f"{case}.html"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected_file.write_text(html, encoding="utf-8")
    assert expected_file.is_file(), f"no {expected_file.name}: run with UPDATE_GOLDEN=1 and review it"
    assert html == expected_file.read_text(encoding="utf-8")


def test_every_case_has_its_html() -> None:
    assert {p.stem for p in GOLDEN.glob("*.html")} == set(CASES)


# -- what the golden files show, said once more as plain assertions -------------------------

def test_references_are_numbered_once_per_url_footnotes_beside_them(render_repo: Path) -> None:
    rendered = render_markdown(render_repo, (GOLDEN / "links.md").read_text(encoding="utf-8"), slug="2026-10-20-links")
    assert [(r.number, r.url, r.title) for r in rendered.references] == [
        (1, "https://news.example.edu.cn/info/1.htm", "学校新闻网"),
        (2, "https://www.moe.example.gov.cn/", "教育部"),
        (3, "https://www.example.org/auto", ""),
        (4, "https://example.com/bold", "加粗的外链"),
        (5, "https://example.net/new", "新的"),  # from the footnote, after the body's links
    ]
    html = rendered.content
    assert html.count("[1] 学校新闻网：") == 1  # listed once, used three times
    assert html.count(">[1]</sup>") == 3
    assert html.index(">注释</p>") < html.index(">参考链接</p>")
    assert '<a href="https://mp.weixin.qq.com/s/abcDEF123"' in html
    assert '<a href="http://mp.weixin.qq.com/s?__biz=MzA&amp;mid=1"' in html
    assert "news.example.edu.cn" not in html.split(">参考链接</p>")[0]  # no href, no URL in the body


def test_repost_names_its_source_as_reference_one(render_repo: Path) -> None:
    rendered = render_markdown(render_repo, (GOLDEN / "repost.md").read_text(encoding="utf-8"), slug="2026-10-20-repost")
    assert [(r.number, r.url, r.title) for r in rendered.references] == [
        (1, "https://www.jyb.example.cn/news/2026/1020.html", "中国教育报"),
        (2, "https://www.moe.example.gov.cn/notice.html", "教育部网站"),
    ]
    assert "转载自：中国教育报<sup" in rendered.content
    assert "原创" not in rendered.content
    assert rendered.content_source_url == "https://www.jyb.example.cn/news/2026/1020.html"


def test_original_article_carries_the_mark(render_repo: Path) -> None:
    rendered = render_markdown(render_repo, (GOLDEN / "original.md").read_text(encoding="utf-8"), slug="2026-10-20-original")
    assert ">原创</span> 文 / 王芳　党委宣传部</p>" in rendered.content
    assert "转载自" not in rendered.content


IMAGE_FILES = ("photo-1.jpg", "photo-2.jpg", "现场照片.jpg", "team photo.jpg", "icon.png", "a.jpg", "b.jpg")


def test_images_are_listed_as_bundle_files_in_order_without_duplicates(render_repo: Path) -> None:
    rendered = render_markdown(render_repo, (GOLDEN / "images.md").read_text(encoding="utf-8"), slug="2026-10-20-images",
                               files={name: jpeg_bytes(30, 20) for name in IMAGE_FILES})
    # decoded (现场照片.jpg, not %E7%8E%B0...), as lint resolves them and as they are on disk
    assert rendered.images == (*IMAGE_FILES, "https://example.com/remote.jpg")
    assert rendered.refused == ()
    assert rendered.content.count("<figcaption") == 7  # every figure with alt text, none without
    assert f'<img src="{UPLOADED}photo-2.jpg" alt=""' in rendered.content


def test_images_the_bundle_does_not_serve_are_refused_not_listed(render_repo: Path) -> None:
    rendered = render_markdown(render_repo, (GOLDEN / "images.md").read_text(encoding="utf-8"), slug="2026-10-21-images")
    assert rendered.images == ("https://example.com/remote.jpg",)  # nothing for the publisher to read
    assert [(r.shown, r.problem) for r in rendered.refused] == [(name, "missing") for name in IMAGE_FILES]


def test_comments_are_never_shown(render_repo: Path) -> None:
    rendered = render_markdown(render_repo, (GOLDEN / "comments.md").read_text(encoding="utf-8"),
                               slug="2026-10-20-comments")
    html = rendered.content
    shown = re.sub(r"<code.*?</code>", "", html)  # code keeps its comments, as written
    assert "wxpub-disable" not in shown and "备注" not in shown and "待核实" not in shown and "说明待补" not in shown
    assert shown.count("&lt;!--") == 1  # the one never closed: not a comment, so lint counts it too
    assert "第二段的第一行第二行。" in shown
    assert "Inline comment and tightjoin." in shown
    assert "&lt;!-- 代码里的注释保留 --&gt;" in html
    assert rendered.references == ()  # the link inside a note is no reference
    assert "<figure" in html  # an image followed by a note is still a figure


@pytest.mark.parametrize(("source", "expected"), [
    ("中文第一行，\n第二行", "中文第一行，第二行"),
    ("中文\n中文", "中文中文"),
    ("**加粗**\n**加粗**", "加粗</strong><strong"),
    ("[链接](https://mp.weixin.qq.com/s/a)\n[链接](https://mp.weixin.qq.com/s/b)", "链接</a><a"),
    ("使用 Python\n编写", "使用 Python 编写"),
    ("2026\n年", "2026 年"),
    ("English\nwords", "English words"),
    ("好的……\n“行”", "好的……“行”"),
    ("He said “hi”\n“bye”", "He said “hi” “bye”"),
    ("中文。\nEnglish", "中文。English"),
])
def test_soft_breaks(render_repo: Path, source: str, expected: str) -> None:
    assert expected in render_markdown(render_repo, source, slug="2026-10-20-soft").content
