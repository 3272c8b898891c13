"""An attack on move detection (publish.find_moves), aimed at both promises: a missed move
sends the piece to every follower a second time; a false move keeps a new article from ever
going out and a withdrawn one online. The real publisher in-process through the CLI, real Git
repositories, the WeChat sandbox over HTTP; `status --verify` must agree with every outcome.
An attack that still succeeds is a strict xfail naming the defect; the rest guard regressions."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline.content import Article, load_article
from pipeline.ledger import Entry, Ledger
from pipeline.commands.publish import SANDBOX_LEDGER_REF
from pipeline.messages import Publication
from pipeline.publish import SAME_FOLDER_LIKENESS, _bigrams, _counted, _dice, _features, _rarest, find_moves
from pipeline.snapshot import WorkTree
from tests.testing.fixtures import PROJECT, commit_all, git, http, jpeg_bytes, make_repo, run_cli, write_article
from tests.testing.publishing import (
    POLICY, KillPoint, article_at, by_status, bundle_index, kill_at, live_copies, piece_likeness, verify, world,
)

DAYS = [f"2026-11-{day} 12:30" for day in range(20, 30)]

SPORTS = ("今天上午,学校秋季运动会在东操场隆重开幕,全校师生参加了开幕式。校长在开幕式上致辞,"
          "希望同学们赛出风格、赛出水平。本届运动会共设田径、球类和趣味项目三十余项,"
          "两千余名学生报名参赛。开幕式后,男子一百米预赛率先开赛,看台上加油声此起彼伏。"
          "运动会将持续三天,闭幕式定于周五下午举行,届时将为获奖班级和个人颁奖。\n")
EAST = SPORTS.replace("学校", "东校区")
WEST = SPORTS.replace("学校", "西校区").replace("东操场", "西操场")  # the other campus's version: 0.97 alike


def publish(root: Path, capsys: pytest.CaptureFixture[str], sandbox: str, now: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", now, "--format", "json")
    assert out, err
    return code, json.loads(out)


def published_ok(root: Path, capsys: pytest.CaptureFixture[str], sandbox: str, now: str) -> dict[str, set[str]]:
    code, report = publish(root, capsys, sandbox, now)
    assert code == 0 and not report["failed"], report
    return by_status(report)


def remove(root: Path, account: str, department: str, slug: str) -> None:
    shutil.rmtree(root / "content" / account / department / slug)


# -- pairing: the most alike pair first, not the first that passes -----------------------------

def test_a_moved_article_and_its_other_campus_twin_added_in_the_same_commit(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The east campus's report moves to the school office's folder (slug typo fixed); the
    same commit adds the west campus's version, 0.97 alike and sorted first. First-match
    pairing took the west one for the move (never published) and sent the east one again."""
    assert piece_likeness(EAST, WEST) > 0.9
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-sprots-east", front_matter={"title": "东校区运动会开幕"}, body=EAST)
    commit_all(root, "east")
    assert published_ok(root, capsys, sandbox, DAYS[0])["published"]

    remove(root, "official", "publicity", "2026-11-20-sprots-east")
    write_article(root, department="school-office", slug="2026-11-20-sports-east",
                  front_matter={"title": "东校区运动会开幕"}, body=EAST)
    write_article(root, slug="2026-11-20-sports-west", front_matter={"title": "西校区运动会开幕"}, body=WEST)
    commit_all(root, "east moved to the school office; west added")
    statuses = published_ok(root, capsys, sandbox, DAYS[1])
    assert statuses.get("moved") == {bundle_index("official", "school-office", "2026-11-20-sports-east")}, statuses
    assert statuses.get("published") == {bundle_index("official", "publicity", "2026-11-20-sports-west")}, statuses
    assert not statuses.get("retracted"), statuses
    assert live_copies(sandbox) == ["东校区运动会开幕", "西校区运动会开幕"]
    assert verify(root, sandbox, capsys) == []


def test_two_alike_articles_both_moved_keep_their_own_publications(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Both campuses' reports renamed at once: each new folder is the move of its own
    publication, so `retracted: true` in the west one takes down the west one, not the east."""
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-z-sports-east", front_matter={"title": "东校区运动会开幕"}, body=EAST)
    write_article(root, slug="2026-11-20-z-sports-west", front_matter={"title": "西校区运动会开幕"}, body=WEST)
    commit_all(root, "both campuses")
    assert len(published_ok(root, capsys, sandbox, DAYS[0])["published"]) == 2

    remove(root, "official", "publicity", "2026-11-20-z-sports-east")
    remove(root, "official", "publicity", "2026-11-20-z-sports-west")
    # renamed, the west one sorted first, each with a word fixed
    write_article(root, slug="2026-11-20-a-west-sports", front_matter={"title": "西校区运动会开幕"},
                  body=WEST.replace("开幕式后", "开幕式结束后"))
    write_article(root, slug="2026-11-20-b-east-sports", front_matter={"title": "东校区运动会开幕"},
                  body=EAST.replace("开幕式后", "开幕式结束后"))
    commit_all(root, "both renamed")
    statuses = published_ok(root, capsys, sandbox, DAYS[1])
    assert len(statuses.get("moved", ())) == 2 and not statuses.get("published"), statuses

    index = root / "content/official/publicity/2026-11-20-a-west-sports/index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("---\n", "---\nretracted: true\n", 1), encoding="utf-8")
    commit_all(root, "the west one taken down")
    statuses = published_ok(root, capsys, sandbox, DAYS[2])
    assert statuses.get("retracted") == {bundle_index("official", "publicity", "2026-11-20-z-sports-west")}, statuses
    assert live_copies(sandbox) == ["东校区运动会开幕"]
    assert verify(root, sandbox, capsys) == []


# -- what counts as alike: what a reader sees, and the photos ----------------------------------

GALLERY = "\n\n".join(f"![]({n}.jpg)" for n in range(1, 5)) + "\n"


def photos(shade: int) -> dict[str, bytes]:
    return {f"{n}.jpg": jpeg_bytes(600, 400, color=(shade, 20 * n, 90)) for n in range(1, 5)}


def test_a_new_photo_gallery_written_like_the_old_one_is_published(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Two galleries share every character of their Markdown (`![](1.jpg)`...) and differ in
    their photos and title: the Markdown alone scored them 0.92, the new gallery was taken for
    a renamed move, never published, and the deleted one stayed online."""
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-sports-photos", front_matter={"title": "运动会精彩瞬间"}, body=GALLERY,
                  files=photos(10))
    commit_all(root, "sports day photos")
    assert published_ok(root, capsys, sandbox, DAYS[0])["published"]

    remove(root, "official", "publicity", "2026-11-20-sports-photos")
    write_article(root, slug="2026-11-21-art-photos", front_matter={"title": "艺术节精彩瞬间"}, body=GALLERY,
                  files={**photos(200), "cover.jpg": jpeg_bytes(color=(200, 40, 40))})
    commit_all(root, "the sports photos withdrawn; the art festival's")
    statuses = published_ok(root, capsys, sandbox, DAYS[1])
    assert statuses.get("published") == {bundle_index("official", "publicity", "2026-11-21-art-photos")}, statuses
    assert statuses.get("retracted") == {bundle_index("official", "publicity", "2026-11-20-sports-photos")}, statuses
    assert live_copies(sandbox) == ["艺术节精彩瞬间"]
    assert verify(root, sandbox, capsys) == []


def test_a_gallery_moved_with_its_photos_is_still_a_move(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-sports-photso", front_matter={"title": "运动会精彩瞬间"}, body=GALLERY,
                  files=photos(10))
    commit_all(root, "photos")
    assert published_ok(root, capsys, sandbox, DAYS[0])["published"]
    remove(root, "official", "publicity", "2026-11-20-sports-photso")
    write_article(root, department="school-office", slug="2026-11-20-sports-photos",
                  front_matter={"title": "运动会精彩瞬间"}, body=GALLERY, files=photos(10))
    commit_all(root, "another department's folder, slug fixed")
    statuses = published_ok(root, capsys, sandbox, DAYS[1])
    assert statuses.get("moved") == {bundle_index("official", "school-office", "2026-11-20-sports-photos")}, statuses
    assert live_copies(sandbox) == ["运动会精彩瞬间"]
    assert verify(root, sandbox, capsys) == []


def test_a_same_named_folder_with_the_same_generic_title_and_another_text_is_a_new_article(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The title alone made a same-named folder the same piece: 通知 is every other notice's
    title. Publicity withdraws its notice; the school office posts its own under the same
    folder name: it was never published, and the withdrawn one stayed online."""
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-notice", front_matter={"title": "通知"},
                  body="因天气原因,原定本周六举行的秋季运动会延期至下周六举行,各班做好相应安排。\n")
    commit_all(root, "publicity's notice")
    assert published_ok(root, capsys, sandbox, DAYS[0])["published"]
    remove(root, "official", "publicity", "2026-11-20-notice")
    write_article(root, department="school-office", slug="2026-11-20-notice", front_matter={"title": "通知"},
                  body="期末考试将于一月上旬举行,考试安排见教务系统,请同学们提前做好复习准备。\n")
    commit_all(root, "withdrawn; the school office's own notice")
    statuses = published_ok(root, capsys, sandbox, DAYS[1])
    assert statuses.get("published") == {bundle_index("official", "school-office", "2026-11-20-notice")}, statuses
    assert statuses.get("retracted") == {bundle_index("official", "publicity", "2026-11-20-notice")}, statuses
    assert verify(root, sandbox, capsys) == []


SHORT = "请各单位做好安排。\n"


def test_a_one_line_article_moved_is_a_move_and_another_one_line_notice_is_not(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A few characters of text: the cover decides as much as the title."""
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-holiday", front_matter={"title": "国庆放假通知"}, body=SHORT)
    commit_all(root, "title only")
    assert published_ok(root, capsys, sandbox, DAYS[0])["published"]
    remove(root, "official", "publicity", "2026-11-20-holiday")
    write_article(root, department="school-office", slug="2026-11-20-national-holiday",
                  front_matter={"title": "国庆放假通知"}, body=SHORT)
    commit_all(root, "moved and renamed")
    assert published_ok(root, capsys, sandbox, DAYS[1]).get("moved") == {
        bundle_index("official", "school-office", "2026-11-20-national-holiday")}

    remove(root, "official", "school-office", "2026-11-20-national-holiday")
    write_article(root, department="school-office", slug="2026-11-21-holiday", front_matter={"title": "元旦放假通知"},
                  body=SHORT, files={"cover.jpg": jpeg_bytes(color=(220, 30, 30))})
    commit_all(root, "another holiday's notice in its place")
    statuses = published_ok(root, capsys, sandbox, DAYS[2])
    assert statuses.get("published") == {bundle_index("official", "school-office", "2026-11-21-holiday")}, statuses
    assert statuses.get("retracted") == {bundle_index("official", "publicity", "2026-11-20-holiday")}, statuses
    assert live_copies(sandbox) == ["元旦放假通知"]
    assert verify(root, sandbox, capsys) == []


# -- moves over several commits ------------------------------------------------------------------

def test_moved_twice_and_back_is_published_once(tmp_path: Path, sandbox: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-sports", front_matter={"title": "秋季运动会开幕"}, body=SPORTS)
    commit_all(root, "article")
    assert published_ok(root, capsys, sandbox, DAYS[0])["published"]
    steps = [("school-office", "2026-11-20-sports"), ("school-office", "2026-11-20-sports-day"),
             ("publicity", "2026-11-20-sports")]
    where = ("publicity", "2026-11-20-sports")
    for day, (department, slug) in enumerate(steps, 1):
        (root / "content/official" / department).mkdir(parents=True, exist_ok=True)
        git(root, "mv", f"content/official/{where[0]}/{where[1]}", f"content/official/{department}/{slug}")
        index = root / "content/official" / department / slug / "index.md"
        index.write_text(index.read_text(encoding="utf-8").replace(f"department: {where[0]}", f"department: {department}"),
                         encoding="utf-8")
        where = (department, slug)
        commit_all(root, f"moved to {department}/{slug}")
        statuses = published_ok(root, capsys, sandbox, DAYS[day])
        assert not statuses.get("published") and not statuses.get("retracted"), (where, statuses)
        back_home = where == ("publicity", "2026-11-20-sports")
        assert statuses.get("moved", set()) == (set() if back_home else {bundle_index("official", *where)}), statuses
        assert verify(root, sandbox, capsys) == []
    assert live_copies(sandbox) == ["秋季运动会开幕"]


def test_edits_after_a_move_never_send_it_again_without_republish(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-sprots", front_matter={"title": "秋季运动会开幕"}, body=SPORTS)
    commit_all(root, "article")
    assert published_ok(root, capsys, sandbox, DAYS[0])["published"]
    git(root, "mv", "content/official/publicity/2026-11-20-sprots", "content/official/publicity/2026-11-20-sports")
    commit_all(root, "slug fixed")
    assert published_ok(root, capsys, sandbox, DAYS[1]).get("moved")
    sentences = SPORTS.split("。")
    for day, rewritten in enumerate(range(1, len(sentences) - 1), 2):  # one sentence rewritten per commit
        sentences[rewritten] = "补充说明:" + sentences[rewritten][::-1]
        write_article(root, slug="2026-11-20-sports", front_matter={"title": "秋季运动会开幕"}, body="。".join(sentences))
        commit_all(root, f"edit {rewritten}")
        statuses = published_ok(root, capsys, sandbox, DAYS[day])
        assert not statuses.get("published") and not statuses.get("retracted"), (rewritten, statuses)
    assert live_copies(sandbox) == ["秋季运动会开幕"]
    assert verify(root, sandbox, capsys) == []
    moves = [e for e in Ledger.open(root, ref=SANDBOX_LEDGER_REF).entries if e.step == "moved"]
    assert [(e.path, e.data["to"]) for e in moves] == [  # recorded once, at the run that recognised it
        ("content/official/publicity/2026-11-20-sprots/index.md", "content/official/publicity/2026-11-20-sports/index.md")]
    assert piece_likeness(SPORTS, "。".join(sentences)) < SAME_FOLDER_LIKENESS  # long past what likeness alone would hold

    # The edited piece goes out as a new version only when the editor says so
    write_article(root, slug="2026-11-20-sports", front_matter={"title": "秋季运动会开幕", "republish": True},
                  body="。".join(sentences))
    commit_all(root, "republish the rewritten piece")
    statuses = published_ok(root, capsys, sandbox, DAYS[-1])
    assert statuses.get("published") == {bundle_index("official", "publicity", "2026-11-20-sports")}, statuses
    assert statuses.get("retracted") == {bundle_index("official", "publicity", "2026-11-20-sprots")}, statuses


def test_a_dry_run_records_no_move(tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-sprots", front_matter={"title": "秋季运动会开幕"}, body=SPORTS)
    commit_all(root, "article")
    assert published_ok(root, capsys, sandbox, DAYS[0])["published"]
    git(root, "mv", "content/official/publicity/2026-11-20-sprots", "content/official/publicity/2026-11-20-sports")
    commit_all(root, "slug fixed")
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", DAYS[1], "--dry-run",
                             "--format", "json")
    assert code == 0, err
    assert [e for e in Ledger.open(root, ref=SANDBOX_LEDGER_REF).entries if e.step == "moved"] == []
    assert published_ok(root, capsys, sandbox, DAYS[1]).get("moved")
    assert published_ok(root, capsys, sandbox, DAYS[2]).get("moved")  # recognised again, recorded once
    assert len([e for e in Ledger.open(root, ref=SANDBOX_LEDGER_REF).entries if e.step == "moved"]) == 1


# -- modes, accounts, flags ---------------------------------------------------------------------

def test_a_draft_mode_article_moved_beside_an_unrelated_new_one(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, account="youth", department="youth-league", slug="2026-11-20-volunteer-camp",
                  front_matter={"title": "志愿者招募", "category": "学生活动"}, body=SPORTS)
    commit_all(root, "draft")
    assert published_ok(root, capsys, sandbox, DAYS[0])["published"]
    remove(root, "youth", "youth-league", "2026-11-20-volunteer-camp")
    write_article(root, account="youth", department="student-union", slug="2026-11-20-volunteers",
                  front_matter={"title": "志愿者招募", "category": "学生活动"}, body=SPORTS.replace("三十余项", "三十多项"))
    write_article(root, account="youth", department="youth-league", slug="2026-11-21-choir",
                  front_matter={"title": "合唱团招新", "category": "学生活动"},
                  body="校合唱团面向全校招收新团员,欢迎热爱音乐的同学报名,面试时间另行通知。\n",
                  files={"cover.jpg": jpeg_bytes(color=(10, 200, 10))})
    commit_all(root, "moved to the student union, slug shortened; and a new one")
    statuses = published_ok(root, capsys, sandbox, DAYS[1])
    assert statuses.get("moved") == {bundle_index("youth", "student-union", "2026-11-20-volunteers")}, statuses
    assert statuses.get("published") == {bundle_index("youth", "youth-league", "2026-11-21-choir")}, statuses
    assert not statuses.get("retracted"), statuses
    assert live_copies(sandbox) == ["合唱团招新", "志愿者招募"]
    assert verify(root, sandbox, capsys) == []


def test_a_mass_sent_article_renamed_with_its_title_reworded_reaches_followers_once(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, account="cs-college", department="cs-college", slug="2026-11-20-sports-mtg",
                  front_matter={"title": "学院运动会动员", "category": "学生活动"}, body=SPORTS)
    commit_all(root, "mass")
    assert published_ok(root, capsys, sandbox, DAYS[0])["published"]
    remove(root, "cs-college", "cs-college", "2026-11-20-sports-mtg")
    write_article(root, account="cs-college", department="cs-college", slug="2026-11-20-sports-meeting",
                  front_matter={"title": "学院运动会动员大会", "category": "学生活动"},
                  body=SPORTS.replace("开幕式后", "开幕式结束后"))
    commit_all(root, "slug spelled out, title completed, a phrase fixed")
    http(sandbox.rstrip("/") + "/sandbox/clock", {"advance": 86400})
    statuses = published_ok(root, capsys, sandbox, DAYS[1])
    assert statuses.get("moved") == {bundle_index("cs-college", "cs-college", "2026-11-20-sports-meeting")}, statuses
    assert not statuses.get("published") and not statuses.get("retracted"), statuses
    assert [send["status"] for send in world(sandbox)["mass_sends"]] != ["DELETE"]
    assert len(world(sandbox)["mass_sends"]) == 1
    assert verify(root, sandbox, capsys) == []


def test_an_article_moved_to_another_account_goes_to_that_accounts_followers(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Another account is another audience: published there, retracted from the first."""
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, account="youth", department="youth-league", slug="2026-11-20-sports",
                  front_matter={"title": "秋季运动会开幕", "category": "学生活动"}, body=SPORTS)
    commit_all(root, "youth")
    assert published_ok(root, capsys, sandbox, DAYS[0])["published"]
    remove(root, "youth", "youth-league", "2026-11-20-sports")
    write_article(root, slug="2026-11-20-sports", front_matter={"title": "秋季运动会开幕"}, body=SPORTS)
    commit_all(root, "to the school's account")
    statuses = published_ok(root, capsys, sandbox, DAYS[1])
    assert statuses.get("published") == {bundle_index("official", "publicity", "2026-11-20-sports")}, statuses
    assert statuses.get("retracted") == {bundle_index("youth", "youth-league", "2026-11-20-sports")}, statuses
    assert verify(root, sandbox, capsys) == []


def test_a_moved_article_marked_republish_goes_out_as_a_new_version(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-sprots", front_matter={"title": "秋季运动会开幕"}, body=SPORTS)
    commit_all(root, "article")
    assert published_ok(root, capsys, sandbox, DAYS[0])["published"]
    remove(root, "official", "publicity", "2026-11-20-sprots")
    write_article(root, slug="2026-11-20-sports", front_matter={"title": "秋季运动会开幕", "republish": True}, body=SPORTS)
    commit_all(root, "renamed, as a new version")
    statuses = published_ok(root, capsys, sandbox, DAYS[1])
    assert statuses.get("published") == {bundle_index("official", "publicity", "2026-11-20-sports")}, statuses
    assert statuses.get("retracted") == {bundle_index("official", "publicity", "2026-11-20-sprots")}, statuses
    assert verify(root, sandbox, capsys) == []


# -- a move while its publication is still under way ---------------------------------------------

def test_an_article_moved_while_its_message_is_in_flight_waits_for_it(tmp_path: Path, sandbox: str,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A runner was killed after freepublish/submit took effect, its lease not over; the editor
    then fixed the slug. The next run left the live message alone and published the renamed
    folder as a new article: once the message's takeover completed it, the piece was out twice."""
    from tests.testing.publishing import finish, publisher

    lease = 45.0
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-sprots", front_matter={"title": "秋季运动会开幕"}, body=SPORTS)
    commit_all(root, "article")
    assert kill_at(root, sandbox, KillPoint("call", "freepublish/submit", 1, "after"), tmp_path, "--lease", str(lease),
                   now=DAYS[0])
    killed = time.monotonic()
    git(root, "mv", "content/official/publicity/2026-11-20-sprots", "content/official/publicity/2026-11-20-sports")
    commit_all(root, "slug fixed")
    code, report, err = finish(publisher(root, sandbox, now=DAYS[0].replace("12:30", "12:40")))
    assert time.monotonic() - killed < lease, "the run came after the lease: it proved nothing"
    statuses = by_status(report)
    assert code == 0 and not statuses.get("published") and not statuses.get("failed"), (report, err)
    assert bundle_index("official", "publicity", "2026-11-20-sports") in statuses.get("queued", set()), report

    time.sleep(max(0.0, lease + 1 - (time.monotonic() - killed)))  # the lease is over: the next run takes over
    code, report, err = finish(publisher(root, sandbox, now=DAYS[0].replace("12:30", "12:50")))
    statuses = by_status(report)
    assert code == 0 and statuses.get("moved") == {bundle_index("official", "publicity", "2026-11-20-sports")}, report
    assert not statuses.get("retracted"), report
    assert [a["title"] for p in world(sandbox)["publications"] for a in p["articles"]] == ["秋季运动会开幕"]
    assert verify(root, sandbox, capsys) == []


# -- a shallow clone ------------------------------------------------------------------------------

def shallow_clone(origin: Path, tmp_path: Path) -> Path:
    """A clone of origin's last two commits (the ledger's newest commit among them) and its ledger."""
    shallow = tmp_path / "shallow"
    if shallow.exists():
        shutil.rmtree(shallow)
    git(tmp_path, "clone", "-q", "--depth", "2", f"file://{origin}", str(shallow))
    git(shallow, "fetch", "-q", "origin", "refs/wxpub/sandbox-ledger:refs/wxpub/sandbox-ledger")
    shutil.copytree(origin / ".wxpub", shallow / ".wxpub", dirs_exist_ok=True)
    return shallow


def test_a_shallow_clone_is_refused_only_where_a_renamed_move_is_possible_and_says_why(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    origin = make_repo(tmp_path, policies=POLICY)
    write_article(origin, slug="2026-11-20-sports", front_matter={"title": "秋季运动会开幕"}, body=SPORTS)
    write_article(origin, account="cs-college", department="cs-college", slug="2026-11-20-lecture",
                  front_matter={"title": "人工智能讲座预告", "category": "学生活动"},
                  body="本周五下午在图书馆报告厅举行人工智能讲座,欢迎同学们参加。\n")
    commit_all(origin, "two accounts: their publications name this commit")
    assert len(published_ok(origin, capsys, sandbox, DAYS[0])["published"]) == 2
    write_article(origin, slug="2026-11-21-library", front_matter={"title": "图书馆开放时间"},
                  files={"cover.jpg": jpeg_bytes(color=(0, 0, 0))})
    commit_all(origin, "another article: the ledger's newest commit")
    assert published_ok(origin, capsys, sandbox, DAYS[1])["published"]
    remove(origin, "cs-college", "cs-college", "2026-11-20-lecture")
    write_article(origin, slug="2026-11-22-canteen", front_matter={"title": "食堂延长供餐时间"},
                  body="即日起第二食堂晚餐供应时间延长至二十点。\n", files={"cover.jpg": jpeg_bytes(color=(0, 120, 0))})
    commit_all(origin, "the lecture withdrawn; an article of another account")
    shallow = shallow_clone(origin, tmp_path)
    # the gone article's account has no new article: nothing to compare, nothing refused
    statuses = published_ok(shallow, capsys, sandbox, DAYS[2])
    assert statuses.get("published") == {bundle_index("official", "publicity", "2026-11-22-canteen")}, statuses
    assert statuses.get("retracted") == {bundle_index("cs-college", "cs-college", "2026-11-20-lecture")}, statuses

    git(origin, "fetch", "-q", str(shallow), "+refs/wxpub/sandbox-ledger:refs/wxpub/sandbox-ledger")
    remove(origin, "official", "publicity", "2026-11-20-sports")
    write_article(origin, slug="2026-11-23-sports-day", front_matter={"title": "秋季运动会开幕"},
                  body=SPORTS.replace("开幕式后", "开幕式结束后"))
    commit_all(origin, "renamed, a phrase fixed: only the published text can tell it from a new article")
    shallow = shallow_clone(origin, tmp_path)
    code, out, err = run_cli(shallow, capsys, "publish", "--sandbox-url", sandbox, "--now", DAYS[3], "--format", "json")
    assert code == 2, (out, err)
    assert "content/official/publicity/2026-11-20-sports/index.md" in err and "fetch-depth: 0" in err, err
    assert "同名" not in err and "改名" in err, err  # not only a same-named folder can be its move
    assert live_copies(sandbox) == ["图书馆开放时间", "秋季运动会开幕", "食堂延长供餐时间"]  # nothing half-way


# -- the likeness itself: the class, not the example ----------------------------------------------

def _sample(root: Path, department: str, slug: str, title: str, body: str, shade: int) -> Article:
    index = write_article(root, department=department, slug=slug, front_matter={"title": title}, body=body,
                          files={"cover.jpg": jpeg_bytes(color=(shade, 90, 160))})
    loaded = load_article(WorkTree(root), PurePosixPath(index.relative_to(root).as_posix()))
    assert isinstance(loaded, Article), loaded
    return loaded


@pytest.fixture(scope="module")
def crossed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Article], list[Article], dict[str, str]]]:
    """Published versions (by old path), their moves and near-twins, and the pairing expected."""
    root = make_repo(tmp_path_factory.mktemp("crossed"))
    north = SPORTS.replace("学校", "北校区").replace("东操场", "北操场")
    texts = {"east": ("东校区运动会开幕", EAST), "west": ("西校区运动会开幕", WEST), "north": ("北校区运动会开幕", north)}
    was: dict[str, Article] = {}
    now: list[Article] = []
    expected: dict[str, str] = {}
    for shade, (name, (title, body)) in enumerate(texts.items()):
        old = _sample(root, "publicity", f"2026-11-20-{name}", title, body, 40 * shade)
        was[str(old.path)] = old
        moved = _sample(root, "school-office", f"2026-11-20-{name}-sports", title,
                        body.replace("开幕式后", "开幕式结束后"), 40 * shade)
        now.append(moved)
        expected[str(old.path)] = str(moved.path)
    now.append(_sample(root, "info-center", "2026-11-21-south", "南校区运动会开幕",
                       SPORTS.replace("学校", "南校区"), 250))  # new: alike to all, the move of none
    yield was, now, expected


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_pairing_does_not_depend_on_the_order_articles_are_listed_in(
        crossed: tuple[dict[str, Article], list[Article], dict[str, str]], data: st.DataObject) -> None:
    was, now, expected = crossed
    gone_order = data.draw(st.permutations(sorted(was)))
    gone = {path: Publication(Entry(at="", run="r", step="published", account="official", path=path,
                                    content_hash=was[path].content_hash, commit="c"), "m", 1) for path in gone_order}
    articles = data.draw(st.permutations(now))
    assert find_moves(gone, articles, lambda publication: was[publication.path]) == expected


def test_likeness_stays_linear_on_huge_bodies(tmp_path: Path) -> None:
    unit = SPORTS * 40  # ~8,000 characters
    timings = []
    for size in (1, 8):
        text = unit * size
        first, second = (article_at(tmp_path, write_article(tmp_path, slug=f"2026-11-20-{size}-{n}", body=body))
                         for n, body in enumerate((text, text.replace("开幕式后", "开幕式结束后"))))
        started = time.perf_counter()
        _dice(_features(first), _features(second))
        timings.append(time.perf_counter() - started)
    assert timings[1] < timings[0] * 8 * 4 + 0.05, timings  # 8 times the text: about 8 times the time


def test_no_two_sample_articles_are_alike_by_what_the_publisher_compares() -> None:
    """The features find_moves compares (reader text and files), over the sample school."""
    articles = [load_article(WorkTree(PROJECT), PurePosixPath(p.relative_to(PROJECT).as_posix()))
                for p in sorted((PROJECT / "content").rglob("index.md"))]
    features = [_features(a) for a in articles if isinstance(a, Article)]
    assert len(features) >= 10
    closest = max(_dice(a, b) for i, a in enumerate(features) for b in features[i + 1:])
    assert closest < 0.17 < SAME_FOLDER_LIKENESS / 2, closest


SMALL = st.text(alphabet="春夏秋冬东西南北", min_size=0, max_size=60)


@settings(max_examples=400)
@given(first=SMALL, edits=st.lists(st.tuples(st.integers(0, 60), SMALL.map(lambda t: t[:2])), max_size=4),
       order=st.randoms(use_true_random=False))
def test_pairs_alike_enough_to_be_a_move_always_share_one_of_their_rarest_features(
        first: str, edits: list[tuple[int, str]], order: Any) -> None:
    """find_moves scores only pairs that share one of `_rarest` (prefix filtering): it must
    never leave out a pair at SAME_FOLDER_LIKENESS, whatever the order and the rounding."""
    second = first
    for at, text in edits:
        second = second[:at] + text + second[at + 1:]
    left, right = _counted(_bigrams(first)), _counted(_bigrams(second))
    assume(left and right and _dice(left, right) >= SAME_FOLDER_LIKENESS)
    ranks = {feature: order.random() for feature in left | right}
    assert set(_rarest(left, lambda f: (ranks[f], f))) & set(_rarest(right, lambda f: (ranks[f], f)))
