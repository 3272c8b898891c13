"""Carrying messages and retractions through WeChat, one recorded step at a time.

Every irreversible call is announced by an intent line that is written (and, with a remote,
pushed) and found to count in the ledger's state before the call is made; its answer is
written as a result line before the next call. Decisions are taken from
`pipeline.messages.fold` after each write, never from what this process remembers, so a
run that lost a race, was taken over, or was killed and rerun does the right thing from
the shared ledger alone.

Where the ledger cannot know whether a call went through (the process died during it, or
the answer timed out), the message's marker decides: every article's content carries
`data-wxpub="<attempt>.<index>"` on its first element, an attribute WeChat keeps (data-*
attributes of editors' HTML survive into published articles) and our sandbox keeps alike,
so recovery adopts only a draft or publication of this very attempt. Covers are uploaded
under a name made of their content hash, so a cover whose upload was not recorded is found
in the material list instead of being uploaded twice. Body images (`media/uploadimg`) have
no list: a crash between such an upload and its record costs one extra upload of that
image, which the record counts (`reupload`).
"""

from __future__ import annotations

import datetime
import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Iterable, Mapping
from urllib.parse import urlsplit

from pipeline.messages import CONTENT_REFUSALS, Message, Phase, Publication, Retraction, refused_articles
from pipeline.records import (
    Abandoned, ClaimedArticle, CoverUploaded, DraftAdded, DraftAdding, DraftRebuilding, DraftRebuilt, Failed, FileRef,
    Final, ImageUploaded, MassSending, MessageStarted, OrphanDeleted, Retracted, Retracting, Step, Submitted,
    Submitting, TakenOver,
)
from pipeline.render import check, content_too_long, render_article
from pipeline.render.html import ImageSource
from pipeline.wechat import QUOTA_ERRORS, WeChat, WeChatError

if TYPE_CHECKING:
    from pipeline.content import Article
    from pipeline.policies import Policies
    from pipeline.publish import Candidate, Run

POLL_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)  # freepublish/get has a small daily quota: back off
SWEEP_SECONDS = 24 * 3600  # how long later runs look for a late draft of an abandoned attempt
SUBMIT_SETTLES = datetime.timedelta(hours=24)  # after this, a submit WeChat never listed has failed
DRAFT_FIELDS = ("article_type", "title", "author", "digest", "content", "content_source_url", "thumb_media_id",
                "need_open_comment", "only_fans_can_comment", "pic_crop_235_1", "pic_crop_1_1")
PUBLISH_FAILURES = {
    2: "原创声明未通过审核:请核实原创信息,或改为转载(source);修改后(内容变化后)才会重新发布",
    3: "发表失败(常规失败);下次运行会重试,仍失败请在公众号后台查看原因",
    4: "被平台审核拒绝:请在公众号后台查看原因;修改文章后(内容变化后)才会重新发布,未修改的版本不再提交",
    5: "发表成功后已被用户删除;此版本不再自动重新发表,如需再次发表请修改文章(内容变化后)",
    6: "发表成功后被系统封禁:请在公众号后台查看处理通知;此版本不再自动重新发表,修改文章后(内容变化后)才会重新发布",
}


@dataclass(frozen=True)
class Built:
    """One article of a message, rendered, with the files it needs uploaded."""

    candidate: Candidate
    files: tuple[tuple[FileRef, str], ...]  # (what to upload, its bundle path)
    images: tuple[str, ...]  # body image targets, as in the Markdown


# -- markers ------------------------------------------------------------------------------

# A marker is inserted and replaced on the first element, wxpub's own wrapper, and read as an
# attribute of a parsed element (render.check.parse), never as text: Markdown escapes `"` in
# text but not `'`, so text or an image's alt can read like a marker, and must neither be taken
# for one (an unknown attempt stops every run of the account, refuse_rewound_ledger) nor be cut
# out of the article
_FIRST_TAG = re.compile(r"\s*<([A-Za-z][A-Za-z0-9]*)[^<>]*>")
MARKER = "data-wxpub"
# A test send's draft (wxpub preview --wechat) carries its own attribute, never MARKER: the
# publisher, its rewind guard and `status --verify` take only MARKER for wxpub's attempts
PREVIEW_MARKER = "data-wxpub-preview"
# The ledger anchor (pipeline/anchor.py) is neither: its attribute names a ledger commit
ANCHOR_MARKER = "data-wxpub-anchor"


def marker(batch: str, index: int) -> str:
    return f"{batch}.{index}"


def marker_of(content: str, attribute: str = MARKER) -> str | None:
    """The wxpub marker of an article's HTML: the `attribute` (data-wxpub, or the preview's and
    the ledger anchor's own) of its first element, and of no other (None: not an article wxpub
    sent). wxpub writes its wrapper there (`with_marker`), where no editor's text reaches, and
    editors cannot write attributes anyway (raw HTML is off in Markdown). Only that tag is parsed."""
    first = _FIRST_TAG.match(content)
    if first is None:
        return None
    elements = check.parse(first.group(0)).elements
    return dict(elements[0].attrs).get(attribute) if elements else None


def with_marker(content: str, mark: str, attribute: str = MARKER) -> str:
    """`content` with `attribute="mark"` (data-wxpub) on its first element (replacing an older
    marker there)."""
    written = f' {attribute}="{mark}"'
    first = _FIRST_TAG.match(content)
    if first is None:
        return f"<section{written}>{content}</section>"
    older = re.compile(rf"""\s{re.escape(attribute)}=(?:"[^"]*"|'[^']*')""")
    tag = older.sub("", first.group(0), count=1)
    name_end = first.end(1) - first.start(0)
    return content[:first.start(0)] + tag[:name_end] + written + tag[name_end:] + content[first.end(0):]


_BATCH = re.compile(r"([^.]+)\.\d+")


def marked_batches(items: Iterable[Mapping[str, Any]]) -> set[str]:
    """The wxpub attempts whose markers the drafts or publications `items` (as WeChat lists
    them) carry."""
    found = (_BATCH.fullmatch(marker_of(str(news.get("content", ""))) or "")
             for item in items for news in item.get("content", {}).get("news_item", []))
    return {match.group(1) for match in found if match}


_SPACES = re.compile(r"[\s\u00a0\u200b\ufeff]+")


def fingerprint(title: str, content: str) -> str:
    """What a reader sees of an article, hashed: its title, the words of its HTML (whitespace
    collapsed), the images it shows and the links it has (host and path of each image's src and
    each link's href: WeChat may change the scheme and query of its own URLs). Styles, other
    attributes and our own marker are left out: WeChat restyles what it stores, a draft rebuild
    gives an article a new marker, and neither is a change of content; an edit of a word, an
    image or a link is. The
    ledger records it for every article sent (`draft_adding`), and `wxpub backup` compares it
    with what WeChat holds (DRIFT003)."""
    document = check.parse(content)
    words = _SPACES.sub(" ", document.root.text()).strip()
    targets = []  # the images shown and the links followed (a link's target changed is an edit too)
    for element in document.elements:
        attrs = dict(element.attrs)
        url = (attrs.get("data-src") or attrs.get("src")) if element.tag == "img" else (
            attrs.get("href") if element.tag == "a" else None)
        if url:
            parts = urlsplit(url.strip())
            targets.append(f"{element.tag} {parts.netloc.lower()}{parts.path}")
    text = "\n".join([_SPACES.sub(" ", title).strip(), words, *targets])
    return "t1:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def carries(content: str, mark: str) -> bool:
    return marker_of(content) == mark


def _is_attempt(news: list[dict[str, Any]], message: Message) -> bool:
    if message.marker:
        return bool(news) and len(news) == len(message.articles) and all(
            carries(str(item.get("content", "")), marker(message.marker, i)) for i, item in enumerate(news, 1))
    # Version 1 attempts had no marker: (title, cover media_id) per article. A test send's draft
    # (wxpub preview --wechat) or the ledger anchor can show the same title and cover, and is never one
    if any(marker_of(str(item.get("content", "")), attribute) is not None
           for item in news for attribute in (PREVIEW_MARKER, ANCHOR_MARKER)):
        return False
    seen = [[str(item.get("title", "")), str(item.get("thumb_media_id", ""))] for item in news]
    return bool(message.legacy_markers) and seen == [list(m) for m in message.legacy_markers]


def cover_name(sha: str, source: str) -> str:
    """The file name a cover is uploaded under: its content hash, found again in the material list."""
    suffix = PurePosixPath(source).suffix.lower() or ".jpg"
    return f"wxpub-{sha[:40]}{suffix}"


# -- starting a message -----------------------------------------------------------------------


def build(run: Run, candidate: Candidate) -> Built | str:
    """Render one article and list its uploads; a Chinese reason when it cannot go out."""
    found = article_uploads(candidate.article, run.policies)
    return found if isinstance(found, str) else Built(candidate, *found)


def article_uploads(article: Article, policies: Policies) -> tuple[tuple[tuple[FileRef, str], ...], tuple[str, ...]] | str:
    """What an article needs uploaded, as (file, its bundle path) pairs with the cover last, and
    its body images as the Markdown names them; a Chinese reason when it cannot go out."""
    rendered = render_article(article, policies)
    too_long = content_too_long(rendered.content)  # lint (RENDER001) says the same before review
    if too_long:
        return too_long
    files: list[tuple[FileRef, str]] = []
    images = rendered.bundle_images  # web images stay links (lint's MEDIA013 says they will not show)
    for name in images:
        files.append((FileRef(_sha(article, name), "image", PurePosixPath(name).name), name))
    cover = str(article.front_matter["cover"])
    sha = _sha(article, cover)
    files.append((FileRef(sha, "cover", cover_name(sha, cover)), cover))
    return tuple(files), tuple(images)


def _read(run: Run, candidate: Candidate, name: str) -> bytes:
    return candidate.article.files.read(name)  # only through the bundle's resolver, from the commit's tree


def _sha(article: Article, name: str) -> str:
    return hashlib.sha256(article.files.read(name)).hexdigest()


def start(run: Run, built: list[Built], day: str, cap: int) -> Message | None:
    """Claim a message for these articles; None when the claim did not count (another run's
    claim, publication or the daily cap came first)."""
    account = built[0].candidate.account
    batch = uuid.uuid4().hex[:16]
    files = tuple(dict.fromkeys(ref for b in built for ref, _ in b.files))
    articles = tuple(ClaimedArticle(b.candidate.path, b.candidate.article.content_hash, b.candidate.approved_by)
                     for b in built)
    claim = MessageStarted(batch=batch, mode=account.publish_mode, articles=articles, files=files, day=day, cap=cap,
                           lease_until=run.lease_until())
    if not run.write(run.entry(claim, account.id)):
        return None
    return run.state.messages[batch]


def send_new(run: Run, message: Message, built: list[Built]) -> None:
    """Upload, draft, and carry a freshly claimed message to its end."""
    account = run.policies.accounts[message.account]
    client = run.wechat(account)
    sources = {b.candidate.path: b for b in built}
    for ref, source in dict.fromkeys((ref, src) for b in built for ref, src in b.files):
        if not _hold_lease(run, message.batch):
            return
        if (account.id, ref.kind, ref.sha) in run.state.uploads:
            continue  # uploaded once ever, by this message or an earlier one
        holder = next(b for b in built if (ref, source) in b.files)
        try:
            _upload(run, client, message, ref, _read(run, holder.candidate, source))
        except WeChatError as error:
            # Nothing of the message was sent yet: give it up; what was uploaded stays recorded
            run.write(run.entry(Abandoned(message.batch, reason="upload_failed", errcode=error.errcode), account.id))
            if error.errcode in QUOTA_ERRORS:
                raise
            run.fail(message, f"上传 {holder.candidate.article.bundle / source} 失败:{error}")
            return
    articles = []
    for index, claimed in enumerate(message.articles, 1):
        item = _draft_article(run, sources[claimed.path], marker(message.batch, index))
        too_long = content_too_long(item["content"])
        if too_long:
            run.write(run.entry(Abandoned(message.batch, reason="too_long"), account.id))
            run.fail(message, f"插入图片地址后,{too_long}")
            return
        articles.append(item)
    sent = tuple(fingerprint(str(item["title"]), str(item["content"])) for item in articles)
    if not run.write(run.entry(DraftAdding(message.batch, marker=message.batch, lease_until=run.lease_until(),
                                           fingerprints=sent), account.id)):
        return
    try:
        media_id = client.add_draft(articles)
    except WeChatError as error:
        if error.transient:  # unknown outcome: the marker decides once our lease is over
            run.wait(message, "新建草稿的请求没有得到答复(可能已生效);下一次运行会按标记核对,不会重复发送")
            return
        run.write(run.entry(Abandoned(message.batch, reason="refused", errcode=error.errcode), account.id))
        if error.errcode in QUOTA_ERRORS:
            raise
        run.fail(message, str(error))
        return
    run.write(run.entry(DraftAdded(message.batch, media_id), account.id))
    advance(run, message.batch)


def _hold_lease(run: Run, batch: str) -> bool:
    """Before a call that no intent announces (an upload): still the owner, with at least half a
    lease left to make it in; a run that was paused past its lease renews it first, which does
    not count if another run took the message over meanwhile (the renewal names the last line
    this run saw)."""
    if not _still_mine(run, batch):
        return False
    message = run.state.messages[batch]
    if run.lease == 0 or message.lease_until - run.wall() >= run.lease / 2:
        return True  # (--lease 0 promises nothing to other runs: there is nothing to renew)
    renewal = TakenOver(batch, expected=message.last_id, lease_until=run.lease_until())
    return run.write(run.entry(renewal, message.account)) and _still_mine(run, batch)


def _still_mine(run: Run, batch: str) -> bool:
    message = run.state.messages.get(batch)
    return message is not None and message.live and message.owner == run.run_id


def _upload(run: Run, client: WeChat, message: Message, ref: FileRef, data: bytes) -> None:
    """Upload one file of a claimed message and record it before the next call."""
    unrecorded_before = _claimed_before(run, message, ref)
    if ref.kind == "cover":
        found = find_material(client, ref.name) if unrecorded_before else None
        if found is not None:
            record: CoverUploaded | ImageUploaded = CoverUploaded(ref.sha, found[0], found[1], message.batch, ref.name,
                                                                  recovered=True)
        else:
            media_id, url = client.upload_cover(data, ref.name)
            record = CoverUploaded(ref.sha, media_id, url, message.batch, ref.name)
    else:
        url = client.upload_body_image(data, ref.name)
        record = ImageUploaded(ref.sha, url, message.batch, reupload=unrecorded_before)
    run.write(run.entry(record, message.account))


def _claimed_before(run: Run, message: Message, ref: FileRef) -> bool:
    """Whether an earlier message of the account listed this file: its upload may have
    happened without being recorded (the run died during it)."""
    for other in run.state.messages.values():
        if other.batch == message.batch:
            return False
        if other.account == message.account and ref in other.files:
            return True
    return False


def find_material(client: WeChat, name: str) -> tuple[str, str] | None:
    """A permanent image of the account by the name it was uploaded under (cover_name)."""
    for item in client.materials():
        if item.get("name") == name:
            return str(item["media_id"]), str(item.get("url", ""))
    return None


def _draft_article(run: Run, built: Built, mark: str) -> dict[str, Any]:
    """The draft/add article: every image's uploaded URL in the content, the marker on it."""
    candidate = built.candidate
    uploads = run.state.uploads
    account = candidate.account.id
    urls = {source: str(getattr(uploads[(account, ref.kind, ref.sha)], "url", ""))
            for ref, source in built.files if ref.kind == "image"}
    cover_ref = next(ref for ref, _ in built.files if ref.kind == "cover")
    cover = uploads[(account, cover_ref.kind, cover_ref.sha)]
    assert isinstance(cover, CoverUploaded)
    return draft_article(candidate.article, run.policies, urls, cover.media_id, mark)


def draft_article(article: Article, policies: Policies, image_urls: Mapping[str, str], cover_media_id: str,
                  mark: str, attribute: str = MARKER) -> dict[str, Any]:
    """One article as draft/add and draft/update take it, rendered with its body images at
    their uploaded URLs and `attribute="mark"` on it: what the publisher sends, and what a test
    send (wxpub preview --wechat) shows on a reviewer's phone."""
    def uploaded(image: ImageSource) -> str:  # a web image is sent as written; only bundle files were uploaded
        return image_urls.get(image.name, image.name) if image.in_bundle else image.name

    rendered = render_article(article, policies, image_url=uploaded)
    comments = article.front_matter.get("comments", "open")
    return {
        "article_type": "news",
        "title": rendered.title,
        "author": rendered.author,
        "digest": rendered.digest,
        "content": with_marker(rendered.content, mark, attribute),
        "content_source_url": rendered.content_source_url,
        "thumb_media_id": cover_media_id,
        "need_open_comment": 0 if comments == "closed" else 1,
        "only_fans_can_comment": 1 if comments == "fans" else 0,
    }


# -- carrying a message on ----------------------------------------------------------------------


def advance(run: Run, batch: str) -> None:
    """Carry a message this run owns from its current phase as far as it can go now."""
    while _still_mine(run, batch):
        message = run.state.messages[batch]
        before = (message.phase, message.last_id)
        _STEPS[message.phase](run, message)
        after = run.state.messages[batch]
        if (after.phase, after.last_id) == before:
            return  # waiting on WeChat or on a person; reported by the step
    finished = run.state.messages.get(batch)
    if finished is not None and finished.phase is Phase.DONE:
        run.report_done(finished)


def _mode(run: Run, message: Message) -> str:
    return message.mode or run.policies.accounts[message.account].publish_mode


def _claimed(run: Run, message: Message) -> None:
    """Taken over before its draft was asked for: give it up; the articles are planned afresh."""
    run.write(run.entry(Abandoned(message.batch, reason="resumed_before_draft"), message.account))


def _draft_adding(run: Run, message: Message) -> None:
    """draft/add was called and its answer never recorded: adopt the draft if WeChat has it, in
    the draft box or already published from it (an operator publishes draft-mode drafts)."""
    client = run.wechat(run.policies.accounts[message.account])
    found = next((item for item in client.drafts()
                  if _is_attempt(item.get("content", {}).get("news_item", []), message)), None)
    if found is not None:
        run.write(run.entry(DraftAdded(message.batch, str(found["media_id"]), recovered=True), message.account))
        return
    published = _find_publication(client, message)
    if published is not None:
        _write_finals(run, message, Step.PUBLISHED, article_id=published[0], urls=published[1])
        return
    # Not there: never made, or still on its way. Give the attempt up; a later run deletes it if it lands.
    run.write(run.entry(Abandoned(message.batch, reason="draft_not_found", sweep_until=run.wall() + SWEEP_SECONDS),
                        message.account))


def settle_taken_over(run: Run, message: Message) -> None:
    """Carry on a message taken over from a run that went quiet. One that may have been sent
    (submitting, submitted, mass_sending) is finished; one that was not is given up, its draft
    deleted, and its articles planned afresh from the commit being published, under today's
    window and cap: the editor may have corrected them since, and its day may be over."""
    if message.phase in (Phase.SUBMITTING, Phase.MASS_SENDING) and not message.finals:
        # Announced, but sending takes the draft out of the draft box: still there, it was not sent
        draft = run.wechat(run.policies.accounts[message.account]).get_draft(message.media_id)
        if draft is not None:
            run.write(run.entry(Abandoned(message.batch, reason="resumed_unsent"), message.account))
            sweep_message(run, run.state.messages[message.batch])
            return
    if message.phase in (Phase.SUBMITTING, Phase.SUBMITTED, Phase.MASS_SENDING) or message.finals:
        advance(run, message.batch)
        return
    if message.phase is Phase.DRAFT_ADDING:
        _draft_adding(run, message)  # adopt (then give up below), find it published, or give up
        message = run.state.messages[message.batch]
        if not _still_mine(run, message.batch) or message.phase is not Phase.DRAFT_ADDED:
            _report_if_done(run, message.batch)
            return
    if message.phase is Phase.DRAFT_ADDED:
        client = run.wechat(run.policies.accounts[message.account])
        if client.get_draft(message.media_id) is None:  # it left the draft box: published by a person?
            published = _find_publication(client, message)
            if published is not None:
                _write_finals(run, message, Step.PUBLISHED, article_id=published[0], urls=published[1])
                _report_if_done(run, message.batch)
                return
        elif _mode(run, message) == "draft" and run.unchanged(message.articles):
            # In draft mode the draft is the result, and a person may already be working on it:
            # it stays, as long as it holds what is on the commit now
            advance(run, message.batch)
            return
    run.write(run.entry(Abandoned(message.batch, reason="resumed_unsent"), message.account))
    sweep_message(run, run.state.messages[message.batch])


def _report_if_done(run: Run, batch: str) -> None:
    finished = run.state.messages.get(batch)
    if finished is not None and finished.phase is Phase.DONE:
        run.report_done(finished)


def _draft_added(run: Run, message: Message) -> None:
    mode = _mode(run, message)
    if message.finals or mode == "draft":
        _complete(run, message)
        return
    if mode == "mass":
        msgid = clientmsgid(message.batch)
        if run.write(run.entry(MassSending(message.batch, message.media_id, msgid, lease_until=run.lease_until()),
                               message.account)):
            _mass_send(run, run.state.messages[message.batch])
        return
    if run.write(run.entry(Submitting(message.batch, message.media_id, lease_until=run.lease_until()),
                           message.account)):
        _submit(run, run.state.messages[message.batch])


def _submit(run: Run, message: Message) -> None:
    run.anchor_ledger(message.account)  # the ledger's anchor names a commit holding `submitting`
    client = run.wechat(run.policies.accounts[message.account])
    try:
        publish_id = client.submit(message.media_id)
    except WeChatError as error:
        if error.transient or error.errcode in QUOTA_ERRORS:
            raise  # unknown outcome, or try later: the ledger resumes from "submitting"
        if error.errcode == 40007:  # the draft is gone: an earlier submit of it (a slow one) went through
            _adopt_publication(run, client, message)
            return
        needs_change = error.errcode is not None and 53500 <= error.errcode < 53600
        run.write(run.entry(Failed(message.batch, errcode=error.errcode, needs_change=needs_change,
                                   draft_left=True), message.account))
        run.fail(message, str(error))
        sweep_message(run, run.state.messages[message.batch])
        return
    run.write(run.entry(Submitted(message.batch, message.media_id, publish_id), message.account))


def _submitting(run: Run, message: Message) -> None:
    """freepublish/submit was called and its answer never recorded."""
    client = run.wechat(run.policies.accounts[message.account])
    if message.finals:
        _complete(run, message)
        return
    if client.get_draft(message.media_id) is not None:  # still in the draft box: the submit never happened
        if run.write(run.entry(Submitting(message.batch, message.media_id, lease_until=run.lease_until()),
                               message.account)):
            _submit(run, run.state.messages[message.batch])
        return
    _adopt_publication(run, client, message)


def _adopt_publication(run: Run, client: WeChat, message: Message) -> None:
    """The draft left the draft box through a submit whose answer we lack: find the publication."""
    found = _find_publication(client, message)
    if found is None:
        announced = message.intent_at
        if announced is not None and run.now - announced.moment > SUBMIT_SETTLES:
            # Publishing ends within hours; a submit that long ago whose article WeChat never lists
            # failed (review, 原创 check). Without its publish_id that cannot be asked: stop, tell a person
            run.write(run.entry(Failed(message.batch, needs_change=True), message.account))
            run.fail(message, "提交发表后答复丢失,且一天后微信的已发表列表中仍没有这篇文章(多为审核未通过):"
                              "请在公众号后台查看原因;修改文章后才会重新提交")
            return
        run.wait(message, "上次提交发表后中断,微信尚未列出该文章(可能仍在审核);下一次运行继续核对")
        return
    _write_finals(run, message, Step.PUBLISHED, article_id=found[0], urls=found[1])


def _submitted(run: Run, message: Message) -> None:
    client = run.wechat(run.policies.accounts[message.account])
    if message.finals:
        _complete(run, message)
        return
    for delay in (0.0, *POLL_DELAYS):
        run.sleep(delay)
        status = client.publish_status(message.publish_id)
        code = int(status.get("publish_status", 1))
        if code == 1:
            continue
        if code == 0:
            items = status.get("article_detail", {}).get("item", [])
            _write_finals(run, message, Step.PUBLISHED, article_id=str(status.get("article_id", "")),
                          urls=[str(item.get("article_url", "")) for item in items])
            return
        fail_idx = tuple(int(i) for i in status.get("fail_idx", []) if str(i).lstrip("-").isdigit())
        failure = Failed(message.batch, publish_id=message.publish_id, publish_status=code, fail_idx=fail_idx,
                         needs_change=code in CONTENT_REFUSALS)
        run.write(run.entry(failure, message.account))
        refused = {a.path for a in refused_articles(message, failure)}
        run.fail(message, PUBLISH_FAILURES.get(code, f"发表失败(状态 {code})"), refused)
        run.wait(message, "同一条消息中的其他文章未通过审核,本篇未被拒绝;下次运行重新发表",
                 [p for p in message.paths if p not in refused])
        return
    run.wait(message, "微信仍在处理发表,下次运行时继续查询结果")


def _mass_sending(run: Run, message: Message) -> None:
    if message.finals:
        _complete(run, message)
        return
    _mass_send(run, message, recovering=True)


def _mass_send(run: Run, message: Message, *, recovering: bool = False) -> None:
    """message/mass/sendall with the message's clientmsgid: a resend answers the first send
    (45065) instead of reaching followers twice, so this may be called again on recovery.
    No API lists mass sends: the ledger's anchor names a commit holding `mass_sending` first."""
    run.anchor_ledger(message.account)
    client = run.wechat(run.policies.accounts[message.account])
    try:
        msg_id, msg_data_id = client.mass_send(message.media_id, message.clientmsgid)
    except WeChatError as error:
        if error.transient or error.errcode in QUOTA_ERRORS:
            raise
        if error.errcode == 40007 and recovering:
            # The draft is gone after an earlier run announced this send: that send took it (its
            # answer was lost, and WeChat's 24 h clientmsgid memory is over). Sending again would
            # reach every follower twice; the final lines carry no msg_id (docs/ledger.md)
            _write_finals(run, message, Step.MASS_SENT)
            return
        run.write(run.entry(Failed(message.batch, errcode=error.errcode, draft_left=True), message.account))
        run.fail(message, str(error))
        sweep_message(run, run.state.messages[message.batch])
        return
    _write_finals(run, message, Step.MASS_SENT, msg_id=msg_id, msg_data_id=msg_data_id)


def _complete(run: Run, message: Message) -> None:
    """Write the final lines the message still lacks (all of them, in one write)."""
    mode = _mode(run, message)
    step = {"draft": Step.DRAFTED, "mass": Step.MASS_SENT}.get(mode, Step.PUBLISHED)
    known = next(iter(message.finals.values()), None)
    shared = dict(known.data) if known is not None else {}
    urls: list[str] = []
    if step is Step.PUBLISHED and shared.get("article_id"):
        client = run.wechat(run.policies.accounts[message.account])
        urls = [str(item.get("url", "")) for item in client.published_article(str(shared["article_id"]))]
    _write_finals(run, message, step, article_id=str(shared.get("article_id", "")),
                  msg_id=str(shared.get("msg_id", "")), msg_data_id=str(shared.get("msg_data_id", "")), urls=urls)


def _write_finals(run: Run, message: Message, step: Step, *, article_id: str = "", msg_id: str = "",
                  msg_data_id: str = "", urls: list[str] | None = None) -> None:
    urls = urls or []
    lines = []
    for index, article in enumerate(message.articles, 1):
        if article.path in message.finals:
            continue
        record = Final(message.batch, media_id=message.media_id, index=index, approved_by=article.approved_by,
                       publish_id=message.publish_id, article_id=article_id,
                       url=urls[index - 1] if index - 1 < len(urls) else "", msg_id=msg_id, msg_data_id=msg_data_id)
        lines.append(run.entry(record, message.account, article.path, article.content_hash, step=step))
    if lines:
        run.write(*lines)


_STEPS = {
    Phase.CLAIMED: _claimed,
    Phase.DRAFT_ADDING: _draft_adding,
    Phase.DRAFT_ADDED: _draft_added,
    Phase.SUBMITTING: _submitting,
    Phase.SUBMITTED: _submitted,
    Phase.MASS_SENDING: _mass_sending,
}


def clientmsgid(batch: str) -> str:
    """One per attempt: a resend of this attempt's send is recognised by WeChat (45065, for 24 h),
    while a later attempt with the same content (an article retracted, then restored) is a new send."""
    return f"wxpub-{batch}"


LOST_PUBLISHING_API = ("这条消息已提交发表,该账号随后失去了接口权限(多为微信认证过期),wxpub 查不到发表的结果,"
                       "因此不会再次发送:请在公众号后台「发表记录」中查看这些文章是否已发表;账号重新认证后,"
                       "下一次运行会自动核对并补全发布记录")


def _find_publication(client: WeChat, message: Message) -> tuple[str, list[str]] | None:
    try:
        for item in client.published():
            news = item.get("content", {}).get("news_item", [])
            if _is_attempt(news, message):
                return str(item["article_id"]), [str(n.get("url", "")) for n in news]
    except WeChatError as error:
        if error.no_publishing_api:  # 48001's own advice (switch to draft mode) does not fit a sent message
            raise WeChatError(error.endpoint, error.errcode, error.errmsg, advice=LOST_PUBLISHING_API) from error
        raise
    return None


def take_over(run: Run, message: Message) -> bool:
    """Become the owner of a message whose owner's lease is over; False if that did not count."""
    record = TakenOver(message.batch, expected=message.last_id, lease_until=run.lease_until())
    return run.write(run.entry(record, message.account))


# -- orphans --------------------------------------------------------------------------------


def sweep(run: Run, messages: Iterable[Message]) -> None:
    """Delete drafts of attempts that ended unsent: recorded ones, and late ones found by marker."""
    for message in messages:
        sweep_message(run, message)


def sweep_message(run: Run, message: Message) -> None:
    account = run.policies.accounts.get(message.account)
    if account is None:
        return
    media_ids = list(message.orphans)
    abandoned = message.abandoned
    if (message.phase is Phase.ABANDONED and abandoned is not None and abandoned.reason == "draft_not_found"
            and message.marker and abandoned.sweep_until > run.wall() and not media_ids):
        media_ids += [str(item["media_id"]) for item in run.wechat(account).drafts()
                      if _is_attempt(item.get("content", {}).get("news_item", []), message)]
    for media_id in dict.fromkeys(media_ids):
        run.wechat(account).delete_draft_if_present(media_id)
        run.write(run.entry(OrphanDeleted(message.batch, media_id), message.account))


def needs_sweep(message: Message, now: float) -> bool:
    abandoned = message.abandoned
    late = (message.phase is Phase.ABANDONED and abandoned is not None and abandoned.reason == "draft_not_found"
            and bool(message.marker) and abandoned.sweep_until > now)
    return bool(message.orphans) or late


# -- retractions ------------------------------------------------------------------------------


def retract(run: Run, path: str, target: Publication, previous: Retraction | None = None) -> None:
    """Take one article down (R15): only its own index; a draft with siblings is rebuilt
    without it. Recorded as retracted only once WeChat confirmed it."""
    entry = target.entry
    intent = Retracting(of=entry.step, index=target.index, target=entry.id,
                        expected=previous.last_id if previous is not None else "", lease_until=run.lease_until())
    if not run.write(run.entry(intent, entry.account, path, entry.content_hash)):
        return
    _carry_retraction(run, path)


def resume_retraction(run: Run, retraction: Retraction) -> None:
    if retraction.owner == run.run_id:
        _carry_retraction(run, retraction.path)
    else:
        retract(run, retraction.path, retraction.target, retraction)


def _carry_retraction(run: Run, path: str) -> None:
    current = run.state.retractions.get(path)
    if current is None or current.owner != run.run_id:
        return
    target = current.target
    account = run.policies.accounts[current.account]
    client = run.wechat(account)
    step = target.entry.step
    if step == Step.PUBLISHED:
        how = _delete_published(client, target)
        message = "已从公众号删除"
    elif step == Step.MASS_SENT:
        if not knows_msg_id(target):  # a pending retraction planned before this was checked
            run.cannot_retract(path, current.account, MASS_WITHOUT_MSG_ID)
            return
        client.mass_delete(str(target.entry.data.get("msg_id", "")), target.index)
        how, message = "deleted", "已删除该篇群发图文(读者已收到的消息列表中不再可读)"
    else:
        outcome = _retract_draft(run, client, current)
        if outcome is None:
            return
        how, message = outcome
    record = Retracted(of=step, index=target.index, how=how)
    run.write(run.entry(record, current.account, path, target.entry.content_hash))
    run.retracted(path, current.account, message, str(target.entry.data.get("article_id", "")))


MASS_WITHOUT_MSG_ID = ("这次群发的 msg_id 未能从微信取得(答复丢失且已过 24 小时),而微信没有按内容查找群发的接口,"
                       "wxpub 无法撤回它:请运营人员在公众号后台的群发记录中删除这篇文章")


def knows_msg_id(target: Publication) -> bool:
    """Whether a mass send's msg_id is known: message/mass/delete needs it, and a send whose
    answer was lost for more than WeChat's 24 h clientmsgid memory is recorded without one."""
    return str(target.entry.data.get("msg_id", "")).isdigit()


def _delete_published(client: WeChat, target: Publication) -> str:
    article_id = str(target.entry.data.get("article_id", ""))
    try:
        client.delete_published(article_id, target.index)
        return "deleted"
    except WeChatError:
        # A retry after a crash during this delete, or a person deleted it: ask WeChat
        items = client.published_article(article_id)
        if target.index - 1 < len(items) and items[target.index - 1].get("is_deleted"):
            return "already_deleted"
        raise


def _retract_draft(run: Run, client: WeChat, current: Retraction) -> tuple[str, str] | None:
    target = current.target
    gone = "草稿已不在草稿箱(可能已由运营人员在后台发表或删除);若已发表,请在后台删除"
    if current.rebuilt is not None:  # the siblings' new draft exists: the old one goes
        client.delete_draft_if_present(current.rebuilt.old_media_id)
        return "rebuilt", "已从草稿箱删除;同一草稿中的其他文章已移入新草稿"
    siblings = [p for p in run.state.publications.values()
                if p.entry.step == Step.DRAFTED and p.media_id == target.media_id and p.path != target.path
                and p.path not in run.state.retractions]
    draft = client.get_draft(target.media_id)
    if draft is None:
        # Gone from the draft box: published by the operator (as draft mode asks), or deleted.
        # Published, it is taken down by its own index; neither there nor published, it is gone.
        try:
            found = _find_marked_publication(client, target.marker) if target.marker else None
        except WeChatError as error:
            if not error.no_publishing_api:
                raise
            found = None  # an unverified account: WeChat lists no publications (48001), a person looks
        if found is not None:
            client.delete_published(found[0], found[1])
            return "deleted_published", "运营人员已在后台发表了这篇草稿:已从公众号删除(仅此一篇)"
        return "draft_gone", gone
    if not siblings:
        client.delete_draft_if_present(target.media_id)
        return "deleted", "已从草稿箱删除;若运营人员已在后台发表,请在后台删除"
    news = draft.get("news_item", [])
    placed = {p.path: _position_in(news, p, target) for p in siblings}
    keep = sorted((p for p in siblings if placed[p.path] is not None), key=lambda p: placed[p.path] or 0)
    if current.rebuilding is None:
        batch = uuid.uuid4().hex[:16]
        record = DraftRebuilding(batch, target.media_id, tuple(p.path for p in keep), lease_until=run.lease_until())
        if not run.write(run.entry(record, current.account, current.path, target.entry.content_hash)):
            return None
    rebuilding = run.state.retractions[current.path].rebuilding
    assert rebuilding is not None
    new_media_id = _find_rebuilt(client, rebuilding)
    recovered = new_media_id is not None
    if new_media_id is None:
        items = [_redraft(news[at], marker(rebuilding.batch, number)) for number, p in enumerate(keep, 1)
                 if (at := placed.get(p.path)) is not None]
        new_media_id = client.add_draft(items)
    if not run.write(run.entry(DraftRebuilt(rebuilding.batch, target.media_id, new_media_id, rebuilding.keep,
                                            recovered=recovered), current.account, current.path,
                               target.entry.content_hash)):
        # Another run took this rebuild over while our draft/add was slow and recorded its own
        # draft first: ours is a second copy of the siblings, unless that run found ours
        recorded = {p.media_id for p in run.state.publications.values() if p.path in rebuilding.keep}
        if new_media_id not in recorded:
            client.delete_draft_if_present(new_media_id)
        return None
    client.delete_draft_if_present(target.media_id)
    return "rebuilt", "已从草稿箱删除;同一草稿中的其他文章已移入新草稿"


def _position_in(news: list[dict[str, Any]], sibling: Publication, retracted: Publication) -> int | None:
    """Where `sibling` is in the draft now (0-based): found by its marker, since the operator
    may have reordered the draft in the backend; else at the index we gave it, unless the
    article there is the one being retracted. None: it is not in the draft."""
    contents = [str(item.get("content", "")) for item in news]
    if sibling.marker:
        found = next((i for i, content in enumerate(contents) if carries(content, sibling.marker)), None)
        if found is not None:
            return found
    at = sibling.index - 1
    if 0 <= at < len(contents) and not (retracted.marker and carries(contents[at], retracted.marker)):
        return at
    return None


def _find_marked_publication(client: WeChat, mark: str) -> tuple[str, int] | None:
    """(article_id, 1-based index) of the live published article carrying `mark`."""
    for item in client.published():
        for index, news in enumerate(item.get("content", {}).get("news_item", []), 1):
            if carries(str(news.get("content", "")), mark) and not news.get("is_deleted"):
                return str(item["article_id"]), index
    return None


def _find_rebuilt(client: WeChat, rebuilding: DraftRebuilding) -> str | None:
    for item in client.drafts():
        news = item.get("content", {}).get("news_item", [])
        if news and all(carries(str(n.get("content", "")), marker(rebuilding.batch, i)) for i, n in enumerate(news, 1)):
            return str(item["media_id"])
    return None


def _redraft(item: Mapping[str, Any], mark: str) -> dict[str, Any]:
    """A draft article as WeChat stored it, ready for draft/add again, with a new marker."""
    article = {key: item[key] for key in DRAFT_FIELDS if key in item}
    article["content"] = with_marker(str(item.get("content", "")), mark)
    return article

