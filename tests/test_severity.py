"""Severity and regulations from policies.yaml `rules:` / `regulations:`, --strict, and account dates."""

from __future__ import annotations

import datetime
from pathlib import Path, PurePosixPath

import pytest

from pipeline.lint.engine import lint_bundles
from pipeline.lint.model import Severity
from pipeline.lint.registry import RULES
from pipeline.policies import load_policies
from tests.testing.fixtures import cited, ARTICLE, PROJECT, SAMPLE_POLICY, found, lint_json, make_repo, write_article

CERTIFICATION = "      verified_until: 2027-09-30\n      annual_review: 2027-06-30\n      renewal: 2027-08-31\n      warn_days: 30\n"
EMAIL_BODY = "投稿邮箱 a@example.com\n"


@pytest.fixture
def repo(clean_repo: Path) -> Path:
    return clean_repo


def with_rules(tmp_path: Path, rules: str, regulations: str = "") -> Path:
    """The sample policy with `rules` YAML lines added under `rules:` (and `regulations:`)."""
    policy = SAMPLE_POLICY
    assert policy.count("\nrules:\n") == 1 and policy.count("\nregulations:\n") == 1
    if "  TYPO001:" in rules:  # the sample sets TYPO001 already; a second key would be ignored
        policy = policy.replace("  TYPO001:\n    severity: warning\n", "")
    policy = policy.replace("\nrules:\n", "\nrules:\n" + rules)
    policy = policy.replace("\nregulations:\n", "\nregulations:\n" + regulations)
    return make_repo(tmp_path, policies=policy)


def policy_line(root: Path, needle: str) -> int:
    lines = (root / "policies.yaml").read_text(encoding="utf-8").split("\n")
    return next(i for i, text in enumerate(lines, 1) if needle in text)


# --- rules: severity ----------------------------------------------------------------------------


def test_default_severity_of_pii005_is_warning(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body=EMAIL_BODY)
    code, data = lint_json(repo, capsys)
    assert [f["severity"] for f in found(data, "PII005")] == ["warning"]
    assert code == 0


def test_rules_severity_error_makes_it_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = with_rules(tmp_path, "  PII005:\n    severity: error\n")
    write_article(root, body=EMAIL_BODY)
    code, data = lint_json(root, capsys)
    assert [(f["code"], f["severity"]) for f in found(data, "PII005")] == [("PII005", "error")]
    assert code == 1


@pytest.mark.parametrize("code_, body", [("PII005", EMAIL_BODY), ("PII002", "电话13812345678\n"),
                                         ("SCH001", "江大举办活动。\n"), ("WORD003", "全国第一\n"),
                                         ("TYPO001", "我爱Python\n")])
def test_rules_severity_off_drops_the_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str], code_: str,
                                           body: str) -> None:
    root = with_rules(tmp_path, f'  {code_}:\n    severity: "off"\n')
    write_article(root, body=body)
    code, data = lint_json(root, capsys)
    assert found(data, code_) == []
    assert code == 0


def test_severity_off_rule_cannot_leave_an_unused_suppression_error(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # the rule is off, so the directive silences nothing and says so
    root = with_rules(tmp_path, '  PII005:\n    severity: "off"\n')
    write_article(root, body="<!-- wxpub-disable PII005: 公务邮箱 -->\n" + EMAIL_BODY)
    _, data = lint_json(root, capsys)
    assert [(f["code"], f["severity"]) for f in found(data, "PII005", "SUP002")] == [("SUP002", "warning")]


@pytest.mark.parametrize("level", ["notice", "warning"])
def test_rules_severity_can_soften_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], level: str) -> None:
    root = with_rules(tmp_path, f"  PII002:\n    severity: {level}\n  WORD001:\n    severity: {level}\n")
    write_article(root, body="电话13812345678,赌博\n")
    code, data = lint_json(root, capsys)
    assert [(f["code"], f["severity"]) for f in found(data, "PII002", "WORD001")] == [("PII002", level),
                                                                                    ("WORD001", level)]
    assert code == 0


def test_rules_override_beats_a_custom_rules_own_severity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = with_rules(tmp_path, "  SCH001:\n    severity: error\n")
    write_article(root, body="江大举办活动。\n")
    code, data = lint_json(root, capsys)
    assert [f["severity"] for f in found(data, "SCH001")] == ["error"]
    assert code == 1


# --- --strict ---------------------------------------------------------------------------------


def test_strict_turns_warnings_into_failure(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body=EMAIL_BODY)
    assert lint_json(repo, capsys)[0] == 0
    code, data = lint_json(repo, capsys, "--strict")
    assert [f["severity"] for f in found(data, "PII005")] == ["warning"]  # reported the same way
    assert code == 1


def test_strict_ignores_notices(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="今年招生计划已经公布。\n")
    code, data = lint_json(repo, capsys, "--strict")
    assert [(f["code"], f["severity"]) for f in data["findings"]] == [("SCH003", "notice")]
    assert code == 0


def test_clean_article_passes_strict(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo)
    code, data = lint_json(repo, capsys, "--strict")
    assert data["findings"] == []
    assert code == 0


# --- regulations --------------------------------------------------------------------------------


@pytest.mark.parametrize("code_, body, regulation", [
    ("PII002", "电话13812345678\n", cited("R7")),
    ("WORD001", "赌博\n", cited("R5")),
    ("WORD003", "全国第一\n", cited("R5")),
    ("SEC001", "绝密\n", cited("R6")),
    ("SCH003", "招生计划\n", cited("R3")),
    ("TYPO001", "我爱Python\n", ""),
])
def test_regulation_text_comes_from_the_policy(repo: Path, capsys: pytest.CaptureFixture[str], code_: str,
                                               body: str, regulation: str) -> None:
    write_article(repo, body=body)
    _, data = lint_json(repo, capsys)
    assert [f["regulation"] for f in found(data, code_)] == [regulation]


def test_regulation_can_be_overridden_per_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = with_rules(tmp_path, "  PII002:\n    regulation: R6\n  PII005:\n    regulation: X1\n  TYPO001:\n"
                                "    regulation: X2\n", regulations="  X1: 学校邮件管理办法 第三条\n")
    write_article(root, body="电话13812345678 邮箱 a@example.com\n\n我爱Python\n")
    _, data = lint_json(root, capsys)
    assert {f["code"]: f["regulation"] for f in found(data, "PII002", "PII005", "TYPO001", "PII001")} == {
        "PII002": cited("R6"),
        "PII005": "X1 学校邮件管理办法 第三条",
        "TYPO001": "X2",  # an id without text in `regulations:` is shown as the bare id
    }


def test_regulation_text_is_editable_in_the_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = "  R7: 《江城大学微信公众号管理办法》第八条:保护师生隐私\n"
    assert SAMPLE_POLICY.count(old) == 1
    root = make_repo(tmp_path, policies=SAMPLE_POLICY.replace(old, "  R7: 修订后的隐私条款\n"))
    write_article(root, body="电话13812345678\n")
    _, data = lint_json(root, capsys)
    assert [f["regulation"] for f in found(data, "PII002")] == ["R7 修订后的隐私条款"]


# --- account certification dates (ACC001 / ACC002) ---------------------------------------------


def cert_repo(tmp_path: Path, verified_until: datetime.date, annual_review: datetime.date,
              warn_days: int = 30) -> Path:
    assert SAMPLE_POLICY.count(CERTIFICATION) == 1
    block = (f"      verified_until: {verified_until.isoformat()}\n      annual_review: {annual_review.isoformat()}\n"
             f"      warn_days: {warn_days}\n")
    root = make_repo(tmp_path, policies=SAMPLE_POLICY.replace(CERTIFICATION, block))
    write_article(root)
    return root


def account_findings(root: Path, today: datetime.date, path: str = ARTICLE) -> list[tuple[str, int, str, str]]:
    report = lint_bundles(root, load_policies(root), [PurePosixPath(path)], today=today)
    return [(f.code, f.line, f.severity.value if f.severity else "", f.message) for f in report.findings
            if f.code.startswith("ACC") and f.path == "policies.yaml"]


TODAY = datetime.date(2026, 10, 1)


@pytest.mark.parametrize("days_left, expected", [(31, None), (30, "ACC001"), (19, "ACC001"), (0, "ACC001"),
                                                 (-1, "ACC002"), (-200, "ACC002")])
def test_certification_dates_against_warn_days(tmp_path: Path, days_left: int, expected: str | None) -> None:
    due = TODAY + datetime.timedelta(days=days_left)
    root = cert_repo(tmp_path, verified_until=due, annual_review=datetime.date(2027, 6, 30))
    findings = account_findings(root, TODAY)
    if expected is None:
        assert findings == []
        return
    [(code, line, severity, message)] = findings
    assert (code, line) == (expected, policy_line(root, "verified_until:"))
    assert message.startswith("账号「江城大学」的微信认证")
    assert "accounts.official.certification.verified_until" in message
    if expected == "ACC001":
        assert severity == "warning"
        assert f"将于 {due.isoformat()} 到期(还有 {days_left} 天)" in message
    else:
        assert severity == "error"
        assert f"已于 {due.isoformat()} 过期" in message


def test_annual_review_is_checked_too(tmp_path: Path) -> None:
    root = cert_repo(tmp_path, verified_until=datetime.date(2026, 10, 11), annual_review=datetime.date(2026, 9, 1),
                     warn_days=10)
    findings = account_findings(root, TODAY)
    assert [(code, line, severity) for code, line, severity, _ in findings] == [
        ("ACC001", policy_line(root, "verified_until:"), "warning"),
        ("ACC002", policy_line(root, "annual_review:"), "error"),
    ]
    assert "年审已于 2026-09-01 过期" in findings[1][3]
    assert "还有 10 天" in findings[0][3]


def test_only_accounts_being_linted_are_checked(tmp_path: Path) -> None:
    root = cert_repo(tmp_path, verified_until=datetime.date(2026, 9, 1), annual_review=datetime.date(2026, 9, 1))
    write_article(root, account="cs-college", department="cs-college")
    assert account_findings(root, TODAY, "content/cs-college/cs-college/2026-10-20-sports-day/index.md") == []
    assert [code for code, *_ in account_findings(root, TODAY)] == ["ACC002", "ACC002"]


def test_account_dates_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    today = datetime.date.today()
    root = cert_repo(tmp_path, verified_until=today + datetime.timedelta(days=5),
                     annual_review=today - datetime.timedelta(days=1))
    code, data = lint_json(root, capsys)
    acc = found(data, "ACC001", "ACC002")
    assert [(f["path"], f["code"], f["severity"], f["line"]) for f in acc] == [
        ("policies.yaml", "ACC001", "warning", policy_line(root, "verified_until:")),
        ("policies.yaml", "ACC002", "error", policy_line(root, "annual_review:")),
    ]
    regulation_id = RULES["ACC001"].regulation
    text = load_policies(root).regulations.get(regulation_id, "")
    assert acc[0]["regulation"] == f"{regulation_id} {text}".strip() != ""
    assert code == 1


def test_acc_severity_follows_rules_overrides(tmp_path: Path) -> None:
    policy = SAMPLE_POLICY.replace(CERTIFICATION, "      verified_until: 2026-09-01\n")
    policy = policy.replace("\nrules:\n", "\nrules:\n  ACC002:\n    severity: warning\n")
    root = make_repo(tmp_path, policies=policy)
    write_article(root)
    report = lint_bundles(root, load_policies(root), [PurePosixPath(ARTICLE)], today=TODAY)
    assert [(f.code, f.severity) for f in report.findings] == [("ACC002", Severity.WARNING)]


def test_unquoted_off_switches_a_rule_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # YAML 1.1 reads `off` as false; editors should not have to know that
    text = (PROJECT / "policies.yaml").read_text(encoding="utf-8").replace(
        "  TYPO001:\n    severity: warning\n", "  TYPO001:\n    severity: off\n")
    root = make_repo(tmp_path, policies=text)
    write_article(root, body="我爱Python编程。\n")
    code, data = lint_json(root, capsys, "--strict")
    assert code == 0
    assert data["findings"] == []
