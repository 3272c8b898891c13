"""`wxpub new`: the bundle lands where lint wants it, its front matter lints clean, and what is
still to do (the body, the cover) is exactly what lint reports; bad requests are refused with
the valid choices, exit 2, and nothing written."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pipeline.content import Article, load_article
from pipeline.errors import UserError
from pipeline.newarticle import NewArticle, create, slug_from
from pipeline.policies import load_policies
from pipeline.snapshot import WorkTree
from tests.testing.fixtures import VALID_BODY, found, jpeg_bytes, lint_json, make_repo, run_cli

NEW = ["new", "--account", "official", "--department", "publicity"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def _bundles(root: Path) -> list[Path]:
    return sorted(p.parent for p in (root / "content").rglob("index.md")) if (root / "content").exists() else []


def test_new_article_lints_clean_but_for_the_body_and_cover_then_clean_once_written(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(repo, capsys, *NEW, "--title", "Open Day 校园开放日", "--author", "王老师",
                           "--category", "学校新闻", "--date", "2026-10-20")
    assert code == 0
    bundle = repo / "content/official/publicity/2026-10-20-open-day"
    assert (bundle / "index.md").is_file() and "content/official/publicity/2026-10-20-open-day/index.md" in out

    code, report = lint_json(repo, capsys)
    assert code == 1
    assert sorted((f["code"], f["severity"]) for f in report["findings"]) == [("BODY002", "error"), ("MEDIA001", "error")]

    index = bundle / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + VALID_BODY, encoding="utf-8")
    (bundle / "cover.jpg").write_bytes(jpeg_bytes())
    code, report = lint_json(repo, capsys)
    assert (code, report["findings"]) == (0, [])
    article = load_article(WorkTree(repo), Path("content/official/publicity/2026-10-20-open-day/index.md"))  # type: ignore[arg-type]
    assert isinstance(article, Article)
    assert dict(article.front_matter) == {"title": "Open Day 校园开放日", "author": "王老师", "department": "publicity",
                                          "category": "学校新闻", "cover": "cover.jpg", "original": True}


def test_fields_left_out_are_named_by_lint(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run_cli(repo, capsys, *NEW, "--date", "2026-10-20", "--slug", "notice")
    assert code == 0
    _, report = lint_json(repo, capsys)
    assert sorted({f["line"] for f in found(report, "FM002")}) == [2, 3, 5]  # title, author, category are empty
    assert {f["code"] for f in report["findings"]} == {"FM002", "FM005", "BODY002", "MEDIA001"}


def test_default_date_is_today_where_the_school_is(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policies = load_policies(repo)
    before = datetime.datetime.now(policies.tz).date()
    assert run_cli(repo, capsys, *NEW, "--title", "x")[0] == 0
    after = datetime.datetime.now(policies.tz).date()
    (made,) = _bundles(repo)
    assert made.name in {f"{before.isoformat()}-x", f"{after.isoformat()}-x"}


@pytest.mark.parametrize(("args", "says"), [
    (["--account", "nope", "--department", "publicity"], ["nope", "official(江城大学)", "youth"]),
    (["--account", "youth", "--department", "academic-affairs"], ["academic-affairs", "供稿部门"]),
    (["--account", "official", "--department", "nope"], ["nope", "publicity(党委宣传部)"]),
    ([*NEW[1:], "--slug", "Open Day"], ["短名"]),
    ([*NEW[1:], "--slug=-x"], ["短名"]),
    ([*NEW[1:], "--category", "八卦"], ["八卦", "学校新闻"]),
    ([*NEW[1:], "--title", "标题\u2028第二行"], ["换行", "U+2028"]),
    ([*NEW[1:], "--author", "王\x00老师"], ["控制字符", "U+0000"]),
])
def test_bad_requests_are_refused_with_the_choices(repo: Path, capsys: pytest.CaptureFixture[str],
                                                   args: list[str], says: list[str]) -> None:
    code, out, err = run_cli(repo, capsys, "new", *args)
    assert code == 2, out + err
    assert all(word in err for word in says), err
    assert _bundles(repo) == []


def test_bad_date_is_a_usage_error_in_chinese(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_cli(repo, capsys, *NEW, "--date", "2026-02-30")
    assert exit_info.value.code == 2
    assert "不是有效的日期" in capsys.readouterr().err


def test_existing_folder_and_same_name_in_the_account_are_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(repo, capsys, *NEW, "--date", "2026-10-20", "--slug", "open-day")[0] == 0
    index = repo / "content/official/publicity/2026-10-20-open-day/index.md"
    index.write_text("edited", encoding="utf-8")
    code, _, err = run_cli(repo, capsys, *NEW, "--date", "2026-10-20", "--slug", "open-day")
    assert code == 2 and "已存在" in err
    assert index.read_text(encoding="utf-8") == "edited"
    # another department of the same account: lint's FM014 would fail it, so it is not made
    code, _, err = run_cli(repo, capsys, "new", "--account", "official", "--department", "academic-affairs",
                           "--date", "2026-10-20", "--slug", "open-day")
    assert code == 2 and "FM014" in err
    assert not (repo / "content/official/academic-affairs").exists()


def test_help_is_chinese(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run_cli(repo, capsys, "new", "--help")
    out = capsys.readouterr().out
    assert "用法:" in out and "账号" in out and "usage:" not in out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(max_size=40), author=st.text(max_size=20))
def test_whatever_is_typed_comes_back_exactly_or_is_refused(tmp_path_factory: pytest.TempPathFactory,
                                                           title: str, author: str) -> None:
    """YAML specials (`true`, `a: b`, `- x`, quotes, `#`), control characters and the line
    separators YAML alone sees: the file says exactly what was typed, or nothing is written."""
    root = make_repo(tmp_path_factory.mktemp("new"))
    policies = load_policies(root)
    request = NewArticle("official", "publicity", datetime.date(2026, 10, 20), slug_from(title), title, author)
    try:
        index = create(root, policies, request)
    except UserError:
        assert _bundles(root) == []
        return
    article = load_article(WorkTree(root), index)
    assert isinstance(article, Article)
    assert (article.front_matter["title"], article.front_matter["author"]) == (title, author)
    assert index.parent.name.startswith("2026-10-20-")


@given(st.text(max_size=60))
def test_slug_from_any_title_is_a_valid_folder_name(title: str) -> None:
    from pipeline.content import BUNDLE_NAME
    assert BUNDLE_NAME.match(f"2026-10-20-{slug_from(title)}")


def test_a_folder_that_cannot_be_written_is_a_clear_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "content").write_text("not a folder", encoding="utf-8")  # content/ is a file: nothing can go under it
    code, _, err = run_cli(repo, capsys, *NEW, "--slug", "x")
    assert code == 2 and "无法新建文章目录" in err
