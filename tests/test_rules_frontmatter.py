"""Front matter rules FM001-FM013: required fields, types, limits, provenance, path agreement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.testing.fixtures import VALID_FM, Lint, jpeg_bytes, message, pairs, write_article

BODY = "10 月 20 日，学校在田径场举行秋季运动会。\n"


@pytest.fixture
def repo(clean_repo: Path) -> Path:
    return clean_repo


def article(repo: Path, front_matter: str = VALID_FM, **kwargs: Any) -> Path:
    return write_article(repo, raw=f"---\n{front_matter}---\n\n{BODY}", **kwargs)


def line_of(index: Path, prefix: str) -> int:
    """1-based line of the first line of index.md starting with `prefix`."""
    lines = index.read_text(encoding="utf-8").split("\n")
    return next(i for i, text in enumerate(lines, 1) if text.startswith(prefix))


def replace_line(front_matter: str, key: str, new: str | None) -> str:
    """The front matter with the `key:` line replaced by `new` (None: removed)."""
    lines = front_matter.splitlines(keepends=True)
    [index] = [i for i, text in enumerate(lines) if text.startswith(f"{key}:")]
    lines[index:index + 1] = [] if new is None else [new + "\n"]
    return "".join(lines)


def with_value(key: str, value: str) -> str:
    """The valid front matter with `key: value`, replacing the key or adding it at the end."""
    if f"\n{key}:" in "\n" + VALID_FM:
        return replace_line(VALID_FM, key, f"{key}: {value}")
    return VALID_FM + f"{key}: {value}\n"


# -- baseline ---------------------------------------------------------------------------------

def test_valid_front_matter_has_no_findings(repo: Path, lint: Lint) -> None:
    article(repo)
    code, findings = lint(repo, "--strict")
    assert (code, findings) == (0, [])


# -- FM001 required fields ----------------------------------------------------------------------

@pytest.mark.parametrize(("key", "label"), [("title", "标题"), ("author", "作者"), ("department", "部门"),
                                            ("category", "栏目"), ("cover", "封面")])
def test_missing_required_field_is_fm001(repo: Path, lint: Lint, key: str, label: str) -> None:
    article(repo, replace_line(VALID_FM, key, None))
    code, findings = lint(repo)
    assert code == 1
    assert pairs(findings, "FM") == [("FM001", 2)]  # a missing key points at the front matter's first line
    text = message(findings, "FM001")
    assert f"缺少必填字段 {key}({label})" in text and f"`{key}: ...`" in text
    assert next(f for f in findings if f["code"] == "FM001")["severity"] == "error"


def test_empty_front_matter_reports_every_required_field(repo: Path, lint: Lint) -> None:
    write_article(repo, raw=f"---\n---\n\n{BODY}")
    _, findings = lint(repo)
    missing = sorted(f["message"].split(" ")[1].split("(")[0] for f in findings if f["code"] == "FM001")
    assert missing == ["author", "category", "cover", "department", "title"]
    assert ("FM009", 2) in pairs(findings, "FM")


# -- FM002 types and values ---------------------------------------------------------------------

@pytest.mark.parametrize(("key", "value", "expected"), [
    ("title", "title: 123", "值 123 的类型不对,应为字符串"),
    ("title", 'title: ""', "不能为空;请填写:文章标题"),
    ("author", "author: ''", "不能为空;请填写:作者姓名"),  # as wxpub new leaves it: say what to write
    ("author", "author:", "没有填写;请填写:作者姓名"),  # YAML's null, not "值 null 的类型不对"
    ("cover", 'cover: ""', "不能为空;请填写:文章目录中的封面图片文件名"),
    ("original", "original: yes please", "应为true/false"),
    ("department", "department: [publicity]", "应为字符串"),
])
def test_wrong_type_is_fm002_on_its_line(repo: Path, lint: Lint, key: str, value: str, expected: str) -> None:
    index = article(repo, replace_line(VALID_FM, key, value))
    code, findings = lint(repo)
    assert code == 1
    line = line_of(index, f"{key}:")
    assert ("FM002", line) in pairs(findings, "FM")
    fm002 = [f["message"] for f in findings if f["code"] == "FM002"]
    assert any(m.startswith(f"字段 {key}:") and expected in m for m in fm002), fm002


def test_a_wrong_type_says_what_the_field_holds(repo: Path, lint: Lint) -> None:
    """`source: 中国青年报` said only 应为映射(键: 值), a word editors do not use."""
    article(repo, replace_line(VALID_FM, "original", "source: 中国青年报"))
    _, findings = lint(repo)
    [said] = [f["message"] for f in findings if f["code"] == "FM002"]
    assert said.endswith("应为映射(键: 值);转载文章的来源:name(来源名称)与 url(原文链接)都必填(R9)。")


@pytest.mark.parametrize(("line", "expected"), [
    ("comments: maybe", '值 "maybe" 不在可选范围内,可选:open, fans, closed'),
    ("classification: 公开", "不在可选范围内"),
    ("read_more: www.example.edu.cn", "格式不对"),
    ("tags: 运动会", "应为列表"),
    ("priority: high", "应为整数"),
])
def test_optional_fields_are_typed(repo: Path, lint: Lint, line: str, expected: str) -> None:
    index = article(repo, VALID_FM + line + "\n")
    key = line.split(":")[0]
    code, findings = lint(repo)
    assert code == 1
    assert pairs(findings, "FM") == [("FM002", line_of(index, f"{key}:"))]
    assert message(findings, "FM002").startswith(f"字段 {key}:") and expected in message(findings, "FM002")


def test_valid_optional_fields_pass(repo: Path, lint: Lint) -> None:
    article(repo, VALID_FM + "comments: fans\nclassification: public\nread_more: https://www.example.edu.cn/x\n"
                             "tags: [运动会]\npriority: 2\nheadline: true\ndigest: 秋季运动会圆满落幕\n"
                             "publish_at: 2026-10-20 12:30\n")
    code, findings = lint(repo)
    assert pairs(findings, "FM") == []
    assert code == 0


def test_source_without_url_is_fm002(repo: Path, lint: Lint) -> None:
    fm = replace_line(VALID_FM, "original", "source:\n  name: 人民网")
    index = article(repo, fm)
    code, findings = lint(repo)
    assert code == 1
    assert pairs(findings, "FM") == [("FM002", line_of(index, "source:"))]
    assert "source 缺少 url" in message(findings, "FM002")


def test_source_with_non_http_url_is_fm002(repo: Path, lint: Lint) -> None:
    fm = replace_line(VALID_FM, "original", "source:\n  name: 人民网\n  url: ftp://example.com/a")
    index = article(repo, fm)
    _, findings = lint(repo)
    assert pairs(findings, "FM") == [("FM002", line_of(index, "  url:"))]
    assert message(findings, "FM002").startswith("字段 source.url:")


# -- FM003 unknown keys -------------------------------------------------------------------------

def test_unknown_key_is_fm003_warning(repo: Path, lint: Lint) -> None:
    index = article(repo, VALID_FM + "subtitle: 副标题\n")
    code, findings = lint(repo)
    assert code == 0  # a warning alone does not fail...
    assert pairs(findings, "FM") == [("FM003", line_of(index, "subtitle:"))]
    [fm003] = findings
    assert fm003["severity"] == "warning"
    assert "未知的键 `subtitle`" in fm003["message"]
    strict, _ = lint(repo, "--strict")
    assert strict == 1  # ...except under --strict


# -- FM004 department vs folder -------------------------------------------------------------------

def test_department_not_matching_folder_is_fm004_on_department_line(repo: Path, lint: Lint) -> None:
    index = article(repo, replace_line(VALID_FM, "department", "department: school-office"))
    code, findings = lint(repo)
    assert code == 1
    assert pairs(findings, "FM") == [("FM004", 4)]
    assert line_of(index, "department:") == 4
    text = message(findings, "FM004")
    assert "department 写的是 `school-office`" in text and "部门目录 `publicity`" in text
    assert "content/official/school-office/" in text


# -- FM005 category -----------------------------------------------------------------------------

def test_unknown_category_is_fm005(repo: Path, lint: Lint) -> None:
    index = article(repo, replace_line(VALID_FM, "category", "category: 娱乐八卦"))
    code, findings = lint(repo)
    assert code == 1
    assert pairs(findings, "FM") == [("FM005", line_of(index, "category:"))]
    assert "栏目「娱乐八卦」不在 policies.yaml 的列表中" in message(findings, "FM005")
    assert "学校新闻" in message(findings, "FM005")


@pytest.mark.parametrize("category", ["校园动态", "通知公告", "学生活动"])
def test_every_policy_category_is_accepted(repo: Path, lint: Lint, category: str) -> None:
    article(repo, replace_line(VALID_FM, "category", f"category: {category}"))
    _, findings = lint(repo)
    assert pairs(findings, "FM") == []


# -- FM006-FM008 WeChat length limits -------------------------------------------------------------

@pytest.mark.parametrize(("key", "code", "limit", "label"), [
    ("title", "FM006", 32, "标题"), ("author", "FM007", 16, "作者"), ("digest", "FM008", 128, "摘要")])
def test_length_limit_one_over_fails(repo: Path, lint: Lint, key: str, code: str, limit: int, label: str) -> None:
    index = article(repo, with_value(key, "字" * (limit + 1)))
    exit_code, findings = lint(repo)
    assert exit_code == 1
    assert pairs(findings, "FM") == [(code, line_of(index, f"{key}:"))]
    assert f"{label}有 {limit + 1} 字,超过微信上限 {limit} 字" in message(findings, code)


@pytest.mark.parametrize(("key", "limit"), [("title", 32), ("author", 16), ("digest", 128)])
def test_length_limit_exactly_at_limit_passes(repo: Path, lint: Lint, key: str, limit: int) -> None:
    article(repo, with_value(key, "字" * limit))
    code, findings = lint(repo)
    assert pairs(findings, "FM") == []
    assert code == 0


def test_title_length_counts_characters_not_bytes(repo: Path, lint: Lint) -> None:
    # 32 Latin letters are 32 characters, as are 32 CJK characters (96 bytes in UTF-8)
    article(repo, replace_line(VALID_FM, "title", "title: " + "A" * 33))
    _, findings = lint(repo)
    assert pairs(findings, "FM") == [("FM006", 2)]


# -- FM009 provenance ---------------------------------------------------------------------------

def test_neither_original_nor_source_is_fm009(repo: Path, lint: Lint) -> None:
    article(repo, replace_line(VALID_FM, "original", None))
    code, findings = lint(repo)
    assert code == 1
    assert pairs(findings, "FM") == [("FM009", 2)]  # reported on the title
    assert "未注明原创或转载来源" in message(findings, "FM009")


def test_original_false_without_source_is_fm009(repo: Path, lint: Lint) -> None:
    article(repo, replace_line(VALID_FM, "original", "original: false"))
    _, findings = lint(repo)
    assert pairs(findings, "FM") == [("FM009", 2)]


def test_both_original_and_source_is_fm009_on_source_line(repo: Path, lint: Lint) -> None:
    index = article(repo, VALID_FM + "source:\n  name: 人民网\n  url: https://www.people.com.cn/a\n")
    code, findings = lint(repo)
    assert code == 1
    assert pairs(findings, "FM") == [("FM009", line_of(index, "source:"))]
    assert "同时写了 original: true 和 source" in message(findings, "FM009")


def test_repost_with_full_source_passes(repo: Path, lint: Lint) -> None:
    fm = replace_line(VALID_FM, "original", "source:\n  name: 人民网\n  url: https://www.people.com.cn/a")
    article(repo, fm)
    code, findings = lint(repo)
    assert (code, pairs(findings, "FM")) == (0, [])


# -- FM010 path layout --------------------------------------------------------------------------

@pytest.mark.parametrize("relative", [
    "content/official/publicity/2026-13-01-x",  # no 13th month
    "content/official/publicity/2026-02-30-x",  # no 30 February
    "content/official/publicity/2026-10-20",  # no slug
    "content/official/publicity/2026-10-20-",  # empty slug
    "content/official/publicity/2026-10-20-Sports",  # capitals
    "content/official/publicity/sports-day",  # no date
    "content/official/2026-10-20-sports-day",  # no department folder
    "content/official/publicity/extra/2026-10-20-sports-day",  # one level too deep
])
def test_bad_path_layout_is_fm010(repo: Path, lint: Lint, relative: str) -> None:
    bundle = repo / relative
    bundle.mkdir(parents=True)
    (bundle / "cover.jpg").write_bytes(jpeg_bytes())
    (bundle / "index.md").write_text(f"---\n{VALID_FM}---\n\n{BODY}", encoding="utf-8")
    code, findings = lint(repo)
    assert code == 1
    assert pairs(findings, "FM") == [("FM010", 1)]  # and no FM011/FM012 guessed from a wrong layout
    assert f"当前为 {relative}/index.md" in message(findings, "FM010")


# -- FM011 account, FM012 department -------------------------------------------------------------

def test_unknown_account_folder_is_fm011(repo: Path, lint: Lint) -> None:
    article(repo, account="alumni")
    code, findings = lint(repo)
    assert code == 1
    assert pairs(findings, "FM") == [("FM011", 1)]
    text = message(findings, "FM011")
    assert "账号 `alumni` 未在 policies.yaml 中定义" in text and "official" in text


def test_department_not_contributing_to_account_is_fm012(repo: Path, lint: Lint) -> None:
    article(repo, account="cs-college", department="publicity")
    code, findings = lint(repo)
    assert code == 1
    assert pairs(findings, "FM") == [("FM012", 1)]
    assert "部门「党委宣传部」不能为账号「江城大学计算机学院」供稿" in message(findings, "FM012")
    assert "该账号的供稿部门:cs-college" in message(findings, "FM012")


def test_contributing_department_passes(repo: Path, lint: Lint) -> None:
    write_article(repo, account="cs-college", department="cs-college")
    write_article(repo, account="official", department="cs-college")
    code, findings = lint(repo)
    assert (code, pairs(findings, "FM")) == (0, [])


def test_undefined_department_folder_is_fm012(repo: Path, lint: Lint) -> None:
    article(repo, replace_line(VALID_FM, "department", "department: canteen"), department="canteen")
    _, findings = lint(repo)
    assert pairs(findings, "FM") == [("FM012", 1)]
    assert "部门目录 `canteen` 未在 policies.yaml 中定义" in message(findings, "FM012")


# -- FM013 publish_at ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["2026-02-30 10:00", "2026-10-20 25:00", "2026-00-10"])
def test_impossible_publish_at_is_fm013(repo: Path, lint: Lint, value: str) -> None:
    index = article(repo, VALID_FM + f'publish_at: "{value}"\n')
    code, findings = lint(repo)
    assert code == 1
    assert pairs(findings, "FM") == [("FM013", line_of(index, "publish_at:"))]
    assert f"publish_at「{value}」不是有效的日期时间" in message(findings, "FM013")


def test_publish_at_in_wrong_format_is_fm002_not_fm013(repo: Path, lint: Lint) -> None:
    index = article(repo, VALID_FM + 'publish_at: "10月20日 中午"\n')
    _, findings = lint(repo)
    assert pairs(findings, "FM") == [("FM002", line_of(index, "publish_at:"))]


@pytest.mark.parametrize("value", ['"2026-10-20 12:30"', "2026-10-20 12:30:00", "2026-10-20", '"2026-10-20T12:30"'])
def test_valid_publish_at_passes(repo: Path, lint: Lint, value: str) -> None:
    article(repo, VALID_FM + f"publish_at: {value}\n")
    code, findings = lint(repo)
    assert (code, pairs(findings, "FM")) == (0, [])
