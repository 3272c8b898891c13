"""The four output formats and the exit-code contract of `wxpub lint`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.testing.fixtures import write_article

# An article with one error (phone number), one warning (e-mail) and one notice (external link)
BODY = ("学院办公室电话 13812345678。\n\n"
        "来信请寄 office@example.edu.cn。\n\n"
        "详见 [学校官网](https://www.example.edu.cn/news)。\n")


def run(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(repo), "lint", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def noisy(repo: Path) -> Path:
    return write_article(repo, body=BODY)


def test_text_format(repo: Path, noisy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(repo, capsys)
    path = "content/official/publicity/2026-10-20-sports-day/index.md"
    line = noisy.read_text(encoding="utf-8").splitlines().index("学院办公室电话 13812345678。") + 1
    assert code == 1
    assert f"{path}:{line}:9: 错误 PII002 疑似手机号码 138****5678" in out
    assert f"{path}:{line + 2}:6: 警告 PII005" in out
    assert f"{path}:{line + 4}:" in out and "提示 LINK003" in out
    assert out.rstrip().endswith("共检查 1 篇文章:1 个错误,1 个警告,1 个提示,0 处抑制")
    assert "13812345678" not in out.replace("138****5678", "")  # the number itself is never echoed


def test_json_format(repo: Path, noisy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(repo, capsys, "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["files"] == 1
    assert [(f["code"], f["severity"]) for f in data["findings"]] == [
        ("PII002", "error"), ("PII005", "warning"), ("LINK003", "notice")]
    first = data["findings"][0]
    assert set(first) == {"path", "line", "column", "code", "severity", "message", "regulation"}
    assert first["regulation"].startswith("R7 ")


def test_github_format_and_step_summary(repo: Path, noisy: Path, capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = run(repo, capsys, "--format", "github")
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith("::error file=content/official/publicity/2026-10-20-sports-day/index.md,line=")
    assert ",title=PII002::疑似手机号码" in lines[0]
    assert lines[1].startswith("::warning ") and lines[2].startswith("::notice ")
    table = summary.read_text(encoding="utf-8")
    assert "| 级别 | 位置 | 规则 | 说明 |" in table and "| 错误 |" in table and "PII002" in table


def test_github_escapes_newlines_and_separators(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, slug="2026-10-21-a-b", body="电话 13812345678\n")
    from pipeline.lint.output import _escape_data, _escape_property
    assert _escape_data("a\nb%c\r") == "a%0Ab%25c%0D"
    assert _escape_property("a:b,c") == "a%3Ab%2Cc"
    _, out, _ = run(repo, capsys, "--format", "github")
    assert all(line.startswith("::") or line.startswith("共检查") for line in out.splitlines())


def test_sarif_format(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="来信请寄 office@example.edu.cn。\n\n<!-- wxpub-disable PII002: 学院公开的办公电话 -->\n电话 13812345678。\n")
    code, out, _ = run(repo, capsys, "--format", "sarif")
    log = json.loads(out)
    assert code == 0  # only a warning left
    assert log["version"] == "2.1.0"
    run_ = log["runs"][0]
    assert run_["tool"]["driver"]["name"] == "wxpub"
    assert {r["id"] for r in run_["tool"]["driver"]["rules"]} == {"PII002", "PII005"}
    by_rule = {r["ruleId"]: r for r in run_["results"]}
    assert by_rule["PII005"]["level"] == "warning" and "suppressions" not in by_rule["PII005"]
    assert by_rule["PII002"]["suppressions"] == [{"kind": "inSource", "justification": "学院公开的办公电话"}]
    region = by_rule["PII005"]["locations"][0]["physicalLocation"]["region"]
    assert region["startColumn"] == 6 and region["startLine"] > 1


def test_exit_codes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="我爱Python编程。\n")  # one typography warning only
    assert run(repo, capsys)[0] == 0
    assert run(repo, capsys, "--strict")[0] == 1
    with pytest.raises(SystemExit) as usage:
        main(["lint", "--format", "yaml"])
    assert usage.value.code == 2


def test_python_dash_m_and_console_script_agree(repo: Path) -> None:
    write_article(repo)
    by_module = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(repo), "lint", "--format", "json"],
                               capture_output=True, text=True)
    assert by_module.returncode == 0, by_module.stderr
    assert json.loads(by_module.stdout)["files"] == 1
    script = Path(sys.executable).with_name("wxpub")
    if script.exists():
        by_script = subprocess.run([str(script), "--root", str(repo), "lint", "--format", "json"], capture_output=True, text=True)
        assert by_script.stdout == by_module.stdout
