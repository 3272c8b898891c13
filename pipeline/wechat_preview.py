"""Test before sending (R13): one article as a draft in WeChat, previewed on reviewers' phones.

`wxpub preview --wechat ARTICLE --to NAME...` renders the article as the publisher does
(sending.article_uploads and sending.draft_article: the same HTML, images and cover), keeps it
in ONE draft per article, and sends WeChat's preview message (message/mass/preview) of that
draft to each named reviewer. Nothing here reads or writes the ledger: a preview is not a
publication, and the publisher later sends the article as if it had never been previewed.

Where the draft is remembered: in WeChat itself. The draft's article carries
`data-wxpub-preview="<key>"` (sending.PREVIEW_MARKER; the key is a digest of the article's
folder), and each run finds the draft by listing the draft box, as the publisher finds its
own attempts by their markers. A record in Git would need a runner that may push, and could
name a draft an operator has since deleted or published; the draft box is what is true, and a
fresh CI runner sees it as every other does. Two runs at once may both find nothing and both
add a draft: after adding, a run lists again and, when there is more than one, every run keeps
the same one (the oldest, then the smallest media_id), updates it and deletes the others.
The publisher's marker (data-wxpub) is a different attribute, so neither its rewind guard nor
`status --verify` takes a preview draft for one of its attempts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from pipeline.content import Article
from pipeline.errors import UserError
from pipeline.policies import POLICY_FILE, Account, Policies
from pipeline.sending import PREVIEW_MARKER, article_uploads, draft_article, find_material, marker_of
from pipeline.wechat import WeChat, WeChatError

# Why WeChat refused a preview, in words a reviewer acts on ({name}: the reviewer, {account}: its name)
REFUSALS: dict[int, str] = {
    45009: "今天的预览次数已用完(微信限每个公众号每天约 100 次):明天再发,或请运营人员在公众号后台清零接口额度",
    40003: "{name} 的 openid 不是「{account}」关注者的 openid:请核对 policies.yaml 中的 openid(或其 CI secret),"
           "openid 因公众号而异,须是该公众号的",
    40132: "{name} 的微信号无效:请核对 policies.yaml 中的 wxname(或其 CI secret),填写微信号而不是昵称",
    43004: "{name} 没有关注「{account}」:预览只能发给关注者,请先关注该公众号后再发",
    48001: "「{account}」没有预览接口的权限(群发与预览需完成微信认证)",
}


@dataclass(frozen=True)
class Receiver:
    """A previewer with the ID WeChat addresses them by (never printed: it is personal)."""

    name: str
    kind: str  # openid | wxname
    id: str = field(repr=False)


@dataclass(frozen=True)
class Delivery:
    name: str
    sent: bool
    message: str  # Chinese: what happened, and what to do when refused
    errcode: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sent": self.sent, "message": self.message, "errcode": self.errcode}


@dataclass(frozen=True)
class Previewed:
    path: str
    account: str
    media_id: str
    draft: str  # created | updated
    deliveries: tuple[Delivery, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "account": self.account, "media_id": self.media_id, "draft": self.draft,
                "deliveries": [d.as_dict() for d in self.deliveries]}


def receivers(policies: Policies, account: Account, names: Sequence[str],
              environ: Mapping[str, str]) -> tuple[Receiver, ...]:
    """The named previewers of `account`, each once; an unknown name or a missing secret is a
    UserError naming what to fix (before anything is sent)."""
    allowed = account.previewers
    where = f"{POLICY_FILE}:{policies.line_of('accounts', account.id, 'previewers')}"
    if not allowed:
        raise UserError(f"账号「{account.name}」没有设置可接收预览的人(accounts.{account.id}.previewers)",
                        where=f"{POLICY_FILE}:{policies.line_of('accounts', account.id)}",
                        hint=f"在 accounts.{account.id}.previewers 下列出姓名及其 wxname 或 openid"
                             "(或存放它的环境变量 wxname_env / openid_env),见 wxpub 的 docs/policies.md")
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise UserError(f"「{'」「'.join(unknown)}」不在账号「{account.name}」的预览名单中;可选:{'、'.join(allowed)}",
                        where=where,
                        hint="用 --to 写名单中的姓名;要加人,请在 policies.yaml 的 previewers 中添加(需经审批)")
    found = []
    for name in dict.fromkeys(names):
        previewer = allowed[name]
        value = environ.get(previewer.env, "") if previewer.env else previewer.value
        if not value:
            raise UserError(f"{name} 的{'微信号' if previewer.kind == 'wxname' else ' openid '}应在环境变量 {previewer.env} 中,"
                            "但它未设置", where=f"{POLICY_FILE}:{policies.line_of('accounts', account.id, 'previewers', name)}",
                            hint=f"在 CI 的 secret 中设置 {previewer.env}(工作流需把它传给 wxpub)")
        found.append(Receiver(name, previewer.kind, value))
    return tuple(found)


def preview_key(article: Article) -> str:
    """The marker value of an article's preview draft: one per article folder, whatever its version."""
    return hashlib.sha256(str(article.bundle).encode("utf-8")).hexdigest()[:24]


def preview(client: WeChat, article: Article, policies: Policies, to: Sequence[Receiver]) -> Previewed:
    """Upload what the article needs, put it in its one preview draft, and preview it to each of `to`."""
    account = policies.accounts[article.account]
    uploads = article_uploads(article, policies)
    if isinstance(uploads, str):
        raise UserError(uploads, where=str(article.path), hint="修改文章后再预览")
    files, _images = uploads
    urls: dict[str, str] = {}
    cover_media_id = ""
    for ref, source in files:
        data = article.files.read(source)
        if ref.kind == "cover":  # found again by its content-hash name: uploaded once per cover
            found = find_material(client, ref.name)
            cover_media_id = found[0] if found is not None else client.upload_cover(data, ref.name)[0]
        else:
            urls[source] = client.upload_body_image(data, ref.name)
    key = preview_key(article)
    item = draft_article(article, policies, urls, cover_media_id, key, PREVIEW_MARKER)
    media_id, made = put_draft(client, key, item)
    deliveries = tuple(_send(client, media_id, receiver, account) for receiver in to)
    return Previewed(str(article.path), account.id, media_id, "created" if made else "updated", deliveries)


def preview_drafts(client: WeChat, key: str) -> list[str]:
    """media_ids of the drafts carrying this preview key, the one every run keeps first."""
    found = []
    for item in client.drafts():
        content = item.get("content", {})
        news = content.get("news_item", [])
        if news and marker_of(str(news[0].get("content", "")), PREVIEW_MARKER) == key:
            found.append((int(content.get("create_time", item.get("update_time", 0)) or 0), str(item["media_id"])))
    return [media_id for _, media_id in sorted(found)]


def put_draft(client: WeChat, key: str, item: dict[str, Any]) -> tuple[str, bool]:
    """The article's preview draft holding `item`: the existing one updated, else a new one.
    (media_id, whether it was created). Duplicates a race left are deleted."""
    existing = preview_drafts(client, key)
    made = not existing
    if made:
        client.add_draft([item])
        existing = preview_drafts(client, key)  # another run may have added one meanwhile
        if not existing:
            raise WeChatError("draft/batchget", None, "新建的预览草稿没有出现在草稿箱中")
    keep, *extra = existing
    if not made or extra:  # ours may be an extra: the kept one gets this version
        client.update_draft(keep, 0, item)
    for media_id in extra:
        client.delete_draft_if_present(media_id)
    return keep, made


def _send(client: WeChat, media_id: str, receiver: Receiver, account: Account) -> Delivery:
    try:
        client.preview(media_id, kind=receiver.kind, receiver=receiver.id)
    except WeChatError as error:
        advice = REFUSALS.get(error.errcode or 0)
        text = advice.format(name=receiver.name, account=account.name) if advice else str(error)
        return Delivery(receiver.name, False, f"{text}(errcode {error.errcode})" if advice else text, error.errcode)
    return Delivery(receiver.name, True, f"已发送到 {receiver.name} 的微信")
