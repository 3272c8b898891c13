"""Helpers that build real content repositories in temporary folders, run the CLI on them and
pick findings out of its JSON report.

`make_repo` copies the sample policies.yaml and word lists into a fresh `git init`
folder; `empty_repo` takes such a repository back to that state; `write_article` writes a
bundle that passes every rule unless told otherwise, so each test changes exactly the one
thing it is about. `lint_json` runs `wxpub lint --format json` in-process; `found`, `spots`,
`pairs`, `triples`, `message(s)`, `only`, `where` and `fm_line` pick out what a test checks.
The fixtures built on these live in tests/conftest.py.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from PIL import Image

from pipeline.cli import main

PROJECT = Path(__file__).resolve().parents[2]
SAMPLE_POLICY = (PROJECT / "policies.yaml").read_text(encoding="utf-8")
ARTICLE = "content/official/publicity/2026-10-20-sports-day/index.md"  # where write_article writes by default



def cited(rid: str) -> str:
    """A finding's `regulation` for requirement `rid` under the sample policy: the id and the clause."""
    return f"{rid} {yaml.safe_load(SAMPLE_POLICY)['regulations'][rid]}"


VALID_FRONT_MATTER: dict[str, Any] = {
    "title": "学校举行秋季运动会",
    "author": "王芳",
    "department": "publicity",
    "category": "学校新闻",
    "cover": "cover.jpg",
    "original": True,
}
# The same front matter as YAML text, one key a line (title is line 2 of index.md, original line 7),
# without and with its --- delimiters, for tests that write index.md by hand.
VALID_FM = """title: 学校举行秋季运动会
author: 王芳
department: publicity
category: 学校新闻
cover: cover.jpg
original: true
"""
FRONT_MATTER = f"---\n{VALID_FM}---\n"
# The reviewer teams of the sample policy's departments (slug -> members), as the fake GitHub serves them
SAMPLE_TEAMS = {"publicity": ["pub-chief", "pub-editor"], "academic-affairs": ["aa-head"],
                "leadership": ["vice-president"], "youth-league": ["league-secretary", "league-deputy"],
                "student-union": ["su-chair"], "cs-college": ["cs-dean"]}
VALID_BODY = "10 月 20 日,学校在田径场举行秋季运动会,全校师生参加。\n\n## 比赛回顾\n\n同学们奋勇争先,赛出了风格。\n".replace(",", "，")


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True)
    return result.stdout.strip()


def make_repo(tmp_path: Path, *, policies: str | None = None) -> Path:
    """A git repository with the sample policy (or `policies` text) and no articles yet."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(PROJECT / "policies", root / "policies")
    shutil.copytree(PROJECT / "themes", root / "themes")
    (root / "policies.yaml").write_text(policies if policies is not None else
                                        (PROJECT / "policies.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "test@example.invalid")
    git(root, "config", "user.name", "test")
    return root


# What make_repo creates; `empty_repo` removes everything else.
REPO_SKELETON = frozenset({".git", "policies", "policies.yaml", "themes"})


def empty_repo(root: Path) -> Path:
    """Take a `make_repo` repository back to its skeleton: git, the policy and the themes stay,
    articles and anything else a test wrote go. Commits made by earlier tests stay in git."""
    for entry in root.iterdir():
        if entry.name in REPO_SKELETON:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    return root


def commit_all(root: Path, message: str = "change") -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


def jpeg_bytes(width: int = 900, height: int = 500, *, color: tuple[int, int, int] = (40, 90, 160),
               gps: bool = False, fmt: str = "JPEG") -> bytes:
    """A real image; with gps=True its EXIF carries a GPS block (and a camera model)."""
    image = Image.new("RGB", (width, height), color)
    buffer = io.BytesIO()
    kwargs: dict[str, Any] = {}
    if gps:
        exif = Image.Exif()
        exif[0x0110] = "TestCam"  # Model, to prove other tags survive GPS removal
        exif[0x8825] = {1: "N", 2: (30.0, 35.0, 10.0), 3: "E", 4: (114.0, 18.0, 0.0)}
        kwargs["exif"] = exif.tobytes()
    image.save(buffer, fmt, quality=70, **kwargs)
    return buffer.getvalue()


def write_article(root: Path, *, account: str = "official", department: str = "publicity",
                  slug: str = "2026-10-20-sports-day", front_matter: dict[str, Any] | None = None,
                  drop: tuple[str, ...] = (), body: str = VALID_BODY, files: dict[str, bytes] | None = None,
                  raw: str | None = None) -> Path:
    """Write a bundle and return its index.md. `front_matter` entries override the valid defaults,
    `drop` removes keys, `files` adds media (a valid cover.jpg is always written unless overridden),
    `raw` replaces the whole index.md text."""
    bundle = root / "content" / account / department / slug
    bundle.mkdir(parents=True, exist_ok=True)
    fm = {**VALID_FRONT_MATTER, "department": department, **(front_matter or {})}
    for key in drop:
        fm.pop(key, None)
    all_files = {"cover.jpg": jpeg_bytes(), **(files or {})}
    for name, data in all_files.items():
        target = bundle / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    text = raw if raw is not None else "---\n" + yaml.safe_dump(fm, allow_unicode=True, sort_keys=False) + "---\n\n" + body
    index = bundle / "index.md"
    index.write_text(text, encoding="utf-8")
    return index


# -- running the CLI ----------------------------------------------------------------------------

Findings = list[dict[str, Any]]
Lint = Callable[..., tuple[int, Findings]]  # the `lint` fixture: (repo, *args) -> (exit code, findings)


def run_cli(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`wxpub --root ROOT ARGS...` in-process: (exit code, stdout, stderr). Never a traceback."""
    code = main(["--root", str(root), *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err, captured.err
    return code, captured.out, captured.err


def lint_json(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    """`wxpub lint --format json ARGS...` on `root`: (exit code, the parsed report)."""
    code, out, _ = run_cli(root, capsys, "lint", "--format", "json", *args)
    return code, json.loads(out)


def http(url: str, payload: Any = None, method: str | None = None) -> Any:
    """A JSON request to a local server (the WeChat sandbox): POST when there is a payload, else
    GET, unless `method` says otherwise. Returns the parsed JSON answer, None for an empty one."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


# -- picking findings out of a report -----------------------------------------------------------

def found(data: dict[str, Any], *codes: str) -> Findings:
    """The findings of a whole report whose code is one of `codes`, in report order."""
    return [f for f in data["findings"] if f["code"] in codes]


def spots(data: dict[str, Any], *codes: str) -> list[tuple[str, int, int]]:
    """(code, line, column) of the findings of a whole report whose code is one of `codes`."""
    return [(f["code"], f["line"], f["column"]) for f in found(data, *codes)]


def pairs(findings: Findings, prefix: str) -> list[tuple[str, int]]:
    """(code, line) of the findings whose code starts with `prefix`, in report order."""
    return [(f["code"], f["line"]) for f in findings if f["code"].startswith(prefix)]


def triples(findings: Findings, prefix: str) -> list[tuple[str, int, int]]:
    """(code, line, column) of the findings whose code starts with `prefix`, in report order."""
    return [(f["code"], f["line"], f["column"]) for f in findings if f["code"].startswith(prefix)]


def messages(findings: Findings, code: str) -> list[str]:
    return [f["message"] for f in findings if f["code"] == code]


def message(findings: Findings, code: str) -> str:
    """The message of the one finding with `code`; fails unless there is exactly one."""
    [one] = messages(findings, code)
    return str(one)


def only(findings: Findings) -> dict[str, Any]:
    assert len(findings) == 1, findings
    return findings[0]


# -- places in index.md -------------------------------------------------------------------------

BODY_START = "\n---\n"  # the closing delimiter of the front matter: the body follows


def where(index: Path, needle: str, nth: int = 0, *, after: str = BODY_START) -> tuple[int, int]:
    """1-based (line, column) of the nth `needle` in index.md, searched after the first `after`
    (by default: in the body); `after=""` searches the whole file."""
    text = index.read_text(encoding="utf-8")
    offset = text.index(after) + len(after) - 1 if after else -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def fm_line(index: Path, key: str) -> int:
    """1-based line of the front matter key `key` in index.md."""
    lines = index.read_text(encoding="utf-8").split("\n")
    return next(i for i, text in enumerate(lines, 1) if text.startswith(f"{key}:"))
