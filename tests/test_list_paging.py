"""Reading WeChat's lists page by page while other writers change them (pipeline/wechat.py
`_pages`): draft/batchget, freepublish/batchget and material/batchget_material page by offset,
20 at most, and a draft added, deleted, updated or published between two pages shifts items
across the page boundary. The real client (wechatpy over HTTP) against the sandbox, whose
fault `writes` makes another writer's calls just before a chosen page is answered.

Facts (WeChat's pages api_draft_batchget, api_freepublish_batchget, batchget_material): offset
from 0, count 1..20, total_count the number of drafts / successful publications / materials of
the type; no order is documented. The sandbox lists newest first (drafts by update: draft/update
moves a draft to the top; publications as they finish; materials as they are added) and a
publication or mass send takes its draft out of the draft box."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import anchor
from pipeline.commands.publish import SANDBOX_LEDGER_REF
from pipeline.ledger import Ledger
from pipeline.wechat import LIST_READS, Credentials, WeChat, WeChatError
from tests.testing.anchoring import (
    DAYS, MASS, REFUSED, article, client, mass_sent_twice, mass_titles, publish,
)
from tests.testing.fixtures import git, http, make_repo
from tests.testing.publishing import POLICY, world

SECRET = "paging-secret-for-tests"


def account(url: str, appid: str) -> WeChat:
    http(url + "/sandbox/accounts", {"appid": appid, "secret": SECRET})
    return WeChat(Credentials(appid, SECRET), base_url=url + "/cgi-bin/", backoff=0)


def draft(title: str, cover: str) -> dict[str, Any]:
    return {"title": title, "content": f"<p>{title}</p>", "thumb_media_id": cover}


def drafts_of(wechat: WeChat, count: int) -> tuple[str, list[str]]:
    """`count` drafts added one after another: (the cover, their media_ids, oldest first)."""
    cover, _ = wechat.upload_cover(anchor.thumb_image(), "cover.png")
    return cover, [wechat.add_draft([draft(f"草稿{n}", cover)]) for n in range(count)]


def between_pages(url: str, appid: str, page: int, *writes: tuple[str, dict[str, Any]]) -> None:
    """Another writer's calls, made just before draft/batchget call number `page` (from now) is answered."""
    http(url + "/sandbox/faults", {"endpoint": "draft/batchget", "appid": appid, "nth": page,
                                   "writes": [{"endpoint": e, "body": b} for e, b in writes]})


def batchget_calls(url: str, appid: str) -> int:
    return int(http(url + "/sandbox/state")["calls_by_account"].get(appid, {}).get("draft/batchget", 0))


# -- the facts the reader relies on, as the sandbox serves them ------------------------------------

def test_the_sandbox_lists_drafts_newest_update_first_and_counts_them_all(sandbox: str) -> None:
    wechat = account(sandbox, "wxpagingfacts")
    cover, made = drafts_of(wechat, 3)
    assert [d["media_id"] for d in wechat.drafts()] == made[::-1]
    wechat.update_draft(made[0], 0, draft("改过", cover))  # draft/update moves it to the top
    assert [d["media_id"] for d in wechat.drafts()] == [made[0], made[2], made[1]]
    page = wechat._client.post("draft/batchget", data={"offset": 1, "count": 1, "no_content": 1})
    assert page["total_count"] == 3 and page["item_count"] == 1 and page["item"][0]["media_id"] == made[2]
    publish_id = wechat.submit(made[2])  # publishing takes the draft out of the draft box
    assert [d["media_id"] for d in wechat.drafts()] == [made[0], made[1]]
    while wechat.publish_status(publish_id)["publish_status"] == 1:
        pass
    assert [p["content"]["news_item"][0]["title"] for p in wechat.published()] == ["草稿2"]
    assert [m["name"] for m in wechat.materials()] == ["cover.png"]


# -- the defect: a delete before the read's offset hides an item -----------------------------------

def test_a_draft_deleted_between_two_pages_hides_nothing(sandbox: str) -> None:
    wechat = account(sandbox, "wxpagingdelete")
    _, made = drafts_of(wechat, 25)
    # The newest 20 fill page 1; the operator deletes one of them before page 2 is answered:
    # offset 20 then starts at what was the 22nd, and the 21st (made[4]) was never listed
    between_pages(sandbox, "wxpagingdelete", 2, ("draft/delete", {"media_id": made[-1]}))
    listed = [d["media_id"] for d in wechat.drafts()]
    assert made[4] in listed and sorted(listed) == sorted(made)  # the deleted one as listed before it went
    assert batchget_calls(sandbox, "wxpagingdelete") == 2 + 2  # the shifted read, then one that held still


@pytest.mark.parametrize("write", ["update", "publish"])
def test_a_draft_moved_to_the_top_or_published_between_two_pages_is_still_listed(sandbox: str, write: str) -> None:
    appid = f"wxpaging{write}"
    wechat = account(sandbox, appid)
    cover, made = drafts_of(wechat, 30)
    if write == "update":  # an unread draft moved to the top, into the page already read
        between_pages(sandbox, appid, 2, ("draft/update", {"media_id": made[2], "index": 0,
                                                            "articles": draft("改过", cover)}))
    else:  # a draft already read is published: the rest shift up by one
        between_pages(sandbox, appid, 2, ("freepublish/submit", {"media_id": made[-3]}))
    listed = [d["media_id"] for d in wechat.drafts()]
    assert sorted(listed) == sorted(made)  # a published one as listed before it went


def test_a_list_that_never_holds_still_is_refused_in_chinese_after_a_few_reads(sandbox: str) -> None:
    wechat = account(sandbox, "wxpagingbusy")
    cover, made = drafts_of(wechat, 22)
    for read in range(LIST_READS):  # every read's second page comes after one more draft was added
        between_pages(sandbox, "wxpagingbusy", 2 + 2 * read, ("draft/add", {"articles": [draft(f"新{read}", cover)]}))
    with pytest.raises(WeChatError) as caught:
        list(wechat.drafts())
    assert str(caught.value).startswith("微信接口 draft/batchget 的列表无法读完整:连续 3 次读取时")
    assert "请稍后重新运行" in str(caught.value) and "网络错误" not in str(caught.value)
    assert batchget_calls(sandbox, "wxpagingbusy") == 2 * LIST_READS  # bounded: no read past the last


@pytest.mark.parametrize(("count", "calls"), [(0, 1), (1, 1), (20, 1), (21, 2), (39, 2), (40, 3), (58, 3)])
def test_a_list_read_while_nothing_changes_costs_one_call_a_page_of_19_new_items_after_the_first(
        sandbox: str, count: int, calls: int) -> None:
    appid = f"wxpagingcost{count}"
    wechat = account(sandbox, appid)
    _, made = drafts_of(wechat, count) if count else ("", [])
    assert [d["media_id"] for d in wechat.drafts(content=False)] == made[::-1]
    assert batchget_calls(sandbox, appid) == calls


# -- the property: any writer between any pages never hides an item present throughout ----------------

OPS = st.one_of(st.tuples(st.just("delete"), st.integers(0, 44)), st.tuples(st.just("update"), st.integers(0, 44)),
                st.tuples(st.just("publish"), st.integers(0, 44)), st.tuples(st.just("add"), st.just(0)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(18, 45), interference=st.dictionaries(st.integers(2, 7), st.lists(OPS, min_size=1, max_size=4),
                                                                 max_size=4))
def test_no_interleaving_of_another_writer_hides_an_item_present_throughout_the_read(
        sandbox: str, count: int, interference: dict[int, list[tuple[str, int]]]) -> None:
    appid = "wxpagingproperty"
    http(sandbox + "/sandbox/reset", {})
    wechat = account(sandbox, appid)
    cover, made = drafts_of(wechat, count)
    gone: set[str] = set()
    for call, ops in interference.items():
        writes = []
        for op, n in ops:
            target = made[n % count]
            if op == "delete":
                writes.append(("draft/delete", {"media_id": target}))
                gone.add(target)
            elif op == "publish":
                writes.append(("freepublish/submit", {"media_id": target}))
                gone.add(target)
            elif op == "update":
                writes.append(("draft/update", {"media_id": target, "index": 0, "articles": draft("改过", cover)}))
            else:
                writes.append(("draft/add", {"articles": [draft("新加", cover)]}))
        between_pages(sandbox, appid, call, *writes)
    try:
        listed = [d["media_id"] for d in wechat.drafts()]
    except WeChatError as refused:  # only when a write came between pages of every one of its reads
        assert len(interference) >= LIST_READS, refused
        return
    assert len(listed) == len(set(listed))  # each once
    assert set(made) - gone <= set(listed)  # nothing present throughout is missed
    assert set(listed) <= set(made) | {d["media_id"] for d in http(sandbox + "/sandbox/state")["drafts"]}


# -- the consequence: the rewind guard's listing of the draft box misses the ledger's anchor ---------

def anchor_on_page_two(root: Path, url: str, capsys: pytest.CaptureFixture[str],
                       drafts: int = 20) -> tuple[str, anchor.Anchor, list[str]]:
    """Two mass sends a day apart, then `drafts` (≥ 20) of the operator's own, newer than the
    anchor, which push it to the second page of the draft box. (The ledger commit before the
    second send, the anchor, the operator's drafts.)"""
    older = mass_sent_twice(root, url, capsys)
    operator = client(root, url, "cs-college")
    [kept] = anchor.anchors(operator.drafts())
    cover = next(m["media_id"] for m in world(url)["materials"] if m["appid"] == "wxsandboxcscollege")
    own = [operator.add_draft([draft(f"后台草稿{n}", cover)]) for n in range(drafts)]
    assert [d["media_id"] for d in operator.drafts()][drafts] == kept.media_id  # on the second page
    http(url + "/sandbox/clock", {"advance": 2 * 24 * 3600})  # WeChat's clientmsgid memory is over
    article(root, "2026-11-05-third", "第三次群发", MASS)
    return older, kept, own


def test_an_operator_deleting_a_draft_while_the_rewind_guard_reads_does_not_hide_the_anchor(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The anchor is the only witness of a mass send. The operator deletes one of their drafts
    while the guard reads the draft box. Read by offset, the second page started one further on
    and the anchor was never listed: the rewound ledger passed and the lost mass send reached
    every follower again."""
    root = make_repo(tmp_path, policies=POLICY)
    older, kept, own = anchor_on_page_two(root, sandbox, capsys)
    git(root, "update-ref", SANDBOX_LEDGER_REF, older)  # the ledger rewound past the second mass send
    assert not Ledger.open(root, ref=SANDBOX_LEDGER_REF).contains(kept.commit)
    calls_before = batchget_calls(sandbox, "wxsandboxcscollege")
    between_pages(sandbox, "wxsandboxcscollege", 2, ("draft/delete", {"media_id": own[0]}))
    code, report, err = publish(root, sandbox, capsys, DAYS[3])
    assert batchget_calls(sandbox, "wxsandboxcscollege") > calls_before + 1  # the guard read past page 1
    assert code == 2 and REFUSED in err, (report, err)
    assert mass_titles(sandbox) == ["第一次群发", "第二次群发"]


def test_a_draft_box_that_never_holds_still_while_the_guard_reads_stops_the_run_sending_nothing(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    _, _, own = anchor_on_page_two(root, sandbox, capsys, drafts=20 + LIST_READS)  # two pages to the end
    for read in range(LIST_READS):  # the operator deletes a draft during every read
        between_pages(sandbox, "wxsandboxcscollege", 2 + 2 * read, ("draft/delete", {"media_id": own[read]}))
    code, report, err = publish(root, sandbox, capsys, DAYS[3])
    assert code == 1 and "Traceback" not in err, (report, err)
    [failed] = report["failed"]
    assert "draft/batchget 的列表无法读完整" in failed["message"] and "本次不发送任何文章" in failed["message"]
    assert not report["published"] and mass_titles(sandbox) == ["第一次群发", "第二次群发"]
    code, report, err = publish(root, sandbox, capsys, DAYS[3])  # once it holds still, the run goes on
    assert code == 0 and mass_titles(sandbox) == ["第一次群发", "第三次群发", "第二次群发"], (report, err)
