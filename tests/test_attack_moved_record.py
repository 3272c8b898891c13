"""An attack on the recorded move (the ledger's `moved` line, publish.find_moves `recorded`):
once written, a move pairs first whatever the new folder is edited into, so a record that
outlives the move, or that a forger or a race can bend, keeps a new article from ever going
out or sends the moved piece a second time. The real publisher in-process and as killed
processes, real Git repositories (a bare remote for --push), the WeChat sandbox over HTTP;
`status --verify` must agree with the publisher in every case."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.commands.publish import SANDBOX_LEDGER_REF
from pipeline.ledger import Entry, Ledger
from pipeline.messages import fold
from pipeline.records import read
from tests.testing.fixtures import commit_all, git, make_repo, run_cli, write_article
from tests.testing.publishing import (
    HOOK, POLICY, KillPoint, bundle_index, by_status, finish, kill_at, live_copies, publisher,
    share_sandbox_secrets, verify,
)

AFTER = "2026-11-20T06:00:00+00:00"  # a forged line, after the first run (DAYS[0], 04:30 UTC)
DAYS = [f"2026-11-{day} 12:30" for day in range(20, 30)]
SPORTS = ("今天上午,学校秋季运动会在东操场隆重开幕,全校师生参加了开幕式。校长在开幕式上致辞,"
          "希望同学们赛出风格、赛出水平。本届运动会共设田径、球类和趣味项目三十余项,"
          "两千余名学生报名参赛。开幕式后,男子一百米预赛率先开赛,看台上加油声此起彼伏。"
          "运动会将持续三天,闭幕式定于周五下午举行,届时将为获奖班级和个人颁奖。\n")
CHOIR = ("校合唱团面向全校招收新团员,欢迎热爱音乐的同学报名。面试分为视唱和练耳两部分,"
         "时间定于下周三下午四点,地点在艺术楼二层排练厅。入团后每周排练两次,"
         "学期末将参加全市中学生合唱比赛。报名请在本周五前将报名表交到艺术教研组。\n")
OLD = bundle_index("official", "publicity", "2026-11-20-sprots")
NEW = bundle_index("official", "publicity", "2026-11-20-sports")
FAR = bundle_index("official", "school-office", "2026-11-20-sports-day")


def publish(root: Path, capsys: pytest.CaptureFixture[str], sandbox: str, now: str) -> dict[str, set[str]]:
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", now, "--format", "json")
    assert out, err
    report: dict[str, Any] = json.loads(out)
    assert code == 0 and not report["failed"], report
    return by_status(report)


def folder(path: str) -> str:
    return path.removesuffix("/index.md")


def moved_lines(root: Path) -> list[tuple[str, str]]:
    return [(e.path, str(e.data.get("to", ""))) for e in Ledger.open(root, ref=SANDBOX_LEDGER_REF).entries
            if e.step == "moved"]


def recorded_move(tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> Path:
    """SPORTS published at OLD, then its slug fixed (NEW): the move recorded, nothing sent."""
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-sprots", front_matter={"title": "秋季运动会开幕"}, body=SPORTS)
    commit_all(root, "article")
    assert publish(root, capsys, sandbox, DAYS[0])["published"] == {OLD}
    git(root, "mv", folder(OLD), folder(NEW))
    commit_all(root, "slug fixed")
    statuses = publish(root, capsys, sandbox, DAYS[1])
    assert statuses.get("moved") == {NEW} and not statuses.get("published"), statuses
    assert moved_lines(root) == [(OLD, NEW)]
    return root


def rewrite(root: Path, slug: str, department: str = "publicity", **front_matter: Any) -> None:
    """Every sentence of the piece reworded: far below any likeness threshold (an edit the
    recorded move must carry)."""
    body = "。".join("补充说明:" + s[::-1] for s in SPORTS.split("。"))
    write_article(root, department=department, slug=slug, body=body,
                  front_matter={"title": "秋季运动会开幕", **front_matter})


# -- the record outlives the move -------------------------------------------------------------------

def test_moved_back_home_then_an_unrelated_article_at_the_recorded_folder_is_published(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """OLD→NEW recorded; the move undone (NEW→OLD), a run sees it; later the piece is deleted
    and an unrelated article is written at NEW. The stale record paired the two: the new
    article was never sent, the deleted piece stayed online."""
    root = recorded_move(tmp_path, sandbox, capsys)
    git(root, "mv", folder(NEW), folder(OLD))
    commit_all(root, "back home")
    statuses = publish(root, capsys, sandbox, DAYS[2])
    assert not statuses.get("published") and not statuses.get("retracted") and not statuses.get("moved"), statuses
    assert verify(root, sandbox, capsys) == []

    shutil.rmtree(root / folder(OLD))
    write_article(root, slug="2026-11-20-sports", front_matter={"title": "合唱团招新"}, body=CHOIR)
    commit_all(root, "the piece withdrawn; a new notice in the recorded folder")
    statuses = publish(root, capsys, sandbox, DAYS[3])
    assert statuses.get("published") == {NEW}, statuses
    assert statuses.get("retracted") == {OLD}, statuses
    assert live_copies(sandbox) == ["合唱团招新"]
    assert verify(root, sandbox, capsys) == []


def test_a_republished_old_path_does_not_inherit_the_old_move(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """OLD→NEW recorded; moved back and republished at OLD (a new publication there). The
    `moved` line is older than that publication: it named the piece that was retracted, not
    this one, so deleting OLD and writing an unrelated article at NEW is a retraction and a
    new publication."""
    root = recorded_move(tmp_path, sandbox, capsys)
    shutil.rmtree(root / folder(NEW))
    write_article(root, slug="2026-11-20-sprots", front_matter={"title": "秋季运动会开幕(更新)", "republish": True},
                  body=SPORTS.replace("三天", "四天"))
    commit_all(root, "back home, as a new version")
    statuses = publish(root, capsys, sandbox, DAYS[2])
    assert statuses.get("published") == {OLD}, statuses
    assert live_copies(sandbox) == ["秋季运动会开幕", "秋季运动会开幕(更新)"]  # as any republish at its folder

    shutil.rmtree(root / folder(OLD))
    write_article(root, slug="2026-11-20-sports", front_matter={"title": "合唱团招新"}, body=CHOIR)
    commit_all(root, "the new version withdrawn; a new notice in the once-recorded folder")
    statuses = publish(root, capsys, sandbox, DAYS[3])
    assert statuses.get("published") == {NEW}, statuses
    assert statuses.get("retracted") == {OLD}, statuses
    assert live_copies(sandbox) == ["合唱团招新", "秋季运动会开幕"]
    assert verify(root, sandbox, capsys) == []


def test_an_unrelated_article_at_the_old_folder_does_not_send_the_moved_piece_again(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """OLD→NEW recorded, NEW still there; an editor reuses the freed OLD folder for another
    article. The ledger still has the piece under OLD: the publisher saw OLD present, paired
    nothing, and sent NEW (the piece, already out) a second time."""
    root = recorded_move(tmp_path, sandbox, capsys)
    write_article(root, slug="2026-11-20-sprots", front_matter={"title": "合唱团招新"}, body=CHOIR)
    commit_all(root, "another article in the old folder")
    statuses = publish(root, capsys, sandbox, DAYS[2])
    assert NEW not in statuses.get("published", set()), statuses
    assert statuses.get("moved") == {NEW}, statuses
    assert [t for t in live_copies(sandbox) if t == "秋季运动会开幕"] == ["秋季运动会开幕"]
    assert verify(root, sandbox, capsys) == []


def test_withdrawn_in_both_the_reused_old_folder_and_the_moved_one_is_one_retraction(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = recorded_move(tmp_path, sandbox, capsys)
    write_article(root, slug="2026-11-20-sprots", front_matter={"title": "合唱团招新", "retracted": True}, body=CHOIR)
    rewrite(root, "2026-11-20-sports", retracted=True)
    commit_all(root, "both say retracted")
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", DAYS[2], "--format", "json")
    assert code == 0, (out, err)
    assert by_status(json.loads(out)).get("retracted") == {OLD}, out
    assert live_copies(sandbox) == []
    lines = [e.step for e in Ledger.open(root, ref=SANDBOX_LEDGER_REF).entries if e.path == OLD]
    assert lines.count("retracting") == 1 and lines.count("retracted") == 1, lines
    assert verify(root, sandbox, capsys) == []


def test_republishing_the_reused_old_folder_while_the_move_stands_is_refused_with_the_fix(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A new publication at OLD would end the record (it names the piece before it), and NEW,
    the piece, would then go out a second time as a new article. The publisher refuses and
    says where to put the new article."""
    root = recorded_move(tmp_path, sandbox, capsys)
    write_article(root, slug="2026-11-20-sprots", front_matter={"title": "合唱团招新", "republish": True}, body=CHOIR)
    commit_all(root, "another article republished in the old folder")
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", DAYS[2], "--format", "json")
    report = json.loads(out)
    assert code == 1 and [o["path"] for o in report["failed"]] == [OLD], report
    assert "2026-11-20-sports" in report["failed"][0]["message"] and "新的目录" in report["failed"][0]["message"], report
    assert by_status(report).get("moved") == {NEW} and not by_status(report).get("published"), report
    assert live_copies(sandbox) == ["秋季运动会开幕"]
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", DAYS[3], "--format", "json")
    assert not by_status(json.loads(out)).get("published"), out  # and on every run after
    assert live_copies(sandbox) == ["秋季运动会开幕"]


def test_an_unreadable_moved_folder_beside_the_reused_old_one_keeps_the_move(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """NEW broken for one commit (reported) while OLD holds another article: had that ended the
    move, NEW would go out as a new article once fixed."""
    root = recorded_move(tmp_path, sandbox, capsys)
    write_article(root, slug="2026-11-20-sprots", front_matter={"title": "合唱团招新"}, body=CHOIR)
    good = (root / NEW).read_text(encoding="utf-8")
    (root / NEW).write_text("---\ntitle: [秋季运动会开幕\n---\n\n" + SPORTS, encoding="utf-8")
    commit_all(root, "old folder reused; the moved one broken")
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", DAYS[2], "--format", "json")
    assert code == 1 and [o["path"] for o in json.loads(out)["failed"]] == [NEW], out
    assert Ledger.open(root, ref=SANDBOX_LEDGER_REF).state().moves == {OLD: NEW}
    (root / NEW).write_text(good, encoding="utf-8")
    commit_all(root, "fixed")
    statuses = publish(root, capsys, sandbox, DAYS[3])
    assert statuses.get("moved") == {NEW} and not statuses.get("published"), statuses
    assert live_copies(sandbox) == ["秋季运动会开幕"]


# -- the moved folder moves on, is deleted, is withdrawn -----------------------------------------------

def test_a_recorded_move_moved_on_after_edits_is_still_the_same_piece(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """OLD→NEW recorded, NEW rewritten (no republish: nothing sent, as at OLD), then NEW
    moved to FAR unchanged. A rename of the folder is not a new article."""
    root = recorded_move(tmp_path, sandbox, capsys)
    rewrite(root, "2026-11-20-sports")
    commit_all(root, "rewritten")
    statuses = publish(root, capsys, sandbox, DAYS[2])
    assert not statuses.get("published") and not statuses.get("retracted"), statuses
    (root / "content/official/school-office").mkdir(parents=True)
    git(root, "mv", folder(NEW), folder(FAR))
    index = root / FAR
    index.write_text(index.read_text(encoding="utf-8").replace("department: publicity", "department: school-office"),
                     encoding="utf-8")
    commit_all(root, "moved on to the school office")
    statuses = publish(root, capsys, sandbox, DAYS[3])
    assert not statuses.get("published") and not statuses.get("retracted"), statuses
    assert statuses.get("moved") == {FAR}, statuses
    assert live_copies(sandbox) == ["秋季运动会开幕"]
    assert verify(root, sandbox, capsys) == []


def test_a_recorded_move_withdrawn_beside_an_unrelated_new_article_is_a_retraction_and_a_publication(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The moved folder's last version counts as the piece, not as a licence: an unrelated
    article added as NEW is deleted is new (one step beyond the rename above)."""
    root = recorded_move(tmp_path, sandbox, capsys)
    rewrite(root, "2026-11-20-sports")
    commit_all(root, "rewritten")
    publish(root, capsys, sandbox, DAYS[2])
    shutil.rmtree(root / folder(NEW))
    write_article(root, department="school-office", slug="2026-11-20-sports-day", front_matter={"title": "合唱团招新"},
                  body=CHOIR)
    commit_all(root, "withdrawn; another article")
    statuses = publish(root, capsys, sandbox, DAYS[3])
    assert statuses.get("published") == {FAR} and statuses.get("retracted") == {OLD}, statuses
    assert live_copies(sandbox) == ["合唱团招新"]
    assert verify(root, sandbox, capsys) == []


def test_a_recorded_move_then_moved_on_then_back_to_the_original_folder(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """OLD→NEW→FAR→OLD, a run after each: the piece stays the one publication at OLD."""
    root = recorded_move(tmp_path, sandbox, capsys)
    (root / "content/official/school-office").mkdir(parents=True)
    git(root, "mv", folder(NEW), folder(FAR))
    commit_all(root, "moved on")
    assert publish(root, capsys, sandbox, DAYS[2]).get("moved") == {FAR}
    assert moved_lines(root)[-1] == (OLD, FAR)
    git(root, "mv", folder(FAR), folder(OLD))
    commit_all(root, "back to the original folder")
    statuses = publish(root, capsys, sandbox, DAYS[3])
    assert not statuses.get("published") and not statuses.get("retracted") and not statuses.get("moved"), statuses
    state = Ledger.open(root, ref=SANDBOX_LEDGER_REF).state()
    assert list(state.publications) == [OLD] and OLD not in state.moves  # present again: the move is over
    assert live_copies(sandbox) == ["秋季运动会开幕"]
    assert verify(root, sandbox, capsys) == []


def test_a_recorded_move_whose_folder_is_deleted_retracts_the_original_once(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = recorded_move(tmp_path, sandbox, capsys)
    rewrite(root, "2026-11-20-sports")
    commit_all(root, "rewritten")
    publish(root, capsys, sandbox, DAYS[2])
    shutil.rmtree(root / folder(NEW))
    commit_all(root, "withdrawn")
    assert publish(root, capsys, sandbox, DAYS[3]).get("retracted") == {OLD}
    assert live_copies(sandbox) == []
    assert not any(publish(root, capsys, sandbox, DAYS[4]).values())  # nothing left to do
    retracted = [e for e in Ledger.open(root, ref=SANDBOX_LEDGER_REF).entries if e.step == "retracted"]
    assert [e.path for e in retracted] == [OLD]
    assert verify(root, sandbox, capsys) == []


def test_retracted_true_in_a_recorded_move_folder_takes_the_original_down_once(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = recorded_move(tmp_path, sandbox, capsys)
    rewrite(root, "2026-11-20-sports", retracted=True)  # far from the text that went out
    commit_all(root, "withdrawn where it now is")
    assert publish(root, capsys, sandbox, DAYS[2]).get("retracted") == {OLD}
    assert live_copies(sandbox) == []
    statuses = publish(root, capsys, sandbox, DAYS[3])
    assert not statuses.get("retracted") and not statuses.get("published"), statuses
    assert verify(root, sandbox, capsys) == []


def test_the_recorded_folder_deleted_and_reused_in_one_commit_is_an_edit_of_it(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Held: NEW deleted and an unrelated article written at NEW in one commit is, in the
    commit's tree, NEW edited: as at the original folder, an edit is sent only with
    `republish: true`, which then sends it and takes the piece down."""
    root = recorded_move(tmp_path, sandbox, capsys)
    shutil.rmtree(root / folder(NEW))
    write_article(root, slug="2026-11-20-sports", front_matter={"title": "合唱团招新"}, body=CHOIR)
    commit_all(root, "replaced")
    statuses = publish(root, capsys, sandbox, DAYS[2])
    assert statuses.get("moved") == {NEW} and not statuses.get("published"), statuses
    write_article(root, slug="2026-11-20-sports", front_matter={"title": "合唱团招新", "republish": True}, body=CHOIR)
    commit_all(root, "sent as new")
    statuses = publish(root, capsys, sandbox, DAYS[3])
    assert statuses.get("published") == {NEW} and statuses.get("retracted") == {OLD}, statuses
    assert live_copies(sandbox) == ["合唱团招新"]
    assert verify(root, sandbox, capsys) == []


def test_a_move_across_accounts_is_not_recorded(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, account="youth", department="youth-league", slug="2026-11-20-sports",
                  front_matter={"title": "秋季运动会开幕", "category": "学生活动"}, body=SPORTS)
    commit_all(root, "youth")
    assert publish(root, capsys, sandbox, DAYS[0])["published"]
    shutil.rmtree(root / "content/youth/youth-league/2026-11-20-sports")
    write_article(root, slug="2026-11-20-sports", front_matter={"title": "秋季运动会开幕"}, body=SPORTS)
    commit_all(root, "to the school's account")
    statuses = publish(root, capsys, sandbox, DAYS[1])
    assert statuses.get("published") == {NEW}, statuses
    assert moved_lines(root) == []
    assert verify(root, sandbox, capsys) == []


# -- forged and reordered lines -----------------------------------------------------------------------

def forge(root: Path, path: str, to: str, at: str, account: str = "official") -> None:
    ledger = Ledger.open(root, ref=SANDBOX_LEDGER_REF)
    head = git(root, "rev-parse", "HEAD").strip()
    ledger.append(Entry(at=at, run="forger", step="moved", account=account, path=path, commit=head, data={"to": to}))


@pytest.mark.parametrize("case", ["unpublished", "other-account", "to-itself", "before-publication"])
def test_a_forged_moved_line_never_keeps_a_new_article_unsent(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], case: str) -> None:
    """A `moved` line about a path with no publication, of another account, to its own path,
    or written before the publication it names: the piece at OLD is deleted and an unrelated
    article added at NEW, which must be published (and OLD retracted)."""
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-sprots", front_matter={"title": "秋季运动会开幕"}, body=SPORTS)
    commit_all(root, "article")
    if case == "before-publication":
        forge(root, OLD, NEW, "2026-11-20T04:00:00+00:00")
    publish(root, capsys, sandbox, DAYS[0])
    if case == "unpublished":
        forge(root, bundle_index("official", "publicity", "2026-11-19-never"), NEW, AFTER)
    elif case == "other-account":
        forge(root, OLD, NEW, AFTER, account="youth")
    elif case == "to-itself":
        forge(root, OLD, OLD, AFTER)
    shutil.rmtree(root / folder(OLD))
    write_article(root, slug="2026-11-20-sports", front_matter={"title": "合唱团招新"}, body=CHOIR)
    commit_all(root, "withdrawn; another article")
    statuses = publish(root, capsys, sandbox, DAYS[1])
    assert statuses.get("published") == {NEW} and statuses.get("retracted") == {OLD}, statuses
    assert Ledger.open(root, ref=SANDBOX_LEDGER_REF).state().moves == {}
    assert verify(root, sandbox, capsys) == []


def test_a_reader_without_the_step_skips_the_line_and_keeps_the_rest() -> None:
    """What the previous version does with a `moved` line: an unknown step is void, the
    publication before and the retraction after it still count."""
    def line(step: str, path: str, v: int = 2, **data: Any) -> Entry:
        return Entry(at="2026-11-20T04:30:00+00:00", run="r", step=step, account="official", path=path, data=data, v=v)

    assert read(line("moved_elsewhere", OLD, to=NEW)) is None
    state = fold([line("published", OLD, v=1, media_id="m", index=1), line("moved_elsewhere", OLD, to=NEW)])
    assert OLD in state.publications and state.moves == {}


# -- races and kills around the write -----------------------------------------------------------------

def clones(tmp_path: Path, seed: Path) -> tuple[Path, Path]:
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    made = []
    for name in ("a", "b"):
        where = tmp_path / f"runner-{name}"
        git(tmp_path, "clone", "-q", str(origin), str(where))
        git(where, "config", "user.email", "ci@example.invalid")
        git(where, "config", "user.name", "ci")
        made.append(where)
    share_sandbox_secrets(*made)
    return made[0], made[1]


def test_two_runners_racing_to_record_one_move_send_nothing(tmp_path: Path, sandbox: str) -> None:
    seed = make_repo(tmp_path, policies=POLICY)
    write_article(seed, slug="2026-11-20-sprots", front_matter={"title": "秋季运动会开幕"}, body=SPORTS)
    commit_all(seed, "article")
    a, b = clones(tmp_path, seed)
    code, report, err = finish(publisher(a, sandbox, "--push", "origin", now=DAYS[0]))
    assert code == 0 and by_status(report).get("published") == {OLD}, (report, err)
    git(a, "mv", folder(OLD), folder(NEW))
    git(a, "commit", "-q", "-m", "slug fixed")
    git(a, "push", "-q", "origin", "main")
    git(b, "pull", "-q", "--ff-only", "origin", "main")
    git(b, "fetch", "-q", "origin", "+refs/wxpub/*:refs/wxpub/*")
    both = [publisher(r, sandbox, "--push", "origin", now=DAYS[1]) for r in (a, b)]
    for code, report, err in (finish(p, timeout=300) for p in both):
        assert code == 0, (report, err)
        statuses = by_status(report)
        assert not statuses.get("published") and not statuses.get("retracted"), report
    for runner in (a, b):
        git(runner, "fetch", "-q", "origin", "+refs/wxpub/*:refs/wxpub/*")
    lines = moved_lines(a)
    assert 1 <= len(lines) <= 2 and set(lines) == {(OLD, NEW)}, lines
    assert Ledger.open(a, ref=SANDBOX_LEDGER_REF).state().moves == {OLD: NEW}
    assert live_copies(sandbox) == ["秋季运动会开幕"]
    rewrite(a, "2026-11-20-sports")  # the record holds from either runner's line
    git(a, "add", "content")
    git(a, "commit", "-q", "-m", "rewritten")
    git(a, "push", "-q", "origin", "main")
    code, report, err = finish(publisher(a, sandbox, "--push", "origin", now=DAYS[2]))
    assert code == 0 and not by_status(report).get("published") and not by_status(report).get("retracted"), report
    assert live_copies(sandbox) == ["秋季运动会开幕"]


@pytest.mark.parametrize("push", [False, True], ids=["local", "push"])
@pytest.mark.parametrize("when", ["prepared", "committed"])
def test_a_run_killed_around_the_move_write_and_rerun_sends_nothing(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], when: str, push: bool) -> None:
    """SIGKILL before the `moved` line's ref update lands (prepared) and after it landed,
    before it was shared (committed; with --push the push had not run). The rerun, the piece
    rewritten meanwhile, records the move at most once more and sends nothing."""
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-sprots", front_matter={"title": "秋季运动会开幕"}, body=SPORTS)
    commit_all(root, "article")
    extra: tuple[str, ...] = ()
    if push:
        origin = tmp_path / "origin.git"
        git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
        git(root, "remote", "add", "origin", str(origin))
        git(root, "push", "-q", "origin", "main")
        extra = ("--push", "origin")
    assert publish(root, capsys, sandbox, DAYS[0])["published"] == {OLD}
    if push:
        git(root, "push", "-q", "origin", f"{SANDBOX_LEDGER_REF}:{SANDBOX_LEDGER_REF}")
    hook = root / ".git" / "hooks" / "reference-transaction"
    hook.write_text(HOOK, encoding="utf-8")
    hook.chmod(0o755)
    git(root, "mv", folder(OLD), folder(NEW))
    commit_all(root, "slug fixed")
    if push:
        git(root, "push", "-q", "origin", "main")
    assert kill_at(root, sandbox, KillPoint("write", "", 1, when), tmp_path, *extra, now=DAYS[1])
    assert moved_lines(root) == ([] if when == "prepared" else [(OLD, NEW)])
    code, report, err = finish(publisher(root, sandbox, *extra, now=DAYS[1]))
    statuses = by_status(report)
    assert code == 0 and statuses.get("moved") == {NEW}, (report, err)
    assert not statuses.get("published") and not statuses.get("retracted"), report
    assert moved_lines(root) == [(OLD, NEW)]
    if push:
        git(root, "fetch", "-q", "origin", f"+{SANDBOX_LEDGER_REF}:refs/remote-ledger")
        shared = Ledger.open(root, ref="refs/remote-ledger")
        assert [(e.path, e.data["to"]) for e in shared.entries if e.step == "moved"] == [(OLD, NEW)]
    rewrite(root, "2026-11-20-sports")
    commit_all(root, "rewritten")
    if push:
        git(root, "push", "-q", "origin", "main")
    code, report, err = finish(publisher(root, sandbox, *extra, now=DAYS[2]))
    statuses = by_status(report)
    assert code == 0 and not statuses.get("published") and not statuses.get("retracted"), (report, err)
    assert live_copies(sandbox) == ["秋季运动会开幕"]
    assert verify(root, sandbox, capsys) == []


# -- the other readers of the ledger ---------------------------------------------------------------

def test_status_stats_report_and_backup_read_a_ledger_with_moved_lines(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = recorded_move(tmp_path, sandbox, capsys)
    for args in (("status", "--sandbox-url", sandbox, "--format", "json"),
                 ("stats", "--sandbox-url", sandbox, "--format", "json"),
                 ("report", "--sandbox", "--format", "json", "--since", "2026-11-01", "--until", "2026-11-30",
                  "-o", str(tmp_path / "report")),
                 ("backup", "--sandbox-url", sandbox, "-o", str(tmp_path / "backup"), "--format", "json")):
        code, out, err = run_cli(root, capsys, *args)
        assert code == 0 and "Traceback" not in err, (args, out, err)
    assert verify(root, sandbox, capsys) == []


def test_a_run_of_an_older_commit_than_a_moved_line_publishes_nothing(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The `moved` line names the commit it was written from, like every line: a run of an
    older checkout (where OLD is still present) is refused, not taken for the move undone."""
    root = recorded_move(tmp_path, sandbox, capsys)
    git(root, "checkout", "-q", "HEAD~1")
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", DAYS[2], "--format", "json")
    assert code == 2, (code, out, err)  # a refusal with its reason, not a traceback (3)
    assert "不包含发布记录最近一次发布所用的提交" in err, err
    assert moved_lines(root) == [(OLD, NEW)]


def test_a_run_killed_after_the_move_was_pushed_and_rerun_sends_each_piece_once(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The commit moves the piece and adds a new article: the `moved` line is written and
    pushed, then the run is killed at its next write (the new article's claim). The rerun
    finds the move recorded, writes no second line, and sends the new article once."""
    root = make_repo(tmp_path, policies=POLICY)
    write_article(root, slug="2026-11-20-sprots", front_matter={"title": "秋季运动会开幕"}, body=SPORTS)
    commit_all(root, "article")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "origin", "main")
    assert publish(root, capsys, sandbox, DAYS[0])["published"] == {OLD}
    git(root, "push", "-q", "origin", f"{SANDBOX_LEDGER_REF}:{SANDBOX_LEDGER_REF}")
    hook = root / ".git" / "hooks" / "reference-transaction"
    hook.write_text(HOOK, encoding="utf-8")
    hook.chmod(0o755)
    git(root, "mv", folder(OLD), folder(NEW))
    write_article(root, slug="2026-11-21-choir", front_matter={"title": "合唱团招新"}, body=CHOIR)
    commit_all(root, "slug fixed; a new notice")
    git(root, "push", "-q", "origin", "main")
    assert kill_at(root, sandbox, KillPoint("write", "", 2, "prepared"), tmp_path, "--push", "origin", now=DAYS[1])
    git(root, "fetch", "-q", "origin", f"+{SANDBOX_LEDGER_REF}:refs/remote-ledger")
    shared = Ledger.open(root, ref="refs/remote-ledger")
    assert [(e.path, e.data["to"]) for e in shared.entries if e.step == "moved"] == [(OLD, NEW)]  # pushed
    code, report, err = finish(publisher(root, sandbox, "--push", "origin", now=DAYS[1]))
    statuses = by_status(report)
    assert code == 0 and statuses.get("moved") == {NEW}, (report, err)
    assert statuses.get("published") == {bundle_index("official", "publicity", "2026-11-21-choir")}, report
    assert not statuses.get("retracted"), report
    assert moved_lines(root) == [(OLD, NEW)]
    assert live_copies(sandbox) == ["合唱团招新", "秋季运动会开幕"]
    assert verify(root, sandbox, capsys) == []


# -- the fold, over any order of lines ----------------------------------------------------------------

PATHS = [OLD, NEW, FAR]
LINE = st.tuples(st.sampled_from(["published", "moved", "retracted"]), st.sampled_from(PATHS),
                 st.sampled_from(PATHS), st.sampled_from(["official", "youth"]))


@given(st.lists(LINE, max_size=12))
def test_a_counted_move_always_names_a_live_publication_of_its_account_published_before_it(
        lines: list[tuple[str, str, str, str]]) -> None:
    """Whatever order moved, published and retracted lines come in (forged, reordered, from
    races): a move in the state is about a publication that is out, of the line's account, to
    another folder, and written after that publication's latest final line."""
    entries = [Entry(at=f"2026-11-20T04:{n:02d}:00+00:00", run="r", step=step, account=account, path=path,
                     data={"to": to} if step == "moved" else {"media_id": f"m{n}", "index": 1}, v=1)
               for n, (step, path, to, account) in enumerate(lines)]
    state = fold(entries)
    for path, to in state.moves.items():
        publication = state.publications[path]
        assert to != path
        latest_final = max(n for n, (step, p, _, _) in enumerate(lines) if step == "published" and p == path)
        recording = max(n for n, (step, p, t, a) in enumerate(lines) if step == "moved" and p == path and t == to
                        and a == publication.entry.account)
        assert recording > latest_final
        assert not any(step == "moved" and p == path and t == path and a == publication.entry.account
                       for step, p, t, a in lines[recording + 1:])
        assert not any(step == "retracted" and p == path for step, p, _, _ in lines[recording + 1:])


def test_a_ledger_rewound_past_a_moved_line_does_not_send_the_piece_again(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = recorded_move(tmp_path, sandbox, capsys)
    rewrite(root, "2026-11-20-sports")
    commit_all(root, "rewritten")
    publish(root, capsys, sandbox, DAYS[2])
    ledger = Ledger.open(root, ref=SANDBOX_LEDGER_REF)
    before_move = git(root, "rev-list", "-1", f"{SANDBOX_LEDGER_REF}~1").strip()
    git(root, "update-ref", SANDBOX_LEDGER_REF, before_move, ledger.tip)  # an old backup restored
    assert moved_lines(root) == []
    before = live_copies(sandbox)
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", DAYS[3], "--format", "json")
    # the account's ledger anchor names the commit holding the moved line: the rewind is refused
    assert code == 2 and not out.strip(), (code, out, err)
    assert "发布记录锚点" in err and "refs/wxpub/ledger" in err, err
    assert live_copies(sandbox) == before  # nothing sent again, nothing retracted
