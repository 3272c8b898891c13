"""Classified and internal material (R6): marker words (SEC001) and the classification field (SEC002)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.policies import DEFAULT_CLASSIFIED_MARKERS
from tests.testing.fixtures import cited, SAMPLE_POLICY, fm_line, found, lint_json, make_repo, where, write_article

MARKERS_LINE = "  classified_markers: [涉密, 内部资料, 机密, 秘密, 绝密, 内部文件, 不得外传]\n"
REGULATION_I9 = cited("R6")


@pytest.fixture
def repo(clean_repo: Path) -> Path:
    return clean_repo


def test_sample_policy_lists_the_markers_under_test() -> None:
    assert MARKERS_LINE in SAMPLE_POLICY
    assert DEFAULT_CLASSIFIED_MARKERS == ("涉密", "内部资料", "机密", "秘密", "绝密")


# --- SEC001 markers -------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["涉密", "内部资料", "机密", "秘密", "绝密", "内部文件", "不得外传"])
def test_marker_in_body_is_sec001_at_its_position(repo: Path, capsys: pytest.CaptureFixture[str],
                                                  marker: str) -> None:
    index = write_article(repo, body=f"第一段。\n\n本次会议材料属{marker},请注意。\n")
    code, data = lint_json(repo, capsys)
    hits = found(data, "SEC001", "SEC002")
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("SEC001", *where(index, marker))]
    assert where(index, marker)[1] == 8
    hit = hits[0]
    assert hit["severity"] == "error"
    assert f"出现涉密标记「{marker}」" in hit["message"]
    assert "不得发布" in hit["message"]
    assert hit["regulation"] == REGULATION_I9
    assert code == 1


def test_every_occurrence_of_every_marker_is_reported(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="机密文件与机密档案。\n\n- 绝密\n- 秘密\n")
    _, data = lint_json(repo, capsys)
    hits = found(data, "SEC001")
    assert [(f["line"], f["column"]) for f in hits] == [where(index, "机密", 0), where(index, "机密", 1),
                                                       where(index, "绝密"), where(index, "秘密")]
    assert [re.findall("「(.+?)」", f["message"])[0] for f in hits] == ["机密", "机密", "绝密", "秘密"]


@pytest.mark.parametrize("key", ["title", "digest"])
def test_marker_in_front_matter_is_reported_at_that_line(repo: Path, capsys: pytest.CaptureFixture[str],
                                                         key: str) -> None:
    index = write_article(repo, front_matter={key: "关于内部资料管理的通知"})
    _, data = lint_json(repo, capsys)
    hits = found(data, "SEC001", "SEC002")
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("SEC001", fm_line(index, key), 1)]
    assert "「内部资料」" in hits[0]["message"]


def test_marker_in_code_block_is_visible_text_and_reported(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="示例:\n\n```\n绝密\n```\n")
    _, data = lint_json(repo, capsys)
    assert [(f["line"], f["column"]) for f in found(data, "SEC001")] == [where(index, "绝密")]


def test_marker_in_html_comment_is_not_reported(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="正文内容。<!-- 编辑说明:原稿为内部资料,已删节 -->\n")
    _, data = lint_json(repo, capsys)
    assert found(data, "SEC001") == []


def test_clean_article_has_no_sec_findings(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="学校公开发布招聘信息,欢迎社会各界关注。\n")
    code, data = lint_json(repo, capsys)
    assert found(data, "SEC001", "SEC002") == []
    assert code == 0


def test_without_classified_markers_the_defaults_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=SAMPLE_POLICY.replace(MARKERS_LINE, ""))
    index = write_article(root, body="这是内部文件,不得外传,属于机密。\n")
    _, data = lint_json(root, capsys)
    # 内部文件 and 不得外传 come only from the sample policy; 机密 is a built-in default
    assert [(f["line"], f["column"]) for f in found(data, "SEC001")] == [where(index, "机密")]


def test_markers_come_from_the_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=SAMPLE_POLICY.replace(MARKERS_LINE, "  classified_markers: [仅限校内]\n"))
    index = write_article(root, body="本材料仅限校内,机密程度一般。\n")
    _, data = lint_json(root, capsys)
    hits = found(data, "SEC001")
    assert [(f["line"], f["column"]) for f in hits] == [where(index, "仅限校内")]
    assert "「仅限校内」" in hits[0]["message"]


@pytest.mark.parametrize("text", ["计算机密码学", "秘密花园"])
def test_allowed_phrases_are_not_markers(repo: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    write_article(repo, front_matter={"title": f"{text}讲座"}, body=f"本周举办{text}讲座。\n")
    _, data = lint_json(repo, capsys)
    assert found(data, "SEC001") == []


def test_allowed_phrase_does_not_hide_a_marker_elsewhere(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="计算机密码学课程不涉及机密。\n")
    _, data = lint_json(repo, capsys)
    assert [(f["line"], f["column"]) for f in found(data, "SEC001")] == [where(index, "机密", 1)]


def test_allowed_phrases_come_from_the_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy, removed = re.subn(r"^  classified_allow: .*\n", "", SAMPLE_POLICY, flags=re.M)
    assert removed == 1
    root = make_repo(tmp_path, policies=policy)
    index = write_article(root, body="本周举办计算机密码学讲座。\n")
    _, data = lint_json(root, capsys)
    assert [(f["line"], f["column"]) for f in found(data, "SEC001")] == [where(index, "机密")]


# --- SEC002 classification field ---------------------------------------------------------------


@pytest.mark.parametrize("level", ["internal", "secret", "confidential"])
def test_non_public_classification_is_sec002_at_its_line(repo: Path, capsys: pytest.CaptureFixture[str],
                                                         level: str) -> None:
    index = write_article(repo, front_matter={"classification": level})
    code, data = lint_json(repo, capsys)
    hits = found(data, "SEC001", "SEC002")
    assert [(f["code"], f["line"], f["column"]) for f in hits] == [("SEC002", fm_line(index, "classification"), 1)]
    hit = hits[0]
    assert hit["severity"] == "error"
    assert f"classification 为 `{level}`" in hit["message"]
    assert "改为 public" in hit["message"]
    assert hit["regulation"] == cited("R6")
    assert code == 1


@pytest.mark.parametrize("front_matter", [{"classification": "public"}, {}])
def test_public_or_missing_classification_is_fine(repo: Path, capsys: pytest.CaptureFixture[str],
                                                  front_matter: dict[str, str]) -> None:
    write_article(repo, front_matter=front_matter)
    code, data = lint_json(repo, capsys)
    assert found(data, "SEC002") == []
    assert code == 0
