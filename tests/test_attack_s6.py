"""Attacks on the day's exactly-once and trust changes, from the outside: a 48001 that no
unverified account answered (a proxy, one bad answer, a later page), lists that lie, preview
drafts and markers, the Windows-checkout reading of PUB001, and ART006. Real Git repositories,
the publisher in-process, the WeChat sandbox over HTTP with faults injected as WeChat or a
network would fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import anchor
from pipeline.commands.publish import SANDBOX_LEDGER_REF
from tests.testing.anchoring import DAYS, DRAFT, article, client, publish, sent
from pipeline.wechat import UnsettledList
from tests.testing.fixtures import commit_all, git, http, make_repo, run_cli, write_article
from tests.testing.publishing import POLICY, KillPoint, kill_at, live_copies, world

OFFICIAL_APPID = "wxsandboxofficial"
YOUTH_APPID = "wxsandboxyouth"
SPORTS = "content/official/publicity/2026-11-02-sports"


def unanchored_rewind(root: Path, url: str) -> None:
    """The ledger rewound past everything (a forced push, an old backup) and the account's
    anchor deleted by hand in the back end (a missing anchor is not refused: a first run has
    none): the publication list is then the only witness of what went out."""
    git(root, "update-ref", "-d", SANDBOX_LEDGER_REF)
    official = client(root, url, "official")
    for found in anchor.anchors(list(official.drafts())):
        official.delete_draft_if_present(found.media_id)


def of_their_own(root: Path, url: str, number: int) -> None:
    """`number` publications the operator makes by hand, newer than wxpub's."""
    official = client(root, url, "official")
    cover = next(m["media_id"] for m in http(url + "/sandbox/state")["materials"] if m["appid"] == OFFICIAL_APPID)
    for n in range(number):
        publish_id = official.submit(official.add_draft([{"title": f"后台文章{n}", "content": "<p>通知。</p>",
                                                          "thumb_media_id": cover}]))
        while official.publish_status(publish_id)["publish_status"] == 1:
            pass


def answer_48001(url: str, nth: int = 1) -> None:
    http(url + "/sandbox/faults", {"endpoint": "freepublish/batchget", "nth": nth, "appid": OFFICIAL_APPID,
                                   "errcode": 48001})


def test_without_the_anchor_the_publication_list_alone_refuses_a_rewound_ledger(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The control for the two attacks below: the list is the witness they take away."""
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一篇")
    sent(root, sandbox, capsys, DAYS[0])
    unanchored_rewind(root, sandbox)
    code, report, err = publish(root, sandbox, capsys, DAYS[1])
    assert code == 2 and "发布记录" in err, (report, err)
    assert live_copies(sandbox) == ["第一篇"]


def test_one_48001_to_a_publishing_accounts_list_does_not_hide_a_rewind(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """48001 was read as "an unverified account, no list" from any account: a verified account
    in publish mode answered 48001 once (a proxy, WeChat's own slip, an account whose
    verification lapsed and came back) and the guard read its list as empty, so a rewound
    ledger sent the article a second time. An account that is to publish and cannot list its
    publications sends nothing."""
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一篇")
    sent(root, sandbox, capsys, DAYS[0])
    unanchored_rewind(root, sandbox)
    answer_48001(sandbox)
    code, report, err = publish(root, sandbox, capsys, DAYS[1])
    assert live_copies(sandbox) == ["第一篇"], (report, err)
    assert code == 1 and "Traceback" not in err, (report, err)
    [failed] = report["failed"]
    assert "freepublish/batchget" in failed["message"] and "48001" in failed["message"], failed


def test_a_48001_on_a_later_page_is_not_an_empty_list(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Page 1 answered: the account has a publication list. A 48001 on page 2 is no reading of
    "unverified": what was not read must not pass for nothing there."""
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一篇")
    sent(root, sandbox, capsys, DAYS[0])
    of_their_own(root, sandbox, 21)  # the operator's own publications push wxpub's onto page 2
    unanchored_rewind(root, sandbox)
    answer_48001(sandbox, nth=2)
    code, report, err = publish(root, sandbox, capsys, DAYS[1])
    assert [t for t in live_copies(sandbox) if not t.startswith("后台文章")] == ["第一篇"], (report, err)
    assert code == 1 and "Traceback" not in err, (report, err)
    [failed] = report["failed"]
    assert "freepublish/batchget" in failed["message"] and "48001" in failed["message"], failed


def test_status_verify_and_backup_never_read_a_half_read_list_as_no_list(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """listed_publications (status --verify, backup) read a 48001 on page 2 as "unverified, no
    list" and dropped the page already read: verify then compared nothing and backup exported
    no publications, both saying all was well."""
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一篇")
    sent(root, sandbox, capsys, DAYS[0])
    of_their_own(root, sandbox, 21)
    answer_48001(sandbox, nth=2)
    with pytest.raises(UnsettledList) as raised:
        client(root, sandbox, "official").listed_publications(content=False)
    assert "48001" in str(raised.value) and "freepublish/batchget" in str(raised.value)
    http(sandbox + "/sandbox/faults", method="DELETE")
    answer_48001(sandbox, nth=2)
    code, out, err = run_cli(root, capsys, "status", "--sandbox-url", sandbox, "--verify", "--format", "json")
    assert code not in (0, 3) and "Traceback" not in err and "48001" in out + err, (code, out, err)


def test_an_account_that_loses_verification_with_a_submit_unanswered_sends_nothing_twice(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A run killed after freepublish/submit took the draft; then the account lost verification
    and the school, as 48001's advice says, switched it to draft mode. The take-over must find
    the publication and can list none (48001): the article is neither drafted nor published
    again, and the run says so in Chinese, every run, until a person looks: not 48001's advice
    to switch to draft mode, which the school just did."""
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一篇")
    assert kill_at(root, sandbox, KillPoint("call", "freepublish/submit", 1, "after"), tmp_path, now=DAYS[0])
    secrets = json.loads((root / ".wxpub" / "sandbox.secrets.json").read_text(encoding="utf-8"))
    http(sandbox + "/sandbox/accounts", {"appid": OFFICIAL_APPID, "secret": secrets[OFFICIAL_APPID], "verified": False})
    policies = root / "policies.yaml"
    policies.write_text(policies.read_text(encoding="utf-8").replace("publish_mode: publish", "publish_mode: draft", 1),
                        encoding="utf-8")
    commit_all(root, "official: draft mode")
    for day in DAYS[1:3]:
        code, report, err = publish(root, sandbox, capsys, day, "--lease", "0")
        assert "Traceback" not in err and code in (0, 1), (code, report, err)
        assert live_copies(sandbox) == ["第一篇"], (report, err)
        said = " ".join(f["message"] for f in report["failed"])
        assert "发表记录" in said and "publish_mode 改为 draft" not in said, said


def test_retracting_a_draft_an_operator_published_by_hand_in_an_unverified_account(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Draft mode asks the operator to publish the draft by hand; the account is unverified, so
    when the editor retracts it wxpub cannot look the publication up (48001). The retraction
    stopped with 48001's advice to switch to draft mode, which the account was in, every run:
    now it ends as a draft that is gone, telling a person to delete the article by hand."""
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-camp", "夏令营招募", DRAFT)
    sent(root, sandbox, capsys, DAYS[0])
    secrets = json.loads((root / ".wxpub" / "sandbox.secrets.json").read_text(encoding="utf-8"))
    youth = client(root, sandbox, "youth")
    [draft] = [d for d in youth.drafts() if not anchor.anchors([d])]
    publish_id = youth.submit(str(draft["media_id"]))  # by hand, in the back end
    while youth.publish_status(publish_id)["publish_status"] == 1:
        pass
    http(sandbox + "/sandbox/accounts", {"appid": YOUTH_APPID, "secret": secrets[YOUTH_APPID], "verified": False})
    write_article(root, slug="2026-11-02-camp", front_matter={"title": "夏令营招募", "retracted": True}, **DRAFT)
    commit_all(root, "down")
    code, report, err = publish(root, sandbox, capsys, DAYS[1])
    assert "Traceback" not in err and not report["failed"], (report, err)
    [done] = report["retracted"]
    assert "后台" in done["message"] and "删除" in done["message"], done
    code, report, err = publish(root, sandbox, capsys, DAYS[3])
    assert code == 0 and not report["failed"] and not report["retracted"], (report, err)


def test_status_verify_says_a_publishing_account_it_cannot_list_was_not_checked(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """status --verify read 48001 from any account as "unverified, nothing to judge" and said all
    agreed, for an account in publish mode (whose rewind the publisher now refuses to pass)."""
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-first", "第一篇")
    sent(root, sandbox, capsys, DAYS[0])
    http(sandbox + "/sandbox/faults", {"endpoint": "freepublish/batchget", "nth": 1, "count": 10,
                                       "appid": OFFICIAL_APPID, "errcode": 48001})
    code, out, err = run_cli(root, capsys, "status", "--sandbox-url", sandbox, "--verify", "--format", "json")
    found = json.loads(out)["disagreements"]
    assert code == 1 and [d["code"] for d in found] == ["VERIFY005"], (out, err)
    assert found[0]["account"] == "official" and "48001" in found[0]["message"], found


def test_a_preview_a_day_later_deletes_no_draft_of_the_publisher_nor_the_anchor(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """delete_stale deletes preview drafts over a day older than its own: the publisher's
    draft-mode drafts and the ledger anchor, older still, carry other markers and stay (held)."""
    root = make_repo(tmp_path, policies=POLICY)
    article(root, "2026-11-02-camp", "夏令营招募", DRAFT)
    article(root, "2026-11-02-sports", "秋季运动会")
    sent(root, sandbox, capsys, DAYS[0])
    official = client(root, sandbox, "official")
    before = sorted(str(d["media_id"]) for d in official.drafts())
    assert anchor.anchors(list(official.drafts())), before  # the ledger anchor, a day older than any preview
    http(sandbox + "/sandbox/followers", {"appid": OFFICIAL_APPID, "followers": [
        {"openid": "oZhangsan000000000000000001", "wxname": "zhangsan_jcu"}]})
    for _ in range(2):  # a first preview, then one over a day later that cleans up
        code, out, err = run_cli(root, capsys, "preview", "--wechat", str(root / SPORTS), "--to", "张三",
                                 "--sandbox-url", sandbox, "--format", "json")
        assert code == 0 and "Traceback" not in err, (out, err)
        http(sandbox + "/sandbox/clock", {"advance": 2 * 24 * 3600})
    assert json.loads(out)["deleted"], out  # the first preview's draft went
    after = {str(d["media_id"]) for d in official.drafts()}
    assert set(before) <= after, (before, after)
    assert [d for d in world(sandbox)["drafts"] if d["appid"] == YOUTH_APPID], "another account's draft"
