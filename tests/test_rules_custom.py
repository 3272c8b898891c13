"""School-defined rules from policies.yaml `custom_rules`: substitution, occurrence, conditional, existence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.testing.fixtures import cited, SAMPLE_POLICY, fm_line, found, lint_json, make_repo, spots, where, write_article

REGULATION_C7 = cited("R5")


@pytest.fixture
def repo(clean_repo: Path) -> Path:
    return clean_repo


def body_start(index: Path) -> int:
    """The line of index.md where the body begins (the line after the closing ---)."""
    lines = index.read_text(encoding="utf-8").split("\n")
    return [i for i, text in enumerate(lines, 1) if text == "---"][1] + 1


# --- SCH001 substitution -----------------------------------------------------------------------


@pytest.mark.parametrize("wrong, right", [("江大", "江城大学"), ("计院", "计算机学院"), ("团委", "校团委")])
def test_substitution_flags_the_informal_name(repo: Path, capsys: pytest.CaptureFixture[str], wrong: str,
                                              right: str) -> None:
    index = write_article(repo, body=f"第一段。\n\n今天{wrong}举办活动。\n")
    code, data = lint_json(repo, capsys)
    hits = found(data, "SCH001")
    assert spots(data, "SCH001") == [("SCH001", *where(index, wrong))]
    assert hits[0]["message"] == f"请使用规范名称「{right}」,不要写「{wrong}」"
    assert hits[0]["severity"] == "warning"
    assert hits[0]["regulation"] == REGULATION_C7
    assert code == 0


def test_preferred_forms_are_not_flagged(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="江城大学计算机学院与校团委联合举办活动,江城大学校团委书记出席。\n")
    _, data = lint_json(repo, capsys)
    assert found(data, "SCH001") == []


def test_only_the_bare_form_is_flagged_next_to_the_preferred_one(repo: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="校团委和团委,江城大学与江大。\n")
    _, data = lint_json(repo, capsys)
    assert spots(data, "SCH001") == [("SCH001", *where(index, "团委", 1)), ("SCH001", *where(index, "江大"))]


def test_substitution_in_title_is_reported_at_the_title_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, front_matter={"title": "江大举行运动会"})
    _, data = lint_json(repo, capsys)
    assert spots(data, "SCH001") == [("SCH001", fm_line(index, "title"), 1)]


def test_preferred_form_in_title_does_not_hide_the_bare_form_in_body(repo: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # 校团委 at offsets 0-3 of the title must not cover 团委 at offsets 1-3 of the body
    index = write_article(repo, front_matter={"title": "校团委迎新"}, body="团委组织活动。\n")
    _, data = lint_json(repo, capsys)
    assert spots(data, "SCH001") == [("SCH001", *where(index, "团委"))]


def test_preferred_form_in_body_does_not_hide_the_bare_form_in_title(repo: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, front_matter={"title": "团委迎新"}, body="校团委组织活动。\n")
    _, data = lint_json(repo, capsys)
    assert spots(data, "SCH001") == [("SCH001", fm_line(index, "title"), 1)]


@pytest.mark.parametrize("text", ["浙江大学", "长江大桥", "九江大道", "院团委", "系团委", "青春江大"])
def test_substitution_skips_the_policys_exceptions(repo: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    write_article(repo, body=f"{text}举办活动。\n")
    _, data = lint_json(repo, capsys)
    assert found(data, "SCH001") == []


def test_an_exception_does_not_hide_the_bare_form_elsewhere(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="浙江大学与江大合作,院团委与团委联合。\n")
    _, data = lint_json(repo, capsys)
    assert spots(data, "SCH001") == [("SCH001", *where(index, "江大", 1)), ("SCH001", *where(index, "团委", 1))]


def test_exceptions_come_from_the_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy, removed = re.subn(r"^    exceptions: \[浙江大学.*\n", "", SAMPLE_POLICY, flags=re.M)
    assert removed == 1
    root = make_repo(tmp_path, policies=policy)
    index = write_article(root, body="浙江大学举办活动。\n")
    _, data = lint_json(root, capsys)
    assert spots(data, "SCH001") == [("SCH001", *where(index, "江大"))]


def test_link_targets_are_not_read_but_link_text_is(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="详见[江大新闻网](https://example.com/江大/团委)。\n")
    _, data = lint_json(repo, capsys)
    assert spots(data, "SCH001") == [("SCH001", *where(index, "江大"))]


# --- SCH002 occurrence (max) -------------------------------------------------------------------


@pytest.mark.parametrize("body", ["好！好！好！好！好！\n", "好！\n\n好!\n\n好！好!好！\n", "没有感叹号。\n"])
def test_up_to_five_exclamation_marks_are_fine(repo: Path, capsys: pytest.CaptureFixture[str], body: str) -> None:
    write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert found(data, "SCH002") == []


@pytest.mark.parametrize("body, sixth", [
    ("好！好！好！好！好！好！\n", ("！", 5)),
    ("好！好！好！好！好！好！好！\n", ("！", 5)),  # the sixth is reported, not the last
    ("好！好！好！\n\n好!好!好!好!\n", ("!", 2)),  # counts ASCII and full-width together
    ("好!好!好!好!好!\n\n最后一个！\n", ("！", 0)),
])
def test_sixth_exclamation_mark_is_flagged_there(repo: Path, capsys: pytest.CaptureFixture[str], body: str,
                                                 sixth: tuple[str, int]) -> None:
    index = write_article(repo, body=body)
    code, data = lint_json(repo, capsys)
    total = body.count("！") + body.count("!")
    hits = found(data, "SCH002")
    assert spots(data, "SCH002") == [("SCH002", *where(index, *sixth))]
    assert hits[0]["message"] == f"感叹号过多(全文 {total} 个,最多 5 个),请保持语气平实"
    assert hits[0]["severity"] == "warning"
    assert code == 0


def test_images_are_not_exclamation_marks(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    images = "".join(f"![合影{i}](photo{i}.jpg)\n\n" for i in range(6))
    write_article(repo, body="好！好！好！好！好！\n\n" + images)
    _, data = lint_json(repo, capsys)
    assert found(data, "SCH002") == []


def test_title_exclamation_marks_count_too(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, front_matter={"title": "喜讯！"}, body="好！好！好！好！好！\n")
    _, data = lint_json(repo, capsys)
    # reading order: the title's mark is the first, so the body's fifth is the sixth
    assert spots(data, "SCH002") == [("SCH002", *where(index, "！", 4))]
    assert "全文 6 个" in found(data, "SCH002")[0]["message"]


# --- SCH003 / SCH004 conditional ---------------------------------------------------------------


@pytest.mark.parametrize("token", ["招生计划", "录取分数线", "人事任免"])
def test_conditional_require_stage_is_a_notice(repo: Path, capsys: pytest.CaptureFixture[str], token: str) -> None:
    index = write_article(repo, body=f"第一段。\n\n今年{token}已经公布,请关注。\n")
    code, data = lint_json(repo, capsys)
    hits = found(data, "SCH003")
    assert spots(data, "SCH003") == [("SCH003", *where(index, token))]
    assert hits[0]["message"] == f"涉及「{token}」的文章须经校领导审批"
    assert hits[0]["severity"] == "notice"
    assert hits[0]["regulation"] == cited("R3")
    assert code == 0


def test_conditional_reports_once_at_the_first_token(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="录取分数线和招生计划。\n\n再谈招生计划。\n")
    _, data = lint_json(repo, capsys)
    assert spots(data, "SCH003") == [("SCH003", *where(index, "录取分数线"))]


def test_conditional_require_field_missing_is_an_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, body="第一段。\n\n欢迎点击报名参加。\n")
    code, data = lint_json(repo, capsys)
    hits = found(data, "SCH004")
    assert spots(data, "SCH004") == [("SCH004", *where(index, "点击报名"))]
    assert hits[0]["message"] == "涉及「点击报名」的文章须在 read_more 中给出报名或详情链接"
    assert hits[0]["severity"] == "error"
    assert code == 1


def test_conditional_require_field_present_is_clean(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, front_matter={"read_more": "https://example.com/signup"}, body="欢迎点击报名参加。\n")
    code, data = lint_json(repo, capsys)
    assert found(data, "SCH004") == []
    assert code == 0


def test_conditional_without_its_tokens_is_silent(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="学校举行运动会,报名已经截止。\n")
    _, data = lint_json(repo, capsys)
    assert found(data, "SCH003", "SCH004") == []


# --- a policy of our own: existence, min, accounts, categories, off -------------------------------

EXTRA_RULES = """custom_rules:
  - code: TST001
    type: existence
    message: 标题党用语「{match}」,请改为平实表述
    severity: error
    regulation: R5
    tokens: [震惊, 重磅]
    exceptions: [不震惊]
  - code: TST002
    type: occurrence
    message: 全文至少提及 {min} 次「江城大学」,现有 {count} 次
    severity: notice
    tokens: [江城大学]
    min: 1
  - code: TST003
    type: existence
    message: 青年号不用「{match}」
    tokens: [内卷]
    accounts: [youth]
  - code: TST004
    type: existence
    message: 通知里不要写「{match}」
    tokens: [务必]
    categories: [通知公告]
  - code: TST005
    type: existence
    message: 已关闭的规则「{match}」
    severity: "off"
    tokens: [运动会]
"""


@pytest.fixture
def custom_repo(tmp_path: Path) -> Path:
    assert SAMPLE_POLICY.count("custom_rules:\n") == 1
    return make_repo(tmp_path, policies=SAMPLE_POLICY.replace("custom_rules:\n", EXTRA_RULES))


def test_existence_reports_every_token_in_title_and_body(custom_repo: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(custom_repo, front_matter={"title": "重磅!江城大学运动会"},
                          body="震惊:运动会破纪录。\n\n又一个重磅消息。\n")
    code, data = lint_json(custom_repo, capsys)
    hits = found(data, "TST001")
    assert spots(data, "TST001") == [
        ("TST001", fm_line(index, "title"), 1),
        ("TST001", *where(index, "震惊")),
        ("TST001", *where(index, "重磅")),
    ]
    assert [f["message"] for f in hits] == ["标题党用语「重磅」,请改为平实表述", "标题党用语「震惊」,请改为平实表述",
                                            "标题党用语「重磅」,请改为平实表述"]
    assert {f["severity"] for f in hits} == {"error"}
    assert {f["regulation"] for f in hits} == {REGULATION_C7}
    assert code == 1


def test_existence_skips_its_exceptions(custom_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(custom_repo, body="江城大学毫不震惊,但有人震惊。\n")
    _, data = lint_json(custom_repo, capsys)
    assert spots(data, "TST001") == [("TST001", *where(index, "震惊", 1))]


def test_occurrence_min_reports_a_missing_token_at_the_body_start(custom_repo: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(custom_repo, body="学校举行运动会。\n")
    _, data = lint_json(custom_repo, capsys)
    hits = found(data, "TST002")
    assert spots(data, "TST002") == [("TST002", body_start(index), 1)]
    assert hits[0]["message"] == "全文至少提及 1 次「江城大学」,现有 0 次"
    assert hits[0]["severity"] == "notice"


@pytest.mark.parametrize("front_matter, body", [({}, "江城大学举行运动会。\n"),
                                                ({"title": "江城大学举行运动会"}, "学校举行运动会。\n")])
def test_occurrence_min_met_is_clean(custom_repo: Path, capsys: pytest.CaptureFixture[str],
                                     front_matter: dict[str, str], body: str) -> None:
    write_article(custom_repo, front_matter=front_matter, body=body)
    _, data = lint_json(custom_repo, capsys)
    assert found(data, "TST002") == []


@pytest.mark.parametrize("account, department, expected", [("youth", "youth-league", True),
                                                          ("official", "publicity", False)])
def test_accounts_filter(custom_repo: Path, capsys: pytest.CaptureFixture[str], account: str, department: str,
                         expected: bool) -> None:
    index = write_article(custom_repo, account=account, department=department, body="拒绝内卷,江城大学。\n")
    _, data = lint_json(custom_repo, capsys)
    assert spots(data, "TST003") == ([("TST003", *where(index, "内卷"))] if expected else [])
    if expected:
        assert found(data, "TST003")[0]["message"] == "青年号不用「内卷」"
        assert found(data, "TST003")[0]["severity"] == "warning"  # the custom rule default


@pytest.mark.parametrize("category, expected", [("通知公告", True), ("学校新闻", False)])
def test_categories_filter(custom_repo: Path, capsys: pytest.CaptureFixture[str], category: str,
                           expected: bool) -> None:
    index = write_article(custom_repo, front_matter={"category": category}, body="请务必准时到场,江城大学。\n")
    _, data = lint_json(custom_repo, capsys)
    assert spots(data, "TST004") == ([("TST004", *where(index, "务必"))] if expected else [])


def test_custom_rule_with_severity_off_is_skipped(custom_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(custom_repo, body="江城大学运动会。\n")
    _, data = lint_json(custom_repo, capsys)
    assert found(data, "TST005") == []
    assert found(data, "TST002") == []  # and the other rules of that policy still ran cleanly
