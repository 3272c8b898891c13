"""policies.yaml validation: every problem names policies.yaml:LINE and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.errors import UserError
from pipeline.policies import ApprovalRules, load_policies
from tests.testing.fixtures import PROJECT, make_repo

SAMPLE = (PROJECT / "policies.yaml").read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _error(tmp_path: Path, text: str) -> str:
    root = make_repo(tmp_path, policies=text)
    with pytest.raises(UserError) as caught:
        load_policies(root)
    return str(caught.value)


def test_sample_policy_is_valid_and_complete(tmp_path: Path) -> None:
    policies = load_policies(make_repo(tmp_path))
    assert set(policies.accounts) == {"official", "cs-college", "youth"}
    assert {a.kind for a in policies.accounts.values()} == {"official", "college", "student-org"}
    assert len(policies.departments) >= 6
    assert list(policies.categories)[:6] == ["学校新闻", "校园动态", "通知公告", "学术交流", "政策法规", "咨询服务"]
    assert policies.max_chars == 1200
    assert (policies.cover.formats, policies.cover.width, policies.cover.height) == (("jpeg",), 900, 500)
    assert policies.video.formats == ("mp4", "flv", "f4v") and policies.video.max_bytes == 20 * 1024 * 1024
    assert policies.categories["通知公告"].extra_stages == ("leadership",)
    assert "毒品" in policies.wordlists[0].words and "远离毒品" in policies.wordlists[0].allowed


def test_sample_policy_points_editors_at_the_schema() -> None:
    first = SAMPLE.splitlines()[0]
    assert first == "# yaml-language-server: $schema=./pipeline/schemas/policies.schema.json"
    assert (PROJECT / "pipeline/schemas/policies.schema.json").is_file()


def test_wrong_enum_names_line_and_key(tmp_path: Path) -> None:
    text = SAMPLE.replace("    kind: college\n", "    kind: faculty\n")
    message = _error(tmp_path, text)
    assert f"policies.yaml:{_line_of(text, 'kind: faculty')}: accounts.cs-college.kind:" in message
    assert "official, college, student-org" in message


def test_missing_required_key(tmp_path: Path) -> None:
    text = SAMPLE.replace("    publish_mode: draft\n", "")
    message = _error(tmp_path, text)
    assert "accounts.youth" in message and "publish_mode" in message


def test_unknown_key_is_an_error_with_line_and_the_keys_that_exist(tmp_path: Path) -> None:
    text = SAMPLE.replace("school: 江城大学\n", "school: 江城大学\nmotto: 博学笃行\n")
    message = _error(tmp_path, text)
    assert (f"policies.yaml:{_line_of(text, 'motto:')}: motto: 未知的键 `motto`。"
            + "可用的键:" + ", ".join(sorted(
                ["version", "school", "governing_body", "timezone", "departments", "stages", "approvals", "accounts",
                 "categories", "content", "wordlists", "rules", "custom_rules", "regulations"]))) in message


def test_misspelt_key_is_an_error_with_a_did_you_mean(tmp_path: Path) -> None:
    # `daily_capp: 2` used to be ignored with a warning: the account lost its daily cap
    text = SAMPLE.replace("      daily_cap: 2                               # one or two", "      daily_capp: 2  # one or two")
    message = _error(tmp_path, text)
    assert (f"policies.yaml:{_line_of(text, 'daily_capp')}: accounts.official.schedule.daily_capp: "
            "未知的键 `daily_capp`。是否想写 `daily_cap`?") in message


def test_how_approvals_count_is_read_and_defaults_to_one_stage_per_reviewer(tmp_path: Path) -> None:
    assert load_policies(make_repo(tmp_path)).approval_rules == ApprovalRules(one_stage_per_reviewer=True, ordered=True)
    start = SAMPLE.index("approvals:\n")
    end = SAMPLE.index("\n\n", start)
    text = SAMPLE[:start] + SAMPLE[end + 2:]
    (tmp_path / "none").mkdir()
    assert load_policies(make_repo(tmp_path / "none", policies=text)).approval_rules == ApprovalRules(True, False)


def test_an_approvals_switch_that_is_not_a_boolean_is_an_error(tmp_path: Path) -> None:
    text = SAMPLE.replace("  ordered: true ", "  ordered: 是   ")
    message = _error(tmp_path, text)
    assert f"policies.yaml:{_line_of(text, 'ordered: 是')}: approvals.ordered:" in message


def test_undefined_department_reference(tmp_path: Path) -> None:
    text = SAMPLE.replace("    operator: cs-college\n", "    operator: math-college\n")
    message = _error(tmp_path, text)
    assert f"policies.yaml:{_line_of(text, 'operator: math-college')}: accounts.cs-college.operator" in message
    assert "未定义的部门 `math-college`" in message


def test_undefined_stage_in_category(tmp_path: Path) -> None:
    text = SAMPLE.replace("    extra_stages: [leadership]                    # dept", "    extra_stages: [president]  # dept")
    message = _error(tmp_path, text)
    assert "categories.2.extra_stages.0" in message and "未定义的审批阶段 `president`" in message


def test_missing_word_list_file(tmp_path: Path) -> None:
    text = SAMPLE.replace("policies/wordlists/superlatives.txt", "policies/wordlists/nope.txt")
    message = _error(tmp_path, text)
    assert f"policies.yaml:{_line_of(text, 'nope.txt')}: wordlists.1.file" in message and "找不到文件" in message


def test_word_list_outside_repo_is_refused(tmp_path: Path) -> None:
    text = SAMPLE.replace("policies/wordlists/superlatives.txt", "../../etc/hostname")
    assert "在仓库之外" in _error(tmp_path, text)


def test_bad_timezone_and_window(tmp_path: Path) -> None:
    text = SAMPLE.replace("timezone: Asia/Shanghai", "timezone: Mars/Olympus").replace('"12:00-13:00"', '"13:00-12:00"')
    message = _error(tmp_path, text)
    assert "未知时区" in message and "开始时间应早于结束时间" in message


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    text = SAMPLE.replace("    reviewers: [\"@jcu-media/leadership\"]", "    reviewers: [\"@jcu-media/leadership\"")
    message = _error(tmp_path, text)
    assert "policies.yaml:" in message and "YAML 语法错误" in message


def test_credentials_are_names_not_values(tmp_path: Path) -> None:
    text = SAMPLE.replace("secret_env: WXPUB_YOUTH_SECRET", "secret_env: 3f2a9c1b8e7d6f5a")
    message = _error(tmp_path, text)
    assert "accounts.youth.credentials.secret_env" in message


def test_cli_reports_policy_errors_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=SAMPLE.replace("version: 1", "version: 2"))
    assert main(["--root", str(root), "lint"]) == 2
    err = capsys.readouterr().err
    assert f"policies.yaml:{_line_of(SAMPLE, 'version: 1')}: version: 值 2 不对,应为 1" in err
    assert "Traceback" not in err


def test_missing_policy_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(tmp_path), "lint"]) == 2
    assert "找不到 policies.yaml" in capsys.readouterr().err
