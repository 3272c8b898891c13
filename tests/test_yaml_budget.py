"""The one YAML loader under hostile input: alias bombs and deep nesting end fast, with a line.

A 300-byte "billion laughs" (nine levels of nine aliases) used to hang lint, render and
publish; 10,000 `[` used to raise RecursionError. Each consumer is run on a real repository
(the sandbox for publish, the fake GitHub for approvals) and must answer within seconds with
the file and line, never exit 3. Property tests hold the loader to plain YAML semantics.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.yamlpos import MAX_DEPTH, YamlBudgetError, YamlSyntaxError, YamlValueError, load_positioned
from tests.testing.fake_github import FakeGitHub
from tests.testing.fixtures import ARTICLE, SAMPLE_POLICY, VALID_FM, commit_all, make_repo, write_article

FAST = 10.0  # seconds; the bomb took minutes before, the budget makes it milliseconds
HEAD = "h" * 40


def bomb(levels: int = 8) -> str:
    """Nine aliases per level, keys a, b, c...: 9**levels values once expanded (43 million for
    8 levels), in under 300 bytes."""
    keys = "abcdefghij"
    lines = ["a: &a [x,x,x,x,x,x,x,x,x]"]
    lines += [f"{keys[i]}: &{keys[i]} [{','.join([f'*{keys[i - 1]}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def line_of(text: str, start: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if line.startswith(start))


DEEP = "deep: " + "[" * 10_000 + "]" * 10_000 + "\n"


# -- the loader itself ----------------------------------------------------------------------------------

def test_the_bomb_is_small_and_stops_at_the_budget_on_the_line_of_the_alias() -> None:
    text = bomb()
    assert len(text.encode()) < 300
    started = time.monotonic()
    with pytest.raises(YamlBudgetError) as error:
        load_positioned(text)
    assert time.monotonic() - started < 1.0
    # a..e hold 10 + 91 + 820 + 7,381 + 66,430 values; f's aliases pass 100,000
    assert (error.value.line, error.value.column) == (6, 8) and "内容过多" in error.value.message


@pytest.mark.parametrize("text", [
    DEEP,
    "deep: " + "{a: " * 5_000 + "}" * 5_000 + "\n",
    "deep:\n" + "".join("  " * i + "-\n" for i in range(2_000)) + "  " * 2_000 + "x\n",
    "deep:\n" + "".join("  " * i + f"k{i}:\n" for i in range(2_000)) + "  " * 2_000 + "x\n",
])
def test_deep_nesting_is_a_budget_error_not_a_recursion_error(text: str) -> None:
    with pytest.raises(YamlBudgetError) as error:
        load_positioned(text)
    assert f"超过 {MAX_DEPTH} 层" in error.value.message


@pytest.mark.parametrize(("text", "line", "column"), [
    ("a: &a [1, *a]\n", 1, 11),
    ("a: &a {b: *a}\n", 1, 11),
    ("a: &a\n  b:\n    - c: [*a]\n", 3, 11),  # the alias deep inside the node it names
])
def test_an_anchor_cannot_contain_itself(text: str, line: int, column: int) -> None:
    """A cycle is said as such (the hostile corpus's wording), at the alias, not as a
    missing anchor: an editor who wrote &a can see it right there."""
    with pytest.raises(YamlValueError, match="循环引用") as error:
        load_positioned(text)
    assert (error.value.line, error.value.column) == (line, column)


@pytest.mark.parametrize(("text", "line", "column"), [
    ("a: &a 1\nb: &a [*a]\n", 2, 4),
    ("a: &a [&a 1, *a]\n", 1, 8),  # inside the first: which &a would *a mean?
    ("a: &a {b: 1}\nc:\n  - &a x\n", 3, 5),
])
def test_an_anchor_name_is_written_once(text: str, line: int, column: int) -> None:
    """As PyYAML's own loader (and so every YAML tool the school uses) insists."""
    with pytest.raises(YamlValueError, match="锚点 &a 重复定义") as error:
        load_positioned(text, line_offset=1)
    assert (error.value.line, error.value.column) == (line + 1, column)
    assert "第一次在第 2 行" in error.value.message  # shifted like every line (front matter starts late)


def test_an_alias_before_its_anchor_is_a_missing_anchor() -> None:
    with pytest.raises(YamlValueError, match="别名 \\*a 没有对应的锚点 &a"):
        load_positioned("b: *a\na: &a [1]\n")


def test_aliases_within_the_budget_still_work_and_are_copies() -> None:
    doc = load_positioned("base: &base {reviewers: [a, b]}\nother: *base\n")
    assert doc.data == {"base": {"reviewers": ["a", "b"]}, "other": {"reviewers": ["a", "b"]}}
    assert doc.data["base"] is not doc.data["other"]
    assert doc.line_of(("other", "reviewers", 0)) == 2  # inside an alias: the alias's line


# PyYAML's emitter writes NEL, LS, PS and CR raw inside quotes, where they fold: not ours to test
_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="\x85\u2028\u2029\r")
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.text(_CHARS, max_size=20))
_DATA = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(_CHARS, max_size=8), inner, max_size=4)), max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(data=_DATA, flow=st.booleans())
def test_whatever_pyyaml_dumps_loads_back_to_the_same_data(data: Any, flow: bool) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow)
    assert load_positioned(text).data == data


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.sampled_from(list("[]{}:,-&*!?|>'\"#% \n\tab1\u2028\x00") + ["&a ", "*a", "---\n", "!!binary "]),
                       max_size=80))
def test_any_text_is_data_or_a_yaml_error_never_anything_else(pieces: list[str]) -> None:
    text = "".join(pieces)
    try:
        load_positioned(text)
    except YamlSyntaxError as error:
        assert error.line >= 1 and error.column >= 1 and error.message


@settings(max_examples=60, deadline=None)
@given(depth=st.integers(1, MAX_DEPTH + 40), flow=st.booleans())
def test_nesting_up_to_the_limit_loads_and_one_beyond_does_not(depth: int, flow: bool) -> None:
    value: Any = "x"
    for _ in range(depth - 1):
        value = [value]
    text = yaml.safe_dump({"k": value}, default_flow_style=flow)  # the mapping is level 1: `depth` in all
    if depth <= MAX_DEPTH:
        assert load_positioned(text).data == {"k": value}
    else:
        with pytest.raises(YamlBudgetError):
            load_positioned(text)


# -- every consumer: front matter ------------------------------------------------------------------

FRONT_MATTERS = {  # (index.md, the line the finding names, why); front matter's budget is 10,000 values
    "bomb": (f"---\n{VALID_FM}{bomb()}---\n正文。\n", line_of(f"---\n{VALID_FM}{bomb()}", "e:"), "内容过多"),
    "deep": (f"---\n{VALID_FM}{DEEP}---\n正文。\n", 8, "嵌套过深"),
}


def timed(fn: Any, *args: Any) -> Any:
    started = time.monotonic()
    result = fn(*args)
    assert time.monotonic() - started < FAST
    return result


def cli(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = timed(main, ["--root", str(repo), *args])
    out = capsys.readouterr()
    assert "Traceback" not in out.err and code != 3, out.err
    return code, out.out, out.err


@pytest.mark.parametrize("case", FRONT_MATTERS)
def test_lint_and_render_answer_fast_with_art003_and_the_line(repo: Path, capsys: pytest.CaptureFixture[str],
                                                              case: str) -> None:
    text, line, why = FRONT_MATTERS[case]
    write_article(repo, raw=text)
    code, out, _ = cli(repo, capsys, "lint", "--format", "json")
    [finding] = json.loads(out)["findings"]
    assert (code, finding["code"], finding["line"]) == (1, "ART003", line)
    assert why in finding["message"] and "不要用别名" in finding["message"]
    code, _, err = cli(repo, capsys, "render", str(repo / ARTICLE))
    assert code == 2 and f"{ARTICLE}:{line}" in err and why in err


@pytest.mark.parametrize("case", FRONT_MATTERS)
def test_approvals_answer_fast_on_hostile_front_matter(repo: Path, github: FakeGitHub,
                                                       capsys: pytest.CaptureFixture[str], case: str) -> None:
    github.add_pull(1, "editor-li", HEAD, files=[(ARTICLE, "added", None)])
    github.set_file(HEAD, ARTICLE, FRONT_MATTERS[case][0].encode())
    code, out, _ = cli(repo, capsys, "approvals", "--pr", "1", "--format", "json")
    report = json.loads(out)
    assert code == 1 and not report["approved"]
    # unreadable, so its category is unknown: every stage a category could add is required
    assert "校领导审批" in [stage["name"] for stage in report["stages"]]


@pytest.mark.parametrize("case", FRONT_MATTERS)
def test_publish_answers_fast_and_publishes_nothing(repo: Path, sandbox: str, capsys: pytest.CaptureFixture[str],
                                                   case: str) -> None:
    text, line, why = FRONT_MATTERS[case]
    write_article(repo, raw=text)
    write_article(repo, slug="2026-10-21-fine", front_matter={"title": "正常的文章"})
    commit_all(repo)
    code, out, _ = cli(repo, capsys, "publish", "--sandbox-url", sandbox, "--now", "2026-11-25 12:30", "--format", "json")
    report = json.loads(out)
    assert code == 1
    [failed] = report["failed"]
    assert failed["path"] == ARTICLE and why in failed["message"]
    assert [p["path"] for p in report["published"]] == ["content/official/publicity/2026-10-21-fine/index.md"]


# -- every consumer: policies.yaml ---------------------------------------------------------------

BOMB_POLICY = SAMPLE_POLICY + "\nx-bomb:\n" + "".join("  " + line + "\n" for line in bomb().splitlines())
DEEP_POLICY = SAMPLE_POLICY + "\nx-" + DEEP
POLICIES = {  # (policies.yaml, the line the error names, why)
    "bomb": (BOMB_POLICY, line_of(BOMB_POLICY, "  f:"), "内容过多"),
    "deep": (DEEP_POLICY, line_of(DEEP_POLICY, "x-deep:"), "嵌套过深"),
}


@pytest.mark.parametrize("case", POLICIES)
@pytest.mark.parametrize("command", [("lint",), ("render", ARTICLE), ("preview",), ("codeowners",),
                                     ("approvals", "--pr", "1"),
                                     ("publish", "--sandbox-url", "http://127.0.0.1:9", "--dry-run")])
def test_every_command_stops_fast_with_exit_2_at_the_policy_line(tmp_path: Path, github: FakeGitHub,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 case: str, command: tuple[str, ...]) -> None:
    text, bad_line, why = POLICIES[case]
    repo = make_repo(tmp_path, policies=text)
    write_article(repo)
    commit_all(repo)
    code, out, err = cli(repo, capsys, *[str(repo / part) if part == ARTICLE else part for part in command])
    assert code == 2 and out == ""
    assert f"policies.yaml:{bad_line}:" in err and why in err
