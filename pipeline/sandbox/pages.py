"""The sandbox's own web pages: what was published per account, and each article as a
reader would see it in WeChat (a 375-px column), with the sandbox's image URLs served
from the local /mmbiz/ route. Chinese, like the people who read them.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from html import escape
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlsplit

from pipeline.sandbox.media import IMAGE_HOST
from pipeline.sandbox.store import BEIJING, Store, loads

STATUS = {0: "已发表", 1: "发表中", 2: "原创声明失败", 3: "发表失败", 4: "平台审核不通过", 5: "已删除", 6: "已被系统封禁"}
TYPES = {"subscription": "订阅号", "service": "服务号"}

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; color: #333; margin: 0;
        background: #f2f2f2; }}
main {{ max-width: {width}; margin: 0 auto; background: #fff; padding: 20px 16px 40px; min-height: 100vh; }}
table {{ border-collapse: collapse; width: 100%; font-size: 14px; }}
th, td {{ border-bottom: 1px solid #eee; padding: 6px 4px; text-align: left; vertical-align: top; }}
/* the link is one unbreakable word as long as the table: it breaks anywhere, so the title keeps
   its room and 方式/时间/状态 stay on one line instead of one character per line */
th {{ white-space: nowrap; }}
td.short {{ white-space: nowrap; }}
td.title {{ min-width: 12em; }}
td.url {{ word-break: break-all; color: #888; font-size: 12px; }}
.meta {{ color: #888; font-size: 14px; margin: 8px 0 20px; }}
.note {{ color: #576b95; }}
.rich_media_content {{ font-size: 17px; line-height: 1.75; overflow-wrap: break-word; }}
.rich_media_content img {{ max-width: 100% !important; height: auto !important; }}
</style></head>
<body><main>{body}</main></body></html>
"""


def _time(stamp: float | None) -> str:
    return datetime.fromtimestamp(stamp, BEIJING).strftime("%Y-%m-%d %H:%M") if stamp else "—"


def _key(url: str) -> str:
    """What tells one article link from another: `sn` of a long link, the tail of a short one."""
    parts = urlsplit(url)
    return dict(parse_qsl(parts.query)).get("sn") or parts.path.rsplit("/", 1)[-1]


def page(title: str, body: str, *, width: str = "960px") -> str:
    return _PAGE.format(title=escape(title), body=body, width=width)


def _rows(db: sqlite3.Connection, appid: str) -> Iterator[str]:
    """One table row per article: publications (发表) and mass sends (群发), newest first."""
    items: list[tuple[float, str, dict[str, Any], int, str, str]] = []
    for pub in db.execute("SELECT * FROM publications WHERE appid = ?", (appid,)):
        for idx, article in enumerate(loads(pub["articles"]), 1):
            status = STATUS.get(pub["status"], str(pub["status"]))
            if article.get("is_deleted") and pub["status"] == 0:
                status = "已删除"
            link = f"/article/{pub['article_id']}?idx={idx}" if pub["article_id"] else ""
            items.append((pub["submitted_at"], "发表", article, idx, status, link))
    for send in db.execute("SELECT * FROM mass_sends WHERE appid = ?", (appid,)):
        for idx, article in enumerate(loads(send["articles"]), 1):
            status = "已删除" if article.get("is_deleted") else "群发成功"
            items.append((send["sent_at"], "群发", article, idx, status, f"/s/{_key(article['url'])}"))
    for stamp, kind, article, idx, status, link in sorted(items, key=lambda item: (-item[0], item[3])):
        title = escape(article["title"])
        cell = f'<a href="{escape(link)}">{title}</a>' if link else title
        url = escape(article.get("url", ""))
        yield (f'<tr><td class="title">{cell}</td><td class="short">{kind}</td><td class="short">{_time(stamp)}</td>'
               f'<td class="short">{status}</td><td class="url">{url or "—"}</td></tr>')


def index(store: Store, db: sqlite3.Connection) -> str:
    parts = ["<h1>微信公众号沙箱</h1>",
             f'<p class="meta">沙箱时间 {_time(store.now(db))} · 机器可读的全部状态见 <a href="/sandbox/state">/sandbox/state</a></p>']
    accounts = db.execute("SELECT * FROM accounts ORDER BY appid").fetchall()
    if not accounts:
        parts.append("<p>还没有账号。用 <code>POST /sandbox/accounts</code> 注册一个。</p>")
    for account in accounts:
        verified = "已认证" if account["verified"] else "未认证"
        parts.append(f"<h2>{escape(account['name'])}</h2><p class=\"meta\">{escape(account['appid'])} · "
                     f"{TYPES.get(account['type'], account['type'])} · {verified}</p>")
        rows = list(_rows(db, account["appid"]))
        if rows:
            parts.append("<table><tr><th>标题</th><th>方式</th><th>时间</th><th>状态</th><th>链接</th></tr>"
                         + "".join(rows) + "</table>")
        else:
            parts.append("<p>尚未发表文章。</p>")
        # an account that leaves articles in the draft box (publish_mode: draft) showed only
        # 尚未发表文章 after a publish run that put them there
        drafts = [loads(row["articles"]) for row in
                  db.execute("SELECT articles FROM drafts WHERE appid = ? ORDER BY updated_at DESC", (account["appid"],))]
        if drafts:
            titles = "、".join(f"「{escape(str(a.get('title', '')))}」" for items in drafts for a in items)
            parts.append(f'<p class="meta">草稿箱中有 {len(drafts)} 条草稿:{titles}</p>')
    return page("微信公众号沙箱", "\n".join(parts))


def _local_images(content: str) -> str:
    for scheme in ("http://", "https://"):
        content = content.replace(scheme + IMAGE_HOST.split("://", 1)[1], "/mmbiz/")
    return content


def article(db: sqlite3.Connection, appid: str, article: dict[str, Any], when: float | None) -> str:
    account = db.execute("SELECT name FROM accounts WHERE appid = ?", (appid,)).fetchone()
    name = escape(account["name"] if account else appid)
    meta = " ".join(part for part in (escape(article.get("author", "")), f'<span class="note">{name}</span>',
                                      _time(when)) if part)
    if article.get("is_deleted"):
        body = "<p>此内容已被发布者删除</p>"
    else:
        body = f'<div class="rich_media_content">{_local_images(article["content"])}</div>'
        if article.get("content_source_url"):
            body += f'<p><a href="{escape(article["content_source_url"])}">阅读原文</a></p>'
    html = f"<h1>{escape(article['title'])}</h1><p class=\"meta\">{meta}</p>{body}"
    return page(article["title"], html, width="375px")


def published_article(db: sqlite3.Connection, article_id: str, idx: int) -> str | None:
    row = db.execute("SELECT * FROM publications WHERE article_id = ?", (article_id,)).fetchone()
    articles = loads(row["articles"]) if row else []
    if not 1 <= idx <= len(articles):
        return None
    return article(db, row["appid"], articles[idx - 1], row["finished_at"])


def short_link(db: sqlite3.Connection, key: str) -> str | None:
    """The article whose link has `key` (its `sn`): published or mass-sent."""
    for table, when in (("publications", "finished_at"), ("mass_sends", "sent_at")):
        for row in db.execute(f"SELECT * FROM {table} WHERE articles LIKE ?", (f"%{key}%",)):  # noqa: S608
            for item in loads(row["articles"]):
                if _key(item.get("url", "")) == key:
                    return article(db, row["appid"], item, row[when])
    return None
