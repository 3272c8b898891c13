"""Attacks on the ledger anchor (pipeline/anchor.py, publish.refuse_rewound_ledger): ledgers
forged by someone with push access so that their history still holds the anchored commit,
anchors garbled by someone with the account's credentials, and what the anchor leaves unseen.
Real Git repositories, the publisher in-process, the WeChat sandbox over HTTP, the real client
for what a person holding the account's credentials does by hand."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline import anchor
from pipeline.commands.publish import SANDBOX_LEDGER_REF
from pipeline.ledger import Entry, Ledger
from pipeline.wechat import WeChat
from tests.testing.anchoring import (
    DAYS, DRAFT, MASS, REFUSED, article, client, forged_without, mass_sent_twice, mass_titles, publish, sent, tip,
)
from tests.testing.fixtures import commit_all, git, http, make_repo, write_article
from tests.testing.publishing import HOOK, POLICY, KillPoint, bundle_index, finish, kill_at, live_copies, publisher, world


def two_mass_sends(root: Path, url: str, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """Two mass sends a day apart; (the ledger commit before the second, the commit the anchor names)."""
    older = mass_sent_twice(root, url, capsys)
    [named] = anchor.anchors(client(root, url, "cs-college").drafts())
    assert Ledger.open(root, ref=SANDBOX_LEDGER_REF).newer(named.commit, older)
    return older, named.commit


def piped(root: Path, data: bytes, *args: str) -> bytes:
    """git with `data` on stdin, its output as bytes (a ledger blob keeps its last newline)."""
    return subprocess.run(["git", *args], cwd=root, input=data, capture_output=True, check=True).stdout


def forge(root: Path, older: str, named: str, how: str) -> None:
    """A ledger whose history holds the anchored commit but whose log is `older`'s: what someone
    who can push to the repository can build with plain git, without the account's credentials."""
    tree = git(root, "rev-parse", f"{older}^{{tree}}").strip()
    if how == "merge":  # first parent the old commit (its log extended by nothing), second the anchored one
        forged = git(root, "commit-tree", tree, "-p", older, "-p", named, "-m", "wxpub: re-append 0 local entries").strip()
    elif how == "reorder":  # every line kept, the later ones in reverse order: intents after their answers
        before, full = (piped(root, b"", "cat-file", "blob", f"{c}:ledger.jsonl") for c in (older, tip(root)))
        later = full[len(before):].splitlines(keepends=True)
        blob = piped(root, before + b"".join(reversed(later)), "hash-object", "-w", "--stdin").decode().strip()
        tree = piped(root, f"100644 blob {blob}\tledger.jsonl\n".encode(), "mktree").decode().strip()
        forged = git(root, "commit-tree", tree, "-p", older, "-p", named, "-m", "wxpub: re-append").strip()
    else:  # a commit on the anchored one dropping lines, hidden under one more that adds none
        dropped = git(root, "commit-tree", tree, "-p", tip(root), "-m", "tidy").strip()
        forged = git(root, "commit-tree", tree, "-p", dropped, "-m", "wxpub: note").strip()
    git(root, "update-ref", SANDBOX_LEDGER_REF, forged)


@pytest.mark.parametrize("how", ["merge", "chain", "reorder"])
def test_a_forged_ledger_whose_history_holds_the_anchored_commit_but_lost_its_lines_is_refused(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], how: str) -> None:
    """The anchor promises that the ledger holds the lines of the commit it names. A commit in
    the history is not enough: a merge with the anchored commit as its second parent, or a
    commit dropping lines hidden under one more (the tip is only compared with its first
    parent), holds it in its history and has lost the mass send only the anchor witnesses."""
    root = make_repo(tmp_path, policies=POLICY)
    older, named = two_mass_sends(root, sandbox, capsys)
    full = tip(root)
    lines = len(Ledger.open(root, ref=SANDBOX_LEDGER_REF).entries)
    forge(root, older, named, how)
    forged = Ledger.open(root, ref=SANDBOX_LEDGER_REF)  # it loads: each tip extends its first parent
    assert forged.tip != full and (len(forged.entries) == lines if how == "reorder" else len(forged.entries) < lines)
    assert how == "reorder" or not any(e.path.endswith("2026-11-03-second/index.md") for e in forged.entries)
    http(sandbox + "/sandbox/clock", {"advance": 2 * 24 * 3600})  # WeChat's clientmsgid memory is over
    article(root, "2026-11-05-third", "第三次群发", MASS)
    code, report, err = publish(root, sandbox, capsys, DAYS[3])
    assert code == 2 and not report, (report, err)
    assert REFUSED in err and "Traceback" not in err, err
    assert mass_titles(sandbox) == ["第一次群发", "第二次群发"]  # nobody got anything twice
    git(root, "update-ref", SANDBOX_LEDGER_REF, full)  # the full ledger pushed back
    report = sent(root, sandbox, capsys, DAYS[3])
    assert mass_titles(sandbox) == ["第一次群发", "第三次群发", "第二次群发"]


def test_a_ledger_that_merged_the_anchored_commit_in_as_a_second_parent_keeps_publishing(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """No false refusal: wxpub's own merge (a lost push race) re-appends the local lines after
    the remote's, so an anchored local commit becomes a second parent whose lines are all kept."""
    root = make_repo(tmp_path, policies=POLICY)
    _, named = two_mass_sends(root, sandbox, capsys)
    ledger = Ledger.open(root, ref=SANDBOX_LEDGER_REF)
    older = git(root, "rev-parse", f"{named}~1").strip()
    # the remote's side: the log up to the anchored commit's parent, plus the anchored commit's
    # lines re-appended, as Ledger._merge writes them when both sides appended
    tree = git(root, "rev-parse", f"{ledger.tip}^{{tree}}").strip()
    theirs = git(root, "commit-tree", git(root, "rev-parse", f"{older}^{{tree}}").strip(), "-p", older, "-m", "other").strip()
    merged = git(root, "commit-tree", tree, "-p", theirs, "-p", ledger.tip or "", "-m", "wxpub: re-append").strip()
    git(root, "update-ref", SANDBOX_LEDGER_REF, merged)
    assert Ledger.open(root, ref=SANDBOX_LEDGER_REF).contains(named)
    article(root, "2026-11-05-third", "第三篇")
    report = sent(root, sandbox, capsys, DAYS[3])
    assert len(report["published"]) == 1


@given(count=st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=3)
       | st.integers(min_value=4301, max_value=6000).map(lambda digits: "9" * digits))
def test_an_anchor_whose_line_count_is_any_digit_string_is_read_without_a_traceback(count: str) -> None:
    """The count after the commit is only for people reading the draft: '²', '٣', '〇' or
    thousands of digits (past Python's int limit) must not crash every run of the account."""
    item = {"media_id": "m", "content": {"news_item": [
        {"content": f'<section {anchor.ANCHOR_MARKER}="{"a" * 40}.{count}">x</section>', "thumb_media_id": "t"}]}}
    found = anchor.anchor_of(item)
    assert found is not None and found.commit == "a" * 40 and found.lines >= 0


# -- what the anchor leaves unseen: a run killed between a `moved` line and its anchor update ------

SPORTS = ("今天上午,学校秋季运动会在东操场隆重开幕,全校师生参加了开幕式。校长在开幕式上致辞,"
          "希望同学们赛出风格、赛出水平。本届运动会共设田径、球类和趣味项目三十余项,"
          "两千余名学生报名参赛。开幕式后,男子一百米预赛率先开赛,看台上加油声此起彼伏。"
          "运动会将持续三天,闭幕式定于周五下午举行,届时将为获奖班级和个人颁奖。\n")
OLD = bundle_index("official", "publicity", "2026-11-20-sprots")
NEW = bundle_index("official", "publicity", "2026-11-20-sports")


def test_a_move_whose_anchor_update_a_kill_cut_off_is_witnessed_by_the_rerun(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """SIGKILL right after the `moved` line landed, before the anchor names it. The rerun has no
    move left to record and nothing to send; unless it brings the anchor up to the moved line, a
    later rewind past that line is not seen and the rewritten piece goes out a second time."""
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-sprots", front_matter={"title": "秋季运动会开幕"}, body=SPORTS)
    commit_all(root, "article")
    sent(root, sandbox, capsys, DAYS[18])
    hook = root / ".git" / "hooks" / "reference-transaction"
    hook.write_text(HOOK, encoding="utf-8")
    hook.chmod(0o755)
    git(root, "mv", OLD.removesuffix("/index.md"), NEW.removesuffix("/index.md"))
    commit_all(root, "slug fixed")
    assert kill_at(root, sandbox, KillPoint("write", "", 1, "committed"), tmp_path, now=DAYS[19])
    ledger = Ledger.open(root, ref=SANDBOX_LEDGER_REF)
    assert ledger.entries[-1].step == "moved"
    before_move = git(root, "rev-parse", f"{SANDBOX_LEDGER_REF}~1").strip()
    code, report, err = finish(publisher(root, sandbox, now=DAYS[19]))  # the rerun
    assert code == 0 and not report["published"], (report, err)
    body = "。".join("补充说明:" + s[::-1] for s in SPORTS.split("。"))  # reworded: only the move carries it
    write_article(root, slug="2026-11-20-sports", front_matter={"title": "秋季运动会开幕"}, body=body)
    commit_all(root, "rewritten")
    code, report, err = finish(publisher(root, sandbox, now=DAYS[20]))
    assert code == 0 and not report["published"], (report, err)
    git(root, "update-ref", SANDBOX_LEDGER_REF, before_move)  # an old backup restored
    code, report, err = publish(root, sandbox, capsys, DAYS[21])
    assert code == 2 and REFUSED in err, (report, err)
    assert live_copies(sandbox) == ["秋季运动会开幕"]


# -- WeChat failing the anchor update: nothing is sent without its witness ------------------------

@pytest.mark.parametrize("errcode", [-1, 45009, 40007])
def test_an_anchor_update_wechat_refuses_sends_nothing_without_a_witness(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], errcode: int) -> None:
    """-1 (busy; draft/add is not asked again: the article waits for the next run), 45009
    (draft/add's calls of the day used up: the article waits for the next day), 40007 (the anchor's thumb deleted meanwhile: found again).
    Whatever happens, the submit goes out once, after an anchor names a commit holding it."""
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一篇")
    sent(root, sandbox, capsys, DAYS[0])
    article(root, "2026-11-03-second", "第二篇")
    before = dict(world(sandbox)["calls"])
    # the 1st draft/add is the article's, the 2nd the anchor's (a new draft each time: see anchor.put)
    http(sandbox + "/sandbox/faults", {"endpoint": "draft/add", "nth": 2, "errcode": errcode, "appid": "wxsandboxofficial"})
    code, report, err = publish(root, sandbox, capsys, DAYS[1], "--lease", "0")  # a stopped run's message waits for no lease
    http(sandbox + "/sandbox/faults", method="DELETE")
    calls = world(sandbox)["calls"]
    assert "Traceback" not in err and code in (0, 1), (code, err)
    if errcode in (-1, 45009):  # draft/add is not asked again (it could add twice): stopped, sent nothing
        assert calls.get("freepublish/submit", 0) == before.get("freepublish/submit", 0), (report, err)
        assert not report["published"] and (report["queued"] or report["failed"]), report
        report = sent(root, sandbox, capsys, DAYS[2])
    else:
        assert calls.get("draft/add", 0) == before.get("draft/add", 0) + 3, calls  # asked again
    assert [o["status"] for o in report["published"]] == ["published"], (report, err)
    [kept] = anchor.anchors(client(root, sandbox, "official").drafts())
    ledger = Ledger.open(root, ref=SANDBOX_LEDGER_REF)
    batch = next(e.data["batch"] for e in ledger.entries if e.path.endswith("2026-11-03-second/index.md"))
    held = ledger.entries[:kept.lines]
    assert ledger.contains(kept.commit) and any(e.step == "submitting" and e.data.get("batch") == batch for e in held)
    assert live_copies(sandbox) == ["第一篇", "第二篇"]


# -- an editor's text never reads as an anchor ------------------------------------------------------

@given(text=st.text(st.sampled_from("data-wxpub-anchor='\"0a.1 <>&/=\n"), max_size=80) | st.text(max_size=40),
       mark=st.from_regex(r"[0-9a-f]{16}\.[1-8]", fullmatch=True))
def test_no_editor_text_makes_an_article_an_anchor(text: str, mark: str) -> None:
    """Whatever the editor writes (escaped as markdown-it escapes it: & < > and " but not '), as
    text, as an image's alt and as a link, in the first article of a draft or a later one: the
    draft is wxpub's attempt, never an anchor, so kept_anchor never deletes it nor refuses on it."""
    from markdown_it.common.utils import escapeHtml

    from pipeline.sending import marked_batches, with_marker

    shown = escapeHtml(text)
    body = (f'<p>{shown}</p><p><img src="u" alt="{shown}"></p><p><a href="https://a.example/{shown}">{shown}</a></p>')
    content = with_marker(f'<section style="color: #333">{body}</section>', mark)
    loose = with_marker(body, mark)  # no wrapper: the marker goes on the editor's first paragraph
    for first in (content, loose):
        draft = {"media_id": "m", "content": {"news_item": [{"content": first}, {"content": content}]}}
        assert anchor.anchor_of(draft) is None and not anchor.is_anchor(draft)
        assert marked_batches([draft]) == {mark.split(".")[0]}


# -- what no anchor covers: a draft-mode account ---------------------------------------------------


def publish_by_hand(account: WeChat, media_id: str) -> None:
    publish_id = account.submit(media_id)
    while account.publish_status(publish_id)["publish_status"] == 1:
        pass


@pytest.mark.xfail(strict=True, reason="a draft-mode account sends nothing, so it keeps no anchor (docs/ledger.md): "
                   "a forged ledger dropping one of its drafts, published by hand more than 20 publications "
                   "below the newest known one, is seen by nothing and the article is drafted again. Closing it "
                   "needs an anchor in the draft box operators publish from (one slip publishes it): a design call")
def test_a_forged_ledger_dropping_a_draft_published_by_hand_far_down_is_refused(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-base", "基础草稿", DRAFT)
    sent(root, sandbox, capsys, DAYS[0])
    before_lost = tip(root)
    article(root, "2026-11-03-lost", "被抹掉的草稿", DRAFT)
    sent(root, sandbox, capsys, DAYS[1])
    youth = client(root, sandbox, "youth")
    for draft in youth.drafts():  # the operator publishes wxpub's drafts, then 22 of their own
        publish_by_hand(youth, str(draft["media_id"]))
    cover = next(m["media_id"] for m in world(sandbox)["materials"] if m["appid"] == "wxsandboxyouth")
    for number in range(22):
        publish_by_hand(youth, youth.add_draft([{"title": f"后台文章{number}", "content": "<p>通知。</p>", "thumb_media_id": cover}]))
    article(root, "2026-11-04-newest", "最新草稿", DRAFT)
    sent(root, sandbox, capsys, DAYS[2])
    for draft in youth.drafts():
        publish_by_hand(youth, str(draft["media_id"]))
    lost, _, forged = forged_without(root, before_lost, "2026-11-03-lost")
    assert lost and not any(e.data.get("batch") in lost for e in forged.entries)
    article(root, "2026-11-05-next", "下一篇草稿", DRAFT)
    code, report, err = publish(root, sandbox, capsys, DAYS[3])
    drafted = [a["title"] for d in world(sandbox)["drafts"] if d["appid"] == "wxsandboxyouth" for a in d["articles"]]
    assert "被抹掉的草稿" not in drafted, (report, err)
    assert code == 2, (report, err)


# -- a rewind to exactly the anchored commit: the lines after it are found again, nothing resent ----

@pytest.mark.parametrize("where", ["publish", "mass"])
def test_a_ledger_rewound_to_the_anchored_commit_itself_finds_what_went_out_and_sends_it_not_again(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], where: str) -> None:
    """The anchor names the commit holding the intent (submitting / mass_sending); the answer
    and final lines come after it. A rewind to that very commit passes the anchor: the intent's
    recovery must find the publication (or the taken draft) instead of sending again, even two
    days on (WeChat's clientmsgid memory over) and below 22 publications of the operator's own."""
    root = make_repo(tmp_path, policies=POLICY)
    account, place = ("official", None) if where == "publish" else ("cs-college", MASS)
    article(root, "2026-11-02-first", "第一篇", place)
    sent(root, sandbox, capsys, DAYS[0])
    article(root, "2026-11-03-second", "第二篇", place)
    http(sandbox + "/sandbox/clock", {"advance": 24 * 3600})
    sent(root, sandbox, capsys, DAYS[1])
    wechat = client(root, sandbox, account)
    [kept] = anchor.anchors(wechat.drafts())
    assert kept.commit != tip(root)
    if where == "publish":
        cover = next(m["media_id"] for m in world(sandbox)["materials"] if m["appid"] == "wxsandboxofficial")
        for number in range(22):
            publish_by_hand(wechat, wechat.add_draft([{"title": f"后台文章{number}", "content": "<p>通知。</p>",
                                                       "thumb_media_id": cover}]))
    git(root, "update-ref", SANDBOX_LEDGER_REF, kept.commit)
    assert Ledger.open(root, ref=SANDBOX_LEDGER_REF).entries[-1].step in ("submitting", "mass_sending")
    http(sandbox + "/sandbox/clock", {"advance": 2 * 24 * 3600})
    article(root, "2026-11-05-third", "第三篇", place)
    code, report, err = publish(root, sandbox, capsys, DAYS[3], "--lease", "0")
    assert code in (0, 1) and "Traceback" not in err, (code, err)
    code, report, err = publish(root, sandbox, capsys, DAYS[4], "--lease", "0")
    assert code == 0, (report, err)
    titles = live_copies(sandbox) if where == "publish" else mass_titles(sandbox)
    assert [t for t in titles if not t.startswith("后台文章")] == ["第一篇", "第三篇", "第二篇"], titles


# -- two runners: the slower one's anchor update sets the witness back ------------------------------

def test_a_mass_send_whose_witness_a_slower_runner_set_back_is_not_sent_again_after_a_rewind(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Two runners of one account: the slower one's anchor, naming an older commit, lands after
    the faster one's mass send. With draft/update (no compare-and-swap in WeChat) it overwrote
    the faster one's witness, and a rewind to the older commit mass-sent again; each anchor is
    now a new draft, and the faster one's stays beside it until a run keeps the newest."""
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一次群发", MASS)
    sent(root, sandbox, capsys, DAYS[0])
    wechat = client(root, sandbox, "cs-college")
    [listed] = anchor.anchors(wechat.drafts())  # what the slower runner listed at its start
    article(root, "2026-11-03-second", "第二次群发", MASS)
    http(sandbox + "/sandbox/clock", {"advance": 24 * 3600})
    sent(root, sandbox, capsys, DAYS[1])  # the faster runner
    ledger = Ledger.open(root, ref=SANDBOX_LEDGER_REF)
    started = next(i for i, e in enumerate(ledger.entries) if e.step == "message_started"
                   and any(x.path.endswith("2026-11-03-second/index.md") for x in ledger.entries
                           if x.data.get("batch") == e.data.get("batch")))
    slower = git(root, "rev-parse", f"{SANDBOX_LEDGER_REF}~{len(ledger.entries) - started}").strip()
    anchor.put(wechat, listed, slower, started)  # the slower runner's anchor lands last, naming an ancestor
    git(root, "update-ref", SANDBOX_LEDGER_REF, slower)  # then a rewind to it
    http(sandbox + "/sandbox/clock", {"advance": 2 * 24 * 3600})
    article(root, "2026-11-05-third", "第三次群发", MASS)
    code, report, err = publish(root, sandbox, capsys, DAYS[3], "--lease", "0")
    assert mass_titles(sandbox).count("第二次群发") == 1, mass_titles(sandbox)
    assert code == 2 and REFUSED in err, (report, err)


def test_killed_between_the_new_anchor_and_the_old_ones_deletion_a_rerun_keeps_one_and_sends_once(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """SIGKILL inside draft/delete of the anchor a new one replaces: two anchors, both naming
    commits the ledger holds, no refusal; the rerun sends the article once and keeps one."""
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-02-first", front_matter={"title": "第一篇"})
    commit_all(root, "first")
    code, report, err = finish(publisher(root, sandbox, now=DAYS[0]))
    assert code == 0 and len(report["published"]) == 1, (report, err)
    write_article(root, slug="2026-11-03-second", front_matter={"title": "第二篇"})
    commit_all(root, "second")
    assert kill_at(root, sandbox, KillPoint("call", "draft/delete", 1, "before"), tmp_path, "--lease", "0", now=DAYS[1])
    wechat = client(root, sandbox, "official")
    ledger = Ledger.open(root, ref=SANDBOX_LEDGER_REF)
    both = anchor.anchors(wechat.drafts())
    assert len(both) == 2 and all(ledger.contains(a.commit) for a in both)
    published = [a["title"] for p in world(sandbox)["publications"] for a in p["articles"]]
    assert published == ["第一篇"] and live_copies(sandbox) == ["第一篇", "第二篇"]  # killed before the submit
    for _ in range(2):
        code, report, err = finish(publisher(root, sandbox, "--lease", "0", now=DAYS[1]))
        assert code == 0 and not report["failed"], (report, err)
    [kept] = anchor.anchors(wechat.drafts())
    assert Ledger.open(root, ref=SANDBOX_LEDGER_REF).contains(kept.commit)
    assert live_copies(sandbox) == ["第一篇", "第二篇"]


@pytest.mark.parametrize("step, data", [("abandoned", {"reason": "resumed_unsent"}), ("failed", {"needs_change": False}),
                                        ("retracted", {"of": "mass_sent", "index": 1, "how": "deleted"})])
def test_lines_forged_onto_the_end_never_unsend_a_mass_send(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], step: str, data: dict[str, Any]) -> None:
    """What the anchor cannot see (every line it names is kept, in order): a line appended by
    someone with push access that would give the sent message up. The fold must ignore it."""
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一次群发", MASS)
    sent(root, sandbox, capsys, DAYS[0])
    ledger = Ledger.open(root, ref=SANDBOX_LEDGER_REF)
    final = next(e for e in ledger.entries if e.step == "mass_sent")
    about = (final.path, final.content_hash) if step == "retracted" else ("", "")
    ledger.append(Entry(at=final.at, run="forger", step=step, account=final.account, path=about[0],
                        content_hash=about[1], commit=final.commit, data={"batch": final.data["batch"], **data}))
    for day in (2, 4):
        http(sandbox + "/sandbox/clock", {"advance": 2 * 24 * 3600})
        article(root, f"2026-11-0{day}-next", f"群发{day}", MASS)
        sent(root, sandbox, capsys, DAYS[day], "--lease", "0")
    assert mass_titles(sandbox) == ["第一次群发", "群发2", "群发4"]
