"""A second attack on "exactly once" (issue 11), from the outside only: the CLI, the sandbox
over HTTP, real Git repositories. Each test is one finding; an xfail(strict) test is a problem
still open, a plain test one that was fixed or held."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.testing.fixtures import VALID_BODY, commit_all, git, http, jpeg_bytes, make_repo, run_cli, write_article
from tests.testing.publishing import world


def publish(root: Path, capsys: pytest.CaptureFixture[str], sandbox: str, now: str,
            *extra: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", now,
                             "--format", "json", *extra)
    assert out, err
    return code, json.loads(out)


def state(sandbox: str) -> dict[str, Any]:
    return world(sandbox.rstrip("/"))


MASS = {"account": "cs-college", "department": "cs-college"}


# Finding 1, a moved folder of a mass-sent article reaching followers twice, is tested in
# tests/test_moved_articles.py (test_a_mass_sent_article_whose_slug_is_fixed_reaches_followers_once).


def remote_and_clone(tmp_path: Path) -> tuple[Path, Path]:
    """A bare 'origin' holding the content repository, and the first runner's clone of it."""
    root = make_repo(tmp_path)
    write_article(root, slug="2026-10-20-first")
    commit_all(root, "first")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(root), str(origin)], check=True)
    return origin, clone(origin, tmp_path / "runner-a")


def clone(origin: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(where)], check=True)
    git(where, "config", "user.email", "ci@example.invalid")
    git(where, "config", "user.name", "ci")
    return where


LEDGER = "refs/wxpub/sandbox-ledger"


def published_titles(sandbox: str) -> list[str]:
    return sorted(a["title"] for p in state(sandbox)["publications"] for a in p["articles"])


def test_a_ledger_rewound_by_a_force_push_does_not_make_a_fresh_runner_publish_again(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    origin, a = remote_and_clone(tmp_path)
    code, report = publish(a, capsys, sandbox, "2026-10-20 12:30", "--push", "origin")
    assert code == 0 and len(report["published"]) == 1, report
    stale = git(origin, "rev-parse", LEDGER)  # what a stale clone of the ledger holds
    write_article(a, slug="2026-10-21-second", front_matter={"title": "第二篇"})
    commit_all(a, "second")
    git(a, "push", "-q", "origin", "main")
    code, report = publish(a, capsys, sandbox, "2026-10-21 12:30", "--push", "origin")
    assert code == 0 and len(report["published"]) == 1, report
    git(origin, "update-ref", LEDGER, stale)  # someone force-pushes the stale copy
    fresh = clone(origin, tmp_path / "runner-b")
    code, out, err = run_cli(fresh, capsys, "publish", "--sandbox-url", sandbox, "--now", "2026-10-21 17:45",
                             "--format", "json", "--push", "origin")
    assert published_titles(sandbox) == ["学校举行秋季运动会", "第二篇"], "published twice"
    assert code == 2 and "发布记录里却没有" in err, (out, err)  # refused, saying why


class Garbling:
    """An HTTP proxy in front of the sandbox that passes every call through, but answers the
    `nth` call to `endpoint` (after WeChat carried it out) with `body` and HTTP 200: what a
    gateway or a half-broken answer looks like to the client."""

    def __init__(self, sandbox: str, endpoint: str, body: bytes, nth: int = 1) -> None:
        import http.server
        import threading
        import urllib.request

        target, self.seen = sandbox.rstrip("/"), 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type",)}
                request = urllib.request.Request(target + self.path, data=data, headers=headers,
                                                 method=self.command)
                with urllib.request.urlopen(request, timeout=30) as response:
                    answer, kind = response.read(), response.headers.get("Content-Type", "application/json")
                if self.path.split("?")[0] == f"/cgi-bin/{endpoint}":
                    outer.seen += 1
                    if outer.seen == nth:
                        answer, kind = body, "text/html"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_DELETE = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()


def png_bytes() -> bytes:
    return jpeg_bytes(300, 200, color=(10, 160, 60), fmt="PNG")


GATEWAY_PAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


@pytest.mark.parametrize("body", [GATEWAY_PAGE, b'{"errcode": 0, "errmsg": "ok"}', b"[]", b'{"media_id"'])
@pytest.mark.parametrize("endpoint", ["draft/add", "freepublish/submit", "material/add_material",
                                      "freepublish/get", "media/uploadimg", "stable_token"])
def test_a_successful_call_answered_with_a_body_wechatpy_cannot_read_is_not_a_crash(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], endpoint: str, body: bytes) -> None:
    """The call takes effect, the answer is a gateway page, a success without its field, not an
    object, or cut off: the run says so (no traceback), the next run finishes, nothing twice."""
    root = make_repo(tmp_path)
    write_article(root, slug="2026-10-20-a", body=VALID_BODY + "\n![图](photo.png)\n",
                  files={"photo.png": png_bytes()})
    write_article(root, slug="2026-10-20-b", front_matter={"title": "第二篇"},
                  files={"cover.jpg": jpeg_bytes(color=(200, 30, 30))})
    commit_all(root, "two")
    proxy = Garbling(sandbox, endpoint, body)
    try:
        code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", proxy.url, "--now", "2026-10-20 12:30",
                                 "--format", "json", "--lease", "0")
    finally:
        proxy.close()
    assert proxy.seen >= 1, f"{endpoint} was never called: the test tried nothing"
    assert code != 3 and "内部错误" not in err, err
    code, report = publish(root, capsys, sandbox, "2026-10-20 12:31", "--lease", "0")
    assert sorted(published_titles(sandbox)) == ["学校举行秋季运动会", "第二篇"]
    assert not report["failed"], report
    after = state(sandbox)
    assert after["drafts"] == [], "an orphan draft was left"
    assert len(after["materials"]) == 2, "a cover was uploaded twice"
    assert len(after["uploads"]) <= 2, "more than the one documented extra body-image upload"


@pytest.mark.parametrize("account", ["official", "youth"])  # cs-college's cap is 1 article a day
def test_retracting_one_of_two_look_alike_articles_takes_down_that_one(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], account: str) -> None:
    """Two articles of one message with the same title, author and cover bytes, only the body
    differs: deleting the second folder takes down the second, never its twin."""
    where = {"official": {}, "youth": {"account": "youth", "department": "youth-league"}}[account]
    root = make_repo(tmp_path)
    write_article(root, slug="2026-10-20-a", body=VALID_BODY + "\n甲。\n", **where)
    write_article(root, slug="2026-10-20-b", body=VALID_BODY + "\n乙。\n", **where)
    commit_all(root, "twins")
    code, report = publish(root, capsys, sandbox, "2026-10-20 12:30")
    assert code == 0 and len(report["published"]) == 2, report
    git(root, "rm", "-q", "-r", f"content/{account}/{where.get('department', 'publicity')}/2026-10-20-b")
    commit_all(root, "take b down")
    code, report = publish(root, capsys, sandbox, "2026-10-20 12:40")
    assert [r["path"].split("/")[3] for r in report["retracted"]] == ["2026-10-20-b"], report
    after = state(sandbox)
    live = [a["content"] for key in ("publications", "mass_sends", "drafts") for m in after[key]
            for a in m["articles"] if not a.get("is_deleted")]
    assert len(live) == 1 and "甲" in live[0] and "乙" not in live[0], live
    assert len(after["materials"]) == 1, "one cover, uploaded once for both"


def fault(sandbox: str, spec: dict[str, Any]) -> None:
    http(sandbox.rstrip("/") + "/sandbox/faults", spec)


def live_articles(sandbox: str) -> list[dict[str, Any]]:
    after = state(sandbox)
    return [a for key in ("publications", "mass_sends") for m in after[key] for a in m["articles"]
            if not a.get("is_deleted")]


@pytest.mark.parametrize("endpoint", ["draft/add", "freepublish/submit"])
@pytest.mark.parametrize("change", ["edit", "move"])
def test_an_article_changed_while_its_message_is_half_sent_goes_out_once(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], endpoint: str, change: str) -> None:
    """The answer to draft/add or submit is lost (the call took effect); before the next run
    the editor fixes a typo in the article, or moves its folder. One copy reaches readers, and
    no draft is left behind."""
    root = make_repo(tmp_path)
    index = write_article(root, slug="2026-10-20-a")
    commit_all(root, "a")
    fault(sandbox, {"endpoint": endpoint, "drop": True, "when": "after"})
    code, report = publish(root, capsys, sandbox, "2026-10-20 12:30", "--lease", "0")
    assert not report["published"], report
    if change == "edit":
        index.write_text(index.read_text(encoding="utf-8").replace("秋季运动会，", "秋季田径运动会，"), encoding="utf-8")
    else:
        git(root, "mv", "content/official/publicity/2026-10-20-a", "content/official/publicity/2026-10-20-b")
    commit_all(root, change)
    for minute in (31, 32, 33):  # a few runs: whatever the first leaves, the next may finish
        code, report = publish(root, capsys, sandbox, f"2026-10-20 12:{minute}", "--lease", "0")
    assert len(live_articles(sandbox)) == 1, [a["title"] for a in live_articles(sandbox)]
    assert state(sandbox)["drafts"] == [], "a draft was left behind"


def test_a_runner_whose_clock_is_hours_behind_does_not_exceed_the_daily_cap(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Two runners share a ledger; the second's clock is 15 hours slow (a VM restored from a
    snapshot, a wrong time zone). Official's cap is 2 a day: 4 articles are due."""
    root = make_repo(tmp_path)
    for n in range(4):
        write_article(root, slug=f"2026-10-20-n{n}", front_matter={"title": f"第 {n} 篇"},
                      files={"cover.jpg": jpeg_bytes(color=(40 * n, 90, 160))})
    commit_all(root, "four")
    code, report = publish(root, capsys, sandbox, "2026-10-21 12:30")
    assert len(report["published"]) == 2, report
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", "2026-10-20 21:30",
                             "--format", "json")  # the same moment, on a clock 15 h slow
    assert len(published_titles(sandbox)) == 2, "4 articles went out on one day with a cap of 2"
    assert code == 2 and "本机时钟" in err and "早 15.0 小时" in err and "NTP" in err, err
    code, report = publish(root, capsys, sandbox, "2026-10-21 12:20")  # minutes off: tolerated
    assert code == 0 and not report["published"] and len(report["queued"]) == 2, report


def test_a_rerun_pinned_to_an_older_commit_does_not_publish_what_main_removed(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Commit N adds an article after the day's window; commit N+1 takes it out again (it named
    the wrong date). Before the window opens no run writes anything; then the workflow run of
    N is re-run (GitHub re-runs check out the run's own SHA): it must not publish."""
    origin, a = remote_and_clone(tmp_path)
    write_article(a, slug="2026-10-20-wrong", front_matter={"title": "错误的通知"})
    older = commit_all(a, "N: a notice")
    git(a, "rm", "-q", "-r", "content/official/publicity/2026-10-20-wrong")
    commit_all(a, "N+1: withdrawn before it went out")
    git(a, "push", "-q", "origin", "main")
    code, report = publish(a, capsys, sandbox, "2026-10-20 11:00", "--push", "origin")  # run of N+1
    rerun = clone(origin, tmp_path / "rerun")
    git(rerun, "checkout", "-q", older)
    code, out, err = run_cli(rerun, capsys, "publish", "--sandbox-url", sandbox, "--now", "2026-10-20 12:30",
                             "--push", "origin")
    assert "错误的通知" not in published_titles(sandbox), "a withdrawn notice went out"
    assert code == 2 and older[:12] in err, err  # says it is behind main, naming the commit
    newest = git(a, "rev-parse", "HEAD")
    assert f"{older[:12]} 之后,main 已有更新的提交 {newest[:12]}" in err and "不予发布" in err, err
    # the run of the newest commit publishes what is due, and not the withdrawn notice
    code, report = publish(a, capsys, sandbox, "2026-10-20 12:31", "--push", "origin")
    assert [p["path"] for p in report["published"]] == ["content/official/publicity/2026-10-20-first/index.md"], report
    assert "错误的通知" not in published_titles(sandbox)


def test_a_remote_that_cannot_be_reached_publishes_nothing(tmp_path: Path, sandbox: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Whether main has moved on is asked of the remote first: a remote that cannot answer stops
    the run before anything is sent, saying why."""
    origin, a = remote_and_clone(tmp_path)
    git(a, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    code, out, err = run_cli(a, capsys, "publish", "--sandbox-url", sandbox, "--now", "2026-10-20 12:30",
                             "--push", "origin")
    assert code == 2 and "无法从远程读取 main 的最新提交" in err and "Traceback" not in err, err
    assert published_titles(sandbox) == []


def test_a_tidy_up_hidden_one_commit_below_the_remote_tip_is_refused_not_followed(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Someone pushes to the remote ledger a commit that drops the last publication's lines,
    then one more commit on top that changes nothing. Only the tip is compared with its
    parent, so the fetch fast-forwards over the tidy-up and the article goes out again."""
    origin, a = remote_and_clone(tmp_path)
    code, report = publish(a, capsys, sandbox, "2026-10-20 12:30", "--push", "origin")
    assert len(report["published"]) == 1, report
    day_one = git(origin, "rev-parse", LEDGER)
    write_article(a, slug="2026-10-21-second", front_matter={"title": "第二篇"})
    commit_all(a, "second")
    git(a, "push", "-q", "origin", "main")
    code, report = publish(a, capsys, sandbox, "2026-10-21 12:30", "--push", "origin")
    assert len(report["published"]) == 1, report
    tip, tree = git(origin, "rev-parse", LEDGER), git(origin, "rev-parse", f"{day_one}^{{tree}}")
    tidy = git(origin, "commit-tree", tree, "-p", tip, "-m", "tidy up")
    quiet = git(origin, "commit-tree", tree, "-p", tidy, "-m", "nothing")
    git(origin, "update-ref", LEDGER, quiet)
    code, out, err = run_cli(a, capsys, "publish", "--sandbox-url", sandbox, "--now", "2026-10-22 12:30",
                             "--push", "origin")
    assert published_titles(sandbox) == ["学校举行秋季运动会", "第二篇"], "published twice"
    assert code == 2 and tidy[:12] in err, err  # says which commit dropped lines


def ledger_steps(root: Path) -> list[str]:
    raw = git(root, "show", f"{LEDGER}:ledger.jsonl")
    return [json.loads(line)["step"] for line in raw.splitlines() if line.strip()]


@pytest.mark.parametrize("body", [GATEWAY_PAGE, b"[]"])
@pytest.mark.parametrize("account", ["official", "youth", "cs-college"])
def test_a_retraction_answered_with_a_body_wechatpy_cannot_read_is_recorded_only_once_confirmed(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], account: str, body: bytes) -> None:
    """The delete takes effect, its answer is unreadable: no traceback, no "retracted" record
    from that answer; a later run confirms with WeChat and records it once. In a draft of two,
    the sibling stays."""
    where = {"official": {}, "youth": {"account": "youth", "department": "youth-league"}, "cs-college": MASS}[account]
    endpoint = {"official": "freepublish/delete", "youth": "draft/add", "cs-college": "message/mass/delete"}[account]
    root = make_repo(tmp_path)
    write_article(root, slug="2026-10-20-a", body=VALID_BODY + "\n甲。\n", **where)
    if account == "youth":  # a draft of two: taking one out rebuilds the draft (draft/add)
        write_article(root, slug="2026-10-20-b", body=VALID_BODY + "\n乙。\n", **where)
    commit_all(root, "out")
    code, report = publish(root, capsys, sandbox, "2026-10-20 12:30")
    assert code == 0 and report["published"], report
    git(root, "rm", "-q", "-r", f"content/{account}/{where.get('department', 'publicity')}/2026-10-20-a")
    commit_all(root, "take a down")
    proxy = Garbling(sandbox, endpoint, body)
    try:
        code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", proxy.url, "--now", "2026-10-20 12:40",
                                 "--lease", "0")
    finally:
        proxy.close()
    assert proxy.seen >= 1 and code != 3 and "内部错误" not in err, err
    for minute in (41, 42):
        code, report = publish(root, capsys, sandbox, f"2026-10-20 12:{minute}", "--lease", "0")
    assert ledger_steps(root).count("retracted") == 1, ledger_steps(root)
    after = state(sandbox)
    live = [a["content"] for key in ("publications", "mass_sends", "drafts") for m in after[key]
            for a in m["articles"] if not a.get("is_deleted")]
    assert all("甲" not in text for text in live), "the retracted article is still out"
    assert len(live) == (1 if account == "youth" else 0), "the sibling was lost or a copy left"


def test_the_same_cover_in_two_accounts_is_uploaded_to_each_once(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A permanent material's media_id belongs to one account: the same photo as the cover of
    articles in two accounts is uploaded once to each, and a second run uploads nothing."""
    root = make_repo(tmp_path)
    write_article(root, slug="2026-10-20-a")
    write_article(root, slug="2026-10-20-b", account="youth", department="youth-league")
    commit_all(root, "same cover")
    code, report = publish(root, capsys, sandbox, "2026-10-20 12:30")
    assert code == 0 and len(report["published"]) == 2, report
    publish(root, capsys, sandbox, "2026-10-20 12:35")
    materials = state(sandbox)["materials"]
    assert sorted(m["appid"] for m in materials) == ["wxsandboxofficial", "wxsandboxyouth"], materials


def serve_sandbox(state_file: Path, port: int) -> subprocess.Popen[str]:
    import sys
    import time
    import urllib.error

    process = subprocess.Popen([sys.executable, "-m", "pipeline", "sandbox", "serve", "--port", str(port),
                                "--state", str(state_file)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        try:
            http(f"http://127.0.0.1:{port}/sandbox/state")
            return process
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the sandbox did not start")


def test_a_sandbox_killed_and_restarted_mid_call_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    """WeChat's side goes away while draft/add is in flight (the call took effect, no answer)
    and comes back with its state: the publisher reports the unknown outcome, and the next
    run finishes from the marker, with one publication and no draft left."""
    import signal
    import socket
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url, state_file = f"http://127.0.0.1:{port}", tmp_path / "sandbox.sqlite3"
    root = make_repo(tmp_path)
    write_article(root, slug="2026-10-20-a")
    write_article(root, slug="2026-10-20-b", front_matter={"title": "第二篇"},
                  files={"cover.jpg": jpeg_bytes(color=(200, 30, 30))})
    commit_all(root, "two")
    sandbox = serve_sandbox(state_file, port)
    try:
        fault(url, {"endpoint": "draft/add", "delay": 30, "drop": True, "when": "after"})
        publisher = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(root), "publish",
                                      "--sandbox-url", url, "--now", "2026-10-20 12:30", "--lease", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(200):  # until the draft landed and the publisher waits for its answer
            if state(url)["drafts"]:
                break
            time.sleep(0.1)
        sandbox.send_signal(signal.SIGKILL)
        sandbox.wait()
        out, err = publisher.communicate(timeout=60)
        assert publisher.returncode != 3 and "Traceback" not in err, err
        sandbox = serve_sandbox(state_file, port)
        http(url + "/sandbox/faults", method="DELETE")
        again = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(root), "publish",
                                "--sandbox-url", url, "--now", "2026-10-20 12:31", "--lease", "0"],
                               capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert published_titles(url) == ["学校举行秋季运动会", "第二篇"]
        assert state(url)["drafts"] == [] and len(state(url)["materials"]) == 2
    finally:
        sandbox.kill()
        sandbox.wait()


@pytest.mark.parametrize("how", ["deleted", "retracted: true"])
def test_a_new_article_in_the_folder_of_a_retracted_one_is_published_or_said_why_not(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], how: str) -> None:
    """An article is taken down; weeks later a different article is written in the same
    folder (the slug reused). It goes out once, or the run says why it does not; it is never
    dropped without a word."""
    root = make_repo(tmp_path)
    index = write_article(root, slug="2026-10-20-a")
    commit_all(root, "a")
    publish(root, capsys, sandbox, "2026-10-20 12:30")
    if how == "deleted":
        git(root, "rm", "-q", "-r", str(index.parent.relative_to(root)))
    else:
        write_article(root, slug="2026-10-20-a", front_matter={"retracted": True})
    commit_all(root, "down")
    code, report = publish(root, capsys, sandbox, "2026-10-20 12:40")
    assert len(report["retracted"]) == 1, report
    write_article(root, slug="2026-10-20-a", front_matter={"title": "全新的文章"}, body=VALID_BODY + "\n新的内容。\n")
    commit_all(root, "a new article in the old folder")
    code, report = publish(root, capsys, sandbox, "2026-10-21 12:30")
    said = [o for group in report.values() for o in group if o["path"].endswith("2026-10-20-a/index.md")]
    assert "全新的文章" in published_titles(sandbox) or said, report


@pytest.mark.parametrize("change", ["edit", "retract"])  # "move": see the first test
def test_a_mass_send_whose_answer_was_lost_reaches_followers_once_whatever_changed_since(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], change: str) -> None:
    """sendall goes out, its answer is lost past WeChat's 24 h clientmsgid memory, so the send
    is recorded without a msg_id; the editor corrected or retracted the article meanwhile.
    Followers get it once; a retraction wxpub cannot make (message/mass/delete needs the
    msg_id) is said, naming what a person must do, and never a ValueError traceback that
    stopped every later run of every account."""
    root = make_repo(tmp_path)
    index = write_article(root, slug="2026-10-20-a", **MASS)
    commit_all(root, "a")
    fault(sandbox, {"endpoint": "message/mass/sendall", "drop": True, "when": "after", "count": 10})
    code, report = publish(root, capsys, sandbox, "2026-10-20 12:30", "--lease", "0")
    assert not report["published"] and len(state(sandbox)["mass_sends"]) == 1, report
    if change == "edit":
        index.write_text(index.read_text(encoding="utf-8").replace("秋季运动会，", "秋季田径运动会，"), encoding="utf-8")
    else:
        write_article(root, slug="2026-10-20-a", front_matter={"retracted": True}, **MASS)
    commit_all(root, change)
    publish(root, capsys, sandbox, "2026-10-20 12:31", "--lease", "0")
    http(sandbox.rstrip("/") + "/sandbox/clock", {"advance": 86400})
    publish(root, capsys, sandbox, "2026-10-21 12:30", "--lease", "0")
    code, report = publish(root, capsys, sandbox, "2026-10-21 12:35", "--lease", "0")
    sends = state(sandbox)["mass_sends"]
    assert len(sends) == 1, f"followers got it {len(sends)} times"
    if change == "retract":
        assert code == 1 and [f["path"].split("/")[3] for f in report["failed"]] == ["2026-10-20-a"], report
        assert "群发记录中删除" in report["failed"][0]["message"], report
        assert "retracted" not in ledger_steps(root), "recorded a retraction WeChat never confirmed"


def test_a_slow_rebuild_taken_over_leaves_one_draft_with_the_sibling(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Retracting one article of a two-article draft rebuilds the draft without it. The first
    runner's rebuild (draft/add) is slow; its lease runs out, a second runner takes the
    retraction over and rebuilds; then the first one's call lands. The draft box must end
    with the sibling once, in one draft."""
    import sys
    import time

    youth = {"account": "youth", "department": "youth-league"}
    root = make_repo(tmp_path)
    write_article(root, slug="2026-10-20-a", body=VALID_BODY + "\n甲。\n", **youth)
    write_article(root, slug="2026-10-20-b", body=VALID_BODY + "\n乙。\n", **youth)
    commit_all(root, "two")
    code, report = publish(root, capsys, sandbox, "2026-10-20 12:30")
    assert len(report["published"]) == 2, report
    git(root, "rm", "-q", "-r", "content/youth/youth-league/2026-10-20-a")
    commit_all(root, "take a down")
    fault(sandbox, {"endpoint": "draft/add", "delay": 6})
    slow = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(root), "publish", "--sandbox-url", sandbox,
                             "--now", "2026-10-20 12:40", "--lease", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # the slow runner is inside draft/add, its lease over
    code, report = publish(root, capsys, sandbox, "2026-10-20 12:41", "--lease", "1")
    out, err = slow.communicate(timeout=60)
    assert "Traceback" not in err, err
    time.sleep(1.5)
    for minute in (42, 43):  # later runs sweep whatever the slow one left
        publish(root, capsys, sandbox, f"2026-10-20 12:{minute}", "--lease", "1")
    drafts = state(sandbox)["drafts"]
    contents = [a["content"] for d in drafts for a in d["articles"]]
    assert len(contents) == 1 and "乙" in contents[0], [len(d["articles"]) for d in drafts]


@pytest.mark.parametrize("refresh", [{"drop": True}, {"errcode": -1}, {"errcode": 40164}])
def test_a_token_refresh_that_fails_mid_run_is_reported_not_a_crash(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str], refresh: dict[str, Any]) -> None:
    """WeChat says the token expired (40001) on draft/add; the refresh itself gets no answer,
    a busy error or a whitelist error. The run says so and stops; the next run sends once."""
    root = make_repo(tmp_path)
    write_article(root, slug="2026-10-20-a")
    commit_all(root, "a")
    fault(sandbox, [{"endpoint": "draft/add", "errcode": 40001}, {"endpoint": "stable_token", "nth": 2, **refresh}])
    code, out, err = run_cli(root, capsys, "publish", "--sandbox-url", sandbox, "--now", "2026-10-20 12:30",
                             "--lease", "0")
    assert code in (0, 1) and "内部错误" not in err, err
    publish(root, capsys, sandbox, "2026-10-20 12:31", "--lease", "0")
    assert published_titles(sandbox) == ["学校举行秋季运动会"]
    assert state(sandbox)["drafts"] == []


def operator_token(root: Path, sandbox: str, appid: str) -> str:
    """The access token a person (or another system) of the account gets: stable_token."""
    secret = json.loads((root / ".wxpub" / "sandbox.secrets.json").read_text(encoding="utf-8"))[appid]
    answer = http(sandbox.rstrip("/") + "/cgi-bin/stable_token",
                  {"grant_type": "client_credential", "appid": appid, "secret": secret})
    return str(answer["access_token"])


def test_retracting_from_a_draft_the_operator_reordered_keeps_the_right_sibling(
        tmp_path: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Draft mode: the operator opens the two-article draft and puts the second article first
    (draft/update, as the backend's editor does). Then the first article is retracted: the
    rebuilt draft must hold the second article, not the retracted one."""
    youth = {"account": "youth", "department": "youth-league"}
    root = make_repo(tmp_path)
    write_article(root, slug="2026-10-20-a", body=VALID_BODY + "\n甲。\n", **youth)
    write_article(root, slug="2026-10-20-b", body=VALID_BODY + "\n乙。\n", **youth)
    commit_all(root, "two")
    code, report = publish(root, capsys, sandbox, "2026-10-20 12:30")
    assert [p["status"] for p in report["published"]] == ["drafted", "drafted"], report
    token = operator_token(root, sandbox, "wxsandboxyouth")
    media_id = report["published"][0]["media_id"]
    draft = http(f"{sandbox}/cgi-bin/draft/get?access_token={token}", {"media_id": media_id})
    first, second = draft["news_item"][0], draft["news_item"][1]
    fields = ("title", "author", "digest", "content", "content_source_url", "thumb_media_id",
              "need_open_comment", "only_fans_can_comment")
    for index, item in ((0, second), (1, first)):  # swap them
        answer = http(f"{sandbox}/cgi-bin/draft/update?access_token={token}",
                      {"media_id": media_id, "index": index, "articles": {k: item[k] for k in fields if k in item}})
        assert answer.get("errcode", 0) == 0, answer
    git(root, "rm", "-q", "-r", "content/youth/youth-league/2026-10-20-a")
    commit_all(root, "take a down")
    publish(root, capsys, sandbox, "2026-10-20 12:40")
    contents = [a["content"] for d in state(sandbox)["drafts"] for a in d["articles"]]
    assert len(contents) == 1 and "乙" in contents[0] and "甲" not in contents[0], contents
