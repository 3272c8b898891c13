"""Values the linter produces: findings, suppressions and the report."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field



class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"

    @property
    def label(self) -> str:
        return {"error": "错误", "warning": "警告", "notice": "提示"}[self.value]


@dataclass(frozen=True)
class RuleInfo:
    """A built-in rule: its stable code, what it checks (Chinese), default severity, regulation."""

    code: str
    title: str
    severity: Severity
    regulation: str = ""  # id in REGULATIONS (R1-R20) or the policy's `regulations`


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    column: int
    code: str
    message: str
    severity: Severity | None = None  # None: the rule's default, resolved by the engine
    regulation: str = ""  # resolved text of the clause it enforces
    # The publisher refuses the article for this whatever lint says (a file the bundle's
    # resolver will not serve, a missing cover): no suppression or policy override silences
    # it or makes it less than an error, so nothing is refused only after review
    binding: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Suppression:
    """An inline `<!-- wxpub-disable CODE: reason -->`, listed so reviewers see it."""

    path: str
    line: int
    codes: tuple[str, ...]
    reason: str
    scope: str  # "line" (the next non-blank line) or "file"
    suppressed: int = 0  # how many findings it silenced


@dataclass(frozen=True)
class LintReport:
    findings: tuple[Finding, ...]
    suppressions: tuple[Suppression, ...]
    files: int
    fixed: tuple[str, ...] = field(default=())  # what --fix changed, one line each
    suppressed: tuple[tuple[Finding, Suppression], ...] = field(default=())  # silenced findings, for SARIF

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)


