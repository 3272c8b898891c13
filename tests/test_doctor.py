"""`wxpub doctor`: account health (R19) against the sandbox over HTTP, on real repositories."""

from __future__ import annotations

import contextlib
import datetime
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.doctor import ERROR, OK, WARNING, date_checks
from pipeline.policies import load_policies
from tests.testing.fixtures import PROJECT, http, make_repo

APPID, SECRET = "wxhealthofficial01", "doctor-test-secret-7f3a9c"
SAMPLE = (PROJECT / "policies.yaml").read_text(encoding="utf-8")
RENEWAL = datetime.date(2027, 8, 31)  # the sample's `official` renewal date
ONLY_RENEWAL = SAMPLE.replace("      verified_until: 2027-09-30\n", "").replace("      annual_review: 2027-06-30\n", "")
ENV = {"WXPUB_OFFICIAL_APPID": APPID, "WXPUB_OFFICIAL_SECRET": SECRET}


def doctor(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["--root", str(root), "doctor", "--format", "json", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err, captured.err
    return code, json.loads(captured.out)


def rows(report: dict[str, Any], account: str = "official") -> dict[str, dict[str, Any]]:
    return {c["item"]: c for c in report["checks"] if c["account"] == account}


@pytest.fixture
def wechat(sandbox: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The sandbox with the `official` account registered and its credentials in the environment."""
    http(sandbox + "/sandbox/accounts", {"appid": APPID, "secret": SECRET, "name": "江城大学"})
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return sandbox + "/cgi-bin/"


@pytest.mark.parametrize(("days", "level", "code", "exit_code"), [
    (31, OK, "", 0), (30, WARNING, "ACC001", 0), (0, WARNING, "ACC001", 0), (-1, ERROR, "ACC002", 1),
])
def test_dates_warn_from_30_days_before_and_fail_once_past(tmp_path: Path, wechat: str, capsys: pytest.CaptureFixture[str],
                                                            days: int, level: str, code: str, exit_code: int) -> None:
    assert ONLY_RENEWAL.count("certification:") == SAMPLE.count("certification:") and "annual_review" not in ONLY_RENEWAL
    repo = make_repo(tmp_path, policies=ONLY_RENEWAL)
    today = RENEWAL - datetime.timedelta(days=days)
    found, report = doctor(repo, capsys, "--api", wechat, "--account", "official", "--now", today.isoformat())
    renewal = rows(report)["续费"]
    assert (renewal["level"], renewal["code"]) == (level, code)
    assert found == exit_code
    if level != OK:
        assert "accounts.official.certification.renewal" in renewal["message"]
    strict, _ = doctor(repo, capsys, "--api", wechat, "--account", "official", "--now", today.isoformat(), "--strict")
    assert strict == (0 if level == OK else 1)  # the scheduled run fails on a warning too


def test_the_time_of_day_is_the_policys(repo: Path, wechat: str, capsys: pytest.CaptureFixture[str]) -> None:
    """23:30 UTC on the day before is already the renewal day in Beijing: due today, not tomorrow."""
    _, report = doctor(repo, capsys, "--api", wechat, "--account", "official", "--now", "2027-08-30T23:30:00+00:00")
    assert "还有 0 天" in rows(report)["续费"]["message"]


def test_a_healthy_account_is_all_ok_and_reads_as_a_chinese_table(repo: Path, wechat: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, report = doctor(repo, capsys, "--api", wechat, "--account", "official", "--now", "2026-12-01")
    assert code == 0 and report["errors"] == 0 and report["warnings"] == 0
    assert {c["level"] for c in report["checks"]} == {OK}
    assert set(rows(report)) == {"凭据", "接口令牌", "发布时段", "微信认证", "年审", "续费"}
    assert main(["--root", str(repo), "doctor", "--api", wechat, "--account", "official", "--now", "2026-12-01"]) == 0
    text = capsys.readouterr().out
    header, *lines = text.splitlines()
    assert header.split() == ["账号", "检查项", "结果", "代码", "说明"]
    assert any(line.split()[:3] == ["official", "接口令牌", "正常"] for line in lines)
    assert lines[-1] == f"共 {len(report['checks'])} 项,全部正常"
    assert SECRET not in text and APPID not in text


def test_the_whitelist_message_names_the_address_to_add(repo: Path, wechat: str, sandbox: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    http(sandbox + "/sandbox/whitelist", {"appid": APPID, "ips": ["203.0.113.7"]})
    code, report = doctor(repo, capsys, "--api", wechat, "--account", "official", "--now", "2026-12-01")
    token = rows(report)["接口令牌"]
    assert code == 1 and token["level"] == ERROR and token["code"] == "DOC004"
    assert "本机出口 IP 127.0.0.1 不在该公众号的 IP 白名单中" in token["message"] and "IP 白名单」加入 127.0.0.1" in token["message"]
    http(sandbox + "/sandbox/whitelist", {"appid": APPID, "ips": ["203.0.113.7", "::ffff:127.0.0.1"]})
    code, report = doctor(repo, capsys, "--api", wechat, "--account", "official", "--now", "2026-12-01")
    assert code == 0 and rows(report)["接口令牌"]["level"] == OK  # the same address, written as mapped IPv6


def test_wrong_credentials_are_an_error_that_says_which(repo: Path, wechat: str, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WXPUB_OFFICIAL_SECRET", "not-the-secret-at-all")
    code, report = doctor(repo, capsys, "--api", wechat, "--account", "official", "--now", "2026-12-01")
    token = rows(report)["接口令牌"]
    assert code == 1 and token["code"] == "DOC003" and "40125" in token["message"] and "AppSecret 无效" in token["message"]
    assert "not-the-secret-at-all" not in json.dumps(report)


def test_missing_credentials_are_named_never_their_values(repo: Path, wechat: str, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WXPUB_OFFICIAL_SECRET")
    code, report = doctor(repo, capsys, "--api", wechat, "--now", "2026-12-01")
    credentials = rows(report)["凭据"]
    assert code == 1 and credentials["code"] == "DOC002"
    assert "WXPUB_OFFICIAL_SECRET" in credentials["message"] and "WXPUB_OFFICIAL_APPID" not in credentials["message"]
    assert APPID not in json.dumps(report)
    assert "接口令牌" not in rows(report)  # no token is asked for without both
    college = rows(report, "cs-college")["凭据"]
    assert "WXPUB_CS_COLLEGE_APPID、WXPUB_CS_COLLEGE_SECRET" in college["message"]


def test_a_schedule_that_leaves_publishing_unbounded_is_a_warning(tmp_path: Path, wechat: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    policy = SAMPLE.replace('''      windows: ["12:00-13:30", "17:30-22:00"]   # not during class time (第十二条)
      daily_cap: 2                               # one or two posts a day (第十二条)''', '''      windows: ["12:00-13:30", "13:00-14:00"]''')
    assert policy != SAMPLE
    root = make_repo(tmp_path, policies=policy)
    code, report = doctor(root, capsys, "--api", wechat, "--account", "official", "--now", "2026-12-01")
    found = [(c["code"], c["message"]) for c in report["checks"] if c["level"] == WARNING]
    assert [c for c, _ in found] == ["DOC005", "DOC006"] and "12:00-13:30 与下一个时段重叠" in found[0][1]
    assert code == 0
    assert doctor(root, capsys, "--api", wechat, "--account", "official", "--now", "2026-12-01", "--strict")[0] == 1


@pytest.mark.parametrize(("change", "fragment"), [
    (("      daily_cap: 2  ", "      daily_cap: 0  "), "daily_cap"),
    (('"17:30-22:00"', '"22:00-17:30"'), "开始时间应早于结束时间"),
    (('"17:30-22:00"', '"17:30-25:00"'), "windows"),
    (("timezone: Asia/Shanghai", "timezone: Asia/Beijing"), "未知时区"),
    (("      renewal: 2027-08-31", "      renewal: 2027-02-30"), "日期不存在"),
    (("      李四: {openid_env: WXPUB_PREVIEW_OPENID_LISI}", "      李四: {openid: x, wxname: lisi_jcu}"), "previewers"),
])
def test_a_policy_that_does_not_load_is_reported_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               change: tuple[str, str], fragment: str) -> None:
    assert change[0] in SAMPLE, change
    root = make_repo(tmp_path, policies=SAMPLE.replace(*change))
    code, report = doctor(root, capsys)
    [problem] = report["checks"]
    assert code == 2 and problem["code"] == "DOC001" and problem["level"] == ERROR
    assert re.search(r"policies\.yaml:\d+(:\d+)?: ", problem["message"]) and fragment in problem["message"]


@pytest.mark.parametrize(("args", "fragment"), [
    (("--now", "next tuesday"), "--now 的时间格式不对"),
    (("--account", "nosuch"), "policies.yaml 中没有账号 nosuch"),
    (("--format", "xml"), "无效的取值"),
])
def test_bad_command_lines_exit_2_with_a_message(repo: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
                                                 fragment: str) -> None:
    with pytest.raises(SystemExit) if args[0] == "--format" else contextlib.nullcontext():
        code = main(["--root", str(repo), "doctor", *args])
        assert code == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_the_sandbox_run_checks_every_account(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = doctor(repo, capsys, "--sandbox", "--now", "2026-12-01")
    assert code == 0
    assert {c["account"] for c in report["checks"]} == {"official", "cs-college", "youth"}
    assert all(c["level"] == OK for c in report["checks"] if c["item"] == "接口令牌")


@settings(max_examples=200, deadline=None)
@given(offset=st.integers(min_value=-4000, max_value=4000), warn_days=st.integers(min_value=0, max_value=400))
def test_every_date_is_judged_by_its_distance_alone(offset: int, warn_days: int) -> None:
    """The class, not the examples: for any distance and any warn_days, past is an error, within
    warn_days (today included) a warning, further off fine; lint and doctor agree."""
    from pipeline.lint.engine import account_findings

    policies = _POLICIES
    account = policies.accounts["official"]
    account = type(account)(**{**account.__dict__, "warn_days": warn_days})
    today = RENEWAL - datetime.timedelta(days=offset)
    renewal = next(c for c in date_checks(account, today) if c.item == "续费")
    expected = ERROR if offset < 0 else WARNING if offset <= warn_days else OK
    assert renewal.level == expected
    patched = type(policies)(**{**policies.__dict__, "accounts": {"official": account}})
    lint_codes = {f.code for f in account_findings(patched, {"official"}, today)
                  if "renewal" in f.message}
    assert lint_codes == ({"ACC002"} if expected == ERROR else {"ACC001"} if expected == WARNING else set())


_POLICIES = load_policies(PROJECT)


def test_a_scheduled_workflow_runs_it_strictly_where_publishing_runs() -> None:
    import yaml

    workflow = yaml.safe_load((PROJECT / ".github" / "workflows" / "doctor.yml").read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))
    assert "schedule" in triggers and triggers["schedule"][0]["cron"]
    job = workflow["jobs"]["doctor"]
    assert job["runs-on"] == ["self-hosted", "wechat"] and job["environment"] == "wechat"  # the whitelisted runner
    check = next(s for s in job["steps"] if s.get("name") == "Check every account")
    assert check["run"] == "wxpub doctor --strict"  # a date within 30 days fails the run visibly
    policies = load_policies(PROJECT)
    assert set(check["env"]) == {e for a in policies.accounts.values() for e in (a.appid_env, a.secret_env)}
    for step in job["steps"]:
        if "uses" in step and not step["uses"].startswith("$/"):  # $/: this repository's own setup step
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
