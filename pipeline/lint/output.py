"""Lint reports as text, JSON, GitHub annotations (plus a job summary table) or SARIF 2.1.0."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from pipeline import __version__
from pipeline.lint.model import Finding, LintReport, Severity


def _summary_line(report: LintReport) -> str:
    return (f"共检查 {report.files} 篇文章:{report.count(Severity.ERROR)} 个错误,"
            f"{report.count(Severity.WARNING)} 个警告,{report.count(Severity.NOTICE)} 个提示,"
            f"{len(report.suppressions)} 处抑制")


def _severity(finding: Finding) -> Severity:
    assert finding.severity is not None, "the engine resolves every severity"
    return finding.severity


def text(report: LintReport) -> str:
    """What an editor reads: severities in Chinese (错误/警告/提示), codes and paths as they are.
    The machine formats below keep the English severity values their consumers expect."""
    lines = [f"{f.path}:{f.line}:{f.column}: {_severity(f).label} {f.code} {f.message}"
             + (f" [{f.regulation}]" if f.regulation else "") for f in report.findings]
    lines.extend(f"已修复:{item}" for item in report.fixed)
    lines.extend(f"已抑制:{s.path}:{s.line}: {', '.join(s.codes)}(理由:{s.reason};{s.suppressed} 处)"
                 for s in report.suppressions)
    lines.append(_summary_line(report))
    return "\n".join(lines) + "\n"


def as_json(report: LintReport) -> str:
    payload = {
        "findings": [{"path": f.path, "line": f.line, "column": f.column, "code": f.code,
                      "severity": _severity(f).value, "message": f.message, "regulation": f.regulation}
                     for f in report.findings],
        "files": report.files,
        "suppressions": [{"path": s.path, "line": s.line, "codes": list(s.codes), "reason": s.reason,
                          "scope": s.scope, "suppressed": s.suppressed} for s in report.suppressions],
        "fixed": list(report.fixed),
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "notice"}


def github(report: LintReport) -> str:
    """Workflow commands (one annotation per finding); the table goes to $GITHUB_STEP_SUMMARY."""
    lines = [f"::{_GITHUB_LEVEL[_severity(f)]} file={_escape_property(f.path)},line={f.line},col={f.column},"
             f"title={_escape_property(f.code)}::{_escape_data(f.message)}" for f in report.findings]
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with Path(summary_file).open("a", encoding="utf-8") as handle:
            handle.write(markdown_summary(report))
    lines.append(_summary_line(report))
    return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown_summary(report: LintReport) -> str:
    out = ["## wxpub lint 检查结果", "", _summary_line(report), ""]
    if report.findings:
        out += ["| 级别 | 位置 | 规则 | 说明 |", "|---|---|---|---|"]
        out += [f"| {_severity(f).label} | `{_cell(f.path)}:{f.line}` | {f.code} | {_cell(f.message)} |"
                for f in report.findings]
        out.append("")
    if report.suppressions:
        out += ["### 已抑制的检查(请审核人留意)", "", "| 位置 | 规则 | 理由 |", "|---|---|---|"]
        out += [f"| `{_cell(s.path)}:{s.line}` | {', '.join(s.codes)} | {_cell(s.reason)} |" for s in report.suppressions]
        out.append("")
    return "\n".join(out) + "\n"


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note"}


def sarif(report: LintReport) -> str:
    def result(f: Finding, justification: str | None = None) -> dict[str, object]:
        item: dict[str, object] = {
            "ruleId": f.code,
            "level": _SARIF_LEVEL[_severity(f)],
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": f.line, "startColumn": f.column}}}],
        }
        if justification is not None:
            item["suppressions"] = [{"kind": "inSource", "justification": justification}]
        return item

    from pipeline.lint.registry import RULES  # every rule module: only SARIF names the rules

    used = sorted({f.code for f in report.findings} | {f.code for f, _ in report.suppressed})
    rules = [{"id": code, "shortDescription": {"text": RULES[code].title if code in RULES else code}}
             for code in used]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "wxpub", "version": __version__,
                                "rules": rules}},
            "results": [result(f) for f in report.findings]
                       + [result(f, s.reason) for f, s in report.suppressed],
        }],
    }
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


FORMATTERS: dict[str, Callable[[LintReport], str]] = {"text": text, "json": as_json, "github": github, "sarif": sarif}
