"""Body: length over the policy limit, empty articles, headings (R10)."""

from __future__ import annotations

from typing import Iterator

from pipeline.lint.document import Document, without_comments
from pipeline.lint.model import Finding, RuleInfo, Severity
from pipeline.markdown import DROPPED_HINT, DROPPED_TEXT
from pipeline.textcount import count_chars

INFO = (
    RuleInfo("BODY001", "正文超过字数上限", Severity.ERROR, "R10"),
    RuleInfo("BODY002", "正文为空", Severity.ERROR),
    RuleInfo("BODY003", "正文中使用了一级标题", Severity.WARNING),
    RuleInfo("BODY004", "标题层级跳跃", Severity.WARNING),
    RuleInfo("BODY005", "标题为空", Severity.ERROR),
    RuleInfo("BODY006", "单行过长", Severity.ERROR),
    RuleInfo("BODY007", "嵌套过深,后面的文字会丢失", Severity.ERROR),
    RuleInfo("BODY008", "脚注没有被引用,读者看不到", Severity.WARNING),
    RuleInfo("BODY009", "表格行的格数多于表头,多出的格不显示", Severity.ERROR),
)

# Half of what WeChat takes for a whole article (20,000 characters of HTML): no line of
# Markdown needs more, and a longer one is pasted data (a base64 image, a log) that the
# publisher would refuse or, hidden in a comment, carry along unseen.
MAX_LINE_CHARS = 10_000

# What the reader sees as prose: text and inline code; not image alt text, not code blocks
_COUNTED_CHILDREN = ("text", "code_inline")
_BREAKS = ("softbreak", "hardbreak")


def check(doc: Document) -> Iterator[Finding]:
    count = count_chars(_prose(doc))
    has_media = any(child.type == "image" for _, child in doc.inline_tokens)
    if count == 0 and not has_media:
        yield doc.finding("BODY002", doc.article.body_line, 1, "正文为空;请在 front matter 之后写上正文")
    limit = doc.policies.max_chars
    if count > limit:
        yield doc.finding("BODY001", doc.article.body_line, 1,
                          f"正文 {count} 字,超过上限 {limit} 字(多 {count - limit} 字);请精简或分为多篇")
    yield from _headings(doc)
    yield from _long_lines(doc)
    if doc.parsed.dropped_from is not None:  # the renderer refuses such a body with the same words
        yield doc.finding("BODY007", doc.body_line(doc.parsed.dropped_from), 1, f"{DROPPED_TEXT};{DROPPED_HINT}")
    for line, lost in doc.parsed.extra_cells:  # GFM drops them
        yield doc.finding("BODY009", doc.body_line(line), 1,
                          f"这一行比表头多 {lost} 个有内容的格,多出的内容不会显示;请在表头补上列,或把内容并入已有的格"
                          "(格内的 | 要写成 \\|,反引号里也一样)")
    for line, label in doc.parsed.unreferenced_notes:  # the renderer leaves such a note out
        yield doc.finding("BODY008", doc.body_line(line), 1,
                          f"脚注 [^{label}] 没有在正文中引用,发布后读者看不到这段文字;请在正文相应位置写上 [^{label}],或删除这条脚注")


def _long_lines(doc: Document) -> Iterator[Finding]:
    for number, line in enumerate(doc.lines):
        if len(line) > MAX_LINE_CHARS:
            yield doc.finding("BODY006", doc.body_line(number), MAX_LINE_CHARS + 1,
                              f"这一行有 {len(line)} 个字符,超过单行上限 {MAX_LINE_CHARS};这样长的一行多是误粘贴的数据"
                              "(如 base64 图片、日志),请删除,或把正文分成多个段落")


def _prose(doc: Document) -> str:
    """The counted text, one block per line, so a word ending one line and one starting the
    next are two words; HTML comments are not shown to the reader, so they are dropped."""
    blocks = ("".join(c.content if c.type in _COUNTED_CHILDREN else "\n" if c.type in _BREAKS else ""
                      for c in token.children or []) for token in doc.tokens if token.type == "inline")
    return without_comments("\n".join(blocks))


def _headings(doc: Document) -> Iterator[Finding]:
    previous = 1  # the title (front matter) is the article's level-1 heading
    tokens = doc.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or not token.map:
            continue
        level = int(token.tag[1])
        line = doc.body_line(token.map[0])
        if level == 1:
            yield doc.finding("BODY003", line, 1, "正文中不要用一级标题(# ),文章标题来自 front matter 的 title;请改用 ## 二级标题")
        elif level > previous + 1:
            yield doc.finding("BODY004", line, 1, f"标题从 {previous} 级跳到 {level} 级;请使用 {'#' * (previous + 1)} {previous + 1} 级标题")
        inline = tokens[i + 1] if i + 1 < len(tokens) else None
        if inline is None or not inline.content.strip():
            yield doc.finding("BODY005", line, 1, "标题没有文字;请补上标题文字或删去这一行")
        previous = level
