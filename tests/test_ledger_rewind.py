"""A ledger that lost lines must not send again what WeChat already has.

refs/wxpub/ledger is not a branch, so no branch protection covers it: anyone who can push to
the repository can push an older ledger, and a ledger restored from an old backup is older
too. Read as it stands, such a ledger says the newest articles were never sent, and the next
run would send them again. The publisher lists each sending account's newest drafts and
publications first (publish.refuse_rewound_ledger) and refuses while WeChat shows a wxpub
attempt the ledger does not know. Real Git repositories, the CLI in its own process, the
sandbox over HTTP. A fresh runner's clone of a force-pushed remote:
tests/test_attack_exactly_once_2.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.testing.fixtures import commit_all, git, http, make_repo, write_article
from tests.testing.publishing import LUNCH, NEXT_LUNCH, finish, live_copies, publisher, world

LEDGER = "refs/wxpub/sandbox-ledger"
DAY3 = "2026-11-27 12:30"
YOUTH = {"account": "youth", "department": "youth-league"}


@pytest.mark.parametrize("where", [{}, YOUTH], ids=["publish", "draft"])
def test_a_ledger_pushed_back_to_an_older_state_sends_nothing_again(
        tmp_path: Path, sandbox: str, where: dict[str, str]) -> None:
    repo = make_repo(tmp_path)
    write_article(repo, slug="2026-11-20-first", front_matter={"title": "第一篇"}, **where)
    commit_all(repo, "first")
    code, report, err = finish(publisher(repo, sandbox, now=LUNCH))
    assert code == 0 and len(report["published"]) == 1, (report, err)
    older = git(repo, "rev-parse", LEDGER)

    write_article(repo, slug="2026-11-21-second", front_matter={"title": "第二篇"}, **where)
    commit_all(repo, "second")
    code, report, err = finish(publisher(repo, sandbox, now=NEXT_LUNCH))
    assert code == 0 and len(report["published"]) == 1, (report, err)
    assert live_copies(sandbox) == ["第一篇", "第二篇"]

    full = git(repo, "rev-parse", LEDGER)
    git(repo, "update-ref", LEDGER, older)  # the ledger as it was before the second article went out
    write_article(repo, slug="2026-11-22-third", front_matter={"title": "第三篇"}, **where)
    commit_all(repo, "third")
    code, report, err = finish(publisher(repo, sandbox, now=DAY3))
    assert code == 2, (report, err)
    assert "发布记录里却没有" in err and "refs/wxpub/ledger" in err, err
    assert live_copies(sandbox) == ["第一篇", "第二篇"]  # nothing sent again, nothing new either

    git(repo, "update-ref", LEDGER, full)  # the full ledger restored
    code, report, err = finish(publisher(repo, sandbox, now=DAY3))
    assert code == 0 and [o["path"] for o in report["published"]] == [
        f"content/{where.get('account', 'official')}/{where.get('department', 'publicity')}/2026-11-22-third/index.md"
    ], (report, err)
    assert live_copies(sandbox) == ["第一篇", "第三篇", "第二篇"]


def test_when_the_newest_lists_cannot_be_read_nothing_is_sent(tmp_path: Path, sandbox: str) -> None:
    """Unchecked is not checked: a listing WeChat does not answer (here 45009, its quota for the
    day) leaves every article unsent, and the report says why."""
    repo = make_repo(tmp_path)
    write_article(repo, slug="2026-11-20-first", front_matter={"title": "第一篇"})
    commit_all(repo, "first")
    http(f"{sandbox}/sandbox/faults", {"endpoint": "draft/batchget", "nth": 1, "errcode": 45009})
    code, report, err = finish(publisher(repo, sandbox, now=LUNCH))
    assert code == 1 and not report["published"], (report, err)
    [failed] = report["failed"]
    assert "45009" in failed["message"] and "不发送任何文章" in failed["message"], failed
    assert live_copies(sandbox) == [] and world(sandbox)["calls"].get("draft/add", 0) == 0
