"""policies.yaml: the school's accounts, departments, stages and content rules.

`load_policies` validates the file against pipeline/schemas/policies.schema.json, then
checks what a schema cannot (references between sections, files that must exist and be
UTF-8 word lists, message placeholders, time zones), and returns a frozen `Policies`. Errors
name `policies.yaml:LINE` and the key; an unknown key is an error with a did-you-mean, so
a typo such as `daily_capp` cannot silently drop a limit. No other module reads the raw YAML.
"""

from __future__ import annotations

import datetime
import difflib
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any, Collection, Mapping

from pipeline import POLICY_FILE as POLICY_FILE  # re-exported: the name lives in pipeline/__init__.py
from pipeline import schema_check, textcheck
from pipeline.defaults import with_defaults
from pipeline.errors import UserError, os_reason
from pipeline.snapshot import MISSING, NOT_A_FILE, OUTSIDE, SYMLINK, Refused, Snapshot, WorkTree
from pipeline.yamlpos import KeyPath, PositionedYaml, YamlBudgetError, YamlSyntaxError, load_positioned

ARTICLE_DEPARTMENT = "article"  # stage department meaning "the article's own department"
# What a conditional rule's `require_field` may name: the fields an article can have
FRONT_MATTER_FIELDS = frozenset(schema_check.load_schema("front-matter.schema.json")["properties"])


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    reviewers: tuple[str, ...]


@dataclass(frozen=True)
class Stage:
    id: str
    name: str
    department: str  # a department id, or ARTICLE_DEPARTMENT
    min_approvals: int = 1


@dataclass(frozen=True)
class ApprovalRules:
    """How reviews count towards the stages of one pull request (`approvals:` in the policy)."""

    # One person is one pair of eyes: a reviewer in two stages' teams meets one of them, unless
    # the school says otherwise (a small school whose head of publicity is also a leader)
    one_stage_per_reviewer: bool = True
    # Stages in `stages:` order: a later stage's approval counts only once the earlier ones are met
    ordered: bool = False


@dataclass(frozen=True)
class Schedule:
    windows: tuple[tuple[datetime.time, datetime.time], ...] = ()  # empty: any time
    weekdays: tuple[str, ...] = ()  # empty: every day
    daily_cap: int | None = None


@dataclass(frozen=True)
class Previewer:
    """Someone who may receive test sends of an account's articles on their phone (R13).

    `kind` is how WeChat addresses them: `openid` (a follower of this account) or `wxname`
    (their WeChat ID). The ID is written in the policy (`value`) or, being personal, kept in
    a CI secret whose environment variable the policy names (`env`)."""

    name: str
    kind: str  # openid | wxname
    value: str = ""
    env: str = ""


@dataclass(frozen=True)
class DueDate:
    """One dated obligation of an account (R19) and how far off it is on a given day."""

    label: str  # 微信认证 | 年审 | 续费
    key: str  # the key under `certification:`
    due: datetime.date
    days: int  # due - today; negative once past

    @property
    def past(self) -> bool:
        return self.days < 0


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    kind: str  # official | college | student-org
    type: str  # subscription | service
    operator: str
    contributors: tuple[str, ...]
    approval_stages: tuple[str, ...]
    publish_mode: str  # draft | publish | mass
    appid_env: str
    secret_env: str
    verified_until: datetime.date | None = None
    annual_review: datetime.date | None = None
    renewal: datetime.date | None = None
    warn_days: int = 30
    schedule: Schedule = Schedule()
    theme: str = "classic"
    footer: str = ""
    previewers: Mapping[str, Previewer] = field(default_factory=lambda: MappingProxyType({}))

    def due_dates(self, today: datetime.date) -> tuple[DueDate, ...]:
        """Certification, annual review and renewal dates that are set, with the days left
        until each: lint (ACC001/ACC002) and `wxpub doctor` judge them from this one list."""
        dates = (("微信认证", "verified_until", self.verified_until), ("年审", "annual_review", self.annual_review),
                 ("续费", "renewal", self.renewal))
        return tuple(DueDate(label, key, due, (due - today).days) for label, key, due in dates if due is not None)

    def due_soon(self, due: DueDate) -> bool:
        """Within `warn_days` of falling due (and not yet past)."""
        return 0 <= due.days <= self.warn_days


@dataclass(frozen=True)
class Category:
    name: str
    description: str = ""
    extra_stages: tuple[str, ...] = ()


@dataclass(frozen=True)
class MediaLimits:
    formats: tuple[str, ...]
    max_bytes: int
    width: int | None = None
    height: int | None = None
    max_count: int | None = None


@dataclass(frozen=True)
class WordList:
    name: str
    words: tuple[str, ...]
    allowed: tuple[str, ...]
    code: str
    severity: str | None
    message: str
    regulation: str
    source: str  # file the words came from, for messages


@dataclass(frozen=True)
class RuleOverride:
    severity: str | None = None
    regulation: str | None = None


@dataclass(frozen=True)
class CustomRule:
    code: str
    type: str  # existence | substitution | occurrence | conditional
    message: str
    severity: str
    regulation: str
    tokens: tuple[str, ...] = ()
    swap: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    min: int | None = None
    max: int | None = None
    accounts: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    require_field: str | None = None
    require_stage: str | None = None
    exceptions: tuple[str, ...] = ()  # phrases inside which a token does not count


# WeChat's own limits (see ../shared/WECHAT_API.md): body images through media/uploadimg
# must be jpg/png under 1 MB; permanent images (covers) at most 10 MB.
WECHAT_BODY_IMAGE_MAX_BYTES = 1024 * 1024 - 1
WECHAT_COVER_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_CLASSIFIED_MARKERS = ("涉密", "内部资料", "机密", "秘密", "绝密")


@dataclass(frozen=True)
class Policies:
    root: Path  # the repository root (the folder holding policies.yaml)
    files: Snapshot  # where policies.yaml, word lists and themes were read: working tree or commit
    school: str
    governing_body: str
    timezone: str
    departments: Mapping[str, Department]
    stages: Mapping[str, Stage]
    accounts: Mapping[str, Account]
    categories: Mapping[str, Category]
    max_chars: int
    cover: MediaLimits
    images: MediaLimits
    video: MediaLimits
    classified_markers: tuple[str, ...]
    classified_allow: tuple[str, ...]
    wordlists: tuple[WordList, ...]
    rule_overrides: Mapping[str, RuleOverride]
    custom_rules: tuple[CustomRule, ...]
    regulations: Mapping[str, str]
    approval_rules: ApprovalRules = ApprovalRules()
    key_lines: Mapping[KeyPath, int] = field(default_factory=lambda: MappingProxyType({}))

    def line_of(self, *path: str | int) -> int:
        """Line in policies.yaml of a key path such as ("accounts", "official")."""
        return PositionedYaml(None, self.key_lines).line_of(path)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


def load_policies(root: Path, files: Snapshot | None = None) -> Policies:
    """Load and validate policies.yaml and its word lists from `files` (default: the working
    tree at `root`; the publisher passes the commit's tree); raise UserError listing every problem."""
    # the school's files, and wxpub's shipped themes and word lists for what it does not hold
    files = with_defaults(WorkTree(root) if files is None else files)
    try:
        with files.open(PurePosixPath(POLICY_FILE)) as handle:
            raw = handle.read()
    except Refused as refused:
        if refused.problem == MISSING:
            raise UserError(f"找不到 {POLICY_FILE}", where=str(root / POLICY_FILE),
                            hint="在仓库根目录运行 wxpub,或用 --root 指向含 policies.yaml 的目录") from None
        # a folder, a FIFO (whose read would block forever) or a symlink: never read
        raise UserError(f"无法读取:{POLICY_FILE} {_REFUSED.get(refused.problem, '不是普通文件')}", where=POLICY_FILE,
                        hint="policies.yaml 应为仓库根目录下的普通文件") from None
    except OSError as exc:
        raise UserError(f"无法读取:{os_reason(exc)}", where=str(root / POLICY_FILE), hint="policies.yaml 应为仓库根目录下的普通文件") from None
    text = textcheck.decode(raw)
    if isinstance(text, textcheck.NotUtf8):
        raise UserError(str(text), where=f"{POLICY_FILE}:{text.line}", hint="请在编辑器中以 UTF-8 编码重新保存该文件") from None
    try:
        doc = load_positioned(text)
    except YamlBudgetError as exc:
        raise UserError(f"超出 YAML 的大小限制:{exc.message}", where=f"{POLICY_FILE}:{exc.line}:{exc.column}",
                        hint="不要用别名(*)层层引用大段内容,嵌套也不必这么深;每项直接写出") from None
    except YamlSyntaxError as exc:
        raise UserError(f"YAML 语法错误:{exc.message}", where=f"{POLICY_FILE}:{exc.line}:{exc.column}",
                        hint="检查缩进、冒号后的空格和括号是否配对") from None
    if not isinstance(doc.data, dict):
        raise UserError("内容应为一个映射(键: 值)", where=f"{POLICY_FILE}:1",
                        hint="参考仓库中的示例 policies.yaml")
    problems = schema_check.check(doc, "policies.schema.json")
    errors = [f"{POLICY_FILE}:{p.line}: {p.key}: {p.message}" for p in problems]
    if not errors:
        errors = _check_references(doc, files)
    if errors:
        raise UserError(f"{POLICY_FILE} 有 {len(errors)} 处错误:\n  " + "\n  ".join(errors),
                        hint="按上面的行号修改;字段说明见 wxpub 的 docs/policies.md")
    return _build(doc, root, files)


def _ref_error(doc: PositionedYaml, path: KeyPath, message: str) -> str:
    return f"{POLICY_FILE}:{doc.line_of(path)}: {schema_check.dotted(path)}: {message}"


def _check_references(doc: PositionedYaml, files: Snapshot) -> list[str]:
    """Cross-references the schema cannot express: ids that must exist, files, time zones,
    message placeholders, swaps that chain into each other. (A clause id missing from
    `regulations:` is allowed: it is shown as written.)"""
    data = doc.data
    departments = set(data["departments"])
    stages = set(data["stages"])
    accounts = set(data["accounts"])
    category_names = [c["name"] for c in data["categories"]]
    errors: list[str] = []

    def need(ids: Collection[str], value: str, path: KeyPath, what: str) -> None:
        if value not in ids:
            errors.append(_ref_error(doc, path, f"未定义的{what} `{value}`{_did_you_mean(value, ids)}"
                                                f",可选:{', '.join(sorted(ids))}"))

    if ARTICLE_DEPARTMENT in departments:
        errors.append(_ref_error(doc, ("departments", ARTICLE_DEPARTMENT), f"部门 id 不能是 `{ARTICLE_DEPARTMENT}`:"
                                 "审批阶段里它表示“文章所属的部门”;请换一个 id"))
    need(departments, data["governing_body"], ("governing_body",), "部门")
    for sid, stage in data["stages"].items():
        if stage["department"] != ARTICLE_DEPARTMENT:
            need(departments, stage["department"], ("stages", sid, "department"), "部门")
    for aid, account in data["accounts"].items():
        need(departments, account["operator"], ("accounts", aid, "operator"), "部门")
        for i, dep in enumerate(account["contributors"]):
            need(departments, dep, ("accounts", aid, "contributors", i), "部门")
        for i, st in enumerate(account["approval_stages"]):
            need(stages, st, ("accounts", aid, "approval_stages", i), "审批阶段")
        for i, window in enumerate(account.get("schedule", {}).get("windows", [])):
            start, end = window.split("-")
            if start >= end:
                errors.append(_ref_error(doc, ("accounts", aid, "schedule", "windows", i),
                                         f"时段 {window} 的开始时间应早于结束时间"))
    for i, category in enumerate(data["categories"]):
        if category_names.index(category["name"]) != i:
            errors.append(_ref_error(doc, ("categories", i), f"栏目 `{category['name']}` 重复"))
        for j, st in enumerate(category.get("extra_stages", [])):
            need(stages, st, ("categories", i, "extra_stages", j), "审批阶段")
    try:
        zoneinfo.ZoneInfo(data.get("timezone", "Asia/Shanghai"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors.append(_ref_error(doc, ("timezone",), "未知时区,请使用 IANA 名称,如 Asia/Shanghai"))
    for path, text in _published_texts(data):
        hidden = next(textcheck.hidden(text), None)
        if hidden is not None:
            errors.append(_ref_error(doc, path, f"「{_shown(text)}」含看不见的字符 {textcheck.describe(hidden.char)}:"
                                                "它会随每篇文章发布(或让栏目名对不上);请删除该字符"))
    content = data.get("content", {})
    for key in ("classified_markers", "classified_allow"):
        errors.extend(_phrase_errors(doc, content.get(key, []), ("content", key)))
    for i, wordlist in enumerate(data.get("wordlists", [])):
        for key in ("file", "allow"):
            if key in wordlist:
                errors.extend(_word_file_errors(doc, files, wordlist[key], ("wordlists", i, key)))
        errors.extend(_template_errors(doc, wordlist.get("message", ""), WORDLIST_PLACEHOLDERS,
                                       ("wordlists", i, "message")))
    codes: dict[str, int] = {}
    for i, rule in enumerate(data.get("custom_rules", [])):
        where: KeyPath = ("custom_rules", i)
        if rule["code"] in codes:
            errors.append(_ref_error(doc, (*where, "code"), f"规则代码 `{rule['code']}` 与 custom_rules 第 "
                                     f"{codes[rule['code']] + 1} 条重复;每条规则须有自己的代码"))
        codes.setdefault(rule["code"], i)
        if "require_stage" in rule:
            need(stages, rule["require_stage"], (*where, "require_stage"), "审批阶段")
        if "require_field" in rule:
            need(FRONT_MATTER_FIELDS, rule["require_field"], (*where, "require_field"), " front matter 字段")
        for j, account_id in enumerate(rule.get("accounts", [])):
            need(accounts, account_id, (*where, "accounts", j), "账号")
        for j, name in enumerate(rule.get("categories", [])):
            need(category_names, name, (*where, "categories", j), "栏目")
        errors.extend(_template_errors(doc, rule["message"], CUSTOM_PLACEHOLDERS[rule["type"]], (*where, "message")))
        for key in ("tokens", "exceptions"):
            errors.extend(_phrase_errors(doc, rule.get(key, []), (*where, key)))
        errors.extend(_phrase_errors(doc, [*rule.get("swap", {}), *rule.get("swap", {}).values()], (*where, "swap")))
        errors.extend(_swap_errors(doc, rule.get("swap", {}), (*where, "swap")))
        if rule.get("min") is not None and rule.get("max") is not None and rule["min"] > rule["max"]:
            errors.append(_ref_error(doc, (*where, "min"), f"min({rule['min']})大于 max({rule['max']}),"
                                     "任何文章都无法满足;请改正"))
    return errors


def _published_texts(data: Mapping[str, Any]) -> list[tuple[KeyPath, str]]:
    """Policy texts that end up in front of readers or reviewers: the byline's department,
    the account's name and footer, stage and category names."""
    texts: list[tuple[KeyPath, str]] = [(("school",), data["school"])]
    for section in ("departments", "stages", "accounts"):
        texts.extend(((section, key, "name"), value["name"]) for key, value in data[section].items())
    texts.extend((("accounts", key, "footer"), value["footer"]) for key, value in data["accounts"].items()
                 if "footer" in value)
    texts.extend((("categories", i, "name"), category["name"]) for i, category in enumerate(data["categories"]))
    return texts


def _did_you_mean(value: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f"(是否想写 `{close[0]}`?)" if close else ""


# Message placeholders each kind of rule fills in; anything else in braces is a policy error
WORDLIST_PLACEHOLDERS = frozenset({"match"})
CUSTOM_PLACEHOLDERS = {
    "existence": frozenset({"match"}),
    "substitution": frozenset({"match", "replacement"}),
    "occurrence": frozenset({"match", "count", "min", "max"}),
    "conditional": frozenset({"match", "field", "stage"}),
}
# `{name}` is a placeholder; `{{` and `}}` are literal braces; a lone brace is itself
_TEMPLATE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def fill(template: str, values: Mapping[str, object]) -> str:
    """A policy message with its placeholders filled in. Never raises: the policy loader
    has refused unknown placeholders, and anything left over is shown as written."""
    def one(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group()[0]
        return str(values[match.group(1)]) if match.group(1) in values else match.group()
    return _TEMPLATE.sub(one, template)


def _template_errors(doc: PositionedYaml, template: str, allowed: frozenset[str], path: KeyPath) -> list[str]:
    unknown = [m.group(1) for m in _TEMPLATE.finditer(template) if m.group(1) is not None and m.group(1) not in allowed]
    return [_ref_error(doc, path, f"消息中的占位符 `{{{name}}}` 无法填写{_did_you_mean(name, allowed)};"
                                  f"这里可用:{', '.join(f'{{{a}}}' for a in sorted(allowed))};"
                                  "要显示花括号本身请写成 {{ 和 }}") for name in dict.fromkeys(unknown)]


def _phrase_errors(doc: PositionedYaml, phrases: list[str], path: KeyPath) -> list[str]:
    """Phrases matched against articles: one with a hidden character or mixed look-alike
    alphabets can never match what an editor types, so the rule would silently do nothing."""
    errors = []
    for phrase in phrases:
        problem = _phrase_problem(phrase)
        if problem:
            errors.append(_ref_error(doc, path, f"「{_shown(phrase)}」{problem}"))
    return errors


def _phrase_problem(phrase: str) -> str:
    hidden = next(textcheck.hidden(phrase, emoji_joins=False), None)
    if hidden is not None:
        return f"含看不见的字符 {textcheck.describe(hidden.char)},永远匹配不到正常书写的文字;请删除该字符"
    scripts = textcheck.lookalike_scripts(phrase)
    if scripts:
        return (f"混用了形近的 {'、'.join(scripts)} 字母(如拉丁 a 与西里尔 а),永远匹配不到正常书写的文字;"
                "请用同一种字母重新输入")
    return ""


def _shown(text: str) -> str:
    """A phrase as a message can show it: hidden characters spelled out, at most 40 characters."""
    visible = textcheck.HIDDEN.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)
    return visible if len(visible) <= 40 else visible[:39] + "…"


def _swap_errors(doc: PositionedYaml, swap: Mapping[str, str], path: KeyPath) -> list[str]:
    """A preferred form that is itself a wrong form (A→B, B→A; or A→A) can never be
    satisfied: every way of writing it is a finding."""
    errors = []
    for wrong, preferred in swap.items():
        if preferred == wrong:
            errors.append(_ref_error(doc, (*path, wrong), f"「{wrong}」替换成它自己;请删除这一项"))
        elif preferred in swap:
            errors.append(_ref_error(doc, (*path, wrong), f"「{wrong}」→「{preferred}」,而「{preferred}」又被要求替换成"
                                     f"「{swap[preferred]}」:替换形成链或循环,怎么写都会报错;请让每个规范写法不再出现在左边"))
    return errors


MAX_WORDLIST_BYTES = 8 * 1024 * 1024  # a real list is kilobytes; a bigger file is a mistake
_MAX_ERRORS_PER_FILE = 10
_REFUSED = {SYMLINK: "是符号链接(不跟随符号链接)", NOT_A_FILE: "不是普通文件"}


def _word_file_errors(doc: PositionedYaml, files: Snapshot, relative: str, path: KeyPath) -> list[str]:
    """The word list file is a regular file in the repository (the snapshot refuses `..`,
    absolute paths and symlinks), is UTF-8 text, and every entry can match."""
    try:
        with files.open(PurePosixPath(relative)) as handle:
            size = handle.seek(0, 2)
            if size > MAX_WORDLIST_BYTES:
                return [_ref_error(doc, path, f"词表 {relative} 有 {size // 1024} KB,超过上限 "
                                              f"{MAX_WORDLIST_BYTES // 1024} KB;请确认没有选错文件")]
            handle.seek(0)
            raw = handle.read()
    except Refused as refused:
        if refused.problem == OUTSIDE:
            return [_ref_error(doc, path, f"文件 {relative} 在仓库之外;词表必须放在仓库内")]
        if refused.problem == MISSING:
            return [_ref_error(doc, path, f"找不到文件 {relative}(路径相对于仓库根目录)")]
        return [_ref_error(doc, path, f"文件 {relative} {_REFUSED.get(refused.problem, '不是普通文件')};请放入文件本身")]
    text = textcheck.decode(raw)
    if isinstance(text, textcheck.NotUtf8):
        return [_ref_error(doc, path, f"词表 {relative}:{text.line}: {text};请在编辑器中以 UTF-8 编码重新保存"
                                      "(常见于 GBK 编码的 Windows 记事本文件)")]
    errors = []
    for number, word in enumerate(_entries(text), 1):
        problem = _phrase_problem(word) if word and not word.startswith("#") else ""
        if problem:
            errors.append(_ref_error(doc, path, f"词表 {relative}:{number}: 「{_shown(word)}」{problem}"))
    if len(errors) > _MAX_ERRORS_PER_FILE:
        errors = [*errors[:_MAX_ERRORS_PER_FILE], _ref_error(doc, path, f"词表 {relative} 还有 "
                                                                        f"{len(errors) - _MAX_ERRORS_PER_FILE} 行有同样的问题")]
    return errors


def _read_words(files: Snapshot, relative: str | None) -> tuple[str, ...]:
    """One entry per line; blank lines and lines starting with # are skipped (checked by
    _word_file_errors: UTF-8, no hidden characters)."""
    if not relative:
        return ()
    with files.open(PurePosixPath(relative)) as handle:
        text = textcheck.decode(handle.read())
    assert isinstance(text, str), "checked before building"
    return tuple(dict.fromkeys(w for w in _entries(text) if w and not w.startswith("#")))


def _entries(text: str) -> list[str]:
    """Each line, stripped. Only \\n (and \\r\\n) end a line, as in the editor the school uses:
    str.splitlines would also split at a form feed or U+2028 and hide them from the check."""
    return [line.strip(" \t\r\u3000") for line in text.split("\n")]


def _severity(value: Any) -> str | None:
    """YAML 1.1 reads an unquoted `off` as false: both mean the rule is off."""
    return "off" if value is False else value


def _date(value: Any) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _previewer(name: str, spec: Mapping[str, str]) -> Previewer:
    """The schema allows exactly one of openid, openid_env, wxname, wxname_env."""
    key, value = next(iter(spec.items()))
    kind = key.removesuffix("_env")
    return Previewer(name, kind, env=value) if key.endswith("_env") else Previewer(name, kind, value=value)


def _time(text: str) -> datetime.time:
    hours, minutes = map(int, text.split(":"))
    return datetime.time.max if hours == 24 else datetime.time(hours, minutes)


def _media(raw: Mapping[str, Any], formats: tuple[str, ...], max_bytes: int, cap: int) -> MediaLimits:
    return MediaLimits(
        formats=tuple(raw.get("formats", formats)),
        max_bytes=min(int(raw.get("max_bytes", max_bytes)), cap),
        width=raw.get("width"),
        height=raw.get("height"),
        max_count=raw.get("max_count"),
    )


def _build(doc: PositionedYaml, root: Path, files: Snapshot) -> Policies:
    data = doc.data
    departments = {k: Department(k, v["name"], tuple(v["reviewers"])) for k, v in data["departments"].items()}
    stages = {k: Stage(k, v["name"], v["department"], v.get("min_approvals", 1)) for k, v in data["stages"].items()}
    accounts = {}
    for key, raw in data["accounts"].items():
        cert = raw.get("certification", {})
        sched = raw.get("schedule", {})
        accounts[key] = Account(
            id=key, name=raw["name"], kind=raw["kind"], type=raw["type"], operator=raw["operator"],
            contributors=tuple(raw["contributors"]), approval_stages=tuple(raw["approval_stages"]),
            publish_mode=raw["publish_mode"],
            appid_env=raw["credentials"]["appid_env"], secret_env=raw["credentials"]["secret_env"],
            verified_until=_date(cert.get("verified_until")), annual_review=_date(cert.get("annual_review")),
            renewal=_date(cert.get("renewal")), warn_days=cert.get("warn_days", 30),
            schedule=Schedule(
                windows=tuple((_time(w.split("-")[0]), _time(w.split("-")[1])) for w in sched.get("windows", [])),
                weekdays=tuple(sched.get("weekdays", [])),
                daily_cap=sched.get("daily_cap"),
            ),
            theme=raw.get("theme", "classic"),
            footer=raw.get("footer", ""),
            previewers=MappingProxyType({name: _previewer(name, spec)
                                         for name, spec in raw.get("previewers", {}).items()}),
        )
    categories = {c["name"]: Category(c["name"], c.get("description", ""), tuple(c.get("extra_stages", [])))
                  for c in data["categories"]}
    content = data.get("content", {})
    wordlists = tuple(
        WordList(
            name=w["name"], words=_read_words(files, w["file"]), allowed=_read_words(files, w.get("allow")),
            code=w.get("code", "WORD001"), severity=_severity(w.get("severity")), message=w.get("message", ""),
            regulation=w.get("regulation", ""), source=w["file"],
        )
        for w in data.get("wordlists", [])
    )
    overrides = {code: RuleOverride(_severity(o.get("severity")), o.get("regulation")) for code, o in data.get("rules", {}).items()}
    custom = tuple(
        CustomRule(
            code=r["code"], type=r["type"], message=r["message"], severity=_severity(r.get("severity", "warning")) or "warning",
            regulation=r.get("regulation", ""), tokens=tuple(r.get("tokens", [])),
            swap=MappingProxyType(dict(r.get("swap", {}))), min=r.get("min"), max=r.get("max"),
            accounts=tuple(r.get("accounts", [])), categories=tuple(r.get("categories", [])),
            require_field=r.get("require_field"), require_stage=r.get("require_stage"),
            exceptions=tuple(r.get("exceptions", [])),
        )
        for r in data.get("custom_rules", [])
    )
    approvals = data.get("approvals", {})
    return Policies(
        root=root,
        files=files,
        school=data["school"],
        governing_body=data["governing_body"],
        timezone=data.get("timezone", "Asia/Shanghai"),
        departments=MappingProxyType(departments),
        stages=MappingProxyType(stages),
        accounts=MappingProxyType(accounts),
        categories=MappingProxyType(categories),
        max_chars=content.get("max_chars", 1200),
        cover=_media(content.get("cover", {}), ("jpeg",), WECHAT_COVER_MAX_BYTES, WECHAT_COVER_MAX_BYTES),
        images=_media(content.get("images", {}), ("jpeg", "png"), WECHAT_BODY_IMAGE_MAX_BYTES,
                      WECHAT_BODY_IMAGE_MAX_BYTES),
        video=_media(content.get("video", {}), ("mp4", "flv", "f4v"), 20 * 1024 * 1024, 2**40),
        classified_markers=tuple(content.get("classified_markers", DEFAULT_CLASSIFIED_MARKERS)),
        classified_allow=tuple(content.get("classified_allow", [])),
        wordlists=wordlists,
        rule_overrides=MappingProxyType(overrides),
        custom_rules=custom,
        regulations=MappingProxyType(dict(data.get("regulations", {}))),
        approval_rules=ApprovalRules(one_stage_per_reviewer=approvals.get("one_stage_per_reviewer", True),
                                     ordered=approvals.get("ordered", False)),
        key_lines=doc.lines,
    )
