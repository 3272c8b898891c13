"""Front matter: required fields, types, WeChat length limits, path agreement (R8, R9, R11)."""

from __future__ import annotations

import datetime
import re
from typing import Iterator

from pipeline import schema_check
from pipeline.content import BUNDLE_NAME, CONTENT_DIR
from pipeline.lint.document import Document
from pipeline.lint.model import Finding, RuleInfo, Severity
from pipeline.yamlpos import PositionedYaml

E, W = Severity.ERROR, Severity.WARNING
INFO = (
    RuleInfo("FM001", "缺少必填字段", E),
    RuleInfo("FM002", "字段类型或取值不对", E),
    RuleInfo("FM003", "未知字段", W),
    RuleInfo("FM004", "department 与目录不一致", E, "R8"),
    RuleInfo("FM005", "栏目不在 policies.yaml 的列表中", E, "R11"),
    RuleInfo("FM006", "标题超过 32 字(微信上限)", E),
    RuleInfo("FM007", "作者超过 16 字(微信上限)", E),
    RuleInfo("FM008", "摘要超过 128 字(微信上限)", E),
    RuleInfo("FM009", "未注明原创或转载来源", E, "R9"),
    RuleInfo("FM010", "文章路径不符合 content/<账号>/<部门>/<YYYY-MM-DD-slug>/index.md", E),
    RuleInfo("FM011", "账号未在 policies.yaml 中定义", E),
    RuleInfo("FM012", "部门不能为该账号供稿", E, "R2"),
    RuleInfo("FM013", "publish_at 不是有效的日期时间", E),
    RuleInfo("FM014", "同一账号中有同名(同日期同短名)的文章目录", E, "R14"),
)

# FM001 cites the requirement the missing field serves (ids resolved through policies.yaml
# `regulations:`); a field no regulation asks for (title: WeChat does) cites nothing
_REQUIRED_BY = {"author": "R8", "department": "R8", "category": "R11", "cover": "R10", "original": "R9"}
_LENGTH_CODES = {"title": ("FM006", 32), "author": ("FM007", 16), "digest": ("FM008", 128)}
# The schema checks publish_at's shape (FM002); FM013 is for a well-shaped but impossible time
_PUBLISH_AT_SHAPE = re.compile(schema_check.load_schema("front-matter.schema.json")["properties"]["publish_at"]["pattern"])
FIELD_NAMES = {"title": "标题", "author": "作者", "department": "部门", "category": "栏目", "cover": "封面",
                "digest": "摘要"}


def check(doc: Document) -> Iterator[Finding]:
    yield from _schema(doc)
    yield from _path_and_department(doc)
    yield from _category(doc)
    yield from _provenance(doc)
    yield from _publish_at(doc)


def _schema(doc: Document) -> Iterator[Finding]:
    article = doc.article
    positioned = PositionedYaml(dict(article.front_matter), article.front_matter_lines)
    for problem in schema_check.check(positioned, "front-matter.schema.json"):
        key = str(problem.path[0]) if problem.path else ""
        if problem.kind == "required" and problem.path:  # a key missing inside a field, e.g. source.url
            missing = problem.message.split("`")[1]
            yield doc.finding("FM002", problem.line, 1, f"字段 {problem.key} 缺少 {missing};"
                                                        f"请在 {problem.key} 下加上 `{missing}: ...`")
        elif problem.kind == "required":
            missing = problem.message.split("`")[1]
            label = FIELD_NAMES.get(missing, missing)
            yield doc.finding("FM001", problem.line, 1, f"缺少必填字段 {missing}({label});请在 front matter 中加上 `{missing}: ...`",
                              binding=missing == "cover", regulation=_REQUIRED_BY.get(missing, ""))  # the publisher cannot send an article without a cover
        elif problem.is_unknown_key:
            yield doc.finding("FM003", problem.line, 1, f"front matter {problem.message};该字段不会发布,字段说明见 wxpub 的编辑指南 docs/editors.md")
        elif problem.kind == "maxLength" and key in _LENGTH_CODES and len(problem.path) == 1:
            code, limit = _LENGTH_CODES[key]
            length = len(str(article.front_matter[key]))
            yield doc.finding(code, problem.line, 1, f"{FIELD_NAMES[key]}有 {length} 字,超过微信上限 {limit} 字;请精简")
        else:
            yield doc.finding("FM002", problem.line, 1, f"字段 {problem.key}:{problem.message}",
                              binding=problem.path == ("cover",))  # a cover that is not a file name: as missing


def _path_and_department(doc: Document) -> Iterator[Finding]:
    article, policies = doc.article, doc.policies
    parts = article.path.parts
    if len(parts) != 5 or parts[0] != CONTENT_DIR or not BUNDLE_NAME.match(parts[3]) or not _valid_bundle_date(parts[3]):
        yield doc.finding("FM010", 1, 1, f"文章应放在 {CONTENT_DIR}/<账号>/<部门>/<YYYY-MM-DD-英文短名>/index.md,"
                                         f"短名只用小写字母、数字和连字符;当前为 {article.path}")
        return
    account = policies.accounts.get(article.account)
    if account is None:
        yield doc.finding("FM011", 1, 1, f"目录中的账号 `{article.account}` 未在 policies.yaml 中定义;"
                                         f"可用账号:{', '.join(policies.accounts)}")
        return
    declared = article.front_matter.get("department")
    if isinstance(declared, str) and declared != article.department_dir:
        yield doc.front_matter_finding("FM004", "department", f"department 写的是 `{declared}`,但文章位于部门目录 "
                                       f"`{article.department_dir}`;请把文章移到 content/{article.account}/{declared}/ 或改正 department")
    dept = article.department_dir
    if dept not in policies.departments:
        yield doc.finding("FM012", 1, 1, f"部门目录 `{dept}` 未在 policies.yaml 中定义;可用部门:{', '.join(policies.departments)}")
    elif dept not in account.contributors:
        yield doc.finding("FM012", 1, 1, f"部门「{policies.departments[dept].name}」不能为账号「{account.name}」供稿;"
                                         f"该账号的供稿部门:{', '.join(account.contributors)}")


def _valid_bundle_date(name: str) -> bool:
    try:
        datetime.date.fromisoformat(name[:10])
    except ValueError:
        return False
    return True


def _category(doc: Document) -> Iterator[Finding]:
    category = doc.article.front_matter.get("category")
    if isinstance(category, str) and category not in doc.policies.categories:
        yield doc.front_matter_finding("FM005", "category", f"栏目「{category}」不在 policies.yaml 的列表中;可选:"
                                       f"{'、'.join(doc.policies.categories)}")


def _provenance(doc: Document) -> Iterator[Finding]:
    fm = doc.article.front_matter
    original, source = fm.get("original") is True, "source" in fm
    if original and source:
        yield doc.front_matter_finding("FM009", "source", "同时写了 original: true 和 source;原创文章请删去 source,转载文章请删去 original")
    elif not original and not source:
        yield doc.front_matter_finding("FM009", "title", "未注明原创或转载来源;原创写 `original: true`,"
                                       "转载写 `source: {name: 来源名称, url: 原文链接}`(来源不明的不予发布)")


def _publish_at(doc: Document) -> Iterator[Finding]:
    value = doc.article.front_matter.get("publish_at")
    if not isinstance(value, str) or not _PUBLISH_AT_SHAPE.match(value):
        return
    try:
        datetime.datetime.fromisoformat(value)
    except ValueError:
        yield doc.front_matter_finding("FM013", "publish_at", f"publish_at「{value}」不是有效的日期时间;请写作 YYYY-MM-DD HH:MM")
