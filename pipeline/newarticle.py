"""`wxpub new`: start an article bundle where the policy and lint expect it.

The folder is content/<account>/<department>/<YYYY-MM-DD-slug>/ (content.BUNDLE_NAME, FM010);
the account and department must be ones the policy lets write for that account (FM011,
FM012); the folder name must be new within the account (FM014). The front matter names the
department and a category, and says `original: true`; fields the editor did not give are
left empty so lint names each one (FM002) until it is filled in.

The body is left empty and what to write there is said in YAML comments at the end of the
front matter, which no reader ever sees (an HTML comment would not do: raw HTML is off, so
Markdown inside it is rendered). Lint reports the empty body (BODY002, an error) until real
text is there, and the cover the front matter names does not exist until the editor adds it
(MEDIA001). A new article therefore cannot be
approved and published by mistake before it is written; nothing else in it is flagged.
The file written is read back through content.parse_article, the one article parser, and
must give back exactly the values asked for.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from pipeline import textcheck
from pipeline.content import ARTICLE_FILE, BUNDLE_NAME, CONTENT_DIR, Article, parse_article
from pipeline.errors import UserError, os_reason
from pipeline.policies import Policies

COVER_FILE = "cover.jpg"
MAX_SLUG = 80  # far below a file name's 255 bytes, and no one reads a longer one in a path
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,%d}" % (MAX_SLUG - 1))
_WORDS = re.compile(r"[a-z0-9]+")
DEFAULT_SLUG = "article"


@dataclass(frozen=True)
class NewArticle:
    account: str
    department: str
    date: datetime.date
    slug: str
    title: str = ""
    author: str = ""
    category: str = ""


def slug_from(title: str) -> str:
    """A folder short name from the Latin letters and digits of the title (else `article`)."""
    words = _WORDS.findall(title.lower())
    return "-".join(words)[:40].strip("-") or DEFAULT_SLUG


def check_request(policies: Policies, request: NewArticle) -> None:
    """Refuse, with the valid choices, what lint would refuse about the place and names."""
    account = policies.accounts.get(request.account)
    if account is None:
        raise UserError(f"账号 `{request.account}` 未在 policies.yaml 中定义",
                        hint=f"可用账号:{_choices({a.id: a.name for a in policies.accounts.values()})}")
    if request.department not in account.contributors:
        allowed = {d: policies.departments[d].name for d in account.contributors if d in policies.departments}
        raise UserError(f"部门 `{request.department}` 不能为账号「{account.name}」供稿",
                        hint=f"该账号的供稿部门:{_choices(allowed)}")
    if not _SLUG.fullmatch(request.slug) or not BUNDLE_NAME.match(_folder_name(request)):
        raise UserError(f"短名 `{request.slug}` 不可用", hint=f"--slug 只用小写英文字母、数字和连字符,以字母或数字开头,最长 {MAX_SLUG} 个字符,例如 open-day")
    for label, value in (("标题", request.title), ("作者", request.author), ("栏目", request.category)):
        # the same judgement as lint's CHAR rules (pipeline/textcheck.py), and one line each
        unseen = next((h.char for h in textcheck.hidden(value)), None) or next((c for c in value if c in "\r\n"), None)
        if unseen is not None:
            raise UserError(f"{label}中有换行、控制字符或看不见的字符 U+{ord(unseen):04X}",
                            hint="去掉这些字符后重试(从别处复制的文字常带有它们)")
    if request.category and request.category not in policies.categories:
        raise UserError(f"栏目「{request.category}」不在 policies.yaml 的列表中", hint=f"可选:{'、'.join(policies.categories)}")


def _choices(named: dict[str, str]) -> str:
    return ",".join(f"{key}({name})" for key, name in named.items()) or "(无)"


def _folder_name(request: NewArticle) -> str:
    return f"{request.date.isoformat()}-{request.slug}"


def bundle_path(request: NewArticle) -> PurePosixPath:
    return PurePosixPath(CONTENT_DIR, request.account, request.department, _folder_name(request))


def article_text(policies: Policies, request: NewArticle) -> str:
    """index.md of the new article: front matter with a comment per field, a body to replace."""
    categories = "、".join(policies.categories)
    lines = [
        "---",
        _field("title", request.title, "必填:文章标题,最多 32 字"),
        _field("author", request.author, "必填:作者姓名,最多 16 字"),
        _field("department", request.department, f"部门,须与所在目录 {request.department}/ 一致"),
        _field("category", request.category, f"必填,可选:{categories}"),
        _field("cover", COVER_FILE, "封面图片,放在本文章目录中(尺寸见 policies.yaml)"),
        _field("original", True, "原创;转载请删去此行,改写 source: {name: 来源名称, url: 原文链接}"),
        "# TODO:正文写在下面一行 --- 之后(现在是空的,wxpub lint 会报 BODY002 正文为空)。",
        f"# 图片放在本目录中,在正文里用 ![图片说明](文件名.jpg) 插入;封面存为 {COVER_FILE}。",
        "# 各字段与写法的说明见 wxpub 的编辑指南 docs/editors.md。",
        "---",
        "",
    ]
    return "\n".join(lines)


def _field(key: str, value: Any, comment: str) -> str:
    # PyYAML quotes whatever needs it (a title such as `true` or `a: b` stays a string)
    text = yaml.safe_dump({key: value}, allow_unicode=True, width=10**9, default_flow_style=False).rstrip("\n")
    return f"{text}  # {comment}"


def create(root: Path, policies: Policies, request: NewArticle) -> PurePosixPath:
    """Write the new bundle's index.md; its repository-relative path."""
    check_request(policies, request)
    bundle = bundle_path(request)
    index = bundle / ARTICLE_FILE
    folder = root.joinpath(*bundle.parts)
    if folder.exists() or folder.is_symlink():
        raise UserError("文章目录已存在,未做任何改动", where=str(bundle), hint="换一个 --slug 或 --date;要修改已有文章请直接编辑它")
    namesakes = sorted(p for p in (root / CONTENT_DIR / request.account).glob(f"*/{folder.name}"))
    if namesakes:
        where = namesakes[0].relative_to(root).as_posix()
        raise UserError(f"账号 {request.account} 中已有同名的文章目录 {where}(FM014)",
                        where=str(bundle), hint="换一个 --slug 或 --date")
    text = article_text(policies, request)
    _check_round_trip(index, text, request)
    try:
        folder.mkdir(parents=True)
        with (folder / ARTICLE_FILE).open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise UserError(f"无法新建文章目录:{os_reason(exc)}", where=str(bundle), hint="检查 content/ 目录是否可写") from None
    return index


def _check_round_trip(index: PurePosixPath, text: str, request: NewArticle) -> None:
    """What an editor typed must come back unchanged from the parser lint and publish use."""
    parsed = parse_article(index, text.encode("utf-8"))
    given = {"title": request.title, "author": request.author, "category": request.category}
    if isinstance(parsed, Article) and all(parsed.front_matter.get(k) == v for k, v in given.items()):
        return
    raise UserError("标题、作者或栏目中有无法写入文章头部的字符(换行、控制字符或不可见的分隔符)",
                    hint="去掉这些字符后重试")
