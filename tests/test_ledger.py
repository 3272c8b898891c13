"""The publication ledger on refs/wxpub/ledger: format, compare-and-swap, remotes, queries.

Everything runs on real git repositories; where concurrency or crashes matter, on real
processes.
"""

from __future__ import annotations

import datetime
import json
import signal
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath
from typing import Callable
from zoneinfo import ZoneInfo

import pygit2
import pytest

from pipeline.errors import UserError
from pipeline.ledger import LEDGER_REF, Entry, Ledger, LedgerConflict
from tests.testing.fixtures import PROJECT, commit_all, git, write_article

ARTICLE = "content/official/publicity/2026-10-20-sports-day/index.md"
OTHER = "content/official/publicity/2026-10-21-art-show/index.md"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def entry(step: str, path: str = ARTICLE, *, account: str = "official", at: str = "2026-10-20T08:00:00+00:00",
          content_hash: str = "h1", run: str = "run1", v: int = 1, **data: object) -> Entry:
    """A line as version 1 wrote it (no id, no message around a publication): readers must
    understand these forever. Version 2 ledgers are written by real publish runs in the tests."""
    return Entry(at=at, run=run, step=step, account=account, path=path, content_hash=content_hash,
                 commit="c0ffee", data=data, v=v)


def ledger_commits(root: Path) -> list[str]:
    return git(root, "rev-list", "--first-parent", LEDGER_REF).split()


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], cwd=PROJECT, capture_output=True, text=True, timeout=60)


# -- format and history -----------------------------------------------------------------


def test_entry_json_is_one_sorted_line_and_round_trips() -> None:
    e = entry("published", url="https://mp.weixin.qq.com/s/x", note="第一行\n第二行\u2028同一行", index=1)
    line = e.to_json()
    assert "\n" not in line and "第一行" in line  # UTF-8 kept, newlines escaped
    assert list(json.loads(line)) == sorted(json.loads(line))
    assert Entry.from_json(line) == e
    assert hash(e) == hash(Entry.from_json(line))
    nested = entry("cover_uploaded", previous=e.data, where=PurePosixPath("a/cover.jpg"))
    assert Entry.from_json(nested.to_json()).data["previous"]["note"] == "第一行\n第二行\u2028同一行"
    assert Entry.from_json(nested.to_json()).data["where"] == "a/cover.jpg"
    with pytest.raises(TypeError):
        entry("published", when=datetime.datetime.now()).to_json()
    with pytest.raises(TypeError):
        e.data["url"] = "changed"  # type: ignore[index]


def test_empty_ledger(repo: Path) -> None:
    ledger = Ledger.open(repo)
    assert ledger.entries == () and ledger.tip is None
    assert ledger.latest(ARTICLE) is None and ledger.published() == [] and ledger.uploads() == {}
    assert ledger.count_on("official", datetime.date(2026, 10, 20), SHANGHAI) == 0


def test_outside_a_repository_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="不在 Git 仓库中"):
        Ledger.open(tmp_path)


def test_a_branch_cannot_hold_the_ledger(repo: Path) -> None:
    with pytest.raises(UserError, match="不能用作发布记录"):
        Ledger.open(repo, ref="refs/heads/ledger")


def test_append_then_reopen_sees_entries_in_order(repo: Path) -> None:
    ledger = Ledger.open(repo)
    first, second, third = entry("drafting"), entry("drafted", media_id="m1"), entry("published", OTHER)
    ledger.append(first)
    ledger.append(second, third)
    assert ledger.entries == (first, second, third)  # no re-read needed
    reopened = Ledger.open(repo / "policies")  # discovered from a subfolder
    assert reopened.entries == (first, second, third)
    assert reopened.tip == ledger.tip == git(repo, "rev-parse", LEDGER_REF)


def test_each_append_is_one_commit_on_top_of_the_previous(repo: Path) -> None:
    ledger = Ledger.open(repo)
    tips = []
    for step in ("drafting", "drafted", "published"):
        ledger.append(entry(step))
        tips.append(ledger.tip)
    assert ledger_commits(repo) == tips[::-1]
    assert git(repo, "rev-parse", f"{tips[2]}^") == tips[1]
    assert git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s", LEDGER_REF) == \
        f"wxpub <wxpub@localhost>|wxpub <wxpub@localhost>|wxpub: published {ARTICLE}"
    assert git(repo, "ls-tree", "--name-only", LEDGER_REF) == "ledger.jsonl"
    raw = subprocess.run(["git", "-C", str(repo), "show", f"{LEDGER_REF}:ledger.jsonl"], capture_output=True, check=True).stdout
    assert raw.decode("utf-8").splitlines() == [e.to_json() for e in ledger.entries]
    assert raw.endswith(b"\n")
    # The earlier commit still holds the earlier log: the history is the audit trail
    assert len(git(repo, "show", f"{tips[0]}:ledger.jsonl").splitlines()) == 1


def test_main_is_never_touched(repo: Path) -> None:
    write_article(repo)
    head = commit_all(repo, "one article")
    (repo / "draft.txt").write_text("uncommitted work\n", encoding="utf-8")
    status = git(repo, "status", "--porcelain")
    ledger = Ledger.open(repo)
    ledger.append(entry("published"))
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert git(repo, "rev-list", "--count", "main") == "1"
    assert git(repo, "status", "--porcelain") == status
    assert git(repo, "for-each-ref", "--format=%(refname)").split() == ["refs/heads/main", LEDGER_REF]
    assert not (repo / "ledger.jsonl").exists()
    assert git(repo, "ls-tree", "--name-only", LEDGER_REF).split() == ["ledger.jsonl"]  # the log, nothing else


def test_works_before_main_has_a_commit(repo: Path) -> None:
    Ledger.open(repo).append(entry("published"))
    assert subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "-q", "HEAD"]).returncode != 0
    assert len(Ledger.open(repo).entries) == 1


def test_ten_thousand_entries_read_fast(repo: Path) -> None:
    many = [entry("image_uploaded", f"content/official/publicity/2026-01-01-n{i}/index.md", sha=f"{i:064x}",
                  url=f"http://mmbiz.qpic.cn/{i}") for i in range(10_000)]
    Ledger.open(repo).append(*many)
    started = time.perf_counter()
    ledger = Ledger.open(repo)
    elapsed = time.perf_counter() - started
    assert len(ledger.entries) == 10_000 and ledger.entries[-1] == many[-1]
    assert elapsed < 1.0, f"reading 10,000 entries took {elapsed:.2f} s"


# -- broken ledgers ---------------------------------------------------------------------


def write_raw_ledger(root: Path, raw: bytes) -> None:
    """A ledger commit as a careless hand edit would leave it."""
    repo = pygit2.Repository(str(root))
    builder = repo.TreeBuilder()
    builder.insert("ledger.jsonl", repo.create_blob(raw), pygit2.enums.FileMode.BLOB)
    signature = pygit2.Signature("someone", "someone@example.invalid")
    repo.create_commit(LEDGER_REF, signature, signature, "hand edit", builder.write(), [])


@pytest.mark.parametrize(("raw", "line", "reason"), [
    (entry("published").to_json().encode() + b"\n" + entry("published").to_json().encode()[:30] + b"\n", 2, "不是完整的 JSON"),
    (entry("published").to_json().encode() + b"\n\n" + b'{"at": "2026-10-20T08:00:00+00:00", "run": "r", "account": "a"}\n', 3, "step"),
    (b'{"at":"yesterday","run":"r","step":"s","account":"a"}\n', 1, "yesterday"),
    (entry("published").to_json().encode() + b"\n\xff\xfe\n", 2, "UTF-8"),
])
def test_a_corrupt_line_is_named_with_a_fix(repo: Path, raw: bytes, line: int, reason: str) -> None:
    write_raw_ledger(repo, raw)
    with pytest.raises(UserError) as caught:
        Ledger.open(repo)
    assert caught.value.where == f"{LEDGER_REF}:ledger.jsonl:{line}"
    assert reason in caught.value.message
    assert f"git update-ref {LEDGER_REF} {LEDGER_REF}~1" in caught.value.hint


def test_a_last_line_without_newline_is_read_and_appended_after(repo: Path) -> None:
    write_raw_ledger(repo, entry("drafted").to_json().encode())
    ledger = Ledger.open(repo)
    ledger.append(entry("published"))
    assert [e.step for e in Ledger.open(repo).entries] == ["drafted", "published"]


# -- compare-and-swap -------------------------------------------------------------------


def test_two_writers_from_the_same_tip_the_second_loses(repo: Path) -> None:
    first, second = Ledger.open(repo), Ledger.open(repo)
    first.append(entry("published", run="first"))
    with pytest.raises(LedgerConflict) as caught:
        second.append(entry("published", run="second"))
    assert "另一次发布运行" in str(caught.value) and "重新运行" in caught.value.hint
    assert [e.run for e in Ledger.open(repo).entries] == ["first"]
    assert len(ledger_commits(repo)) == 1
    second.reload()
    second.append(entry("published", run="second"))
    assert [e.run for e in Ledger.open(repo).entries] == ["first", "second"]


def test_a_writer_creating_the_ledger_loses_to_one_that_created_it_first(repo: Path) -> None:
    first, second = Ledger.open(repo), Ledger.open(repo)
    second.append(entry("published", run="second"))
    with pytest.raises(LedgerConflict):
        first.append(entry("published", run="first"))
    assert [e.run for e in Ledger.open(repo).entries] == ["second"]


def test_a_held_lock_is_a_conflict_that_names_the_lock_file(repo: Path) -> None:
    ledger = Ledger.open(repo)
    ledger.append(entry("drafted"))
    lock = repo / ".git" / "refs" / "wxpub" / "ledger.lock"
    lock.write_text("")
    with pytest.raises(LedgerConflict) as caught:
        ledger.append(entry("published"))
    assert str(lock) in caught.value.hint
    lock.unlink()
    ledger.append(entry("published"))
    assert len(Ledger.open(repo).entries) == 2


RACER = """
import sys, time
from pathlib import Path, PurePosixPath
from typing import Callable
from pipeline.ledger import Entry, Ledger, LedgerConflict
root, run = Path(sys.argv[1]), sys.argv[2]
ledger = Ledger.open(root)
while not (root / "go").exists():
    time.sleep(0.005)
conflicts = 0
for i in range(50):
    item = Entry(at="2026-10-20T08:00:00+00:00", run=run, step="published", account="official", data={"i": i})
    while True:
        try:
            ledger.append(item)
            break
        except LedgerConflict:
            conflicts += 1
            ledger.reload()
print(conflicts)
"""


def test_two_processes_racing_lose_no_update(repo: Path) -> None:
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(repo), name], cwd=PROJECT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    time.sleep(0.3)  # both started and waiting
    (repo / "go").write_text("")
    results = [racer.communicate(timeout=60) for racer in racers]
    assert all(racer.returncode == 0 for racer in racers), results
    entries = Ledger.open(repo).entries
    assert len(entries) == 100
    for name in ("a", "b"):
        assert [e.data["i"] for e in entries if e.run == name] == list(range(50))
    assert len(ledger_commits(repo)) == 100  # one commit per append, none lost or doubled


KILLED = """
import os, signal, sys
from pathlib import Path, PurePosixPath
from typing import Callable
from pipeline.ledger import Entry, Ledger
ledger = Ledger.open(Path(sys.argv[1]))
ledger.append(Entry(at="2026-10-20T08:00:00+00:00", run="killed", step="published", account="official"))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_an_append_survives_a_kill_right_after_it_returns(repo: Path) -> None:
    result = run_python(KILLED, str(repo))
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert [e.run for e in Ledger.open(repo).entries] == ["killed"]
    assert not list((repo / ".git").rglob("*.lock"))


# -- remotes ----------------------------------------------------------------------------


@pytest.fixture
def remote(tmp_path: Path, repo: Path) -> Path:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    write_article(repo)
    commit_all(repo, "one article")
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "origin", "main")
    return bare


def clone(remote: Path, target: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(remote), str(target)], check=True)
    return target


def test_push_clone_fetch_sees_the_same_entries(repo: Path, remote: Path, tmp_path: Path) -> None:
    ours = Ledger.open(repo)
    ours.append(entry("drafted"), entry("published"))
    ours.push()
    assert git(remote, "rev-parse", LEDGER_REF) == ours.tip
    other = clone(remote, tmp_path / "other")
    theirs = Ledger.open(other)
    assert theirs.entries == ()  # a clone does not bring refs/wxpub/*
    notes: list[str] = []
    theirs.fetch(say=notes.append)
    assert theirs.entries == ours.entries and theirs.tip == ours.tip and notes == []
    # and back: the clone appends and pushes, we fast-forward
    theirs.append(entry("retracted"))
    theirs.push()
    ours.fetch()
    assert ours.entries == theirs.entries and ours.tip == theirs.tip
    assert Ledger.open(repo).entries == theirs.entries


def test_a_concurrent_push_wins_and_ours_fails_without_overwriting(repo: Path, remote: Path, tmp_path: Path) -> None:
    ours = Ledger.open(repo)
    ours.append(entry("drafted", run="base"))
    ours.push()
    theirs = Ledger.open(clone(remote, tmp_path / "other"))
    theirs.fetch()
    theirs.append(entry("published", run="theirs"))
    theirs.push()
    ours.append(entry("published", OTHER, run="ours"))
    with pytest.raises(LedgerConflict) as caught:
        ours.push()
    assert "拒绝" in caught.value.message and "未被覆盖" in caught.value.message
    assert "--push origin" in caught.value.hint
    assert git(remote, "rev-parse", LEDGER_REF) == theirs.tip  # nothing overwritten
    # The way out the hint gives: fetch (re-appends ours after theirs), then push
    notes: list[str] = []
    ours.fetch(say=notes.append)
    assert [e.run for e in ours.entries] == ["base", "theirs", "ours"]
    assert notes and "1 条" in notes[0]
    assert theirs.tip is not None and ours.tip is not None
    assert git(repo, "merge-base", "--is-ancestor", theirs.tip, ours.tip) == ""  # both histories kept
    ours.push()
    theirs.fetch()
    assert [e.run for e in theirs.entries] == ["base", "theirs", "ours"]


def test_fetch_keeps_local_entries_the_remote_lacks(repo: Path, remote: Path) -> None:
    ledger = Ledger.open(repo)
    ledger.append(entry("drafted"))
    ledger.push()
    ledger.append(entry("published"), entry("published", OTHER))
    tip = ledger.tip
    notes: list[str] = []
    ledger.fetch(say=notes.append)
    assert ledger.tip == tip and len(ledger.entries) == 3
    assert notes == ["本地发布记录比远程 origin 多 2 条(尚未推送),保留本地记录"]


def test_fetch_from_a_remote_without_a_ledger(repo: Path, remote: Path) -> None:
    ledger = Ledger.open(repo)
    notes: list[str] = []
    ledger.fetch(say=notes.append)
    assert ledger.entries == () and notes == []
    ledger.append(entry("published"))
    ledger.fetch(say=notes.append)
    assert len(ledger.entries) == 1 and "还没有发布记录" in notes[0]
    ledger.push()
    assert git(remote, "rev-parse", LEDGER_REF) == ledger.tip


def test_push_without_fetch_does_not_overwrite_an_existing_remote_ledger(repo: Path, remote: Path, tmp_path: Path) -> None:
    theirs = Ledger.open(clone(remote, tmp_path / "other"))
    theirs.append(entry("published", run="theirs"))
    theirs.push()
    ours = Ledger.open(repo)
    ours.append(entry("published", run="ours"))
    with pytest.raises(LedgerConflict):
        ours.push()
    assert git(remote, "rev-parse", LEDGER_REF) == theirs.tip


def test_a_push_the_remote_refuses_is_not_called_a_race(repo: Path, remote: Path) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'refs/wxpub/* is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    ledger = Ledger.open(repo)
    ledger.append(entry("published"))
    with pytest.raises(UserError) as caught:
        ledger.push()
    assert not isinstance(caught.value, LedgerConflict)
    assert "pre-receive hook declined" in caught.value.message and "is protected" in caught.value.message
    assert "写入仓库的权限" in caught.value.hint
    assert subprocess.run(["git", "-C", str(remote), "rev-parse", "-q", "--verify", LEDGER_REF]).returncode != 0


def test_network_errors_are_user_errors_without_the_token(repo: Path) -> None:
    ledger = Ledger.open(repo)
    ledger.append(entry("published"))
    url = "http://x-access-token:ghs_SECRET123@127.0.0.1:9/school/content.git"  # nothing listens on port 9
    git(repo, "remote", "add", "tokened", url)
    actions: list[Callable[[], None]] = [lambda: ledger.fetch(url), lambda: ledger.push(url),
                                         lambda: ledger.fetch("tokened"), lambda: ledger.push("tokened")]
    for action in actions:
        with pytest.raises(UserError) as caught:
            action()
        text = str(caught.value)
        assert "ghs_SECRET123" not in text and "无法" in text, text
    assert not any("SECRET" in ref for ref in git(repo, "for-each-ref", "--format=%(refname)").split())


# -- queries ----------------------------------------------------------------------------


def test_latest_and_steps_for(repo: Path) -> None:
    ledger = Ledger.open(repo)
    ledger.append(entry("drafting", content_hash="h1"), entry("drafted", content_hash="h1"),
                  entry("drafting", OTHER), entry("drafting", content_hash="h2"))
    latest = ledger.latest(ARTICLE)
    assert latest is not None and (latest.step, latest.content_hash) == ("drafting", "h2")
    assert [e.step for e in ledger.steps_for(ARTICLE, "h1")] == ["drafting", "drafted"]
    assert ledger.latest("content/nowhere/index.md") is None


def test_uploads_by_file_hash(repo: Path) -> None:
    ledger = Ledger.open(repo)
    ledger.append(entry("image_uploaded", sha="s1", url="http://mmbiz.qpic.cn/1"),
                  entry("cover_uploaded", sha="s2", media_id="m2", url="http://mmbiz.qpic.cn/2"),
                  entry("cover_uploaded", account="youth", sha="s3", media_id="m3"),
                  entry("published", sha="s4"),
                  entry("image_uploaded", sha="s1", url="http://mmbiz.qpic.cn/1-again"))
    uploads = ledger.uploads()
    assert set(uploads) == {"s1", "s2", "s3"}
    assert dict(uploads["s1"]) == {"sha": "s1", "url": "http://mmbiz.qpic.cn/1-again", "kind": "image",
                                   "batch": "", "reupload": False}
    assert uploads["s2"]["kind"] == "cover" and uploads["s2"]["media_id"] == "m2"
    assert set(ledger.uploads("official")) == {"s1", "s2"}


def test_published_drops_retracted_articles_until_published_again(repo: Path) -> None:
    ledger = Ledger.open(repo)
    ledger.append(entry("drafting"), entry("published", url="u1"), entry("drafted", OTHER, media_id="m"),
                  entry("retracting"), entry("retracted"), entry("published", "", publish_id="batch-level"))
    assert [(e.path, e.step) for e in ledger.published()] == [(OTHER, "drafted")]
    ledger.append(entry("published", content_hash="h2", url="u2"))
    assert [(e.path, e.data.get("url")) for e in ledger.published()] == [(OTHER, None), (ARTICLE, "u2")]


def test_count_on_uses_the_local_date(repo: Path) -> None:
    ledger = Ledger.open(repo)
    late = "2026-10-20T23:30:00+00:00"  # 07:30 on 21 October in Shanghai
    ledger.append(entry("published", at=late), entry("published", at=late),  # recorded twice by a resumed run
                  entry("mass_sent", OTHER, at="2026-10-21T01:00:00+00:00"),
                  entry("drafting", "content/official/publicity/2026-10-22-x/index.md", at=late),
                  entry("published", "content/youth/league/2026-10-21-y/index.md", account="youth", at=late),
                  entry("retracted", at="2026-10-21T02:00:00+00:00"))
    assert ledger.count_on("official", datetime.date(2026, 10, 21), SHANGHAI) == 2  # retracted still used the slot
    assert ledger.count_on("official", datetime.date(2026, 10, 20), SHANGHAI) == 0
    assert ledger.count_on("official", datetime.date(2026, 10, 20), datetime.timezone.utc) == 1
    assert ledger.count_on("youth", datetime.date(2026, 10, 21), SHANGHAI) == 1


def test_ledger_writes_ask_git_to_fsync(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A power loss must not lose the record of a call that was made: every ref move runs with
    core.fsync covering committed objects and refs (seen through git's own trace2 events)."""
    events = tmp_path / "trace2.json"
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(events))
    monkeypatch.setenv("GIT_TRACE2_CONFIG_PARAMS", "core.fsync,core.fsyncMethod")
    ledger = Ledger.open(repo)
    ledger.append(entry("published"))
    ledger.append(entry("published", OTHER))
    moves = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
    settings = [(e["param"], e["value"]) for e in moves if e.get("event") == "def_param"]
    assert settings.count(("core.fsync", "committed,reference")) == 2
    assert settings.count(("core.fsyncmethod", "fsync")) == 2


def test_a_line_from_a_newer_wxpub_stops_reading(repo: Path) -> None:
    ledger = Ledger.open(repo)
    ledger.append(entry("published", v=2))
    newer = json.loads(entry("published", OTHER, v=2).to_json()) | {"v": 3}
    raw = (git(repo, "show", f"{LEDGER_REF}:ledger.jsonl") + "\n" + json.dumps(newer) + "\n").encode()
    blob = subprocess.run(["git", "-C", str(repo), "hash-object", "-w", "--stdin"], input=raw, capture_output=True,
                          check=True).stdout.decode().strip()
    tree = subprocess.run(["git", "-C", str(repo), "mktree"], input=f"100644 blob {blob}\tledger.jsonl\n".encode(),
                          capture_output=True, check=True).stdout.decode().strip()
    commit = git(repo, "commit-tree", tree, "-p", LEDGER_REF, "-m", "from the future")
    git(repo, "update-ref", LEDGER_REF, commit)
    with pytest.raises(UserError, match="格式版本 3.*请先升级 wxpub") as caught:
        Ledger.open(repo)
    assert "pip install -U wxpub" in caught.value.hint
