"""Links and images in the body (R20): targets must be files inside the article's folder,
reached without a symlink (the bundle's resolver decides, as it does for the publisher).

External links cannot be clicked in WeChat (only mp.weixin.qq.com articles can), so they
are listed as a notice: the renderer turns them into numbered references.
"""

from __future__ import annotations

from typing import Iterator
from urllib.parse import urlsplit

from pipeline.lint.document import Document
from pipeline.lint.model import Finding, RuleInfo, Severity
from pipeline.markdown import is_clickable  # the renderer and lint agree on what stays a link

INFO = (
    RuleInfo("LINK001", "链接或图片指向的文件不存在", Severity.ERROR),
    RuleInfo("LINK002", "链接或图片指向文章目录之外", Severity.ERROR, "R20"),
    RuleInfo("LINK003", "外部链接将转为文末参考链接", Severity.NOTICE),
    RuleInfo("LINK004", "不支持的链接协议", Severity.ERROR),
)

_ALLOWED_SCHEMES = ("http", "https", "mailto", "tel")


def check(doc: Document) -> Iterator[Finding]:
    for ref in doc.references:
        if ref.is_anchor:
            continue
        if ref.is_external:
            yield from _external(doc, ref.target, ref.line, ref.column, ref.is_image)
            continue
        resolved = doc.resolve(ref.target)
        what = "图片" if ref.is_image else "链接"
        # A body image the resolver refuses makes the publisher refuse the whole article
        binding = ref.is_image
        if resolved.problem == "missing":
            yield doc.finding("LINK001", ref.line, ref.column, f"{what}指向的文件 {resolved.shown} 不存在;"
                              "请检查文件名(区分大小写),并把文件放进文章目录", binding=binding)
        elif resolved.problem == "not-a-file":
            yield doc.finding("LINK001", ref.line, ref.column, f"{what}指向的 {resolved.shown} 不是普通文件(而是目录等);"
                              "请指向文章目录中的具体文件", binding=binding)
        elif resolved.problem == "ignored":
            yield doc.finding("LINK001", ref.line, ref.column, f"{what}指向的文件 {resolved.shown} 被 Git 忽略"
                              "(.gitignore 或 .git/info/exclude),不会进入提交,发布时找不到;"
                              "请把文件移出被忽略的目录,或用 git add -f 加入提交", binding=binding)
        elif resolved.problem == "symlink":
            yield doc.finding("LINK002", ref.line, ref.column, f"{what} {resolved.shown} 经过符号链接;发布时不跟随符号链接"
                              "(哪怕指向文章目录之内),请把文件本身复制进文章目录", binding=binding)
        elif resolved.problem == "outside":
            yield doc.finding("LINK002", ref.line, ref.column, f"{what} {resolved.shown} 指向文章目录之外;"
                              "图片等文件须放在本文目录中,引用其他文章请用其 mp.weixin.qq.com 链接", binding=binding)


def _external(doc: Document, target: str, line: int, column: int, is_image: bool) -> Iterator[Finding]:
    parts = urlsplit(target)
    if parts.scheme.lower() not in _ALLOWED_SCHEMES:
        yield doc.finding("LINK004", line, column, f"链接协议 {parts.scheme}: 不受支持;请使用 https 链接")
    elif is_image:
        return  # remote images are the media rule's concern (MEDIA013)
    elif parts.scheme.lower() in ("http", "https") and not is_clickable(target):
        yield doc.finding("LINK003", line, column, f"外部链接 {target} 在微信中不能点击,发布时将转为文末「参考链接」编号")
