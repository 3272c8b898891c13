"""Retraction (R15) and rejection, exactly once: one article of a multi-article message goes,
its siblings stay; a retraction is recorded only once WeChat confirmed it; a rejected version
waits for a content change. Real Git, the sandbox, publishers as processes killed mid-way."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from pipeline.commands.publish import SANDBOX_LEDGER_REF
from pipeline.ledger import Entry, Ledger
from pipeline.records import Step
from tests.testing.fixtures import commit_all, http
from tests.testing.publishing import forget_anchors, world
from tests.testing.publishing import (
    NEXT_LUNCH, TITLES, KillPoint, article_path, assert_exactly_once, finish, kill_at, make_world_repo,
    publisher, settle,
)

CHOIR = article_path("youth", "2026-10-24-choir")
VOLUNTEER = article_path("youth", "2026-10-23-volunteer")
CAMP = article_path("youth", "2026-10-22-camp")
LIBRARY = article_path("official", "2026-10-22-library")
SPORTS_DAY = article_path("official", "2026-10-20-sports-day")
ART_SHOW = article_path("official", "2026-10-21-art-show")
LECTURE = article_path("cs-college", "2026-10-22-lecture")


@pytest.fixture
def published(tmp_path: Path, sandbox: str) -> Path:
    """The world, all of it out (3 published, 2 mass-sent, 3 in one draft)."""
    repo = make_world_repo(tmp_path)
    code, _, err = finish(publisher(repo, sandbox))
    assert code == 0, err
    return repo


def retract(repo: Path, path: str) -> None:
    index = repo / path
    index.write_text(index.read_text(encoding="utf-8").replace("\n---\n", "\nretracted: true\n---\n", 1), encoding="utf-8")
    commit_all(repo, f"retract {path}")




def remaining_titles(*gone_titles: str) -> dict[str, str]:
    return {t: a for t, a in TITLES.items() if t not in gone_titles}


def test_retracting_one_article_of_a_draft_keeps_its_siblings(published: Path, sandbox: str) -> None:
    before = [d["articles"] for d in world(sandbox)["drafts"]]
    assert [[a["title"] for a in d] for d in before] == [["暑期夏令营招募", "志愿者招募", "合唱团招新"]]
    retract(published, VOLUNTEER)
    code, report, err = finish(publisher(published, sandbox, now=NEXT_LUNCH))
    assert code == 0, err
    assert [i["path"] for i in report["retracted"]] == [VOLUNTEER]
    [draft] = world(sandbox)["drafts"]
    assert [a["title"] for a in draft["articles"]] == ["暑期夏令营招募", "合唱团招新"]
    # The siblings are the very articles WeChat held (content kept), with a new attempt marker
    assert draft["articles"][0]["content"].replace(_mark(draft["articles"][0]), "") == \
        before[0][0]["content"].replace(_mark(before[0][0]), "")
    ledger = Ledger.open(published, ref=SANDBOX_LEDGER_REF)
    out = {e.path: e for e in ledger.published()}
    assert VOLUNTEER not in out
    assert (out[CAMP].data["media_id"], out[CAMP].data["index"]) == (draft["media_id"], 1)
    assert (out[CHOIR].data["media_id"], out[CHOIR].data["index"]) == (draft["media_id"], 2)
    assert_exactly_once(published, sandbox, titles=remaining_titles("志愿者招募"))
    assert settle(published, sandbox, now=NEXT_LUNCH)[-1]["retracted"] == []


def _mark(article: dict[str, Any]) -> str:
    content = article["content"]
    start = content.index(' data-wxpub="')
    return content[start:content.index('"', start + len(' data-wxpub="')) + 1]


REBUILD_POINTS = [KillPoint("call", "draft/add", 1, "before"), KillPoint("call", "draft/add", 1, "after"),
                  KillPoint("call", "draft/delete", 1, "before"), KillPoint("call", "draft/delete", 1, "after"),
                  KillPoint("write", "", 1, "prepared"), KillPoint("write", "", 1, "committed"),
                  KillPoint("write", "", 2, "prepared"), KillPoint("write", "", 2, "committed"),
                  KillPoint("write", "", 3, "prepared"), KillPoint("write", "", 3, "committed"),
                  KillPoint("write", "", 4, "prepared")]


@pytest.mark.parametrize("point", REBUILD_POINTS, ids=lambda p: p.name)
def test_a_draft_rebuild_killed_anywhere_ends_with_one_draft(published: Path, sandbox: str, tmp_path: Path,
                                                              point: KillPoint) -> None:
    retract(published, VOLUNTEER)  # the retraction run writes: retracting, draft_rebuilding, draft_rebuilt, retracted
    assert kill_at(published, sandbox, point, tmp_path, now=NEXT_LUNCH), point.name
    settle(published, sandbox, now=NEXT_LUNCH)
    [draft] = world(sandbox)["drafts"]
    assert [a["title"] for a in draft["articles"]] == ["暑期夏令营招募", "合唱团招新"]
    assert_exactly_once(published, sandbox, titles=remaining_titles("志愿者招募"))


@pytest.mark.parametrize(("path", "endpoint", "table", "title"), [
    (LIBRARY, "freepublish/delete", "publications", "图书馆延长开放时间"),
    (LECTURE, "message/mass/delete", "mass_sends", "人工智能讲座预告"),
], ids=["published", "mass_sent"])
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_retraction_killed_at_its_delete_removes_only_its_index(published: Path, sandbox: str, tmp_path: Path,
                                                                   path: str, endpoint: str, table: str, title: str,
                                                                   when: str) -> None:
    retract(published, path)
    assert kill_at(published, sandbox, KillPoint("call", endpoint, 1, when), tmp_path, now=NEXT_LUNCH)
    reports = settle(published, sandbox, now=NEXT_LUNCH)
    assert [i["path"] for i in reports[0]["retracted"]] == [path]
    [message] = world(sandbox)[table]
    assert [a["is_deleted"] for a in message["articles"]] == [a["title"] == title for a in message["articles"]]
    assert Ledger.open(published, ref=SANDBOX_LEDGER_REF).state().retractions == {}
    assert_exactly_once(published, sandbox, titles=remaining_titles(title))


def test_a_retraction_wechat_did_not_confirm_is_not_recorded(published: Path, sandbox: str) -> None:
    retract(published, LIBRARY)
    http(sandbox + "/sandbox/faults", {"endpoint": "freepublish/delete", "nth": 1, "errcode": -1})
    code, report, err = finish(publisher(published, sandbox, now=NEXT_LUNCH))
    assert code == 1 and not report["retracted"]
    ledger = Ledger.open(published, ref=SANDBOX_LEDGER_REF)
    assert LIBRARY in {e.path for e in ledger.published()}  # still out, as WeChat says
    assert not [e for e in ledger.entries if e.step == Step.RETRACTED]
    code, report, err = finish(publisher(published, sandbox, now=NEXT_LUNCH))  # the next run finishes it
    assert code == 0 and [i["path"] for i in report["retracted"]] == [LIBRARY], err
    assert [a["is_deleted"] for a in world(sandbox)["publications"][0]["articles"]] == [False, False, True]


def test_retracting_a_mass_sent_article_deletes_its_index(published: Path, sandbox: str) -> None:
    retract(published, LECTURE)
    code, report, err = finish(publisher(published, sandbox, now=NEXT_LUNCH))
    assert code == 0 and [i["path"] for i in report["retracted"]] == [LECTURE], err
    [send] = world(sandbox)["mass_sends"]
    assert [a["is_deleted"] for a in send["articles"]] == [False, True]


def test_deleting_every_article_of_a_draft_deletes_the_draft(published: Path, sandbox: str) -> None:
    for path in (CAMP, VOLUNTEER, CHOIR):
        shutil.rmtree((published / path).parent)
    commit_all(published, "remove the youth articles")
    code, report, err = finish(publisher(published, sandbox, now=NEXT_LUNCH))
    assert code == 0, err
    assert sorted(i["path"] for i in report["retracted"]) == sorted([CAMP, VOLUNTEER, CHOIR])
    assert world(sandbox)["drafts"] == []


def test_a_rejected_version_waits_for_a_content_change(tmp_path: Path, sandbox: str) -> None:
    """Platform review refuses the first article of the official message (fail_idx [1]): that
    version waits for a change; its two siblings, which WeChat did not name, go on the next run."""
    repo = make_world_repo(tmp_path)
    http(sandbox + "/sandbox/faults", {"publish_fail": {"status": 4, "fail_idx": [1]}})
    code, report, _ = finish(publisher(repo, sandbox))
    assert code == 1 and [i["path"] for i in report["failed"] if "审核拒绝" in i["message"]] == [SPORTS_DAY]
    submits = world(sandbox)["calls"]["freepublish/submit"]
    code, report, _ = finish(publisher(repo, sandbox, now=NEXT_LUNCH))
    assert code == 1 and world(sandbox)["calls"]["freepublish/submit"] == submits + 1  # the siblings only
    assert sorted(i["path"] for i in report["published"]) == [ART_SHOW, LIBRARY]
    assert [i["path"] for i in report["failed"]] == [SPORTS_DAY]
    assert "修改文章后才会重新提交" in report["failed"][0]["message"]
    index = repo / SPORTS_DAY
    index.write_text(index.read_text(encoding="utf-8") + "\n补充说明。\n", encoding="utf-8")
    commit_all(repo, "edit after the rejection")
    code, report, _ = finish(publisher(repo, sandbox, now=NEXT_LUNCH))
    assert [i["path"] for i in report["published"]] == [SPORTS_DAY]  # only the changed one
    assert len(world(sandbox)["publications"]) == 3


def test_a_version_1_message_left_half_recorded_is_completed(tmp_path: Path, sandbox: str) -> None:
    """A ledger written by the previous wxpub (no claims, one commit per final line) that was
    killed between two articles' final lines: the rest is recorded, nothing is sent again."""
    repo = make_world_repo(tmp_path)
    code, _, err = finish(publisher(repo, sandbox))
    assert code == 0, err
    ledger = Ledger.open(repo, ref=SANDBOX_LEDGER_REF)
    v2 = ledger.entries
    official = [e for e in v2 if e.account == "official"]
    batch = next(e.data["batch"] for e in official if e.step == "message_started")
    claim = next(e for e in official if e.step == "message_started")
    finals = [e for e in official if e.step == "published"]
    as_v1 = [Entry(at=e.at, run="old-run", step=e.step, account=e.account, path=e.path, content_hash=e.content_hash,
                   commit=e.commit, data=dict(e.data), v=1) for e in official
             if e.step in ("cover_uploaded", "image_uploaded", "draft_added", "submitting", "submitted")]
    draft_adding = Entry(at=claim.at, run="old-run", step="draft_adding", account="official", commit=claim.commit,
                         data={"batch": batch, "paths": [a["path"] for a in claim.data["articles"]],
                               "hashes": [a["content_hash"] for a in claim.data["articles"]],
                               "markers": [], "approved_by": [[], [], []]}, v=1)
    first_final = Entry(at=finals[0].at, run="old-run", step="published", account="official", path=finals[0].path,
                        content_hash=finals[0].content_hash, commit=finals[0].commit, data=dict(finals[0].data), v=1)
    # Rewrite history as the old wxpub would have left it (a test may; wxpub never does); that
    # wxpub kept no ledger anchor in WeChat
    forget_anchors(repo, sandbox)
    others = [e for e in v2 if e.account != "official"]
    import subprocess
    subprocess.run(["git", "-C", str(repo), "update-ref", "-d", SANDBOX_LEDGER_REF], check=True)
    fresh = Ledger.open(repo, ref=SANDBOX_LEDGER_REF)
    fresh.append(draft_adding, *as_v1, first_final, *others)
    calls_before = dict(world(sandbox)["calls"])
    code, report, err = finish(publisher(repo, sandbox))
    assert code == 0, err
    assert sorted(i["path"] for i in report["published"]) == sorted(e.path for e in finals[1:])
    calls = world(sandbox)["calls"]
    assert calls.get("freepublish/submit") == calls_before.get("freepublish/submit")  # nothing sent again
    assert_exactly_once(repo, sandbox)
