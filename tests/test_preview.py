"""Phone previews: the page (`build_preview`), `wxpub preview` and `wxpub serve` over real HTTP.

The browser checks (layout, images, live reload in real Chromium) are in
test_preview_browser.py; the helpers to run `wxpub serve` live here and are shared.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import re
import socket
import selectors
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator
from urllib.parse import unquote

import pytest

from pipeline.cli import main
from pipeline.content import Article, Bundle, load_article
from pipeline.policies import load_policies
from pipeline.preview import build_preview, bundle_image_url, dark_declarations, dark_html, embed_image
from pipeline.render import render_article
from pipeline.render.html import ImageSource
from pipeline.snapshot import WorkTree
from tests.testing.fixtures import PROJECT, commit_all, git, jpeg_bytes, write_article

SERVE_START_SECONDS = 20


# -- shared helpers -------------------------------------------------------------------------
def with_themes(root: Path) -> Path:
    """make_repo copies the policy only; rendering needs the themes too."""
    return root


def copy_samples(target: Path) -> Path:
    """A copy of the sample repository (policy, word lists, themes, all articles)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("content", "themes", "policies"):
        shutil.copytree(PROJECT / name, target / name)
    shutil.copy2(PROJECT / "policies.yaml", target / "policies.yaml")
    return target


@contextlib.contextmanager
def running_serve(root: Path, *args: str) -> Iterator[str]:
    """`wxpub serve --port 0` as a real subprocess; yields its base URL (http://127.0.0.1:N/)."""
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(root), "serve", "--port", "0", *args],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        line = proc.stdout.readline() if selector.select(timeout=SERVE_START_SECONDS) else ""
        if "http://" not in line:
            proc.kill()
            raise AssertionError(f"wxpub serve did not start: {line!r} {proc.communicate()[1]}")
        yield line[line.index("http://"):].split()[0]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def raw_get(base: str, path: str) -> tuple[int, str]:
    """GET with `path` sent byte for byte (urllib would tidy up `..` before sending)."""
    host, port = base.split("//")[1].strip("/").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


RICH_BODY = (
    "开学第一课在体育馆举行。\n\n"
    "![新生入场](photo-1.jpg)\n\n"
    "## 日程\n\n"
    "| 时间 | 内容 |\n| --- | --- |\n| 9:00 | 开幕 |\n\n"
    "```python\nprint('你好')\n```\n\n"
    "![](photo-2.png)\n"
)


def png_bytes() -> bytes:
    return jpeg_bytes(400, 300, color=(200, 60, 60), fmt="PNG")


@pytest.fixture
def site(repo: Path) -> Path:
    with_themes(repo)
    write_article(repo, body=RICH_BODY, front_matter={"digest": "开学第一课摘要。"},
                  files={"photo-1.jpg": jpeg_bytes(960, 540), "photo-2.png": png_bytes()})
    return repo


def load(root: Path, rel: str = "content/official/publicity/2026-10-20-sports-day/index.md") -> Article:
    article = load_article(WorkTree(root), PurePosixPath(rel))
    assert isinstance(article, Article), article
    return article


# -- the page -------------------------------------------------------------------------------
def test_page_holds_rendered_content_both_modes_crops_and_byline(site: Path) -> None:
    policies = load_policies(site)
    article = load(site)
    page = build_preview(article, policies)
    # the light phone shows exactly what goes to WeChat (with the images embedded)
    rendered = render_article(article, policies, image_url=bundle_image_url(article.files))
    assert rendered.content in page
    assert page.startswith("<!DOCTYPE html>") and page.count("<html") == 1
    for expected in ('data-mode="light"', 'data-mode="dark"', "浅色模式", "深色模式", "订阅号消息",
                     'data-crop="2.35:1"', 'data-crop="1:1"', "aspect-ratio:2.35/1", "aspect-ratio:1/1"):
        assert expected in page, expected
    assert page.count('class="phone') == 4  # feed and article page, in each mode
    # WeChat's meta line (原创, author, account) and the theme's byline (author and department)
    assert '<span class="meta_tag">原创</span><span class="meta_author">王芳</span>' in page
    assert '<span class="meta_nickname">江城大学</span>' in page
    assert "文 / 王芳　党委宣传部" in page
    assert page.count("学校举行秋季运动会") >= 6  # header, feed cards, article title in both modes
    assert page.count("开学第一课摘要。") == 4  # single-post card and chat card, in each mode
    assert "<script" not in page  # a static file: no live reload outside `wxpub serve`


def test_images_are_embedded_from_the_bundle(site: Path) -> None:
    article = load(site)
    page = build_preview(article, load_policies(site))
    photo = base64.b64encode((site / article.bundle / "photo-1.jpg").read_bytes()).decode()
    cover = base64.b64encode((site / article.bundle / "cover.jpg").read_bytes()).decode()
    assert page.count(f'src="data:image/jpeg;base64,{photo}"') == 2  # light and dark
    assert page.count("data:image/png;base64,") == 2
    assert page.count(cover) == 1  # the cover once, in CSS, shared by every crop
    assert 'src="photo-1.jpg"' not in page


@pytest.mark.parametrize(("image", "why"), [
    (ImageSource("missing.jpg", in_bundle=True), "找不到图片"),
    (ImageSource("../../../../policies.yaml", in_bundle=True), "图片不在文章目录中"),
    (ImageSource("/etc/passwd", in_bundle=True), "图片不在文章目录中"),
    (ImageSource("//example.com/a.jpg", in_bundle=True), "图片不在文章目录中"),
    (ImageSource("https://example.com/a.jpg", in_bundle=False), "外链图片"),
    (ImageSource("notes.txt", in_bundle=False), "外链图片"),  # the renderer's word, not the name's look
    (ImageSource("notes.txt", in_bundle=True), "不是图片文件"),
])
def test_images_that_cannot_be_shown_become_placeholders(repo: Path, image: ImageSource, why: str) -> None:
    index = write_article(repo, files={"notes.txt": b"plain text"})
    uri = embed_image(bundle_of(repo, index), image)
    assert uri.startswith("data:image/svg+xml")
    assert why in unquote(uri)
    assert "school" not in unquote(uri)  # nothing of policies.yaml leaks into the page


def test_symlink_out_of_the_bundle_is_not_followed(repo: Path) -> None:
    index = write_article(repo)
    (index.parent / "escape.jpg").symlink_to(repo / "policies.yaml")
    assert "图片不在文章目录中" in unquote(embed_image(bundle_of(repo, index), ImageSource("escape.jpg", in_bundle=True)))


def bundle_of(repo: Path, index: Path) -> Bundle:
    return Bundle(WorkTree(repo), PurePosixPath(index.parent.relative_to(repo).as_posix()))


def test_dark_mode_recolours_styles_only(site: Path) -> None:
    policies = load_policies(site)
    content = render_article(load(site), policies).content
    dark = dark_html(content)
    strip = re.compile(r'style="[^"]*"')
    assert strip.sub("", dark) == strip.sub("", content)  # same tags and text
    assert "color: #333333" in content and "color: #333333" not in dark
    fills = set(re.findall(r"background-color: (#[0-9a-f]{6})", content))
    light_fills = {f for f in fills if min(int(f[i:i + 2], 16) for i in (1, 3, 5)) > 0xe0}
    assert light_fills  # the code block and the table header at least
    dark_fills = set(re.findall(r"background-color: (#[0-9a-f]{6})", dark))
    assert light_fills.isdisjoint(dark_fills), light_fills & dark_fills
    for fill in light_fills:  # each light fill became a dark grey, present in the dark page
        mapped = dark_declarations(f"background-color: {fill}").split("#")[1]
        assert f"#{mapped}" in dark_fills and max(int(mapped[i:i + 2], 16) for i in (0, 2, 4)) < 0x40, (fill, mapped)


@pytest.mark.parametrize(("css", "check"), [
    ("color: #333333", lambda c: int(c.split("#")[1][:2], 16) > 0xa0),  # dark text turns light
    ("background-color: #ffffff", lambda c: int(c.split("#")[1][:2], 16) < 0x30),  # white fill turns dark
    ("background-color: #f6f8fa", lambda c: int(c.split("#")[1][:2], 16) < 0x40),
    ("border: 1px solid #dddddd", lambda c: "1px solid #" in c and int(c.split("#")[1][:2], 16) < 0x60),
    ("color: rgba(0, 0, 0, 0.5)", lambda c: c.startswith("color: rgba(") and c.endswith("0.50)")),
    ("color: white", lambda c: c != "color: white" and int(c.split("#")[1][:2], 16) < 0xff),
    ("margin: 0 0 16px 0; font-size: 14px", lambda c: c == "margin: 0 0 16px 0; font-size: 14px"),
])
def test_dark_colour_mapping(css: str, check: Callable[[str], bool]) -> None:
    result = dark_declarations(css)
    assert check(result), result


def test_red_accent_stays_red_in_dark_mode() -> None:
    result = dark_declarations("color: #b22222")
    red, green, blue = (int(result[8 + i:10 + i], 16) for i in (0, 2, 4))
    assert red > green + 40 and red > blue + 40 and red > 0xb2


def test_digest_falls_back_to_the_body(repo: Path) -> None:
    with_themes(repo)
    write_article(repo, body="第一段正文内容，讲述运动会的经过。\n\n第二段。\n")
    page = build_preview(load(repo), load_policies(repo))
    assert "第一段正文内容，讲述运动会的经过。第二段。" in page
    assert "取正文前 54 字" in page


def test_live_page_polls_its_version(site: Path) -> None:
    page = build_preview(load(site), load_policies(site), live=("/__wxpub/version?page=x", "abc"))
    assert "<script>" in page and '"/__wxpub/version?page=x"' in page and "location.reload()" in page


# -- wxpub preview --------------------------------------------------------------------------
def test_preview_command_writes_pages_and_index(site: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    write_article(site, account="youth", department="youth-league", slug="2026-10-05-camp",
                  front_matter={"category": "学生活动"})
    monkeypatch.chdir(site)
    assert main(["preview", "content"]) == 0
    out = capsys.readouterr().out.split()
    folder = site / "build" / "preview"
    expected = ["official--publicity--2026-10-20-sports-day.html", "youth--youth-league--2026-10-05-camp.html", "index.html"]
    assert out == [f"build/preview/{name}" for name in expected]
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected)
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert 'href="official--publicity--2026-10-20-sports-day.html"' in index and "江城大学" in index and "青春江大" in index
    assert "深色模式" in (folder / expected[0]).read_text(encoding="utf-8")


def test_preview_one_article_to_a_chosen_folder(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    bundle = site / "content/official/publicity/2026-10-20-sports-day"
    assert main(["--root", str(site), "preview", str(bundle / "index.md"), "-o", str(out_dir)]) == 0
    assert sorted(p.name for p in out_dir.iterdir()) == ["index.html", "official--publicity--2026-10-20-sports-day.html"]


def test_preview_changed_since(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(site, slug="2026-10-21-other")
    commit_all(site, "two articles")
    git(site, "tag", "base")
    write_article(site, slug="2026-10-21-other", body="改过的正文。\n")
    out_dir = tmp_path / "changed"
    assert main(["--root", str(site), "preview", "--changed-since", "base", "-o", str(out_dir)]) == 0
    assert sorted(p.name for p in out_dir.iterdir()) == ["index.html", "official--publicity--2026-10-21-other.html"]
    capsys.readouterr()
    nothing = tmp_path / "nothing"
    commit_all(site, "edit")
    assert main(["--root", str(site), "preview", "--changed-since", "HEAD", "-o", str(nothing)]) == 0
    assert [p.name for p in nothing.iterdir()] == ["index.html"]
    assert "没有需要预览的文章" in (nothing / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "message"), [
    (["content/official/nowhere"], "路径不存在"),
    (["--theme", "nosuch"], "找不到主题"),
    (["--changed-since", "no-such-rev"], "找不到 Git 版本"),
])
def test_preview_usage_errors(site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                              args: list[str], message: str) -> None:
    monkeypatch.chdir(site)
    assert main(["preview", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_preview_broken_article_still_writes_the_others(site: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    write_article(site, slug="2026-10-22-broken", raw="没有 front matter\n")
    out_dir = tmp_path / "out"
    assert main(["--root", str(site), "preview", "-o", str(out_dir)]) == 2
    err = capsys.readouterr().err
    assert "1 篇文章无法预览" in err and "2026-10-22-broken" in err and "Traceback" not in err
    assert (out_dir / "official--publicity--2026-10-20-sports-day.html").is_file()
    assert "缺少 YAML front matter" in (out_dir / "index.html").read_text(encoding="utf-8")


# -- wxpub serve ----------------------------------------------------------------------------
ARTICLE_URL = "content/official/publicity/2026-10-20-sports-day/"


def test_serve_answers_index_and_article_over_http(site: Path) -> None:
    with running_serve(site) as base:
        assert base.startswith("http://127.0.0.1:")  # loopback unless told otherwise
        status, index = http_get(base)
        assert status == 200 and f'href="/{ARTICLE_URL}"' in index and "学校举行秋季运动会" in index
        status, page = http_get(base + ARTICLE_URL)
        assert status == 200 and "深色模式" in page and "data:image/png;base64," in page
        assert "/__wxpub/version?page=content%2Fofficial%2Fpublicity%2F2026-10-20-sports-day" in page
        status, no_slash = http_get(base + ARTICLE_URL.rstrip("/"))
        assert status == 200


@pytest.mark.parametrize("path", [
    "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "/content/../policies.yaml",
    "/policies.yaml", "/content/official/", "/content/official/publicity/2026-10-20-sports-day/cover.jpg",
    "//etc/passwd", "/content/official/publicity/2026-10-20-sports-day/../../../../../etc/passwd",
])
def test_serve_404s_outside_the_articles(site: Path, path: str) -> None:
    with running_serve(site) as base:
        status, body = raw_get(base, path)
        assert status == 404, body[:200]
        assert "root:" not in body and "governing_body" not in body
        assert "找不到这个页面" in body


def test_serve_version_changes_when_the_article_changes(site: Path) -> None:
    with running_serve(site) as base:
        url = base + "__wxpub/version?page=" + ARTICLE_URL.strip("/").replace("/", "%2F")
        first = http_get(url)[1]
        assert http_get(url)[1] == first
        index = site / ARTICLE_URL / "index.md"
        index.write_text(index.read_text(encoding="utf-8") + "\n新的一段。\n", encoding="utf-8")
        second = http_get(url)[1]
        assert second != first
        theme = site / "themes/classic/theme.yaml"
        theme.write_text(theme.read_text(encoding="utf-8").replace("#b22222", "#123456"), encoding="utf-8")
        assert http_get(url)[1] != second
        assert "#123456" in http_get(base + ARTICLE_URL)[1]  # the theme cache was dropped
        assert http_get(base + "__wxpub/version?page=content%2Fnope")[1] == "gone"


def test_serve_shows_a_broken_article_as_a_page_not_a_crash(site: Path) -> None:
    write_article(site, slug="2026-10-22-broken", raw="---\ntitle: [unclosed\n---\n")
    with running_serve(site) as base:
        status, page = http_get(base + "content/official/publicity/2026-10-22-broken/")
        assert status == 500 and "YAML" in page and "location.reload()" in page and "Traceback" not in page
        # where and which rule, as lint says it, so the editors' guide can be looked up; said once
        assert re.search(r"content/official/publicity/2026-10-22-broken/index.md:\d+:\d+<", page) and "错误 ART003 " in page
        assert page.count("自动刷新") == 1
        assert "ART003" in http_get(base)[1]  # the index names the rule too
        assert http_get(base)[0] == 200


def test_serve_refuses_a_folder_outside_the_repository(site: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(site), "serve", str(outside), "--port", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "不在仓库" in result.stderr and "Traceback" not in result.stderr


def test_serve_reports_a_busy_port(site: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(site), "serve", "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--port" in result.stderr and "Traceback" not in result.stderr
    assert "端口已被占用" in result.stderr and "Address already in use" not in result.stderr  # editors run serve


def test_sample_articles_all_preview(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_samples(tmp_path / "samples")
    started = time.monotonic()
    assert main(["--root", str(root), "preview", "-o", str(tmp_path / "out")]) == 0
    pages = sorted((tmp_path / "out").glob("*--*.html"))
    assert len(pages) == len(list((root / "content").rglob("index.md")))
    for page in pages:
        assert page.stat().st_size < 600_000, page  # images embedded, still a reasonable page
    assert time.monotonic() - started < 30


def test_image_with_a_chinese_name_and_a_space(repo: Path) -> None:
    with_themes(repo)
    photo = jpeg_bytes(300, 200, color=(10, 200, 10))
    write_article(repo, body="正文。\n\n![现场](<现场 照片.jpg>)\n", files={"现场 照片.jpg": photo})
    page = build_preview(load(repo), load_policies(repo))
    assert page.count(base64.b64encode(photo).decode()) == 2
    assert "找不到图片" not in unquote(page)
