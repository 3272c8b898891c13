"""The article as the publisher will send it (RENDER001, RENDER002, RENDER003).

The publisher refuses an article whose rendered HTML is over WeChat's draft limits, and
cannot send one its theme fails to render. Both used to surface only after review, at
publish time; rendering here, the same way, makes them findings on the pull request. Where
the renderer had to flatten lists, quotes or formatting nested deeper than WeChat keeps
(pipeline/render/nesting.py), each such line is a warning: every word is still published,
but not the indentation the editor wrote.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from pipeline.errors import UserError
from pipeline.lint.document import Document
from pipeline.lint.model import Finding, RuleInfo, Severity

if TYPE_CHECKING:  # the renderer is imported on the first article, not at start-up
    from pipeline.render.html import ImageSource

INFO = (
    RuleInfo("RENDER001", "渲染后的 HTML 超过微信上限", Severity.ERROR),
    RuleInfo("RENDER002", "文章无法渲染(主题或模板有误)", Severity.ERROR),
    RuleInfo("RENDER003", "嵌套过深,发布时已展平", Severity.WARNING),
)
FLATTENED = ("这里的列表、引用或格式嵌套过深,超过微信允许的层数(过深的层级会被微信编辑器删除),发布时已展平:"
             "文字全部保留,但这一层的缩进、项目符号或格式不再显示;请减少嵌套层数,深层内容可改为普通段落或小标题")

# Body images are sent as the URLs media/uploadimg returns (about 110-130 characters);
# lint measures with a longer stand-in so what fits here also fits at publish time.
UPLOADED_URL_STAND_IN = "http://mmbiz.qpic.cn/mmbiz_jpg/" + "0" * 115 + "/0?wx_fmt=jpeg"


def _as_uploaded(image: ImageSource) -> str:
    return UPLOADED_URL_STAND_IN if image.in_bundle else image.name


def check(doc: Document) -> Iterator[Finding]:
    from pipeline.render import PUBLISH_MARK_CHARS, content_too_long, render_article  # on the first article, not at start-up

    try:
        rendered = render_article(doc.article, doc.policies, image_url=_as_uploaded, tokens=doc.tokens)
    except UserError as exc:
        yield doc.finding("RENDER002", 1, 1, f"无法渲染这篇文章:{exc.where + ': ' if exc.where else ''}{exc.message};"
                          f"{exc.hint}{_theme_setting(doc, exc)}")
        return
    problem = content_too_long(rendered.content, reserve=PUBLISH_MARK_CHARS)
    if problem:
        yield doc.finding("RENDER001", doc.article.body_line, 1, f"{problem};否则发布时会被微信拒绝")
    for line in sorted(rendered.flattened):  # where the structure is theme-independent: any theme flattens alike
        yield doc.finding("RENDER003", doc.body_line(line), 1, FLATTENED)


def _theme_setting(doc: Document, exc: UserError) -> str:
    """Where the account names its theme, when the theme is what failed."""
    account = doc.policies.accounts.get(doc.article.account)
    if account is None or not exc.where.startswith("themes/"):
        return ""
    return f"(账号主题设置在 policies.yaml:{doc.policies.line_of('accounts', account.id, 'theme')} accounts.{account.id}.theme)"
