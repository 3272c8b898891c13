"""Link rules LINK001-LINK004: targets must be files inside the bundle; external links noted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.markdown import parser
from tests.testing.fixtures import FRONT_MATTER, Lint, jpeg_bytes, messages, triples, where, write_article

LEAD = "\n学校举行秋季运动会，全校师生参加。\n\n"  # the body starts with prose, links follow


@pytest.fixture
def repo(clean_repo: Path) -> Path:
    return clean_repo


def article(repo: Path, links: str, files: dict[str, bytes] | None = None) -> Path:
    return write_article(repo, raw=FRONT_MATTER + LEAD + links, files=files)


# -- LINK001 missing files --------------------------------------------------------------------------

def test_missing_file_is_link001_with_line_and_column(repo: Path, lint: Lint) -> None:
    index = article(repo, "请看[报名表](files/form.pdf)并按时提交。\n")
    code, findings = lint(repo)
    assert code == 1
    line, column = where(index, "files/form.pdf", after="")
    assert (line, column) == (12, 9)  # "请看[报名表](" is 8 characters
    assert triples(findings, "LINK") == [("LINK001", line, column)]
    assert messages(findings, "LINK001") == ["链接指向的文件 files/form.pdf 不存在;请检查文件名(区分大小写),并把文件放进文章目录"]


def test_existing_file_in_bundle_passes(repo: Path, lint: Lint) -> None:
    article(repo, "请看[报名表](files/form.pdf)。\n\n![现场](photos/track.jpg)\n",
            files={"files/form.pdf": b"%PDF-1.4\n", "photos/track.jpg": jpeg_bytes(300, 200)})
    code, findings = lint(repo)
    assert triples(findings, "LINK") == []
    assert code == 0


def test_missing_image_is_link001(repo: Path, lint: Lint) -> None:
    index = article(repo, "![现场照片](photos/track.jpg)\n")
    _, findings = lint(repo)
    assert triples(findings, "LINK") == [("LINK001", *where(index, "photos/track.jpg", after=""))]
    assert messages(findings, "LINK001")[0].startswith("图片指向的文件 photos/track.jpg 不存在")


def test_file_names_are_case_sensitive(repo: Path, lint: Lint) -> None:
    index = article(repo, "![现场](Track.JPG)\n", files={"track.jpg": jpeg_bytes(300, 200)})
    _, findings = lint(repo)
    assert triples(findings, "LINK") == [("LINK001", *where(index, "Track.JPG", after=""))]


def test_directory_target_is_link001(repo: Path, lint: Lint) -> None:
    index = article(repo, "[全部照片](photos)\n", files={"photos/a.jpg": jpeg_bytes(300, 200)})
    _, findings = lint(repo)
    assert triples(findings, "LINK") == [("LINK001", *where(index, "photos)", after=""))]
    assert messages(findings, "LINK001") == ["链接指向的 photos 不是普通文件(而是目录等);请指向文章目录中的具体文件"]


# -- LINK002 outside the bundle --------------------------------------------------------------------

@pytest.mark.parametrize(("target", "shown"), [
    ("../2026-09-01-opening/index.md", "../2026-09-01-opening/index.md"),
    ("/etc/passwd", "/etc/passwd"),
    ("../../../../../etc/passwd", "../../../../../etc/passwd"),
    ("files/../../secret.txt", "files/../../secret.txt"),
    ("%2e%2e/%2e%2e/secret.txt", "../../secret.txt"),  # percent-encoding does not hide ../
])
def test_target_outside_bundle_is_link002(repo: Path, lint: Lint, target: str, shown: str) -> None:
    index = article(repo, f"参见[另一篇]({target})。\n")
    code, findings = lint(repo)
    assert code == 1
    assert triples(findings, "LINK") == [("LINK002", *where(index, target, after=""))]
    assert messages(findings, "LINK002") == [f"链接 {shown} 指向文章目录之外;图片等文件须放在本文目录中,"
                                             "引用其他文章请用其 mp.weixin.qq.com 链接"]


def test_image_outside_bundle_is_link002(repo: Path, lint: Lint) -> None:
    (repo / "shared.jpg").write_bytes(jpeg_bytes(300, 200))  # exists, but in no bundle
    index = article(repo, "![共用图片](../../../../shared.jpg)\n")
    _, findings = lint(repo)
    assert triples(findings, "LINK") == [("LINK002", *where(index, "../../../../shared.jpg", after=""))]
    assert messages(findings, "LINK002")[0].startswith("图片 ../../../../shared.jpg 指向文章目录之外")


def test_symlink_to_file_outside_repo_is_link002(tmp_path: Path, repo: Path, lint: Lint) -> None:
    secret = tmp_path / "outside" / "id_rsa.jpg"
    secret.parent.mkdir()
    secret.write_bytes(jpeg_bytes(300, 200))
    index = article(repo, "![照片](photo.jpg)\n")
    os.symlink(secret, index.parent / "photo.jpg")
    code, findings = lint(repo)
    assert code == 1
    assert triples(findings, "LINK") == [("LINK002", *where(index, "photo.jpg", after=""))]
    assert messages(findings, "LINK002") == ["图片 photo.jpg 经过符号链接;发布时不跟随符号链接(哪怕指向文章目录之内),"
                                             "请把文件本身复制进文章目录"]
    assert triples(findings, "MEDIA") == []  # the file behind the link is never opened


def test_symlinked_folder_outside_repo_is_link002(repo: Path, lint: Lint) -> None:
    index = article(repo, "[主机名](etc/hostname)\n")
    os.symlink("/etc", index.parent / "etc")
    _, findings = lint(repo)
    assert triples(findings, "LINK") == [("LINK002", *where(index, "etc/hostname", after=""))]
    assert "经过符号链接" in messages(findings, "LINK002")[0]


def test_symlink_to_another_bundle_is_link002(repo: Path, lint: Lint) -> None:
    other = write_article(repo, slug="2026-09-01-opening")
    index = article(repo, "![开学典礼](opening.jpg)\n")
    os.symlink(other.parent / "cover.jpg", index.parent / "opening.jpg")
    _, findings = lint(repo)
    assert triples(findings, "LINK") == [("LINK002", *where(index, "opening.jpg", after=""))]


def test_symlink_within_bundle_is_link002_too(repo: Path, lint: Lint) -> None:
    # What a link points at is decided at checkout, not in review: the publisher never follows one
    index = article(repo, "![现场](latest.jpg)\n", files={"photos/track.jpg": jpeg_bytes(300, 200)})
    os.symlink("photos/track.jpg", index.parent / "latest.jpg")
    code, findings = lint(repo)
    assert triples(findings, "LINK") == [("LINK002", *where(index, "latest.jpg", after=""))]
    assert code == 1


def test_symlinked_folder_inside_the_bundle_is_link002(repo: Path, lint: Lint) -> None:
    index = article(repo, "![现场](alias/track.jpg)\n", files={"photos/track.jpg": jpeg_bytes(300, 200)})
    os.symlink("photos", index.parent / "alias")
    _, findings = lint(repo)
    assert triples(findings, "LINK") == [("LINK002", *where(index, "alias/track.jpg", after=""))]


def test_dot_dot_that_stays_inside_is_still_link002(repo: Path, lint: Lint) -> None:
    # One rule a reviewer can check by eye: no `..` at all
    index = article(repo, "![现场](photos/../track.jpg)\n", files={"track.jpg": jpeg_bytes(300, 200)})
    _, findings = lint(repo)
    assert triples(findings, "LINK") == [("LINK002", *where(index, "photos/../track.jpg", after=""))]


def test_fifo_named_like_an_image_is_not_a_file_and_lint_does_not_wait(repo: Path, lint: Lint) -> None:
    index = article(repo, "![现场](track.jpg)\n")
    os.mkfifo(index.parent / "track.jpg")  # opening it for reading would block until a writer came
    _, findings = lint(repo)
    assert triples(findings, "LINK") == [("LINK001", *where(index, "track.jpg", after=""))]
    assert messages(findings, "LINK001") == ["图片指向的 track.jpg 不是普通文件(而是目录等);请指向文章目录中的具体文件"]


# -- LINK003 external links ------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://www.example.edu.cn/news/1.html", "http://example.com/"])
def test_external_link_is_link003_notice(repo: Path, lint: Lint, url: str) -> None:
    index = article(repo, f"详见[学校官网]({url})。\n")
    code, findings = lint(repo, "--strict")
    assert code == 0  # a notice never fails, not even under --strict
    assert triples(findings, "LINK") == [("LINK003", *where(index, url, after=""))]
    [finding] = [f for f in findings if f["code"] == "LINK003"]
    assert finding["severity"] == "notice"
    assert finding["message"] == f"外部链接 {url} 在微信中不能点击,发布时将转为文末「参考链接」编号"


@pytest.mark.parametrize("target", ["https://mp.weixin.qq.com/s/AbCdEf123", "mailto:news@example.edu.cn",
                                    "tel:027-12345678", "#比赛回顾", "#"])
def test_wechat_articles_mail_phone_and_anchors_pass(repo: Path, lint: Lint, target: str) -> None:
    article(repo, f"参见[这里]({target})。\n")
    code, findings = lint(repo, "--strict")
    assert triples(findings, "LINK") == []
    assert code == 0


def test_bare_url_in_text_is_not_a_link(repo: Path, lint: Lint) -> None:
    article(repo, "学校官网 https://www.example.edu.cn 可查询。\n")  # linkify is off: plain text
    _, findings = lint(repo)
    assert triples(findings, "LINK") == []


# -- LINK004 schemes -----------------------------------------------------------------------------

@pytest.mark.parametrize(("target", "scheme"), [("ftp://example.com/a.pdf", "ftp"),
                                                 ("data:image/png;base64,iVBORw0KGgo=", "data"),
                                                 ("weixin://dl/chat", "weixin")])
def test_unsupported_scheme_is_link004(repo: Path, lint: Lint, target: str, scheme: str) -> None:
    index = article(repo, f"下载[资料]({target})。\n")
    code, findings = lint(repo)
    assert code == 1
    assert triples(findings, "LINK") == [("LINK004", *where(index, target, after=""))]
    assert messages(findings, "LINK004") == [f"链接协议 {scheme}: 不受支持;请使用 https 链接"]


@pytest.mark.parametrize("target", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:msgbox(1)",
                                    "file:///etc/passwd", "data:text/html,<b>hi</b>"])
def test_dangerous_schemes_never_become_links(repo: Path, lint: Lint, target: str) -> None:
    """markdown-it refuses these destinations (validateLink): the text stays literal, so
    there is no link for a rule to flag and none for the renderer to emit."""
    text = f"[点我]({target})\n"
    assert "href" not in parser().render(text)
    assert [t.type for t in parser().parse(text)[1].children or []] == ["text"]
    article(repo, text)
    _, findings = lint(repo)
    assert triples(findings, "LINK") == []


# -- columns the locator cannot find yet (pipeline/lint/document.py) ---------------------------------

def test_missing_file_with_chinese_name_has_its_column(repo: Path, lint: Lint) -> None:
    index = article(repo, "请看[附件](附件一.pdf)。\n")
    _, findings = lint(repo)
    assert triples(findings, "LINK") == [("LINK001", *where(index, "附件一.pdf", after=""))]


def test_same_missing_target_twice_on_a_line_has_two_columns(repo: Path, lint: Lint) -> None:
    index = article(repo, "[上](a.pdf)和[下](a.pdf)\n")
    _, findings = lint(repo)
    line, first = where(index, "a.pdf", after="")
    second = index.read_text(encoding="utf-8").split("\n")[line - 1].rindex("a.pdf") + 1
    assert second > first
    assert triples(findings, "LINK") == [("LINK001", line, first), ("LINK001", line, second)]
