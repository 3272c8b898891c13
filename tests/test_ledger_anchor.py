"""The ledger anchor (pipeline/anchor.py): a witness of the ledger in each sending account's
draft box, so a rewound ledger is seen whatever it lost, including what WeChat cannot list (a
mass send, a `moved` line, a publication far below the newest ones). Real Git repositories,
the publisher in-process and as a killed process, the WeChat sandbox over HTTP, the real
client for what a person with the account's credentials does by hand."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipeline import anchor
from pipeline.commands.publish import SANDBOX_LEDGER_REF
from pipeline.ledger import Ledger
from pipeline.sandbox import start_in_thread
from pipeline.sending import marker_of
from pipeline.wechat import WeChat
from tests.testing.anchoring import (
    DAYS, DRAFT, MASS, REFUSED, article, client, forged_without, mass_sent_twice, mass_titles, publish, sent, tip,
)
from tests.testing.fixtures import commit_all, git, http, make_repo, run_cli, write_article
from tests.testing.publishing import (
    HOOK, POLICY, KillPoint, finish, kill_at, live_copies, publisher, sandbox_state, share_sandbox_secrets, with_bare_remote,
    world,
)


def anchors(url: str, appid: str) -> list[str]:
    """The commits the anchors in an account's draft box name."""
    found = []
    for draft in sandbox_state(url)["drafts"]:
        if draft["appid"] == appid and draft["articles"]:
            value = marker_of(str(draft["articles"][0]["content"]), anchor.ANCHOR_MARKER)
            if value is not None:
                found.append(value.partition(".")[0])
    return found


def test_a_rewind_past_a_mass_send_a_day_old_is_refused_and_nothing_is_sent(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    older = mass_sent_twice(root, sandbox, capsys)
    assert mass_titles(sandbox) == ["第一次群发", "第二次群发"]
    assert anchors(sandbox, "wxsandboxcscollege") != [] and all(
        Ledger.open(root, ref=SANDBOX_LEDGER_REF).contains(c) for c in anchors(sandbox, "wxsandboxcscollege"))
    full = tip(root)
    # The mass send took its draft, and no API lists sends: only the anchor remembers it
    git(root, "update-ref", SANDBOX_LEDGER_REF, older)
    http(sandbox + "/sandbox/clock", {"advance": 2 * 24 * 3600})  # WeChat's clientmsgid memory is over
    article(root, "2026-11-05-third", "第三次群发", MASS)
    code, report, err = publish(root, sandbox, capsys, DAYS[3])
    assert code == 2 and not report, (report, err)
    assert REFUSED in err and full[:12] not in err and "refs/wxpub/ledger" in err, err
    assert mass_titles(sandbox) == ["第一次群发", "第二次群发"]  # nobody got anything twice
    git(root, "update-ref", SANDBOX_LEDGER_REF, full)  # the full ledger pushed back
    report = sent(root, sandbox, capsys, DAYS[3])
    assert [o["path"] for o in report["published"]] == ["content/cs-college/cs-college/2026-11-05-third/index.md"]
    assert mass_titles(sandbox) == ["第一次群发", "第三次群发", "第二次群发"]


def test_a_forged_ledger_that_dropped_a_publication_far_below_the_newest_is_refused(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The marker listing stops 20 publications past the newest attempt the ledger knows: a
    ledger rewritten without one message, that far down, looks whole to it. The anchor names
    the real history, which the forged one does not hold."""
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-base", "基础文章")
    sent(root, sandbox, capsys, DAYS[0])
    before_lost = tip(root)
    article(root, "2026-11-03-lost", "被抹掉的文章")
    sent(root, sandbox, capsys, DAYS[1])
    official = client(root, sandbox, "official")
    cover = next(m["media_id"] for m in world(sandbox)["materials"] if m["appid"] == "wxsandboxofficial")
    for number in range(22):  # the operator's own publications, by hand
        publish_id = official.submit(official.add_draft([{"title": f"后台文章{number}", "content": "<p>通知。</p>",
                                                          "thumb_media_id": cover}]))
        while official.publish_status(publish_id)["publish_status"] == 1:
            pass
    article(root, "2026-11-04-newest", "最新文章")
    sent(root, sandbox, capsys, DAYS[2])
    lost, forged_lines, forged = forged_without(root, before_lost, "2026-11-03-lost")
    assert [e.id for e in forged.entries] == [e.id for e in forged_lines] and lost
    article(root, "2026-11-05-next", "下一篇")
    code, report, err = publish(root, sandbox, capsys, DAYS[3])
    assert code == 2 and REFUSED in err, (report, err)
    assert [t for t in live_copies(sandbox) if not t.startswith("后台文章")] == ["基础文章", "最新文章", "被抹掉的文章"]


def test_an_anchor_left_behind_by_a_racing_runner_is_not_a_refusal(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Two runners race: the slower one's anchor update lands last and names an older ledger
    commit than the newest. An ancestor of the tip is a lag, not a rewind."""
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一篇")
    sent(root, sandbox, capsys, DAYS[0])
    first = tip(root)
    article(root, "2026-11-03-second", "第二篇")
    sent(root, sandbox, capsys, DAYS[1])
    official = client(root, sandbox, "official")
    [current] = anchor.anchors(official.drafts())
    assert current.commit != first
    anchor.put(official, current, first, 1)  # the late update of a runner that pushed `first`
    article(root, "2026-11-04-third", "第三篇")
    report = sent(root, sandbox, capsys, DAYS[2])
    assert len(report["published"]) == 1
    [now_named] = anchors(sandbox, "wxsandboxofficial")
    assert Ledger.open(root, ref=SANDBOX_LEDGER_REF).contains(now_named) and now_named != first


def test_a_missing_anchor_is_made_again_and_extra_anchors_are_reduced_to_one(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一篇")
    sent(root, sandbox, capsys, DAYS[0])
    official = client(root, sandbox, "official")
    [made] = anchor.anchors(official.drafts())
    official.delete_draft(made.media_id)  # an operator deleted it
    article(root, "2026-11-03-second", "第二篇")
    sent(root, sandbox, capsys, DAYS[1])  # no refusal: made again
    [again] = anchors(sandbox, "wxsandboxofficial")
    assert Ledger.open(root, ref=SANDBOX_LEDGER_REF).contains(again)
    # Racing first runs each made one: the one naming the newest commit stays
    older = git(root, "rev-parse", f"{SANDBOX_LEDGER_REF}~3")
    anchor.put(official, None, older, 3)
    assert len(anchors(sandbox, "wxsandboxofficial")) == 2
    article(root, "2026-11-04-third", "第三篇")
    sent(root, sandbox, capsys, DAYS[2])
    [kept] = anchors(sandbox, "wxsandboxofficial")
    assert kept == tip(root) or Ledger.open(root, ref=SANDBOX_LEDGER_REF).newer(tip(root), kept)
    assert kept != older
    assert live_copies(sandbox) == ["第一篇", "第三篇", "第二篇"]


def test_an_anchor_naming_a_commit_of_another_repository_or_garbled_is_refused(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一篇")
    sent(root, sandbox, capsys, DAYS[0])
    official = client(root, sandbox, "official")
    [current] = anchor.anchors(official.drafts())
    foreign = "0123456789abcdef0123456789abcdef01234567"  # in no object store of this clone
    current = anchor.put(official, current, foreign, 1)  # a new draft: the old one is deleted
    article(root, "2026-11-03-second", "第二篇")
    code, _, err = publish(root, sandbox, capsys, DAYS[1])
    assert code == 2 and REFUSED in err and foreign[:12] in err, err
    official.update_draft(current.media_id, 0, {**anchor.article("x", 1, current.thumb_media_id),
                                                "content": f'<section {anchor.ANCHOR_MARKER}="not-a-commit">?</section>'})
    code, _, err = publish(root, sandbox, capsys, DAYS[1])
    assert code == 2 and "无法识别" in err and "删除这篇草稿" in err, err
    assert live_copies(sandbox) == ["第一篇"]


def test_dry_run_writes_no_anchor_and_status_backup_and_audit_ignore_it(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一篇")
    article(root, "2026-11-02-mass", "群发一篇", MASS)
    code, report, err = publish(root, sandbox, capsys, DAYS[0], "--dry-run")
    assert code == 0 and len(report["planned"]) == 2, (report, err)
    assert sandbox_state(sandbox)["drafts"] == [] and sandbox_state(sandbox)["materials"] == []
    sent(root, sandbox, capsys, DAYS[0])
    assert len(anchors(sandbox, "wxsandboxofficial")) == 1 and len(anchors(sandbox, "wxsandboxcscollege")) == 1
    code, out, _ = run_cli(root, capsys, "status", "--sandbox-url", sandbox, "--verify", "--format", "json")
    assert code == 0 and json.loads(out)["disagreements"] == [], out
    code, out, _ = run_cli(root, capsys, "backup", "--sandbox-url", sandbox, "-o", str(tmp_path / "backup"),
                           "--format", "json")
    assert code == 0 and json.loads(out)["drift"] == [], out
    exported = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "backup").rglob("*") if p.suffix in (".html", ".json"))
    assert anchor.ANCHOR_MARKER not in exported and "第一篇" in exported
    # a second run sends nothing and changes no anchor
    calls = dict(world(sandbox)["calls"])
    report = sent(root, sandbox, capsys, DAYS[1])
    assert not report["published"] and world(sandbox)["calls"].get("draft/update", 0) == calls.get("draft/update", 0)


def test_an_anchor_published_by_hand_is_made_again_and_reported_as_published_outside_wxpub(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一篇")
    sent(root, sandbox, capsys, DAYS[0])
    official = client(root, sandbox, "official")
    [current] = anchor.anchors(official.drafts())
    publish_id = official.submit(current.media_id)
    while official.publish_status(publish_id)["publish_status"] == 1:
        pass
    article(root, "2026-11-03-second", "第二篇")
    sent(root, sandbox, capsys, DAYS[1])
    assert len(anchors(sandbox, "wxsandboxofficial")) == 1
    code, out, _ = run_cli(root, capsys, "status", "--sandbox-url", sandbox, "--verify", "--format", "json")
    problems = json.loads(out)["disagreements"]
    assert code == 1 and [p["code"] for p in problems] == ["DRIFT001"] and anchor.TITLE in problems[0]["message"]


def test_a_forged_anchor_attribute_in_an_editors_article_is_text(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Markers are read on an article's first element only, wxpub's own wrapper; raw HTML is off."""
    root = make_repo(tmp_path, policies=POLICY)
    forged = f'<section {anchor.ANCHOR_MARKER}="0123456789abcdef0123456789abcdef01234567">伪造</section>\n\n' \
             "今天的活动圆满结束,同学们积极参与,现场气氛热烈。\n"
    article(root, "2026-11-02-forged", "伪造锚点", DRAFT, body=forged)
    article(root, "2026-11-02-plain", "普通文章", body=forged)
    sent(root, sandbox, capsys, DAYS[0])
    assert anchors(sandbox, "wxsandboxyouth") == []  # draft mode sends nothing: no anchor
    assert len(anchors(sandbox, "wxsandboxofficial")) == 1
    article(root, "2026-11-03-next", "下一篇", DRAFT)
    article(root, "2026-11-03-next2", "又一篇")
    report = sent(root, sandbox, capsys, DAYS[1])
    assert len(report["published"]) == 2


def test_killed_between_the_ledger_write_and_the_anchor_update_a_rerun_sends_once(
        tmp_path: Path, sandbox: str) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    hook = root / ".git" / "hooks" / "reference-transaction"
    hook.write_text(HOOK, encoding="utf-8")
    hook.chmod(0o755)
    write_article(root, slug="2026-11-02-first", front_matter={"title": "第一次群发"}, **MASS)
    commit_all(root, "first")
    code, report, err = finish(publisher(root, sandbox, now=DAYS[0]))
    assert code == 0 and len(report["published"]) == 1, (report, err)
    write_article(root, slug="2026-11-03-second", front_matter={"title": "第二次群发"}, **MASS)
    commit_all(root, "second")
    http(sandbox + "/sandbox/clock", {"advance": 24 * 3600})  # a subscription account sends once a day
    # writes: message_started, draft_adding, draft_added, mass_sending (the cover is uploaded already)
    assert kill_at(root, sandbox, KillPoint("write", "", 4, "committed"), tmp_path, now=DAYS[1])
    ledger = Ledger.open(root, ref=SANDBOX_LEDGER_REF)
    assert ledger.entries[-1].step == "mass_sending", ledger.entries[-1]
    [named] = anchors(sandbox, "wxsandboxcscollege")  # still the first run's: the kill came before its update
    assert ledger.contains(named) and named != ledger.tip
    assert mass_titles(sandbox) == ["第一次群发"]
    code, report, err = finish(publisher(root, sandbox, now=DAYS[1]))
    assert code == 0 and [o["status"] for o in report["published"]] == ["mass_sent"], (report, err)
    assert mass_titles(sandbox) == ["第一次群发", "第二次群发"]
    code, report, err = finish(publisher(root, sandbox, now=DAYS[2]))
    assert code == 0 and not report["published"] and mass_titles(sandbox) == ["第一次群发", "第二次群发"], (report, err)
    [named] = anchors(sandbox, "wxsandboxcscollege")
    assert Ledger.open(root, ref=SANDBOX_LEDGER_REF).contains(named)


# -- the class: any sequence of publications, moves, mass sends and rewinds ----------------------

GUARDS = ("submitting", "mass_sending", "moved")
Step = tuple[str, int]
steps = st.lists(st.one_of(st.just(("publish", 0)), st.just(("mass", 0)), st.just(("move", 0)),
                           st.tuples(st.just("rewind"), st.one_of(st.integers(min_value=1, max_value=3), st.integers(min_value=1, max_value=40)))),
                 min_size=2, max_size=6)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=steps)
def test_every_rewind_that_lost_a_sending_guard_is_refused_and_no_other_run_is(
        plan: list[Step], capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        server, url = start_in_thread(Path(scratch) / "sandbox.sqlite3")
        try:
            _play(Path(scratch), url, plan, capsys)
        finally:
            server.shutdown()


def _play(tmp: Path, url: str, plan: list[Step], capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp, policies=POLICY)
    article(root, "2026-11-01-seed", "种子文章")
    sent(root, url, capsys, DAYS[0])
    published: list[str] = []  # official slugs out, in order
    day = 1
    for number, (kind, back) in enumerate(plan):
        full = tip(root)
        rewound_to = None
        if kind == "publish":
            article(root, f"2026-11-10-p{number}", f"发表{number}")
            published.append(f"2026-11-10-p{number}")
        elif kind == "mass":
            article(root, f"2026-11-10-m{number}", f"群发{number}", MASS)
        elif kind == "move" and published:
            old = published.pop(0)
            git(root, "mv", f"content/official/publicity/{old}", f"content/official/publicity/{old}-moved")
            commit_all(root, "moved")
            published.append(f"{old}-moved")
        elif kind == "rewind":
            history = git(root, "rev-list", "--first-parent", SANDBOX_LEDGER_REF).split()
            rewound_to = history[min(back, len(history) - 1)]
            git(root, "update-ref", SANDBOX_LEDGER_REF, rewound_to)
        lost = {e.id for e in Ledger.open(root, ref=SANDBOX_LEDGER_REF).entries}
        lost_guard = rewound_to is not None and any(
            e.step in GUARDS and e.id not in lost for e in _entries_at(root, full))
        http(url + "/sandbox/clock", {"advance": 24 * 3600})  # one mass send a day
        code, report, err = publish(root, url, capsys, DAYS[day], "--lease", "0")
        day += 1
        event("rewound past a sending guard" if lost_guard else "rewound, guards kept" if rewound_to else "not rewound")
        if lost_guard:
            assert code == 2 and "发布记录里却没有" in err, (plan, number, report, err)
            git(root, "update-ref", SANDBOX_LEDGER_REF, full)  # the full ledger pushed back
            code, report, err = publish(root, url, capsys, DAYS[day], "--lease", "0")
            day += 1
        assert code == 0 and not report["failed"], (plan, number, report, err)
        _sent_once(url, plan)


def _entries_at(root: Path, commit: str) -> list[Any]:
    ledger = Ledger.open(root, ref=SANDBOX_LEDGER_REF)
    current = ledger.tip
    git(root, "update-ref", SANDBOX_LEDGER_REF, commit)
    try:
        return list(Ledger.open(root, ref=SANDBOX_LEDGER_REF).entries)
    finally:
        git(root, "update-ref", SANDBOX_LEDGER_REF, current or commit)


def _sent_once(url: str, plan: list[Step]) -> None:
    state = world(url)
    titles = [a["title"] for p in state["publications"] if p["status"] == 0 for a in p["articles"]]
    titles += [a["title"] for m in state["mass_sends"] for a in m["articles"]]
    assert len(titles) == len(set(titles)), (plan, sorted(titles))


def test_an_anchor_gone_between_the_listing_and_its_update_is_made_again(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """draft/update answers 40007 (the draft or its thumb deleted by hand meanwhile): a new anchor
    replaces it, with the thumb found again by name rather than uploaded twice."""
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一篇")
    sent(root, sandbox, capsys, DAYS[0])
    [before] = anchors(sandbox, "wxsandboxofficial")
    thumbs = sandbox_state(sandbox)["calls"].get("material/add_material", 0)
    http(sandbox + "/sandbox/faults", {"endpoint": "draft/update", "nth": 1, "errcode": 40007})
    article(root, "2026-11-03-second", "第二篇")
    sent(root, sandbox, capsys, DAYS[1])
    [after] = anchors(sandbox, "wxsandboxofficial")
    assert after == tip(root) or Ledger.open(root, ref=SANDBOX_LEDGER_REF).newer(tip(root), after)
    assert after != before
    # the article's cover is uploaded once already; the anchor's thumb is found by its name
    assert sandbox_state(sandbox)["calls"].get("material/add_material", 0) == thumbs
    assert live_copies(sandbox) == ["第一篇", "第二篇"]


def test_a_runner_whose_clone_is_behind_the_anchor_fetches_the_ledger_and_is_not_refused(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Two runners on their own clones of one remote, --push: the second one's clone has never
    seen the ledger commit the first one's anchor names; the ledger fetched before the check
    (and again after the listing) holds it."""
    first = make_repo(tmp_path, policies=POLICY)
    article(first, "2026-11-02-first", "第一次群发", MASS)
    remote = with_bare_remote(first, tmp_path)
    second = tmp_path / "second"
    git(tmp_path, "clone", "-q", str(remote), str(second))
    git(second, "config", "user.email", "test@example.invalid")
    git(second, "config", "user.name", "test")
    share_sandbox_secrets(first, second)
    sent(first, sandbox, capsys, DAYS[0], "--push", "origin")
    [named] = anchors(sandbox, "wxsandboxcscollege")
    assert Ledger.open(second, ref=SANDBOX_LEDGER_REF).tip is None  # the second clone has no ledger yet
    git(second, "pull", "-q", "origin", "main")
    article(second, "2026-11-03-second", "第二次群发", MASS)
    git(second, "push", "-q", "origin", "main")
    http(sandbox + "/sandbox/clock", {"advance": 24 * 3600})
    report = sent(second, sandbox, capsys, DAYS[1], "--push", "origin")
    assert [o["status"] for o in report["published"]] == ["mass_sent"]
    assert Ledger.open(second, ref=SANDBOX_LEDGER_REF).contains(named)
    assert mass_titles(sandbox) == ["第一次群发", "第二次群发"]


def _disagreements(root: Path, url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, str]]]:
    code, out, err = run_cli(root, capsys, "status", "--sandbox-url", url, "--verify", "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)["disagreements"]


@pytest.mark.parametrize("rewound_to", ["before-the-second-send", "before-everything"])
def test_status_verify_reports_an_anchor_the_ledger_does_not_hold(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], rewound_to: str) -> None:
    """The refusal sends operators to `status --verify` before they touch the anchor; it must
    see the rewind the publisher refuses on, even one past every line of the account (the ledger
    then names no account to list), or an operator told "all agree" deletes the anchor and the
    next run mass-sends again."""
    root = make_repo(tmp_path, policies=POLICY)
    older = mass_sent_twice(root, sandbox, capsys)
    full = tip(root)
    assert _disagreements(root, sandbox, capsys) == (0, [])
    if rewound_to == "before-everything":
        git(root, "update-ref", "-d", SANDBOX_LEDGER_REF)
    else:
        git(root, "update-ref", SANDBOX_LEDGER_REF, older)
    code, found = _disagreements(root, sandbox, capsys)
    assert code == 1
    [ahead] = [d for d in found if d["code"] == "DRIFT006"]
    assert ahead["account"] == "cs-college" and "不要删除锚点" in ahead["message"] and "refs/wxpub/ledger" in ahead["message"]
    # the publisher refuses on the very same thing
    article(root, "2026-11-05-third", "第三次群发", MASS)
    assert publish(root, sandbox, capsys, DAYS[3])[0] == 2
    git(root, "update-ref", SANDBOX_LEDGER_REF, full)  # pushed back: they agree again
    assert _disagreements(root, sandbox, capsys) == (0, [])


def test_status_verify_reports_an_anchor_edited_by_hand(tmp_path: Path, sandbox: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一次群发", MASS)
    sent(root, sandbox, capsys, DAYS[0])
    wechat = client(root, sandbox, "cs-college")
    [listed] = anchor.anchors(wechat.drafts())
    edited = anchor.article("not-a-commit", 1, listed.thumb_media_id)
    wechat.update_draft(listed.media_id, 0, edited)
    code, found = _disagreements(root, sandbox, capsys)
    assert code == 1 and [d["code"] for d in found] == ["DRIFT007"], found
