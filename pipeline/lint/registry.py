"""The ordered registry of lint rules: one entry per module, each `check(doc) -> findings`.

A code's default severity and regulation live in the module's INFO; `policies.yaml`
`rules:` can change both (or switch a rule off) without touching code.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

from pipeline.lint import suppress
from pipeline.lint.document import Document
from pipeline.lint.model import Finding, RuleInfo, Severity
from pipeline.lint.rules import (body, characters, classified, custom, frontmatter, links, media, pii, rendered,
                                  typography, words)

Check = Callable[[Document], Iterator[Finding]]
Fixer = Callable[[Document], Iterator[str]]

_MODULES = (frontmatter, characters, body, classified, words, pii, links, media, typography, custom, rendered)
CHECKS: tuple[tuple[str, Check], ...] = tuple((m.__name__.rsplit(".", 1)[-1], m.check) for m in _MODULES)
FIXERS: tuple[Fixer, ...] = (media.fix,)

# Codes raised by the engine itself rather than by a rule module
ENGINE_INFO = (
    RuleInfo("ART001", "文件无法作为 Markdown 读取", Severity.ERROR),
    RuleInfo("ART002", "缺少 front matter", Severity.ERROR),
    RuleInfo("ART003", "front matter 格式错误", Severity.ERROR),
    RuleInfo("ART004", "文章文件或其所在目录是符号链接", Severity.ERROR, "R20"),
    RuleInfo("ART005", "Git 属性(.gitattributes)使检出的文件与提交中的不同", Severity.ERROR, "R20"),
    RuleInfo("ART006", "Git 属性(.gitattributes)使 GitHub 不向审核人显示文章的改动", Severity.ERROR, "R3"),
    RuleInfo("ACC001", "账号认证、年审或续费即将到期", Severity.WARNING, "R19"),
    RuleInfo("ACC002", "账号认证、年审或续费已过期", Severity.ERROR, "R19"),
    RuleInfo("PUB001", "修改已发布的文章须声明 republish", Severity.ERROR),
    RuleInfo("POL001", "policies.yaml 中的规则代码无效或与内置规则相同", Severity.ERROR),
)


def _collect(groups: Iterable[tuple[RuleInfo, ...]]) -> dict[str, RuleInfo]:
    return {info.code: info for group in groups for info in group}


RULES: dict[str, RuleInfo] = _collect([ENGINE_INFO, suppress.INFO, *(m.INFO for m in _MODULES)])
