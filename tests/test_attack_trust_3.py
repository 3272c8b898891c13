"""An outside attack on five fresh changes to the publisher (moves read against the published
version, only the newest main publishes by branch name, the clock held to WeChat's, ignored
files, the rewind guard), aimed at "exactly once" and "only the newest main publishes".
Through the CLI in its own process, real Git repositories, the sandbox over HTTP. An attack
that still succeeds is a strict xfail naming the defect; a fixed one is a plain test."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.testing.fixtures import commit_all, git, make_repo, write_article
from tests.testing.publishing import (
    NEXT_LUNCH, bundle_index, by_status, finish, live_copies, publisher, with_bare_remote, world,
)

DAY3 = "2026-11-27 12:30"


# -- only the newest main publishes -------------------------------------------------------------

def test_a_checkout_the_remote_branch_is_behind_publishes_nothing(tmp_path: Path, sandbox: str) -> None:
    """main was force-pushed back (an administrator took a commit off main before its workflow
    ran, or a re-run of that workflow): the checkout is no longer on main at all."""
    repo = make_repo(tmp_path)
    write_article(repo, slug="2026-11-20-weekly", front_matter={"title": "一周要闻"})
    good = commit_all(repo, "article")
    remote = with_bare_remote(repo, tmp_path)
    write_article(repo, slug="2026-11-21-rumour", front_matter={"title": "未经核实的消息"})
    commit_all(repo, "a commit that is taken off main again")
    git(repo, "push", "-q", "origin", "main")
    git(remote, "update-ref", "refs/heads/main", good)  # the force-push back

    code, report, err = finish(publisher(repo, sandbox, "--push", "origin"))
    assert code == 2, (report, err)
    assert "未经核实的消息" not in live_copies(sandbox)


def test_an_unpushed_local_commit_publishes_nothing_with_push(tmp_path: Path, sandbox: str) -> None:
    repo = make_repo(tmp_path)
    write_article(repo, slug="2026-11-20-weekly", front_matter={"title": "一周要闻"})
    commit_all(repo, "article")
    with_bare_remote(repo, tmp_path)
    write_article(repo, slug="2026-11-21-local", front_matter={"title": "只在本机的文章"})
    commit_all(repo, "never pushed")

    code, report, err = finish(publisher(repo, sandbox, "--push", "origin"))
    assert code == 2, (report, err)
    assert live_copies(sandbox) == []


# -- the rewind guard ---------------------------------------------------------------------------

def test_an_editor_cannot_lock_an_account_out_with_a_marker_written_as_text(tmp_path: Path, sandbox: str) -> None:
    """Markdown escapes `"` but not `'`: text that reads like a marker of an unknown attempt
    goes out in the article's HTML, and the rewind guard must not take it for one."""
    repo = make_repo(tmp_path)
    write_article(repo, slug="2026-11-20-howto", front_matter={"title": "网页标记说明"},
                  body="公众号文章的源码里有这样的属性: data-wxpub='deadbeef.0' 和 `x data-wxpub='cafe.1'`。\n")
    commit_all(repo, "an article quoting a marker")
    code, report, err = finish(publisher(repo, sandbox))
    assert code == 0 and report["published"], (report, err)

    write_article(repo, slug="2026-11-21-next", front_matter={"title": "下一篇"})
    commit_all(repo, "the next article")
    code, report, err = finish(publisher(repo, sandbox, now=NEXT_LUNCH))
    assert code == 0, err
    assert by_status(report)["published"] == {bundle_index("official", "publicity", "2026-11-21-next")}, report


# -- moves --------------------------------------------------------------------------------------

def test_a_move_with_a_new_title_and_one_typo_fixed_is_still_a_move(tmp_path: Path, sandbox: str) -> None:
    repo = make_repo(tmp_path)
    write_article(repo, department="publicity", slug="2026-11-20-sports", front_matter={"title": "秋季运动会开幕"},
                  body="今天上午,学校秋季运动会在东操场隆重开幕,全校师生参加了开幕式。\n")
    commit_all(repo, "published")
    code, report, err = finish(publisher(repo, sandbox))
    assert code == 0 and report["published"], (report, err)

    shutil.rmtree(repo / "content" / "official" / "publicity")
    write_article(repo, department="school-office", slug="2026-11-20-sports", front_matter={"title": "学校秋季运动会开幕"},
                  body="今天上午,学校秋季运动会在东操场隆重开幕,全校师生参加了开幕仪式。\n")
    commit_all(repo, "moved to the school office, title reworded, one word fixed")
    code, report, err = finish(publisher(repo, sandbox, now=NEXT_LUNCH))
    assert code == 0, err
    assert not report.get("published"), report
    assert live_copies(sandbox) == ["秋季运动会开幕"]


def test_an_unrelated_article_reusing_a_folder_name_in_a_shallow_clone_is_not_taken_for_a_move(
        tmp_path: Path, sandbox: str) -> None:
    """The publication's commit is not in a shallow clone: the folder name alone must not decide
    (the withdrawn article would stay out and the new one never go)."""
    origin = make_repo(tmp_path)
    write_article(origin, department="publicity", slug="2026-11-20-notice", front_matter={"title": "运动会延期通知"},
                  body="因天气原因,秋季运动会延期举行。\n")
    commit_all(origin, "publicity's notice")
    code, report, err = finish(publisher(origin, sandbox))
    assert code == 0 and report["published"], (report, err)
    write_article(origin, department="school-office", slug="2026-11-21-library", front_matter={"title": "图书馆开放时间"})
    commit_all(origin, "another article, published from this commit: the ledger's newest commit")
    code, report, err = finish(publisher(origin, sandbox, now=NEXT_LUNCH))
    assert code == 0, err
    shutil.rmtree(origin / "content" / "official" / "publicity")
    write_article(origin, department="school-office", slug="2026-11-20-notice",
                  front_matter={"title": "期末考试安排通知"}, body="期末考试将于一月上旬举行,请同学们做好准备。\n")
    commit_all(origin, "publicity withdraws its notice; the school office posts another")

    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "2", f"file://{origin}", str(shallow))
    git(shallow, "fetch", "-q", "origin", "refs/wxpub/sandbox-ledger:refs/wxpub/sandbox-ledger")
    shutil.copytree(origin / ".wxpub", shallow / ".wxpub", dirs_exist_ok=True)
    code, report, err = finish(publisher(shallow, sandbox, now=DAY3))
    assert code == 2, (report, err)
    assert "fetch-depth: 0" in err and "content/official/publicity/2026-11-20-notice/index.md" in err, err
    assert live_copies(sandbox) == ["图书馆开放时间", "运动会延期通知"]  # nothing half-way

    git(shallow, "fetch", "-q", "--unshallow", "origin")  # the full history: the new article goes, the old one comes down
    code, report, err = finish(publisher(shallow, sandbox, now=DAY3))
    statuses = by_status(report)
    assert code == 0, err
    assert statuses["published"] == {bundle_index("official", "school-office", "2026-11-20-notice")}, report
    assert statuses["retracted"] == {bundle_index("official", "publicity", "2026-11-20-notice")}, report


# -- ignored files: lint must leave out exactly what Git leaves out of a commit -------------------

BUNDLE = Path("content/official/publicity/2026-11-20-photos")

# name -> (files under the bundle (relative), ignore rules {repo-relative file: text}, git config, force-added files)
IGNORE_CASES: dict[str, tuple[list[str], dict[str, str], dict[str, str], list[str]]] = {
    "gitignore inside the bundle, negated": (["a.jpg", "keep.jpg"], {f"{BUNDLE}/.gitignore": "*.jpg\n!keep.jpg\n"}, {}, []),
    "parent folder rule": (["raw/a.jpg"], {"content/.gitignore": "raw/\n"}, {}, []),
    "negation under an ignored folder": (["img/a.jpg", "img/b.jpg"], {f"{BUNDLE}/.gitignore": "img/\n!img/a.jpg\n"}, {}, []),
    "negation of a folder's contents": (["img/a.jpg", "img/b.jpg"], {f"{BUNDLE}/.gitignore": "img/*\n!img/a.jpg\n"}, {}, []),
    "tracked file matching a pattern": (["a.jpg", "b.jpg"], {".gitignore": "*.jpg\n!cover.jpg\n"}, {}, [f"{BUNDLE}/a.jpg"]),
    "core.excludesFile": (["a.jpg"], {"../global-ignore": "a.jpg\n"}, {"core.excludesFile": "GLOBAL"}, []),
    "info/exclude": (["a.jpg"], {".git/info/exclude": "/content/**/a.jpg\n"}, {}, []),
    "odd names": (["图 1.jpg", "[x].jpg", "#h.jpg"], {".gitignore": "图*\n\\#h.jpg\n"}, {}, []),
    "double-star and anchored": (["deep/er/a.jpg", "b.jpg"], {".gitignore": "content/**/er/\n/b.jpg\n"}, {}, []),
}


@pytest.mark.parametrize("case", sorted(IGNORE_CASES))
def test_lint_refuses_exactly_the_images_a_commit_leaves_out(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               case: str) -> None:
    from tests.testing.fixtures import jpeg_bytes, lint_json

    files, rules, config, forced = IGNORE_CASES[case]
    repo = make_repo(tmp_path)
    from urllib.parse import quote

    body = "".join(f"![图{i}]({quote(name)})\n\n" for i, name in enumerate(files))  # `#` would start a fragment
    write_article(repo, slug=BUNDLE.name, front_matter={"title": "图片"}, body=body,
                  files={name: jpeg_bytes(color=(10 * i, 80, 120)) for i, name in enumerate(files)})
    for where, text in rules.items():
        target = (repo / where).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for key, value in config.items():
        git(repo, "config", key, str((tmp_path / "global-ignore").resolve()) if value == "GLOBAL" else value)
    for path in forced:
        git(repo, "add", "-f", path)
    commit_all(repo, "photos")
    committed = set(git(repo, "ls-files", str(BUNDLE)).splitlines())
    left_out = {name for name in files if f"{BUNDLE}/{name}" not in committed}

    _, report = lint_json(repo, capsys)
    refused = {f["message"] for f in report["findings"] if f["code"] == "LINK001"}
    said = {name for name in files if any(name in text and "忽略" in text for text in refused)}
    assert said == left_out, (case, committed, refused)


# -- the rewind guard against a race of two runners ----------------------------------------------

ROUNDS = 4


def test_two_runners_racing_on_one_remote_neither_sees_the_others_attempt_as_a_rewind(
        tmp_path: Path, sandbox: str) -> None:
    """Runner B may list WeChat after A's draft landed: A's claim was pushed before it, and B
    fetches the ledger again after listing, so B must know A's attempt. Both run at once, each
    round on a new day with a new article, for every publish mode's account."""
    from tests.testing.publishing import share_sandbox_secrets

    seed = make_repo(tmp_path)
    write_article(seed, slug="2026-11-01-start", front_matter={"title": "开端"})
    commit_all(seed, "start")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    runners = []
    for name in ("a", "b"):
        where = tmp_path / f"runner-{name}"
        git(tmp_path, "clone", "-q", str(origin), str(where))
        git(where, "config", "user.email", "ci@example.invalid")
        git(where, "config", "user.name", "ci")
        runners.append(where)
    share_sandbox_secrets(*runners)
    a, b = runners
    expected = ["开端"]
    for day in range(ROUNDS):
        for account, department in (("official", "publicity"), ("youth", "youth-league")):
            title = f"第{day}天{account}"
            write_article(a, account=account, department=department, slug=f"2026-11-{10 + day}-{account}",
                          front_matter={"title": title})
            expected.append(title)
        git(a, "add", "content")  # not .wxpub/, the runner's own secrets
        git(a, "commit", "-q", "-m", f"day {day}")
        git(a, "push", "-q", "origin", "main")
        git(b, "pull", "-q", "--ff-only", "origin", "main")
        now = f"2026-11-{20 + day} 12:30"
        both = [publisher(r, sandbox, "--push", "origin", now=now) for r in runners]
        results = [finish(p, timeout=300) for p in both]
        for code, report, err in results:
            assert "发布记录里却没有" not in err, (day, err)
            assert code == 0, (day, report, err)
        git(a, "fetch", "-q", "origin", "+refs/wxpub/*:refs/wxpub/*")
        git(b, "fetch", "-q", "origin", "+refs/wxpub/*:refs/wxpub/*")
        assert live_copies(sandbox) == sorted(expected), day


# -- only the newest main publishes, under a race -------------------------------------------------

def test_a_slow_run_of_an_older_commit_does_not_publish_what_the_newer_commit_withdrew(
        tmp_path: Path, sandbox: str) -> None:
    """A run of commit X passes every start-up check, then is slow; commit Y (withdrawing X's
    article, adding another) is pushed and its run finishes first. X's run, going on, would
    publish the withdrawn article and retract Y's new one (its plan is made again from the
    ledger, where Y's article is out but not on X): Run.write refuses lines of a commit X
    does not contain before its next call."""
    from tests.testing.fixtures import http
    from tests.testing.publishing import share_sandbox_secrets, wait_for

    seed = make_repo(tmp_path)
    write_article(seed, account="youth", department="youth-league", slug="2026-11-20-camp",
                  front_matter={"title": "夏令营招募(将撤回)"})
    commit_all(seed, "commit X: an article")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    a, b = tmp_path / "runner-a", tmp_path / "runner-b"
    for where in (a, b):
        git(tmp_path, "clone", "-q", str(origin), str(where))
    share_sandbox_secrets(a, b)

    # A's listing before its first send answers late: A has passed every check by then
    http(sandbox + "/sandbox/faults", [{"endpoint": "freepublish/batchget", "nth": 1, "delay": 20}])
    slow = publisher(a, sandbox, "--push", "origin")
    wait_for(lambda: any("freepublish/batchget" in str(k) for k in world(sandbox)["calls"]), "A's listing", timeout=60)

    # Meanwhile commit Y withdraws the article and adds another; Y's run finishes first
    git(b, "config", "user.email", "ci@example.invalid")
    git(b, "config", "user.name", "ci")
    shutil.rmtree(b / "content" / "youth")
    write_article(b, slug="2026-11-20-weekly", front_matter={"title": "一周要闻"})
    git(b, "add", "-A", "content")
    git(b, "commit", "-q", "-m", "commit Y: withdraw the camp before it went out, add the weekly")
    git(b, "push", "-q", "origin", "main")
    newer = git(b, "rev-parse", "HEAD")
    code, report, err = finish(publisher(b, sandbox, "--push", "origin"))
    assert code == 0 and report["published"], (report, err)

    code, report, err = finish(slow, timeout=180)
    assert code == 2 and newer[:12] in err and "在最新的 main 上运行" in err, (report, err)  # stopped, saying why
    assert live_copies(sandbox) == ["一周要闻"]  # the withdrawn one never went, the newer one was not retracted

    # The next run of Y finishes or abandons whatever intent A wrote before it stopped
    code, report, err = finish(publisher(b, sandbox, "--push", "origin", now=NEXT_LUNCH))
    assert code == 0, (report, err)
    assert live_copies(sandbox) == ["一周要闻"]


# -- the clock held to WeChat's: what a proxy may do to the Date header ---------------------------

class DateRewriting:
    """An HTTP proxy in front of the sandbox passing every call through, with each answer's Date
    header replaced by `date` (None: no Date header at all, as a stripping proxy sends)."""

    def __init__(self, upstream: str, date: str | None) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import requests

        class Handler(BaseHTTPRequestHandler):
            def send_response(self, code: int, message: str | None = None) -> None:
                self.send_response_only(code, message)
                if date is not None:
                    self.send_header("Date", date)

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                answer = requests.request(self.command, upstream + self.path, data=body, timeout=60,
                                          headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
                                          allow_redirects=False)
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in ("date", "server", "content-length", "transfer-encoding", "connection",
                                           "content-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer.content)

            do_GET = do_POST = do_HEAD = _relay

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# Date header -> whether the run may publish (True) or is refused as a wrong clock (False)
DATES: dict[str, tuple[str | None, bool]] = {
    "stripped": (None, True),
    "garbled": ("yesterday-ish", True),
    "no zone": ("Mon, 30 Nov 2026 08:00:00 -0000", True),
    "impossible offset": ("Mon, 30 Nov 2026 08:00:00 +2500", True),
    "far past": ("Thu, 01 Jan 1970 00:00:00 GMT", False),
    "last second of year 9999": ("Fri, 31 Dec 9999 23:59:59 GMT", False),
    "year 9999 west of UTC": ("Fri, 31 Dec 9999 23:00:00 -1100", False),
    "two Date headers joined": ("Mon, 30 Nov 2026 08:00:00 GMT, Mon, 30 Nov 2026 08:00:01 GMT", True),
}


@pytest.mark.parametrize("case", sorted(DATES))
def test_a_date_header_wechat_did_not_send_is_never_a_traceback(tmp_path: Path, sandbox: str, case: str) -> None:
    date, publishes = DATES[case]
    repo = make_repo(tmp_path)
    write_article(repo, slug="2026-11-20-weekly", front_matter={"title": "一周要闻"})
    commit_all(repo, "article")
    proxy = DateRewriting(sandbox, date)
    try:
        code, report, err = finish(publisher(repo, proxy.url, now=""))
    finally:
        proxy.close()
    if publishes:
        assert code == 0, (case, err)
    else:
        assert code == 2 and "微信服务器的时间" in err, (case, report, err)
        assert live_copies(sandbox) == []


def test_a_draft_rebuilt_without_a_retracted_sibling_is_no_unknown_attempt(tmp_path: Path, sandbox: str) -> None:
    """Draft mode: retracting one article of a two-article draft rebuilds the draft under a new
    attempt (draft_rebuilding's batch), whose markers the rebuilt draft carries. The rewind guard
    must know that attempt, or the account never publishes again."""
    repo = make_repo(tmp_path)
    for slug, title in (("2026-11-20-camp", "夏令营招募"), ("2026-11-20-choir", "合唱团招新")):
        write_article(repo, account="youth", department="youth-league", slug=slug, front_matter={"title": title})
    commit_all(repo, "two articles, one draft")
    code, report, err = finish(publisher(repo, sandbox))
    assert code == 0 and len(report["published"]) == 2, (report, err)
    assert len(world(sandbox)["drafts"]) == 1

    write_article(repo, account="youth", department="youth-league", slug="2026-11-20-choir",
                  front_matter={"title": "合唱团招新", "retracted": True})
    commit_all(repo, "the choir article is withdrawn")
    code, report, err = finish(publisher(repo, sandbox, now=NEXT_LUNCH))
    assert code == 0 and by_status(report)["retracted"], (report, err)
    assert live_copies(sandbox) == ["夏令营招募"]

    write_article(repo, account="youth", department="youth-league", slug="2026-11-22-volunteer",
                  front_matter={"title": "志愿者招募"})
    commit_all(repo, "the next article")
    code, report, err = finish(publisher(repo, sandbox, now=DAY3))
    assert code == 0, err
    assert by_status(report)["published"] == {bundle_index("youth", "youth-league", "2026-11-22-volunteer")}, report


def test_a_rewind_is_seen_behind_a_page_of_the_operators_own_drafts(tmp_path: Path, sandbox: str) -> None:
    """Draft mode: the ledger loses the line of a drafted article, and the operator has since
    saved 20 drafts of their own: the wxpub draft is not on the newest page."""
    import json

    from tests.testing.fixtures import http

    repo = make_repo(tmp_path)
    write_article(repo, account="youth", department="youth-league", slug="2026-11-20-camp",
                  front_matter={"title": "夏令营招募"})
    commit_all(repo, "first")
    code, report, err = finish(publisher(repo, sandbox))
    assert code == 0 and report["published"], (report, err)
    older = git(repo, "rev-parse", "refs/wxpub/sandbox-ledger")
    write_article(repo, account="youth", department="youth-league", slug="2026-11-21-choir",
                  front_matter={"title": "合唱团招新"})
    commit_all(repo, "second")
    code, report, err = finish(publisher(repo, sandbox, now=NEXT_LUNCH))
    assert code == 0 and report["published"], (report, err)

    secrets = json.loads((repo / ".wxpub/sandbox.secrets.json").read_text(encoding="utf-8"))
    token = http(sandbox + "/cgi-bin/stable_token", {"grant_type": "client_credential", "appid": "wxsandboxyouth",
                                                     "secret": secrets["wxsandboxyouth"]})["access_token"]
    cover = world(sandbox)["drafts"][0]["articles"][0]["thumb_media_id"]
    for n in range(21):  # the operator's own drafts, newer than wxpub's
        answer = http(f"{sandbox}/cgi-bin/draft/add?access_token={token}", {"articles": [
            {"title": f"运营草稿{n}", "content": f"<p>草稿 {n}</p>", "thumb_media_id": cover}]})
        assert "media_id" in answer, answer

    git(repo, "update-ref", "refs/wxpub/sandbox-ledger", older)  # the ledger loses the choir's lines
    write_article(repo, account="youth", department="youth-league", slug="2026-11-22-volunteer",
                  front_matter={"title": "志愿者招募"})
    commit_all(repo, "third")
    code, report, err = finish(publisher(repo, sandbox, now=DAY3))
    assert code == 2 and "发布记录里却没有" in err, (report, err)
    assert live_copies(sandbox).count("合唱团招新") == 1


# -- markers: text never reads as one ------------------------------------------------------------

MARKERS = st.from_regex(r"[0-9a-f]{16}\.[1-8]", fullmatch=True)


@given(text=st.text(st.sampled_from("data-wxpub='\"x.1 <>&/=\n"), max_size=80) | st.text(max_size=40),
       mark=MARKERS, older=MARKERS)
def test_a_marker_is_read_and_replaced_on_the_wrapper_only(text: str, mark: str, older: str) -> None:
    """Whatever the editor's text (escaped as markdown-it escapes it: & < > and " but not '),
    as text and as an image's alt: no marker is read from it, and marking keeps it intact."""
    from markdown_it.common.utils import escapeHtml

    from pipeline.sending import marked_batches, marker_of, with_marker

    shown = escapeHtml(text)
    content = f'<section style="color: #333"><p>{shown}</p><p><img src="u" alt="{shown}"></p></section>'
    assert marker_of(content) is None
    marked = with_marker(with_marker(content, older), mark)
    assert marker_of(marked) == mark
    assert marked.endswith(content[len('<section style="color: #333">'):])
    assert marked_batches([{"content": {"news_item": [{"content": marked}, {"content": content}]}}]) == {mark.split(".")[0]}


@pytest.mark.parametrize("branch", ["ma*", "refs/heads/main", "-main", "main main"])
def test_an_odd_branch_name_is_a_clear_refusal(tmp_path: Path, sandbox: str, branch: str) -> None:
    """ls-remote matches patterns by their tail and by glob: only the exact ref may count."""
    repo = make_repo(tmp_path)
    write_article(repo, slug="2026-11-20-weekly", front_matter={"title": "一周要闻"})
    commit_all(repo, "article")
    remote = with_bare_remote(repo, tmp_path)
    git(remote, "update-ref", "refs/heads/refs/heads/main", git(remote, "rev-parse", "main"))  # a branch named so
    code, report, err = finish(publisher(repo, sandbox, "--push", "origin", f"--branch={branch}"))
    if branch == "refs/heads/main":  # that branch exists (refs/heads/refs/heads/main) and holds this commit
        assert code == 0, err
    else:
        assert code == 2 and "不予发布" in err, (report, err)
        assert live_copies(sandbox) == []
