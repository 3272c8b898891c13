"""What the ledger anchor's tests share (tests/test_ledger_anchor.py, tests/test_attack_anchor.py):
the publisher run in-process against the sandbox, and the account's API as a person holding its
credentials uses it by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.commands.publish import SANDBOX_LEDGER_REF
from pipeline.ledger import Entry, Ledger
from pipeline.wechat import Credentials, WeChat
from tests.testing.fixtures import commit_all, git, http, run_cli, write_article
from tests.testing.publishing import world

DAYS = [f"2026-11-{day:02d} 12:30" for day in range(2, 30)]
MASS = {"account": "cs-college", "department": "cs-college"}
DRAFT = {"account": "youth", "department": "youth-league"}
REFUSED = "发布记录锚点"


def client(root: Path, url: str, account: str) -> WeChat:
    """The account's API as a person holding its credentials uses it, outside wxpub."""
    secrets = json.loads((root / ".wxpub" / "sandbox.secrets.json").read_text(encoding="utf-8"))
    appid = f"wxsandbox{account.replace('-', '')}"
    return WeChat(Credentials(appid, secrets[appid]), base_url=url + "/cgi-bin/")


def publish(root: Path, url: str, capsys: pytest.CaptureFixture[str], now: str, *extra: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", url, "--now", now, "--format", "json", *extra)
    return code, (json.loads(out) if out.strip() else {}), err


def sent(root: Path, url: str, capsys: pytest.CaptureFixture[str], now: str, *extra: str) -> dict[str, Any]:
    code, report, err = publish(root, url, capsys, now, *extra)
    assert code == 0 and not report["failed"], ([f["message"] for f in report.get("failed", [])], err)
    return report


def mass_titles(url: str) -> list[str]:
    return sorted(a["title"] for m in world(url)["mass_sends"] for a in m["articles"])


def tip(root: Path) -> str:
    return git(root, "rev-parse", SANDBOX_LEDGER_REF).strip()


def article(root: Path, slug: str, title: str, where: dict[str, str] | None = None, body: str | None = None) -> None:
    write_article(root, slug=slug, front_matter={"title": title}, **(where or {}),
                  **({"body": body} if body is not None else {}))
    commit_all(root, title)


def mass_sent_twice(root: Path, url: str, capsys: pytest.CaptureFixture[str]) -> str:
    """第一次群发, then 第二次群发 a day later (a subscription account sends once a day), both
    mass-sent by cs-college; the ledger tip between the two sends."""
    article(root, "2026-11-02-first", "第一次群发", MASS)
    sent(root, url, capsys, DAYS[0])
    older = tip(root)
    article(root, "2026-11-03-second", "第二次群发", MASS)
    http(url + "/sandbox/clock", {"advance": 24 * 3600})
    sent(root, url, capsys, DAYS[1])
    return older


def forged_without(root: Path, before: str, folder: str) -> tuple[set[str], list[Entry], Ledger]:
    """The ledger as someone with push access can rewrite it with plain git: back at `before`,
    then every later line except those of the messages that sent the article in `folder`. (The
    lost messages' batches, the lines the forger kept, the forged ledger.)"""
    ledger = Ledger.open(root, ref=SANDBOX_LEDGER_REF)
    lost = {str(e.data["batch"]) for e in ledger.entries if e.path.endswith(f"{folder}/index.md")}
    kept = [e for e in ledger.entries if e.data.get("batch") not in lost]
    git(root, "update-ref", SANDBOX_LEDGER_REF, before)
    forged = Ledger.open(root, ref=SANDBOX_LEDGER_REF)
    forged.append(*kept[len(forged.entries):])  # the later lines, without the lost message's
    return lost, kept, forged
