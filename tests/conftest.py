"""Shared fixtures. A guard fails any test that tries to reach a host off this machine.

Repositories: `repo` is a fresh `make_repo` for each test (a pristine git history); a module
whose tests only need the files can choose the faster `clean_repo` instead, one `make_repo`
per module emptied before each test, with a one-line `repo` fixture returning it."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import settings

from tests.testing.fake_github import FakeGitHub
from tests.testing.fixtures import (
    SAMPLE_TEAMS, Lint, commit_all, empty_repo, jpeg_bytes, lint_json, make_repo, write_article,
)
from tests.testing.workflow_tokens import approvals_token

_LOCAL = ("127.0.0.1", "::1", "localhost")

# CI judges a commit, so it draws the same examples on every run and its verdict reproduces;
# a run on a developer's machine draws fresh ones, which is where new counterexamples come from
# (each one found is kept as an @example beside its property).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("WXPUB_HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["WXPUB_HYPOTHESIS_PROFILE"])


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test may reach WeChat, GitHub or any other real host: only loopback."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in _LOCAL and not host.startswith("127.") and not host.startswith("/"):
            raise AssertionError(f"test tried to reach {address!r}; only loopback is allowed")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[str]:
    """The WeChat sandbox on a free port, in a thread of the test process: its base URL."""
    from pipeline.sandbox import start_in_thread

    server, url = start_in_thread(tmp_path / "sandbox.sqlite3")
    yield url
    server.shutdown()


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """The fake GitHub over HTTP with the sample policy's teams (SAMPLE_TEAMS), and the
    environment `wxpub approvals` reads it from: the token approvals.yml's App step asks for."""
    with FakeGitHub("jcu-media/site") as fake:
        for slug, members in SAMPLE_TEAMS.items():
            fake.set_team("jcu-media", slug, members)
        monkeypatch.setenv("GITHUB_REPOSITORY", fake.repo)
        monkeypatch.setenv("WXPUB_FORGE_TOKEN", approvals_token(fake))
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        yield fake


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


@pytest.fixture(scope="module")
def shared_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One sample-policy repository for a whole test module; use it through `clean_repo`."""
    return make_repo(tmp_path_factory.mktemp("shared"))


@pytest.fixture
def clean_repo(shared_repo: Path) -> Path:
    """The module's shared repository, emptied to git, the policy and the themes before each
    test: one `make_repo` per module instead of per test keeps the suite fast."""
    return empty_repo(shared_repo)


@pytest.fixture
def lint(capsys: pytest.CaptureFixture[str]) -> Lint:
    """Run `wxpub lint --format json` on a repo: (exit code, findings). Never a traceback."""
    def run(root: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
        code, data = lint_json(root, capsys, *args)
        return code, data["findings"]
    return run


@pytest.fixture
def site(repo: Path) -> Path:
    """Three committed articles, one per sample account and publish mode: publish, mass, draft.
    (test_preview.py has a `site` of its own.)"""
    write_article(repo, body="运动会现场。\n\n![起跑](start.jpg)\n", files={"start.jpg": jpeg_bytes(600, 400)})
    write_article(repo, account="cs-college", department="cs-college", slug="2026-10-21-contest",
                  front_matter={"title": "程序设计竞赛开赛", "category": "学生活动"})
    write_article(repo, account="youth", department="youth-league", slug="2026-10-22-camp",
                  front_matter={"title": "暑期夏令营招募", "category": "学生活动"})
    commit_all(repo, "three articles")
    return repo
