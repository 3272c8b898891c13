"""Themes: the inline styles and the article template a school can change.

A theme is a folder `themes/<name>/` in the repository with `theme.yaml` (a CSS declaration
list per kind of element, a Pygments style for code, GFM alert colours) and
`article.html.j2` (the jinja2 wrapper: byline, body, notes, references, footer). Styles go
onto elements as `style` attributes because WeChat strips `<style>`, `class` and `id`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any, Mapping

import jinja2
import jinja2.exceptions
import jinja2.runtime
from jinja2.sandbox import SandboxedEnvironment
from pygments.styles import get_all_styles, get_style_by_name
from pygments.util import ClassNotFound

from pipeline import textcheck
from pipeline.errors import UserError
from pipeline.snapshot import NOT_A_FILE, SYMLINK, Refused, Snapshot
from pipeline.yamlpos import YamlSyntaxError, load_positioned

THEMES_DIR = "themes"
THEME_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")  # as the policy schema has it
DEFAULT_THEME = "classic"

# Every key a theme may style; the renderer asks for these and nothing else.
STYLE_KEYS = frozenset({
    "article", "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "strong", "em",
    "del", "code", "code_block", "pre", "table_wrap", "table", "th", "td", "figure", "img", "figcaption",
    "hr", "a", "ref", "task", "alert", "alert_title", "notes_title", "notes_item", "byline", "mark", "footer",
})
ALERT_KINDS = ("NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION")


@dataclass(frozen=True)
class Alert:
    title: str
    color: str
    background: str


@dataclass(frozen=True)
class Theme:
    name: str  # folder name
    label: str  # display name, e.g. 经典
    styles: Mapping[str, str]
    code_style: str
    alerts: Mapping[str, Alert]
    template: jinja2.Template

    def style(self, key: str) -> str:
        return self.styles.get(key, "")


def available(files: Snapshot) -> list[str]:
    """The themes in a snapshot (working tree or commit): folders of themes/ with a theme.yaml."""
    return sorted({name.parts[0] for name in files.files_under(PurePosixPath(THEMES_DIR))
                   if len(name.parts) == 2 and name.parts[1] == "theme.yaml"})


@functools.cache
def load_theme(files: Snapshot, name: str) -> Theme:
    """A theme read from `files`, the snapshot the policy came from (the commit when publishing)."""
    folder = PurePosixPath(THEMES_DIR, name)
    where = f"{THEMES_DIR}/{name}/theme.yaml"
    if not THEME_NAME.fullmatch(name):  # a name is a folder of themes/, never a path
        raise _not_found(files, name, where, "")
    try:
        with files.open(folder / "theme.yaml") as handle:
            raw = handle.read()
    except Refused as refused:
        raise _not_found(files, name, where, refused.problem) from None
    text = textcheck.decode(raw)
    if isinstance(text, textcheck.NotUtf8):
        raise UserError(str(text), where=f"{where}:{text.line}", hint="请以 UTF-8 编码重新保存该文件")
    try:
        doc = load_positioned(text)
    except YamlSyntaxError as exc:
        raise UserError(f"YAML 语法错误:{exc.message}", where=f"{where}:{exc.line}", hint="检查缩进与引号") from None
    data = doc.data if isinstance(doc.data, dict) else {}
    styles = data.get("styles")
    if not isinstance(styles, dict) or not all(isinstance(v, str) for v in styles.values()):
        raise UserError("styles 应为“元素: CSS 声明”的映射", where=f"{where}:{doc.line_of(('styles',))}",
                        hint='例如 p: "margin: 0 0 16px 0"')
    unknown = sorted(set(styles) - STYLE_KEYS)
    if unknown:
        raise UserError(f"未知的样式键:{', '.join(unknown)}", where=f"{where}:{doc.line_of(('styles', unknown[0]))}",
                        hint=f"可用的键:{', '.join(sorted(STYLE_KEYS))}")
    alerts = {kind: Alert(str(v.get("title", kind)), str(v.get("color", "#576b95")), str(v.get("background", "#f2f5fa")))
              for kind, v in (data.get("alerts") or {}).items() if isinstance(v, dict)}
    for kind in ALERT_KINDS:
        alerts.setdefault(kind, Alert(kind.title(), "#576b95", "#f2f5fa"))
    code_style = str(data.get("code_style", "friendly"))
    try:
        get_style_by_name(code_style)
    except ClassNotFound:
        raise UserError(f"未知的代码配色 `{code_style}`", where=f"{where}:{doc.line_of(('code_style',))}",
                        hint=f"可用的 Pygments 配色如 {', '.join(sorted(get_all_styles())[:8])} 等") from None
    return Theme(
        name=name,
        label=str(data.get("name", name)),
        styles=MappingProxyType(dict(styles)),
        code_style=code_style,
        alerts=MappingProxyType(alerts),
        template=_template(files, folder, where),
    )


def _not_found(files: Snapshot, name: str, where: str, problem: str) -> UserError:
    why = {SYMLINK: "(theme.yaml 是符号链接,不跟随)", NOT_A_FILE: "(theme.yaml 不是普通文件)"}.get(problem, "")
    return UserError(f"找不到主题 `{name}`{why}", where=where,
                     hint=f"可用主题:{', '.join(available(files)) or '(无)'};或在 themes/{name}/ 下新建 theme.yaml")


class _ThemeSandbox(SandboxedEnvironment):
    """Jinja's sandbox, and no arithmetic that can build a huge value: `'x' * 10**13` asked for
    10 TB and crashed lint and publish (MemoryError, exit 3). A wrapper never needs `**`,
    and `*` only on numbers."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        numbers = all(isinstance(side, (int, float)) and not isinstance(side, bool) for side in (left, right))
        if operator == "**" or not numbers:
            raise jinja2.exceptions.SecurityError(f"主题模板中不能使用 {operator} 运算(只能用于两个数相乘)")
        return super().call_binop(context, operator, left, right)


def _template(files: Snapshot, folder: PurePosixPath, where: str) -> jinja2.Template:
    def source(template: str) -> str | None:
        try:
            with files.open(folder / template) as handle:
                raw = handle.read()
        except Refused:
            return None  # jinja2 says TemplateNotFound
        text = textcheck.decode(raw)
        if isinstance(text, textcheck.NotUtf8):  # jinja2 passes the loader's exception on
            raise UserError(str(text), where=f"{folder / template}:{text.line}", hint="请以 UTF-8 编码重新保存该文件")
        return text

    # Sandboxed: a theme is the school's layout, approved for its looks, and the publisher
    # renders it with every AppSecret in its environment; a template that reaches Python
    # (`lipsum.__globals__`, `''.__class__.__mro__`) fails with SecurityError instead
    env = _ThemeSandbox(loader=jinja2.FunctionLoader(source), autoescape=True,
                        undefined=jinja2.StrictUndefined, trim_blocks=False)
    try:
        return env.get_template("article.html.j2")
    except jinja2.TemplateNotFound:
        raise UserError("主题缺少 article.html.j2", where=where.replace("theme.yaml", "article.html.j2"),
                        hint="从 themes/classic/article.html.j2 复制一份再修改") from None
    except jinja2.TemplateSyntaxError as exc:
        raise UserError(f"模板语法错误:{exc.message}", where=f"{where.replace('theme.yaml', 'article.html.j2')}:{exc.lineno}",
                        hint="检查 {{ }} 与 {% %} 是否配对") from None
