"""Test before sending (R13): one article as a draft in WeChat, previewed on reviewers' phones.

`wxpub preview --wechat ARTICLE --to NAME...` renders the article as the publisher does
(sending.article_uploads and sending.draft_article: the same HTML, images and cover), keeps it
in ONE draft per article, and sends WeChat's preview message (message/mass/preview) of that
draft to each named reviewer. Nothing here reads or writes the ledger: a preview is not a
publication, and the publisher later sends the article as if it had never been previewed.

One draft per (article, version), never changed: `draft/add` for every run. WeChat documents
the preview message (message/mass/preview, doc api_preview) as sending a draft by media_id "to
see its style and layout on the phone"; it does not say the message keeps a snapshot, nor for how
long it can be opened, and a draft can be changed (`draft/update`) under the same media_id. So a
phone is assumed to show the draft as it is when opened (the sandbox does): a draft previewed
once must never get other content, or a later run, of another commit or pull request, or a
local run beside CI, would change what a reviewer sees after being told it is the commit they
named. The draft's article carries `data-wxpub-preview="<key>.<version>"` (sending.PREVIEW_MARKER;
the key is a digest of the article's folder, the version the commit given with --rev, else
`w` and the bundle's content hash), for the operator and for clean-up; no run reuses a draft.

Clean-up, after the previews went out: every preview draft of the account (any article) created
more than KEEP_SECONDS before this run's own draft, by WeChat's clock (create_time), is deleted.
"Older" is measured from our own draft, not "not ours": a run that added its draft a moment
before or after ours is sending right now and keeps it; a run killed between add and send
leaves a draft nobody's phone points to, deleted by the first run KEEP_SECONDS later. A run
that sent to nobody (every reviewer refused) deletes its own draft at once. So the box holds at
most the previews of the last KEEP_SECONDS (WeChat: about 100 a day per account) plus the
drafts of runs killed since the last run. The publisher's marker (data-wxpub) is a different
attribute, so neither its rewind guard, the anchor, `status --verify` nor `backup` takes a
preview draft for one of its attempts.

WeChat calls per preview: the cover looked up (material/batchget_material pages, add_material
once per cover), one uploadimg per body image, one draft/add, one message/mass/preview per
reviewer, the draft box listed once (draft/batchget, no_content, ceil(drafts / 20) calls) and a
draft/delete per stale preview draft.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from pipeline.content import Article
from pipeline.errors import UserError
from pipeline.policies import POLICY_FILE, Account, Policies
from pipeline.sending import PREVIEW_MARKER, article_uploads, draft_article, find_material, marker_of
from pipeline.wechat import WeChat, WeChatError

# How long a preview draft is kept after it was added: the reviewer opens the message on the
# phone within this; a later run deletes it afterwards (the message then opens a deleted
# draft, never other content)
KEEP_SECONDS = 24 * 3600
_HEX = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")

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
    media_id: str  # the new draft the previews point to (deleted again when none was sent)
    version: str  # the commit previewed, or `w<content hash>` for the working tree
    deliveries: tuple[Delivery, ...]
    deleted: tuple[str, ...]  # stale preview drafts removed by this run

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "account": self.account, "media_id": self.media_id, "version": self.version,
                "deliveries": [d.as_dict() for d in self.deliveries], "deleted": list(self.deleted)}


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
    """The first part of an article's preview marker: one per article folder, whatever its version."""
    return hashlib.sha256(str(article.bundle).encode("utf-8")).hexdigest()[:24]


def preview_version(article: Article, commit: str | None) -> str:
    """What the preview shows: the commit it was read from, else the working tree's content."""
    if commit is not None:
        if not _HEX.fullmatch(commit):
            raise ValueError(f"not a commit id: {commit!r}")
        return commit.lower()
    return "w" + article.content_hash.removeprefix("sha256:")[:40]


def preview_mark(article: Article, commit: str | None) -> str:
    return f"{preview_key(article)}.{preview_version(article, commit)}"


def preview(client: WeChat, article: Article, policies: Policies, to: Sequence[Receiver],
            commit: str | None = None) -> Previewed:
    """Upload what the article needs, put it in a new draft of its own, preview it to each of
    `to`, then delete the stale preview drafts (see the module's docstring)."""
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
    mark = preview_mark(article, commit)
    media_id = client.add_draft([draft_article(article, policies, urls, cover_media_id, mark, PREVIEW_MARKER)])
    deliveries = tuple(_send(client, media_id, receiver, account) for receiver in to)
    if any(d.sent for d in deliveries):
        deleted = delete_stale(client, media_id)
    else:  # no phone points to it
        client.delete_draft_if_present(media_id)
        deleted = ()
    return Previewed(str(article.path), account.id, media_id, mark.partition(".")[2], deliveries, deleted)


@dataclass(frozen=True)
class PreviewDraft:
    media_id: str
    created: int  # WeChat's create_time


def preview_drafts(client: WeChat) -> list[PreviewDraft]:
    """Every preview draft in the account's draft box, by its marker (which is in the HTML: the
    box is listed with content)."""
    found = []
    for item in client.drafts():
        content = item.get("content", {})
        news = content.get("news_item", [])
        if news and marker_of(str(news[0].get("content", "")), PREVIEW_MARKER) is not None:  # any article, any version
            created = int(content.get("create_time", item.get("update_time", 0)) or 0)
            found.append(PreviewDraft(str(item["media_id"]), created))
    return found


def delete_stale(client: WeChat, ours: str) -> tuple[str, ...]:
    """Deletes the preview drafts created more than KEEP_SECONDS before `ours` (WeChat's clock);
    none when `ours` is not in the box (then nothing tells the time by WeChat's clock)."""
    drafts = preview_drafts(client)
    mine = next((d for d in drafts if d.media_id == ours), None)
    if mine is None:
        return ()
    stale = tuple(d.media_id for d in drafts if d.created < mine.created - KEEP_SECONDS)
    for media_id in stale:
        client.delete_draft_if_present(media_id)
    return stale


def _send(client: WeChat, media_id: str, receiver: Receiver, account: Account) -> Delivery:
    try:
        client.preview(media_id, kind=receiver.kind, receiver=receiver.id)
    except WeChatError as error:
        advice = REFUSALS.get(error.errcode or 0)
        text = advice.format(name=receiver.name, account=account.name) if advice else str(error)
        return Delivery(receiver.name, False, f"{text}(errcode {error.errcode})" if advice else text, error.errcode)
    return Delivery(receiver.name, True, f"已发送到 {receiver.name} 的微信")
