"""Attacks on "exactly once" (issue 11) from the outside: the CLI, the sandbox's own state,
real Git repositories, faults, pauses and clock games, one step beyond the cases the issue names.

Each test states what a person would do (or what would go wrong on a runner), then checks the
sandbox's own record of what WeChat did, and `wxpub status --verify`. A test marked
`xfail(strict=True)` is a defect found and not fixed here: its reason says what happens today.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.testing.fixtures import PROJECT, SAMPLE_POLICY, commit_all, git, http, jpeg_bytes, make_repo, run_cli, \
    write_article
from tests.testing.publishing import live_titles, verify, world

LEDGER = "refs/wxpub/sandbox-ledger"
DAY1, DAY2 = "2026-10-20", "2026-10-21"


# -- the world: a content repository; the WeChat sandbox is conftest's `sandbox` ------------------------


def content_repo(tmp_path: Path, policies: str = SAMPLE_POLICY) -> Path:
    root = make_repo(tmp_path, policies=policies)
    (root / ".gitignore").write_text(".wxpub/\n", encoding="utf-8")  # the sandbox's secrets stay out of main
    return root


def official(root: Path, slug: str, title: str, shade: int, **kw: Any) -> str:
    """A publish-mode article with a cover of its own (covers differ by colour)."""
    files = {"cover.jpg": jpeg_bytes(color=(shade, shade, shade)), **kw.pop("files", {})}
    write_article(root, slug=slug, front_matter={"title": title, **kw.pop("front_matter", {})}, files=files, **kw)
    return f"content/official/publicity/{slug}/index.md"


def youth(root: Path, slug: str, title: str, shade: int, **extra: Any) -> str:
    """A draft-mode article (the youth account leaves drafts for a person to publish)."""
    write_article(root, account="youth", department="youth-league", slug=slug,
                  front_matter={"title": title, "category": "学生活动", **extra},
                  files={"cover.jpg": jpeg_bytes(color=(shade, shade, shade))})
    return f"content/youth/youth-league/{slug}/index.md"


def college(root: Path, slug: str, title: str) -> str:
    """A mass-mode article (the college account mass-sends to every follower)."""
    write_article(root, account="cs-college", department="cs-college", slug=slug,
                  front_matter={"title": title, "category": "学生活动"})
    return f"content/cs-college/cs-college/{slug}/index.md"


def with_cap(policies: str, account: str, cap: int) -> str:
    """The policy with `account`'s daily cap set to `cap`."""
    head, mark, tail = policies.partition(f"  {account}:\n")
    before, key, after = tail.partition("daily_cap: ")
    assert mark and key
    return head + mark + before + key + str(cap) + after[len(after.split()[0]):]


def publish(root: Path, url: str, capsys: pytest.CaptureFixture[str], now: str,
            *extra: str) -> tuple[int, dict[str, Any]]:
    """`wxpub publish --format json` in-process: (exit code, report). Never a traceback."""
    code, out, _ = run_cli(root, capsys, "publish", "--sandbox-url", url, "--now", now, "--format", "json", *extra)
    return code, json.loads(out)


def statuses(report: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for group in report.values():
        for item in group:
            if item["path"]:
                found.setdefault(item["path"], []).append(item["status"])
    return found


def fault(url: str, *specs: dict[str, Any]) -> None:
    http(url + "/sandbox/faults", list(specs))


def clear_faults(url: str) -> None:
    http(url + "/sandbox/faults", method="DELETE")


def api(root: Path, url: str, account: str, endpoint: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A call with the account's own credentials: what an operator does in WeChat's backend."""
    known = json.loads((root / ".wxpub/sandbox.secrets.json").read_text(encoding="utf-8"))
    appid = f"wxsandbox{account.replace('-', '')}"
    token = http(url + "/cgi-bin/stable_token",
                 {"grant_type": "client_credential", "appid": appid, "secret": known[appid]})["access_token"]
    answer: dict[str, Any] = http(url + f"/cgi-bin/{endpoint}?access_token={token}", payload)
    assert not answer.get("errcode"), answer
    return answer


def operator_publishes(root: Path, url: str, account: str, media_id: str) -> None:
    """What the operator does in WeChat's backend with a draft: publish it (and WeChat finishes it)."""
    api(root, url, account, "freepublish/submit", {"media_id": media_id})
    api(root, url, account, "freepublish/batchget", {"offset": 0, "count": 20})


def draft_titles(url: str) -> list[list[str]]:
    return [[a["title"] for a in d["articles"]] for d in world(url)["drafts"]]


# -- mass sends -------------------------------------------------------------------------------------------


def test_a_mass_sent_article_retracted_and_restored_reaches_followers_again(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A mistaken retraction (`retracted: true`) is reverted the same day: the same bytes again."""
    root = content_repo(tmp_path)
    path = college(root, "2026-10-20-contest", "程序设计竞赛开赛")
    commit_all(root)
    index = root / path
    original = index.read_text(encoding="utf-8")
    assert publish(root, sandbox, capsys, f"{DAY1} 12:30")[0] == 0
    index.write_text(original.replace("\n---\n", "\nretracted: true\n---\n", 1), encoding="utf-8")
    commit_all(root)
    assert publish(root, sandbox, capsys, f"{DAY1} 12:40")[1]["retracted"]
    index.write_text(original, encoding="utf-8")
    commit_all(root)
    http(sandbox + "/sandbox/clock", {"advance": 86400})  # WeChat's day moves on too (one mass send a day)
    code, report = publish(root, sandbox, capsys, f"{DAY2} 12:00")
    sends = world(sandbox)["mass_sends"]
    reported = statuses(report).get(path) == ["mass_sent"]
    readable = [a for s in sends for a in s["articles"] if not a["is_deleted"]]
    assert readable or not reported, "recorded as mass-sent while no follower can read it"
    assert verify(root, sandbox, capsys) == []


# -- uploads ---------------------------------------------------------------------------------------


def test_a_cover_also_shown_in_the_body_publishes(tmp_path: Path, sandbox: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """An editor shows the cover photo in the body too. The cover (material/add_material) and the
    body image (media/uploadimg) are different WeChat objects with the same bytes."""
    root = content_repo(tmp_path)
    path = official(root, "2026-10-20-sports-day", "学校举行秋季运动会", 40, body="运动会现场。\n\n![封面](cover.jpg)\n")
    commit_all(root)
    code, report = publish(root, sandbox, capsys, f"{DAY1} 12:30")
    assert code == 0 and statuses(report) == {path: ["published"]}, report
    [publication] = world(sandbox)["publications"]
    assert "mmbiz.qpic.cn/sandbox/" in publication["articles"][0]["content"]  # the body image survived
    assert verify(root, sandbox, capsys) == []


def test_a_body_image_equal_to_an_earlier_cover_is_uploaded_as_a_body_image(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Yesterday's cover photo shown in today's body: WeChat drops an <img> whose src did not come
    from media/uploadimg, so reusing the cover's material URL loses the picture without a word."""
    root = content_repo(tmp_path)
    official(root, "2026-10-20-sports-day", "学校举行秋季运动会", 40)
    commit_all(root)
    assert publish(root, sandbox, capsys, f"{DAY1} 12:30")[0] == 0
    photo = official(root, "2026-10-21-photos", "运动会照片回顾", 41, body="照片。\n\n![合影](photo.jpg)\n",
                     files={"photo.jpg": jpeg_bytes(color=(40, 40, 40))})  # the first article's cover bytes
    commit_all(root)
    code, report = publish(root, sandbox, capsys, f"{DAY2} 12:30")
    assert code == 0 and statuses(report) == {photo: ["published"]}
    second = world(sandbox)["publications"][1]["articles"][0]
    assert "<img" in second["content"], "the photo was dropped from the published article"


def test_a_paused_owner_does_not_upload_again_after_a_takeover(tmp_path: Path, sandbox: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Runner 1 is paused (a suspended VM) right after its claim; after its lease runner 2 takes the
    article over and publishes it; then runner 1 wakes up."""
    root = content_repo(tmp_path)
    official(root, "2026-10-20-sports-day", "学校举行秋季运动会", 40)
    commit_all(root)
    paused = Paused(root, "message_started", "STOP")
    first = paused.start(sandbox, f"{DAY1} 12:30", "--lease", "1")
    pid = paused.wait()
    time.sleep(1.5)  # runner 1's lease is over
    code, report = publish(root, sandbox, capsys, f"{DAY1} 12:31")
    assert code == 0 and [s for s in statuses(report).values()] == [["published"]]
    os.kill(pid, signal.SIGCONT)
    first.communicate(timeout=120)
    assert first.returncode == 0
    assert len(world(sandbox)["materials"]) == 1  # the cover is uploaded once
    assert verify(root, sandbox, capsys) == []


# -- rejections ------------------------------------------------------------------------------------


def test_a_rejected_article_does_not_hold_back_its_sibling(tmp_path: Path, sandbox: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """WeChat refuses one article of a two-article publication for its 原创 claim (fail_idx [2]).
    The other one did nothing wrong: it must not wait for its own content to change."""
    root = content_repo(tmp_path)
    fine = official(root, "2026-10-20-a-relay", "接力赛纪实", 41)  # first by path: index 1
    claimed = official(root, "2026-10-20-b-sports-day", "学校举行秋季运动会", 42)  # index 2
    commit_all(root)
    fault(sandbox, {"publish_fail": {"status": 2, "fail_idx": [2]}})
    code, report = publish(root, sandbox, capsys, f"{DAY1} 12:30")
    assert code == 1 and statuses(report) == {claimed: ["failed"], fine: ["queued"]}, report
    code, report = publish(root, sandbox, capsys, f"{DAY2} 12:30")
    assert statuses(report) == {fine: ["published"], claimed: ["failed"]}, report
    assert live_titles(sandbox) == ["接力赛纪实"]


@pytest.mark.parametrize("status", [5, 6])
def test_a_publication_deleted_or_banned_after_it_went_out_is_not_sent_again(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], status: int) -> None:
    """freepublish/get answers 5 (published, then deleted by a person) or 6 (published, then banned
    by WeChat). The article went out once; sending the same content again on the next run would
    undo a person's deletion or repeat what WeChat banned."""
    root = content_repo(tmp_path)
    path = official(root, "2026-10-20-sports-day", "学校举行秋季运动会", 40)
    commit_all(root)
    fault(sandbox, {"publish_fail": {"status": status}})
    assert publish(root, sandbox, capsys, f"{DAY1} 12:30")[0] == 1
    code, report = publish(root, sandbox, capsys, f"{DAY2} 12:30")
    assert code == 1 and statuses(report) == {path: ["failed"]}, report
    assert len(world(sandbox)["publications"]) == 1  # submitted once


# -- recovery when the ledger cannot know -------------------------------------------------------------


def test_a_mass_send_recovered_after_a_day_does_not_reach_followers_twice(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """sendall went through but its answer was lost (the connection dropped, as when the runner
    dies); the runner machine is back only the next afternoon, 25 hours later."""
    root = content_repo(tmp_path)
    college(root, "2026-10-20-contest", "程序设计竞赛开赛")
    commit_all(root)
    fault(sandbox, {"endpoint": "message/mass/sendall", "drop": True, "when": "after", "count": 10})
    publish(root, sandbox, capsys, f"{DAY1} 12:30", "--lease", "0")
    clear_faults(sandbox)
    assert len(world(sandbox)["mass_sends"]) == 1
    http(sandbox + "/sandbox/clock", {"advance": 25 * 3600})
    publish(root, sandbox, capsys, f"{DAY2} 12:30")
    publish(root, sandbox, capsys, f"{DAY2} 18:30")
    assert len(world(sandbox)["mass_sends"]) == 1  # every follower got it once


def test_a_lost_submit_whose_publication_failed_is_reported_not_queued_forever(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = content_repo(tmp_path)
    path = official(root, "2026-10-20-sports-day", "学校举行秋季运动会", 40)
    commit_all(root)
    fault(sandbox, {"endpoint": "freepublish/submit", "drop": True, "when": "after"},
          {"publish_fail": {"status": 4}})
    publish(root, sandbox, capsys, f"{DAY1} 12:30", "--lease", "0")
    for day in ("2026-10-21", "2026-10-22", "2026-10-23"):
        code, report = publish(root, sandbox, capsys, f"{day} 12:30", "--lease", "0")
    # Three days on, a person must be told: the article is neither out nor going out
    assert code == 1 and statuses(report) == {path: ["failed"]}, report


def test_a_draft_the_operator_published_before_recovery_is_not_drafted_again(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Draft mode: draft/add took effect but its answer was lost; before the next run the operator
    publishes that draft from WeChat's backend, as draft mode asks them to."""
    root = content_repo(tmp_path)
    youth(root, "2026-10-22-camp", "暑期夏令营招募", 1)
    commit_all(root)
    fault(sandbox, {"endpoint": "draft/add", "drop": True, "when": "after"})
    publish(root, sandbox, capsys, f"{DAY1} 12:30", "--lease", "0")
    [draft] = world(sandbox)["drafts"]
    operator_publishes(root, sandbox, "youth", draft["media_id"])
    publish(root, sandbox, capsys, f"{DAY1} 12:40")
    assert live_titles(sandbox) == ["暑期夏令营招募"] and draft_titles(sandbox) == []  # out once, no second draft
    assert verify(root, sandbox, capsys) == []


def test_a_message_resumed_after_its_article_was_corrected_does_not_publish_the_old_version(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The run is killed right after draft/add was recorded; before the next run the editor fixes a
    mistake in the article (nothing of it was public yet)."""
    root = content_repo(tmp_path)
    path = official(root, "2026-10-20-sports-day", "学校举行秋季运动会", 40, body="运动会现场。比赛日期初稿写错。\n")
    commit_all(root)
    killed = Paused(root, "draft_added", "KILL")
    run = killed.start(sandbox, f"{DAY1} 12:30", "--lease", "0")
    run.communicate(timeout=120)
    assert run.returncode == -signal.SIGKILL
    official(root, "2026-10-20-sports-day", "学校举行秋季运动会", 40, body="运动会现场。日期已更正。\n")
    commit_all(root)
    code, report = publish(root, sandbox, capsys, f"{DAY1} 12:40")
    assert code == 0 and statuses(report) == {path: ["published"]}, report
    [publication] = [p for p in world(sandbox)["publications"] if p["status"] == 0]
    assert "日期已更正" in publication["articles"][0]["content"], "the version no longer on main went out"


# -- schedule ------------------------------------------------------------------------------------------


def test_a_message_resumed_the_next_morning_keeps_to_the_window_and_the_cap(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """21:50: WeChat is busy (-1) on freepublish/submit; the draft stays. Next day: a run at 08:00
    (outside every window), then one at 12:30 with two new articles. The account's cap is 2 a day."""
    root = content_repo(tmp_path)
    official(root, "2026-10-20-a", "甲", 1)
    official(root, "2026-10-20-b", "乙", 2)
    commit_all(root)
    fault(sandbox, {"endpoint": "freepublish/submit", "errcode": -1})
    publish(root, sandbox, capsys, f"{DAY1} 21:50", "--lease", "0")
    official(root, "2026-10-21-c", "丙", 3)
    official(root, "2026-10-21-d", "丁", 4)
    commit_all(root)
    code, report = publish(root, sandbox, capsys, f"{DAY2} 08:00")
    assert live_titles(sandbox) == [], "published in class time"
    publish(root, sandbox, capsys, f"{DAY2} 12:30")
    assert len(live_titles(sandbox)) == 2  # the daily cap of the day they went out


# -- retraction -----------------------------------------------------------------------------------------


def test_retracting_a_draft_the_operator_published_takes_it_down_or_says_it_did_not(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = content_repo(tmp_path)
    camp = youth(root, "2026-10-22-camp", "暑期夏令营招募", 1)
    youth(root, "2026-10-22-choir", "合唱团招新", 2)
    commit_all(root)
    assert publish(root, sandbox, capsys, f"{DAY1} 12:30")[0] == 0
    [draft] = world(sandbox)["drafts"]
    operator_publishes(root, sandbox, "youth", draft["media_id"])
    youth(root, "2026-10-22-camp", "暑期夏令营招募", 1, retracted=True)
    commit_all(root)
    code, report = publish(root, sandbox, capsys, f"{DAY1} 13:00")
    recorded = statuses(report).get(camp) == ["retracted"]
    still_live = "暑期夏令营招募" in live_titles(sandbox)
    assert not (recorded and still_live), "recorded as retracted while WeChat shows it"
    assert code == 1 or not still_live


def test_an_interrupted_rebuild_leaves_no_draft_behind(tmp_path: Path, sandbox: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A draft of three (甲乙丙). 甲 is retracted: the rebuild's draft/add takes effect but its
    answer is lost. While that retraction's lease runs, 乙 is retracted too (its own rebuild:
    丙 alone). Then 甲's retraction is finished by a later run."""
    root = content_repo(tmp_path, with_cap(SAMPLE_POLICY, "youth", 3))
    youth(root, "2026-10-22-a", "甲", 1)
    youth(root, "2026-10-22-b", "乙", 2)
    youth(root, "2026-10-22-c", "丙", 3)
    commit_all(root)
    assert publish(root, sandbox, capsys, f"{DAY1} 12:30")[0] == 0
    youth(root, "2026-10-22-a", "甲", 1, retracted=True)
    commit_all(root)
    fault(sandbox, {"endpoint": "draft/add", "drop": True, "when": "after"})
    publish(root, sandbox, capsys, f"{DAY1} 13:00", "--lease", "3")
    youth(root, "2026-10-22-b", "乙", 2, retracted=True)
    commit_all(root)
    publish(root, sandbox, capsys, f"{DAY1} 13:01")
    time.sleep(3)
    publish(root, sandbox, capsys, f"{DAY1} 13:02")
    publish(root, sandbox, capsys, f"{DAY1} 13:03")
    assert draft_titles(sandbox) == [["丙"]]
    assert verify(root, sandbox, capsys) == []


# -- pausing a runner at a ledger write ------------------------------------------------------------------

HOOK = r"""#!/bin/sh
# Test hook: once the ledger ref has moved to a commit whose subject starts with
# "wxpub: $ATTACK_AT", send $ATTACK_SIGNAL to the wxpub process (git update-ref's parent), once.
[ "$1" = committed ] || exit 0
[ -n "$ATTACK_AT" ] || exit 0
[ -s "$ATTACK_PIDFILE" ] && exit 0
while read -r old new ref; do
  case "$ref" in refs/wxpub/*ledger) ;; *) continue ;; esac
  case "$(git log -1 --format=%s "$new")" in
    "wxpub: $ATTACK_AT"*)
      pid=$(awk '{print $4}' /proc/$PPID/stat)
      echo "$pid" > "$ATTACK_PIDFILE"
      kill -"$ATTACK_SIGNAL" "$pid" ;;
  esac
done
exit 0
"""


class Paused:
    """A `wxpub publish` subprocess that a reference-transaction hook stops at a chosen ledger write."""

    def __init__(self, root: Path, step: str, sig: str) -> None:
        hook = root / ".git/hooks/reference-transaction"
        hook.write_text(HOOK, encoding="utf-8")
        hook.chmod(0o755)
        self.root, self.pidfile = root, root.parent / f"paused-{step}.pid"
        self.env = {**os.environ, "ATTACK_AT": step, "ATTACK_PIDFILE": str(self.pidfile), "ATTACK_SIGNAL": sig}

    def start(self, url: str, now: str, *extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline", "--root", str(self.root), "publish", "--sandbox-url", url,
             "--now", now, "--format", "json", *extra],
            cwd=PROJECT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait(self, timeout: float = 120) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.pidfile.exists() and self.pidfile.read_text().strip():
                return int(self.pidfile.read_text())
            time.sleep(0.05)
        raise TimeoutError(f"the run never wrote {self.env['ATTACK_AT']}")


def test_closing_an_account_with_articles_out_is_reported_not_a_crash(tmp_path: Path, sandbox: str,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The youth account closes: its section leaves policies.yaml and its content is deleted,
    while one of its drafts is in the ledger. Without its credentials wxpub cannot take that
    down; every run crashed (KeyError, exit 3) before doing anything, for every account."""
    root = content_repo(tmp_path)
    camp = youth(root, "2026-10-22-camp", "暑期夏令营招募", 1)
    commit_all(root)
    assert publish(root, sandbox, capsys, f"{DAY1} 12:30")[0] == 0
    policy = (root / "policies.yaml").read_text(encoding="utf-8")
    start, end = policy.index("  youth:\n"), policy.index("\ncategories:")
    (root / "policies.yaml").write_text(policy[:start] + policy[end + 1:], encoding="utf-8")
    git(root, "rm", "-rq", "content/youth")
    relay = official(root, "2026-10-21-relay", "接力赛纪实", 41)
    commit_all(root)
    code, report = publish(root, sandbox, capsys, f"{DAY2} 12:30")
    assert code == 1 and statuses(report) == {camp: ["failed"], relay: ["published"]}, report
    assert "policies.yaml" in report["failed"][0]["message"]
    code, report = publish(root, sandbox, capsys, f"{DAY2} 12:40")
    assert code == 1 and statuses(report) == {camp: ["failed"]}  # said again until a person acts
    assert live_titles(sandbox) == ["接力赛纪实"]


def quota_used_up_by_a_long_review(root: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> str:
    """乙 is out; then WeChat keeps 甲 in review so long that polling freepublish/get uses up that
    API's daily quota (45009); then the editor retracts 乙. Returns 乙's path."""
    second = official(root, "2026-10-20-b", "乙", 2)
    commit_all(root)
    assert publish(root, sandbox, capsys, f"{DAY1} 12:30")[0] == 0
    http(sandbox + "/sandbox/accounts", {"appid": "wxsandboxofficial", "publish_get_quota": 3,
                                         "publish_delay_polls": 100})
    official(root, "2026-10-21-a", "甲", 1)
    commit_all(root)
    publish(root, sandbox, capsys, f"{DAY2} 12:30", "--lease", "0")
    official(root, "2026-10-20-b", "乙", 2, front_matter={"retracted": True})
    commit_all(root)
    return second


def test_a_retraction_held_back_by_a_quota_is_reported(tmp_path: Path, sandbox: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    root = content_repo(tmp_path)
    second = quota_used_up_by_a_long_review(root, sandbox, capsys)
    code, report = publish(root, sandbox, capsys, f"{DAY2} 18:30")
    assert code == 1 and statuses(report).get(second) in (["retracted"], ["queued"]), report


def test_a_retraction_is_not_held_back_by_another_apis_quota(tmp_path: Path, sandbox: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """R15: a violation is stopped at once. WeChat's daily quotas are per API."""
    root = content_repo(tmp_path)
    second = quota_used_up_by_a_long_review(root, sandbox, capsys)
    code, report = publish(root, sandbox, capsys, f"{DAY2} 18:30")
    assert statuses(report).get(second) == ["retracted"], report


# -- runners on clones of one remote -----------------------------------------------------------------


def clones(tmp_path: Path, root: Path, *names: str) -> list[Path]:
    """Workspaces of runners: clones of a bare remote made from `root`, sharing the sandbox's
    credentials (as CI secrets would be)."""
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(root), str(bare)], check=True)
    made = []
    for name in names:
        clone = tmp_path / name
        subprocess.run(["git", "clone", "-q", str(bare), str(clone)], check=True)
        git(clone, "config", "user.email", "ci@example.invalid")
        git(clone, "config", "user.name", "ci")
        (clone / ".wxpub").mkdir()
        (clone / ".wxpub/sandbox.secrets.json").write_text(
            json.dumps({f"wxsandbox{a}": f"shared-{a}" for a in ("official", "cscollege", "youth")}), encoding="utf-8")
        made.append(clone)
    return made


def test_a_runner_on_an_older_checkout_does_not_undo_a_retraction(tmp_path: Path, sandbox: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Runner X checked out main before the retraction was merged (a slow start, a re-run pinned
    to its commit); runner Y, on the new main, takes the article down. Then X runs."""
    root = content_repo(tmp_path)
    official(root, "2026-10-20-sports-day", "学校举行秋季运动会", 40)
    commit_all(root)
    x, y = clones(tmp_path, root, "x", "y")
    assert publish(y, sandbox, capsys, f"{DAY1} 12:30", "--push", "origin")[0] == 0
    git(y, "rm", "-rq", "content")
    git(y, "commit", "-qm", "take the article down")
    git(y, "push", "-q", "origin", "main")
    code, report = publish(y, sandbox, capsys, f"{DAY1} 12:40", "--push", "origin")
    assert code == 0 and len(report["retracted"]) == 1 and live_titles(sandbox) == []
    code, out, err = run_cli(x, capsys, "publish", "--sandbox-url", sandbox, "--now", f"{DAY1} 12:45", "--push", "origin")
    assert code == 2 and "不予发布" in err, err  # refused, saying why (it lacks the newer commit)
    assert live_titles(sandbox) == [], "the retracted article is out again"


# -- the ledger edited by hand --------------------------------------------------------------------------


def test_a_ledger_commit_that_drops_lines_stops_the_run_before_it_is_shared(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Someone "tidies" the ledger by hand: a new commit whose ledger.jsonl lost its last four lines
    (draft_added onward). Read as it is, the article looks never drafted: it would be published
    again, and with --push the shortened ledger would be pushed to every runner ("本地发布记录比远程
    多 -4 条")."""
    root = content_repo(tmp_path)
    official(root, "2026-10-20-sports-day", "学校举行秋季运动会", 40)
    commit_all(root)
    [runner] = clones(tmp_path, root, "runner")
    assert publish(runner, sandbox, capsys, f"{DAY1} 12:30", "--push", "origin", "--lease", "0")[0] == 0
    shared = git(tmp_path / "remote.git", "rev-parse", LEDGER)
    edit = tmp_path / "edit"
    git(runner, "worktree", "add", "-q", "--detach", str(edit), LEDGER)
    log = edit / "ledger.jsonl"
    log.write_text("".join(log.read_text(encoding="utf-8").splitlines(keepends=True)[:-4]), encoding="utf-8")
    git(edit, "commit", "-qam", "tidy the ledger")
    git(runner, "update-ref", LEDGER, git(edit, "rev-parse", "HEAD"))
    code, out, err = run_cli(runner, capsys, "publish", "--sandbox-url", sandbox, "--now", f"{DAY1} 18:30",
                             "--push", "origin")
    assert code == 2 and LEDGER in err and "只能追加" in err, err
    assert len(world(sandbox)["publications"]) == 1
    assert git(tmp_path / "remote.git", "rev-parse", LEDGER) == shared  # not pushed


# -- the ledger's lock --------------------------------------------------------------------------------

SLOW_WRITE_HOOK = r"""#!/bin/sh
# Test hook: hold the ledger ref's lock for $HOLD_SECONDS (a slow fsync) at this process's first
# write whose subject starts with "wxpub: $HOLD_AT" (git runs this hook with the lock taken).
[ "$1" = prepared ] || exit 0
[ -n "$HOLD_SECONDS" ] || exit 0
[ -e "$HOLD_DONE" ] && exit 0
while read -r old new ref; do
  case "$ref" in refs/wxpub/*ledger) ;; *) continue ;; esac
  case "$(git log -1 --format=%s "$new")" in
    "wxpub: $HOLD_AT"*) touch "$HOLD_DONE"; sleep "$HOLD_SECONDS" ;;
  esac
done
exit 0
"""


def ledger_lines(root: Path) -> list[dict[str, Any]]:
    text = git(root, "show", f"{LEDGER}:ledger.jsonl")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_slow_writer_whose_lock_was_taken_for_stale_loses_no_line(tmp_path: Path, sandbox: str,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Two runs on one workspace. Run A's `git update-ref` of its draft_adding intent is slow (an
    fsync on a busy disk) and holds the ref's lock past the stale limit; run B, waiting to write,
    removes that lock as stale and takes its own, and is slow too. Git then moves A's lock path,
    which now holds B's line, into place. A must not go on to draft/add on an intent the ledger
    does not hold, and B's line must not be written twice."""
    root = content_repo(tmp_path)
    official(root, "2026-10-20-sports-day", "学校举行秋季运动会", 40)
    youth(root, "2026-10-22-camp", "暑期夏令营招募", 1)
    commit_all(root)
    hook = root / ".git/hooks/reference-transaction"
    hook.write_text(SLOW_WRITE_HOOK, encoding="utf-8")
    hook.chmod(0o755)

    def run(name: str, at: str) -> subprocess.Popen[str]:
        env = {**os.environ, "WXPUB_LEDGER_LOCK_STALE_SECONDS": "1", "HOLD_AT": at, "HOLD_SECONDS": "6",
               "HOLD_DONE": str(tmp_path / f"{name}.held")}
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline", "--root", str(root), "publish", "--sandbox-url", sandbox,
             "--now", f"{DAY1} 12:30", "--format", "json"],
            cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    first = run("a", "draft_adding")
    deadline = time.monotonic() + 120
    while not (tmp_path / "a.held").exists():
        assert time.monotonic() < deadline and first.poll() is None, first.communicate()
        time.sleep(0.05)
    second = run("b", "")  # its first write waits on A's lock, then finds it "stale"
    for process in (first, second):
        _, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
    lines = ledger_lines(root)
    assert len({line["id"] for line in lines}) == len(lines), "a line was written twice"
    announced = {line["data"]["batch"] for line in lines if line["step"] == "draft_adding"}
    for draft in world(sandbox)["drafts"]:
        marker = draft["articles"][0]["content"].split('data-wxpub="', 1)[1].split(".", 1)[0]
        assert marker in announced, "draft/add was called on an intent the ledger does not hold"
    assert len(live_titles(sandbox)) + len(draft_titles(sandbox)) == 2  # each article out once
    assert verify(root, sandbox, capsys) == []


def test_a_lock_left_on_the_remote_tracking_ledger_does_not_block_publishing(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A run killed inside `git fetch` (or the update of its remote-tracking copy of the ledger)
    leaves that ref's lock behind. The ledger ref's own stale lock is removed; this one blocked
    every later run with a hint to check the network."""
    root = content_repo(tmp_path)
    official(root, "2026-10-20-sports-day", "学校举行秋季运动会", 40)
    commit_all(root)
    [runner] = clones(tmp_path, root, "runner")
    assert publish(runner, sandbox, capsys, f"{DAY1} 12:30", "--push", "origin")[0] == 0
    tracking = runner / ".git/refs/wxpub-remotes/origin/wxpub/sandbox-ledger"
    assert tracking.is_file()
    lock = tracking.with_name(tracking.name + ".lock")
    lock.write_text("", encoding="utf-8")
    os.utime(lock, (time.time() - 600, time.time() - 600))  # left by a run killed ten minutes ago
    relay = official(runner, "2026-10-21-relay", "接力赛纪实", 41)
    commit_all(runner)
    git(runner, "push", "-q", "origin", "HEAD:main")  # only a commit on the remote's main publishes
    code, report = publish(runner, sandbox, capsys, f"{DAY2} 12:30", "--push", "origin")
    assert code == 0 and statuses(report) == {relay: ["published"]}, report
    assert not lock.exists()
    assert git(runner, "rev-parse", LEDGER) == git(tmp_path / "remote.git", "rev-parse", LEDGER)


def test_a_run_on_a_commit_older_than_the_ledgers_last_is_refused(tmp_path: Path, sandbox: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The same in one repository (so the newer commit is known): `--rev` an ancestor."""
    root = content_repo(tmp_path)
    official(root, "2026-10-20-sports-day", "学校举行秋季运动会", 40)
    old = commit_all(root)
    official(root, "2026-10-21-relay", "接力赛纪实", 41)
    commit_all(root)
    assert publish(root, sandbox, capsys, f"{DAY1} 12:30")[0] == 0
    code, _, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", f"{DAY1} 12:40", "--rev", old)
    assert code == 2 and "不包含发布记录最近一次发布所用的提交" in err, err
