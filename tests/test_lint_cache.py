"""The findings cache (pipeline/lint/cache.py) never lets an article with an error pass.

Each attack fills the cache with a clean verdict, then changes one thing the verdict depends
on (a word list, an image, a theme, the policy, a symlink, a .gitignore, wxpub's own code,
the cache itself) and lints again: the error must be there. A property test drives
random sequences of such changes and compares every cached run with an uncached one.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.content import find_bundles
from pipeline.lint.cache import CACHE_DIR, FindingsCache
from pipeline.lint.engine import lint_bundles
from pipeline.lint.model import LintReport
from pipeline.policies import load_policies
from tests.testing.fixtures import VALID_BODY, empty_repo, git, jpeg_bytes, lint_json, make_repo, run_cli, write_article

PROJECT = Path(__file__).resolve().parents[1]
DATABASE = Path(CACHE_DIR) / "lint.sqlite"


def codes(report: dict[str, Any]) -> list[str]:
    return sorted(f["code"] for f in report["findings"] if f["path"] != "policies.yaml")


def twice(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Lint so the cache holds this state, and check the second run is served from it."""
    _, first = lint_json(repo, capsys)
    assert (repo / DATABASE).is_file()
    _, second = lint_json(repo, capsys)
    assert second == first


def test_a_warm_run_reports_what_a_cold_run_and_no_cache_report(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body=VALID_BODY + "\n联系电话 13812345678。\n<!-- wxpub-disable PII005: 公务邮箱 -->\n邮箱 office@jcu.example.edu.cn\n")
    _, uncached = lint_json(repo, capsys, "--no-cache")
    assert not (repo / CACHE_DIR).exists()
    _, cold = lint_json(repo, capsys)
    _, warm = lint_json(repo, capsys)
    assert uncached == cold == warm
    assert codes(warm) == ["PII002"] and warm["suppressions"][0]["suppressed"] == 1
    assert git(repo, "status", "--porcelain", "--ignored", "--", CACHE_DIR) == "!! .wxpub-cache/"


def test_an_added_word_list_entry_is_found(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body=VALID_BODY + "\n同学们积极参加拔河比赛。\n")
    twice(repo, capsys)
    with (repo / "policies" / "wordlists" / "prohibited.txt").open("a", encoding="utf-8") as handle:
        handle.write("拔河\n")
    assert "WORD001" in codes(lint_json(repo, capsys)[1])


def test_a_replaced_image_is_checked_again(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo)
    twice(repo, capsys)
    (index.parent / "cover.jpg").write_bytes(jpeg_bytes(gps=True))
    assert codes(lint_json(repo, capsys)[1]) == ["MEDIA007"]


def test_a_stricter_policy_applies_at_once(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo)
    twice(repo, capsys)
    policy = repo / "policies.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("max_chars: 1200", "max_chars: 10"), encoding="utf-8")
    assert codes(lint_json(repo, capsys)[1]) == ["BODY001"]


def test_a_broken_theme_is_seen(repo: Path) -> None:
    """In fresh processes: themes are also cached for the life of a process (render/themes.py)."""
    def run() -> str:
        done = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(repo), "lint"], capture_output=True,
                              text=True, cwd=PROJECT)
        assert "Traceback" not in done.stderr
        return done.stdout

    write_article(repo)
    assert "RENDER002" not in run() and "RENDER002" not in run() and (repo / DATABASE).is_file()
    (repo / "themes" / "classic" / "theme.yaml").write_text("styles: [not, a, mapping]\n", encoding="utf-8")
    assert "RENDER002" in run()


def test_a_cover_swapped_for_a_symlink_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, files={"real.jpg": jpeg_bytes()})
    twice(repo, capsys)
    (index.parent / "cover.jpg").unlink()
    (index.parent / "cover.jpg").symlink_to("real.jpg")
    assert codes(lint_json(repo, capsys)[1]) == ["MEDIA001"]


def test_a_photo_that_git_comes_to_ignore_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The working tree refuses a file Git leaves out of a commit (LINK001); a .gitignore outside
    the article's folder decides that, so the cache must see it change."""
    write_article(repo, body=VALID_BODY + "\n![合影](photo.jpeg)\n", files={"photo.jpeg": jpeg_bytes(300, 200)})
    twice(repo, capsys)
    (repo / ".gitignore").write_text("*.jpeg\n", encoding="utf-8")
    assert codes(lint_json(repo, capsys)[1]) == ["LINK001"]
    git(repo, "add", "-f", "content")  # tracked, it is part of the commit again
    assert codes(lint_json(repo, capsys)[1]) == []


@pytest.mark.parametrize("folder", ["", "content", "content/official", "content/official/publicity"])
def test_a_gitattributes_above_the_article_is_seen(repo: Path, capsys: pytest.CaptureFixture[str], folder: str) -> None:
    """A .gitattributes in any folder above the article can make its checkout differ from the
    commit (ART005) without changing a byte of the article's folder: the cache must see it come
    and go, and be emptied without a rename."""
    write_article(repo)
    twice(repo, capsys)
    attributes = repo / folder / ".gitattributes"
    attributes.write_text("*.md ident\n", encoding="utf-8")
    [finding] = lint_json(repo, capsys)[1]["findings"]
    assert finding["code"] == "ART005" and f"{attributes.relative_to(repo)}:1 " in finding["message"]
    attributes.write_text("*.md text\n", encoding="utf-8")
    assert codes(lint_json(repo, capsys)[1]) == []


def test_a_changed_rule_in_wxpub_itself_is_applied(tmp_path: Path) -> None:
    """A copy of the package whose PII message is edited, with no new version number: the
    edited message is what the next run reports."""
    tree = tmp_path / "wxpub"
    shutil.copytree(PROJECT / "pipeline", tree / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    repo = make_repo(tmp_path)
    write_article(repo, body=VALID_BODY + "\n联系电话 13812345678。\n")

    def run() -> str:
        done = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(repo), "lint"], cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
        assert done.returncode == 1, done.stderr
        return done.stdout

    assert "疑似手机号码" in run() and "疑似手机号码" in run()  # the second from the cache
    rule = tree / "pipeline" / "lint" / "rules" / "pii.py"
    rule.write_text(rule.read_text(encoding="utf-8").replace("疑似手机号码", "可能是手机号"), encoding="utf-8")
    assert "可能是手机号" in run()


def _entries(repo: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(repo / DATABASE) as db:
        return list(db.execute("SELECT key, entry FROM entries"))


def _set_entry(repo: Path, key: str, entry: str) -> None:
    with sqlite3.connect(repo / DATABASE) as db:
        db.execute("UPDATE entries SET entry = ? WHERE key = ?", (entry, key))


@pytest.mark.parametrize("tamper", [
    lambda entry, other: entry[:len(entry) // 2],  # cut short
    lambda entry, other: entry.replace('"findings": [{', '"findings": [], "x": [{'),  # a field it does not write
    lambda entry, other: entry.replace('"severity": "error"', '"severity": "off"'),  # not a severity
    lambda entry, other: entry.replace('"line": ', '"line": "'),  # not JSON any more
    lambda entry, other: entry.replace('"binding": false', '"binding": 0'),  # wrong type
    lambda entry, other: other,  # another article's clean entry filed under this key
    lambda entry, other: "",
])
def test_a_tampered_entry_is_ignored_never_trusted(repo: Path, capsys: pytest.CaptureFixture[str], tamper: Any) -> None:
    write_article(repo, body=VALID_BODY + "\n联系电话 13812345678。\n")
    write_article(repo, slug="2026-10-21-clean")
    twice(repo, capsys)
    entries = dict(_entries(repo))
    dirty = next(key for key, entry in entries.items() if "PII002" in entry)
    clean = next(entry for key, entry in entries.items() if key != dirty)
    _set_entry(repo, dirty, tamper(entries[dirty], clean))
    assert codes(lint_json(repo, capsys)[1]) == ["PII002"]


def test_a_cache_that_is_not_a_database_is_replaced(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body=VALID_BODY + "\n联系电话 13812345678。\n")
    (repo / DATABASE).parent.mkdir()
    (repo / DATABASE).write_bytes(b"SQLite format 3\x00" + os.urandom(3000))
    assert codes(lint_json(repo, capsys)[1]) == ["PII002"]
    assert codes(lint_json(repo, capsys)[1]) == ["PII002"]
    assert len(_entries(repo)) == 1


def test_an_unwritable_cache_costs_speed_not_results(repo: Path, capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    write_article(repo, body=VALID_BODY + "\n联系电话 13812345678。\n")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    code, report = lint_json(repo, capsys, "--cache-dir", str(blocked / "cache"))
    assert code == 1 and codes(report) == ["PII002"]


def test_fix_never_reads_the_cache(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = write_article(repo, files={"cover.jpg": jpeg_bytes(gps=True)})
    assert codes(lint_json(repo, capsys)[1]) == ["MEDIA007"]
    _, fixed = lint_json(repo, capsys, "--fix")
    assert codes(fixed) == [] and fixed["fixed"]
    assert codes(lint_json(repo, capsys)[1]) == []
    assert b"TestCam" in (index.parent / "cover.jpg").read_bytes()


# -- the class: any sequence of edits, cached and uncached runs agree -----------------------------

_IMAGES = [jpeg_bytes(), jpeg_bytes(gps=True), jpeg_bytes(800, 600), jpeg_bytes(fmt="PNG"), b"not an image"]
_BODIES = [VALID_BODY, VALID_BODY + "\n电话 13812345678\n", VALID_BODY + "\n![图](photo.jpg)\n",
           VALID_BODY + "\n远离赌博,拒绝拔河。\n", "# 一级\n\n正文", VALID_BODY + "\n<!-- wxpub-disable PII002: 总机 -->\n电话 13812345678\n"]
_EDITS = st.one_of(
    st.tuples(st.just("body"), st.integers(0, len(_BODIES) - 1)),
    st.tuples(st.just("cover"), st.integers(0, len(_IMAGES) - 1)),
    st.tuples(st.just("photo"), st.integers(0, len(_IMAGES) - 1)),
    st.tuples(st.just("photo-link"), st.just(0)),
    st.tuples(st.just("photo-gone"), st.just(0)),
    st.tuples(st.just("words"), st.integers(0, 1)),
    st.tuples(st.just("max-chars"), st.sampled_from([10, 1200])),
)


def _apply(repo: Path, edit: tuple[str, int]) -> None:
    bundle = repo / "content" / "official" / "publicity" / "2026-10-20-sports-day"
    kind, value = edit
    if kind == "body":
        write_article(repo, body=_BODIES[value], files={"cover.jpg": (bundle / "cover.jpg").read_bytes()}
                      if (bundle / "cover.jpg").is_file() and not (bundle / "cover.jpg").is_symlink() else None)
    elif kind in ("cover", "photo"):
        target = bundle / f"{kind}.jpg"
        target.unlink(missing_ok=True)
        target.write_bytes(_IMAGES[value])
    elif kind == "photo-link":
        (bundle / "photo.jpg").unlink(missing_ok=True)
        (bundle / "photo.jpg").symlink_to("cover.jpg")
    elif kind == "photo-gone":
        (bundle / "photo.jpg").unlink(missing_ok=True)
    elif kind == "words":
        words = repo / "policies" / "wordlists" / "prohibited.txt"
        lines = [line for line in words.read_text(encoding="utf-8").splitlines() if line != "拔河"]
        words.write_text("\n".join(lines + (["拔河"] if value else [])) + "\n", encoding="utf-8")
    else:
        policy = repo / "policies.yaml"
        text = policy.read_text(encoding="utf-8")
        policy.write_text(text.replace("max_chars: 1200", f"max_chars: {value}").replace("max_chars: 10 ", f"max_chars: {value} "),
                          encoding="utf-8")


def _lint(repo: Path, cache: FindingsCache | None) -> LintReport:
    policies = load_policies(repo)
    return lint_bundles(repo, policies, list(find_bundles(repo)), jobs=1, cache=cache)


@pytest.fixture(scope="module")
def edited_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("edits"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(_EDITS, min_size=1, max_size=6))
def test_any_sequence_of_edits_is_judged_as_without_a_cache(edited_repo: Path, edits: list[tuple[str, int]]) -> None:
    repo = empty_repo(edited_repo)
    shutil.copytree(PROJECT / "policies", repo / "policies", dirs_exist_ok=True)
    shutil.copy2(PROJECT / "policies.yaml", repo / "policies.yaml")
    write_article(repo)
    for edit in edits:
        _apply(repo, edit)
        cache = FindingsCache.open(repo, load_policies(repo))
        cached = _lint(repo, cache)
        assert cached == _lint(repo, None) == _lint(repo, FindingsCache.open(repo, load_policies(repo)))
    assert PurePosixPath("content/official/publicity/2026-10-20-sports-day/index.md") in find_bundles(repo)



def test_a_cache_committed_into_the_repository_is_never_read(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A pull request can carry a .wxpub-cache with an entry forged for its own article (the
    keys are computable from public files): a committed cache is not read at all."""
    write_article(repo, body=VALID_BODY + "\n联系电话 13812345678。\n")
    twice(repo, capsys)
    [(key, entry)] = _entries(repo)
    forged = json.loads(entry)
    forged["findings"] = []
    _set_entry(repo, key, json.dumps(forged, ensure_ascii=False))
    assert codes(lint_json(repo, capsys)[1]) == []  # where the cache is kept, a well-formed forgery is believed
    git(repo, "add", "-A")
    git(repo, "add", "-f", CACHE_DIR)
    git(repo, "commit", "-q", "-m", "a pull request that brings its own cache")
    code, out, err = run_cli(repo, capsys, "lint", "--format", "json")
    assert code == 1 and codes(json.loads(out)) == ["PII002"]
    assert "被提交进了仓库" in err


def test_library_versions_are_what_importlib_metadata_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache key's library versions come from dist-info folder names (importlib.metadata
    costs 20-60 ms to import); they must be its answers, the first on sys.path winning, and a
    library installed without a dist-info folder still has its version asked."""
    from importlib import metadata

    from pipeline.lint.cache import _LIBRARIES, library_versions

    assert library_versions() == {name: metadata.version(name) for name in _LIBRARIES}
    shadow = tmp_path / "shadow"
    (shadow / "Pillow-99.1.dev3+local.dist-info").mkdir(parents=True)  # earlier on sys.path: what import would load
    (shadow / "markdown_it_py-0.0.1.dist-info").mkdir()
    monkeypatch.syspath_prepend(str(shadow))
    versions = library_versions()
    assert versions["pillow"] == "99.1.dev3+local" and versions["markdown-it-py"] == "0.0.1"
    assert versions["jinja2"] == metadata.version("jinja2")
