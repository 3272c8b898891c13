"""Preview drafts are never changed (pipeline/wechat_preview.py): a reviewer's phone message keeps
showing the commit they were told it is, whatever runs later; stale preview drafts are cleaned up
and never taken for anything else. Real wechatpy over HTTP to the sandbox, real Git repositories.

The sandbox's state says what each preview message `shows` when opened now (the draft as it is,
None once deleted): WeChat documents no snapshot, so the stricter reading."""

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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.sending import PREVIEW_MARKER, marker_of
from pipeline.wechat_preview import KEEP_SECONDS
from tests.testing.fixtures import PROJECT, commit_all, git, http, make_repo, write_article

ARTICLE = "content/official/publicity/2026-10-20-sports-day"
APPID = "wxsandboxofficial"
ZHANG = {"openid": "oZhangsan000000000000000001", "wxname": "zhangsan_jcu"}
LISI = {"openid": "oLisi0000000000000000000002"}
LUNCH = "2026-11-25 12:30"
DAY = 24 * 3600


def setup_world(repo: Path, sandbox: str) -> str:
    """The article committed on main; 张三 and 李四 follow the account. The commit."""
    write_article(repo)
    head = commit_all(repo, "one article")
    http(sandbox + "/sandbox/accounts", {"appid": APPID, "secret": "registered-before-the-cli", "name": "江城大学"})
    http(sandbox + "/sandbox/followers", {"appid": APPID, "followers": [ZHANG, LISI]})
    return head


@pytest.fixture
def world(repo: Path, sandbox: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, str]:
    monkeypatch.setenv("WXPUB_PREVIEW_OPENID_LISI", LISI["openid"])
    return repo, sandbox, setup_world(repo, sandbox)


def state(sandbox: str) -> dict[str, Any]:
    answer: dict[str, Any] = http(sandbox + "/sandbox/state")
    return answer


def preview_drafts(world: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in world["drafts"] if marker_of(d["articles"][0]["content"], PREVIEW_MARKER)]


def edit(repo: Path, title: str, branch: str | None = None) -> str:
    """A commit giving the article `title` (on `branch`, from main, when given): its sha."""
    if branch is not None:
        git(repo, "checkout", "-q", "-B", branch) if not _has(repo, branch) else git(repo, "checkout", "-q", branch)
    index = repo / ARTICLE / "index.md"
    lines = index.read_text(encoding="utf-8").splitlines(keepends=True)
    index.write_text("".join(f"title: {title}\n" if line.startswith("title:") else line for line in lines),
                     encoding="utf-8")
    sha = commit_all(repo, f"title {title}")
    if branch is not None:
        git(repo, "checkout", "-q", "main")
    return sha


def _has(repo: Path, branch: str) -> bool:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "-q", "--verify", f"refs/heads/{branch}"],
                          capture_output=True).returncode == 0


def preview_at(repo: Path, sandbox: str, capsys: pytest.CaptureFixture[str], rev: str, *to: str) -> dict[str, Any]:
    code = main(["--root", str(repo), "preview", "--wechat", ARTICLE, "--rev", rev, "--to", *to,
                 "--sandbox-url", sandbox, "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0 and "Traceback" not in captured.err, captured.err
    report: dict[str, Any] = json.loads(captured.out)
    return report


def test_a_preview_of_commit_b_leaves_the_message_of_commit_a_showing_a(
        world: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """A reviewer's preview of A, then one of B from another pull request: the draft the first
    message points to still holds A; a day later a third run deletes A's and B's drafts, and
    A's message opens a deleted draft, never another commit's content."""
    repo, sandbox, _ = world
    a = edit(repo, "秋季运动会甲版", branch="pr-1")
    b = edit(repo, "秋季运动会乙版", branch="pr-2")
    first = preview_at(repo, sandbox, capsys, a, "张三")
    http(sandbox + "/sandbox/clock", {"advance": 3600})
    second = preview_at(repo, sandbox, capsys, b, "李四")
    assert (first["version"], second["version"]) == (a, b) and second["deleted"] == []
    to_zhang, to_lisi = state(sandbox)["previews"]
    assert to_zhang["media_id"] == first["media_id"] and to_zhang["shows"][0]["title"] == "秋季运动会甲版"
    assert to_lisi["shows"][0]["title"] == "秋季运动会乙版"
    marks = {marker_of(d["articles"][0]["content"], PREVIEW_MARKER) for d in preview_drafts(state(sandbox))}
    assert {m.partition(".")[2] for m in marks if m} == {a, b}

    http(sandbox + "/sandbox/clock", {"advance": KEEP_SECONDS - 1800})  # A: 24.5 h old, B: 23.5 h (and the seconds a busy machine takes)
    third = preview_at(repo, sandbox, capsys, a, "张三")
    assert third["deleted"] == [first["media_id"]]  # B's is not older than a day before this run's own
    http(sandbox + "/sandbox/clock", {"advance": 1800 + 61})
    fourth = preview_at(repo, sandbox, capsys, a, "张三")
    assert fourth["deleted"] == [second["media_id"]]
    shows = [p["shows"] for p in state(sandbox)["previews"]]
    assert shows[0] is None and shows[1] is None  # gone: deleted, never rewritten
    assert [s[0]["title"] for s in shows[2:] if s] == ["秋季运动会甲版", "秋季运动会甲版"]
    assert [d["media_id"] for d in preview_drafts(state(sandbox))] == [third["media_id"], fourth["media_id"]]


def test_a_run_killed_between_add_and_send_leaves_nothing_anyone_takes(
        world: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """SIGKILL after draft/add answered, while the preview is on its way: the draft is left,
    sent to nobody. A later run of another commit adds its own and does not point a phone at
    it; the publisher publishes the article as if nothing happened and `status --verify` sees no
    stray attempt; the first run a day later deletes it."""
    repo, sandbox, main_sha = world
    http(sandbox + "/sandbox/faults", {"endpoint": "message/mass/preview", "delay": 8, "errcode": -1})
    run = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(repo), "preview", "--wechat", ARTICLE,
                            "--rev", main_sha, "--to", "张三", "--sandbox-url", sandbox],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=PROJECT, env={**os.environ})
    try:
        deadline = time.monotonic() + 60  # the sandbox counts a call before its fault's delay
        while "message/mass/preview" not in state(sandbox)["calls"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(preview_drafts(state(sandbox))) == 1  # draft/add answered; the preview is on its way
    finally:
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=30)
    [orphan] = preview_drafts(state(sandbox))
    assert state(sandbox)["previews"] == []  # the fault answers once: the next preview goes through

    b = edit(repo, "秋季运动会新版", branch="pr-2")
    later = preview_at(repo, sandbox, capsys, b, "李四")
    assert later["media_id"] != orphan["media_id"] and later["deleted"] == []
    [message] = state(sandbox)["previews"]
    assert message["media_id"] == later["media_id"] and message["shows"][0]["title"] == "秋季运动会新版"

    code = main(["--root", str(repo), "publish", "--sandbox-url", sandbox, "--now", LUNCH, "--format", "json"])
    published = json.loads(capsys.readouterr().out)
    assert code == 0 and [p["path"] for p in published["published"]] == [f"{ARTICLE}/index.md"], published
    world_after = state(sandbox)
    assert {d["media_id"] for d in preview_drafts(world_after)} == {orphan["media_id"], later["media_id"]}
    assert all(marker_of(a["content"], PREVIEW_MARKER) is None for p in world_after["publications"] for a in p["articles"])
    code = main(["--root", str(repo), "status", "--sandbox-url", sandbox, "--verify", "--format", "json"])
    verified = json.loads(capsys.readouterr().out)
    assert code == 0 and verified["disagreements"] == [], verified

    http(sandbox + "/sandbox/clock", {"advance": KEEP_SECONDS + 1})
    cleaner = preview_at(repo, sandbox, capsys, b, "张三")
    assert set(cleaner["deleted"]) == {orphan["media_id"], later["media_id"]}
    assert [d["media_id"] for d in preview_drafts(state(sandbox))] == [cleaner["media_id"]]


# -- any sequence of previews from two pull requests -------------------------------------------------

_STEP = st.tuples(st.sampled_from(["pr-1", "pr-2"]), st.booleans(), st.sampled_from([0, 1, 3600, KEEP_SECONDS]),
                  st.sampled_from(["张三", "李四"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_STEP, min_size=2, max_size=6))
def test_any_sequence_of_previews_from_two_pull_requests(steps: list[tuple[str, bool, int, str]],
                                                         tmp_path_factory: pytest.TempPathFactory,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Each step: a pull request maybe pushes a new commit, the sandbox clock moves on, and
    its head is previewed to one reviewer. After every step: every message ever sent shows
    the commit it was sent for or nothing (deleted), never another; every message whose draft
    is less than a day older than the newest still shows it; no preview draft is more than a
    day older than the newest, and every one is some message's."""
    from pipeline.sandbox import start_in_thread

    monkeypatch.setenv("WXPUB_PREVIEW_OPENID_LISI", LISI["openid"])
    base = tmp_path_factory.mktemp("previews")
    server, sandbox = start_in_thread(base / "sandbox.sqlite3")
    try:
        repo = make_repo(base)
        setup_world(repo, sandbox)
        heads: dict[str, tuple[str, str]] = {}
        sent: list[tuple[str, str]] = []  # per message, in order: the commit it was sent for, and its title
        for number, (branch, push, advance, name) in enumerate(steps):
            if push or branch not in heads:
                title = f"{branch}第{number}版"
                heads[branch] = (edit(repo, title, branch=branch), title)
            if advance:
                http(sandbox + "/sandbox/clock", {"advance": advance})
            sha, title = heads[branch]
            report = preview_at(repo, sandbox, capsys, sha, name)
            assert report["version"] == sha
            sent.append((sha, title))
            world_now = state(sandbox)
            drafts = {d["media_id"]: d for d in preview_drafts(world_now)}
            newest = max(int(d["created_at"]) for d in drafts.values())  # WeChat's create_time: whole seconds
            assert min(int(d["created_at"]) for d in drafts.values()) >= newest - KEEP_SECONDS
            messages = world_now["previews"]
            assert len(messages) == len(sent)
            assert set(drafts) <= {m["media_id"] for m in messages}
            for message, (commit, title) in zip(messages, sent, strict=True):
                if message["shows"] is not None:
                    assert message["shows"][0]["title"] == title
                    mark = marker_of(message["shows"][0]["content"], PREVIEW_MARKER)
                    assert mark is not None and mark.endswith("." + commit)
                else:
                    assert message["media_id"] not in drafts
            for message in messages:  # the promise, whatever the constant: a day to open the message
                if message["media_id"] in drafts or message["sent_at"] >= newest - DAY + 1:
                    assert message["shows"] is not None, (message, newest)
    finally:
        server.shutdown()


def test_a_draft_of_the_one_draft_era_is_never_reused_and_goes_a_day_later(
        world: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """A preview draft an earlier wxpub kept per article (marker: the folder's key alone, updated
    in place) is not this version's: a preview adds its own, and the first run a day after the
    old draft was added deletes it."""
    from pipeline.sending import with_marker
    from pipeline.wechat import Credentials, WeChat

    repo, sandbox, head = world
    first = preview_at(repo, sandbox, capsys, head, "张三")
    [ours] = preview_drafts(state(sandbox))
    http(sandbox + "/sandbox/accounts", {"appid": APPID, "secret": "legacy-secret-0001"})
    client = WeChat(Credentials(APPID, "legacy-secret-0001"), base_url=sandbox + "/cgi-bin/", timeout=30)
    legacy = {k: v for k, v in ours["articles"][0].items() if k not in ("url", "thumb_url")}
    key = marker_of(legacy["content"], PREVIEW_MARKER).partition(".")[0]  # type: ignore[union-attr]
    legacy_id = client.add_draft([{**legacy, "title": "旧版预览草稿", "content": with_marker(legacy["content"], key,
                                                                                         PREVIEW_MARKER)}])
    second = preview_at(repo, sandbox, capsys, head, "李四")
    assert second["media_id"] not in (legacy_id, first["media_id"]) and second["deleted"] == []
    assert state(sandbox)["previews"][-1]["shows"][0]["title"] != "旧版预览草稿"
    http(sandbox + "/sandbox/clock", {"advance": KEEP_SECONDS + 1})
    third = preview_at(repo, sandbox, capsys, head, "张三")
    assert set(third["deleted"]) == {first["media_id"], legacy_id, second["media_id"]}


_HEX40 = st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)
_FOLDER = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"), min_size=1,
                  max_size=20).filter(lambda name: name not in (".", ".."))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(folder=_FOLDER, commit=st.one_of(st.none(), _HEX40, _HEX40.map(str.upper)))
def test_a_preview_marker_reads_back_as_its_article_and_version_and_as_nothing_else(
        repo: Path, folder: str, commit: str | None) -> None:
    """Any article folder, any commit (or the working tree): the marker on the HTML reads back
    whole through the one marker reader, splits into the folder's key and the version, and is
    neither the publisher's marker nor the anchor's."""
    import dataclasses
    from pathlib import PurePosixPath

    from pipeline.content import Article, load_article
    from pipeline.sending import ANCHOR_MARKER, MARKER, with_marker
    from pipeline.snapshot import WorkTree
    from pipeline.wechat_preview import preview_key, preview_mark

    if not (repo / ARTICLE).exists():
        write_article(repo)
    loaded = load_article(WorkTree(repo), PurePosixPath(ARTICLE) / "index.md")
    assert isinstance(loaded, Article)
    article = dataclasses.replace(loaded, path=PurePosixPath("content/official/publicity") / folder / "index.md")
    mark = preview_mark(article, commit)
    html = with_marker('<section data-wxpub="x.1"><p>正文</p></section>', mark, PREVIEW_MARKER)
    assert marker_of(html, PREVIEW_MARKER) == mark
    key, dot, version = mark.partition(".")
    assert dot and key == preview_key(article) and "." not in version
    assert version == (commit.lower() if commit else "w" + article.content_hash.removeprefix("sha256:")[:40])
    assert marker_of(html, MARKER) == "x.1" and marker_of(html, ANCHOR_MARKER) is None
    other = dataclasses.replace(article, path=PurePosixPath("content/official/publicity") / (folder + "x") / "index.md")
    assert preview_mark(other, commit).partition(".")[0] != key
