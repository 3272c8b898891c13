"""An unverified account (draft mode): since July 2025 WeChat answers 48001 to every
freepublish/* call of a personal or unverified account, which can still save drafts
(../shared/WECHAT_API.md). Draft mode exists for exactly these accounts, so nothing wxpub does
for them may need a publication list: the rewind guard, recovery, `status --verify` and backup
read their draft box only. Real Git repositories, the publisher in-process and as a killed
process, the sandbox over HTTP with the account registered unverified."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.commands.publish import SANDBOX_LEDGER_REF
from tests.testing.anchoring import DAYS, DRAFT, article, publish, sent, tip
from tests.testing.fixtures import git, http, make_repo, run_cli
from tests.testing.publishing import POLICY, KillPoint, kill_at, world

YOUTH_APPID = "wxsandboxyouth"


def unverified(url: str) -> None:
    """The youth account as WeChat keeps an unverified one (the publisher's own registration
    with the sandbox leaves `verified` as it finds it)."""
    http(url + "/sandbox/accounts", {"appid": YOUTH_APPID, "secret": "s" * 32, "verified": False})


def camp_drafted(tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str]) -> Path:
    """A school whose unverified youth account has had 夏令营招募 put in its draft box."""
    root = make_repo(tmp_path, policies=POLICY)
    unverified(url)
    article(root, "2026-11-02-camp", "夏令营招募", DRAFT)
    sent(root, url, capsys, DAYS[0])
    return root


def drafts(url: str) -> list[str]:
    return sorted(d["articles"][0]["title"] for d in world(url)["drafts"] if d["appid"] == YOUTH_APPID
                  and d["articles"] and "wxpub-anchor" not in d["articles"][0]["content"])


def published_titles(url: str) -> list[str]:
    return sorted(a["title"] for p in world(url)["publications"] for a in p["articles"])


def test_an_unverified_draft_account_gets_its_drafts_and_stops_no_other_account(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The rewind guard listed every sending account's publications, and 48001 stopped the whole
    run ("本次不发送任何文章"), for every account, every time, telling the school to switch the
    account to draft mode, which it already was in."""
    root = make_repo(tmp_path, policies=POLICY)
    unverified(sandbox)
    article(root, "2026-11-02-camp", "夏令营招募", DRAFT)
    article(root, "2026-11-02-sports", "秋季运动会")  # the official account, publish mode
    report = sent(root, sandbox, capsys, DAYS[0])
    assert sorted(o["status"] for o in report["published"]) == ["drafted", "published"]
    assert drafts(sandbox) == ["夏令营招募"] and published_titles(sandbox) == ["秋季运动会"]
    assert world(sandbox)["calls"].get("freepublish/batchget", 0) >= 1  # asked, and 48001 was taken as "no list"
    # once more: nothing to do, nothing failed, nothing twice
    report = sent(root, sandbox, capsys, DAYS[0])
    assert report["published"] == [] and drafts(sandbox) == ["夏令营招募"]


def test_a_run_killed_after_draft_add_on_an_unverified_account_drafts_once(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = camp_drafted(tmp_path, sandbox, capsys)  # the account's secret is now the publisher's
    article(root, "2026-11-03-club", "社团招新", DRAFT)
    assert kill_at(root, sandbox, KillPoint("call", "draft/add", 1, "after"), tmp_path, now=DAYS[1])
    assert drafts(sandbox) == ["夏令营招募", "社团招新"]  # in WeChat, not yet in the ledger
    report = sent(root, sandbox, capsys, DAYS[1])
    assert [o["status"] for o in report["published"]] == ["drafted"]
    assert drafts(sandbox) == ["夏令营招募", "社团招新"]  # adopted, not added again


def test_a_rewound_ledger_is_still_refused_from_the_draft_box(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = camp_drafted(tmp_path, sandbox, capsys)
    git(root, "update-ref", "-d", SANDBOX_LEDGER_REF)  # rewound past everything
    code, report, err = publish(root, sandbox, capsys, DAYS[1])
    assert code == 2 and not report and "发布记录" in err, (report, err)
    assert drafts(sandbox) == ["夏令营招募"]


def test_status_verify_and_backup_read_an_unverified_accounts_draft_box(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = camp_drafted(tmp_path, sandbox, capsys)
    full = tip(root)
    code, out, err = run_cli(root, capsys, "status", "--sandbox-url", sandbox, "--verify", "--format", "json")
    assert code == 0 and json.loads(out)["disagreements"] == [], (out, err)
    git(root, "update-ref", "-d", SANDBOX_LEDGER_REF)
    code, out, err = run_cli(root, capsys, "status", "--sandbox-url", sandbox, "--verify", "--format", "json")
    assert code == 1 and [d["code"] for d in json.loads(out)["disagreements"]] == ["DRIFT004"], (out, err)
    git(root, "update-ref", SANDBOX_LEDGER_REF, full)
    code, out, err = run_cli(root, capsys, "backup", "--sandbox-url", sandbox, "-o", str(tmp_path / "export"),
                             "--format", "json")
    assert code == 0, (out, err)
