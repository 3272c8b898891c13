"""Docs that tests keep honest: every rule code, every policies.yaml key and every front
matter field is documented, with the right default severity; the Chinese guides explain every
lint code and field; every command is documented; and every command block marked runnable
runs, in a fresh copy of this repository, and does what it shows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from pipeline.lint.registry import RULES
from pipeline.schema_check import load_schema
from tests.testing.fixtures import PROJECT, git


def _read(name: str) -> str:
    return (PROJECT / name).read_text(encoding="utf-8")


def _property_names(schema: Any, root: dict[str, Any]) -> Iterator[str]:
    if isinstance(schema, dict):
        if "$ref" in schema:
            yield from _property_names(root["$defs"][schema["$ref"].rsplit("/", 1)[1]], root)
        for name, sub in schema.get("properties", {}).items():
            yield name
            yield from _property_names(sub, root)
        for key in ("additionalProperties", "items"):
            if isinstance(schema.get(key), dict):
                yield from _property_names(schema[key], root)


def test_every_rule_code_is_documented_with_its_default_severity() -> None:
    doc = (PROJECT / "docs/rules.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| ([A-Z]+\d{3}) \| (\w+) \|", doc, re.M))
    assert rows == {code: info.severity.value for code, info in RULES.items()}


def test_every_policies_key_is_documented() -> None:
    doc = (PROJECT / "docs/policies.md").read_text(encoding="utf-8")
    schema = load_schema("policies.schema.json")
    missing = sorted({n for n in _property_names(schema, schema) if f"`{n}`" not in doc})
    assert missing == []


def test_every_front_matter_field_is_documented() -> None:
    doc = (PROJECT / "docs/articles.md").read_text(encoding="utf-8")
    schema = load_schema("front-matter.schema.json")
    missing = sorted({n for n in _property_names(schema, schema) if f"`{n}`" not in doc})
    assert missing == []


def test_readme_commands_are_the_ones_ci_runs() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    ci = (PROJECT / ".ci/run").read_text(encoding="utf-8")
    assert "./dev demo" in readme and "./dev test" in readme
    assert "./dev test" in ci


def test_every_ledger_step_is_documented() -> None:
    from pipeline.records import RECORD_TYPES
    doc = (PROJECT / "docs/ledger.md").read_text(encoding="utf-8")
    assert [str(step) for step in RECORD_TYPES if f"`{step}`" not in doc] == []


# -- the Chinese guides --------------------------------------------------------------------------

GUIDES = ("docs/editors.md", "docs/reviewers.md")
SEVERITY_LABEL = {"error": "错误", "warning": "警告", "notice": "提示"}


def _sections(doc: str) -> dict[str, str]:
    """`### CODE` headings of a guide and the text under each, up to the next heading."""
    parts = re.split(r"^### (\S+)[ \t]*$", doc, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_every_rule_code_has_a_section_in_the_editors_guide() -> None:
    """One section per code, headed by the code alone (its anchor is the code), saying the
    code's default severity as lint prints it and how to fix it; no section for a code that
    does not exist."""
    sections = {code: text for code, text in _sections(_read("docs/editors.md")).items()
                if re.fullmatch(r"[A-Z]+\d{3}", code)}
    assert sorted(sections) == sorted(RULES)
    wrong = {code: text for code, text in sections.items()
             if f"默认级别:{SEVERITY_LABEL[RULES[code].severity.value]}" not in text or "怎么改:" not in text}
    assert list(wrong) == []


def test_the_sample_schools_own_codes_are_in_the_editors_guide() -> None:
    """Codes the sample policy defines (custom rules, word lists with a code) are explained too."""
    import yaml
    policy = yaml.safe_load(_read("policies.yaml"))
    codes = {rule["code"] for rule in policy.get("custom_rules", [])} | {
        wordlist["code"] for wordlist in policy.get("wordlists", []) if "code" in wordlist}
    doc = _read("docs/editors.md")
    assert codes and sorted(code for code in codes if f"`{code}`" not in doc) == []


def test_every_front_matter_field_is_in_the_editors_guide() -> None:
    doc = _read("docs/editors.md")
    schema = load_schema("front-matter.schema.json")
    assert sorted({n for n in _property_names(schema, schema) if f"`{n}`" not in doc}) == []


def _length(prop: dict[str, Any]) -> str:
    """How the guide writes a length limit: 1–32 字, or 最多 128 字 when there is no minimum."""
    return f"{prop['minLength']}–{prop['maxLength']} 字" if "minLength" in prop else f"最多 {prop['maxLength']} 字"


def test_the_editors_guide_states_the_schemas_limits() -> None:
    """Each field's row in the table says the schema's length limit and enum values."""
    schema = load_schema("front-matter.schema.json")
    rows = {m[0]: m[1] for m in re.findall(r"^\| `([a-z_]+)` \|(.*)$", _read("docs/editors.md"), re.M)}
    wrong = [name for name, prop in schema["properties"].items()
             if ("maxLength" in prop and _length(prop) not in rows[name])
             or any(f"`{value}`" not in rows[name] for value in prop.get("enum", ()))]
    assert wrong == []


def test_the_reviewers_guide_states_the_sample_schedule() -> None:
    """The publish windows and daily caps in the guide's table are the sample policy's."""
    import yaml
    accounts = yaml.safe_load(_read("policies.yaml"))["accounts"]
    rows = {m[0]: m[1] for m in re.findall(r"^\| `([a-z-]+)` [^|]*\|(.*)$", _read("docs/reviewers.md"), re.M)
            if "篇" in m[1]}
    wrong = [key for key, account in accounts.items()
             if [w.replace("-", "–") for w in account["schedule"]["windows"]] != re.findall(r"\d\d:\d\d–\d\d:\d\d", rows[key])
             or f"| {account['schedule']['daily_cap']} 篇 |" not in rows[key]]
    assert wrong == []


def test_every_stage_and_account_of_the_sample_policy_is_in_the_reviewers_guide() -> None:
    import yaml
    policy = yaml.safe_load(_read("policies.yaml"))
    doc = _read("docs/reviewers.md")
    stage_names = [stage["name"] for stage in policy["stages"].values()]
    missing = [key for key in [*policy["stages"], *policy["accounts"]] if f"`{key}`" not in doc]
    assert missing == [] and [name for name in stage_names if name not in doc] == []


def test_the_guides_are_linked_from_the_readme() -> None:
    readme = _read("README.md")
    assert all(f"]({guide})" in readme for guide in GUIDES)


# -- every command is documented -----------------------------------------------------------------

def _all_docs() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))])


def test_every_command_is_documented() -> None:
    """Every `wxpub` command (and each action of a command that has them, `sandbox serve`) is
    named as `wxpub <command>` in the README or the docs: a command added to COMMANDS later
    fails here until someone documents it. The README's command table lists each too."""
    import argparse
    from pipeline.cli import COMMANDS, build_parser
    docs = _all_docs()
    table = {m for m in re.findall(r"^\| `wxpub ([a-z-]+(?: [a-z-]+)?)", _read("README.md"), re.M)}
    named = []
    for name in COMMANDS:
        named.append(name)
        parser = build_parser(name)
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                named.extend(f"{name} {action_name}" for action_name in action.choices)
    assert [n for n in named if not re.search(rf"wxpub {re.escape(n)}(?![a-z-])", docs)] == []
    assert [n for n in COMMANDS if not any(row.split()[0] == n for row in table)] == []


# -- command blocks marked runnable run ----------------------------------------------------------
#
# A fenced block whose info string is `console runnable` (optionally `exit=N`) is run: each line
# starting with `$ ` is a shell command, run in order in a fresh copy of this repository (sample
# content and all, committed on `main`), with `wxpub` on PATH, no WXPUB_/GITHUB_ variables and
# no network (the sandbox is in-process). Every command must exit 0, the last one the block's
# `exit=N` if it declares one; each other line of the block must appear, in order, in the
# output of the command above it (a line of the output containing it).

RUNNABLE = re.compile(r"^(?P<indent>[ \t]*)```console runnable(?: exit=(?P<exit>\d+))?[ \t]*\n"
                      r"(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)


@dataclass(frozen=True)
class Block:
    where: str  # file:line of the opening fence
    commands: tuple[tuple[str, tuple[str, ...]], ...]  # (command, expected output lines)
    exit: int


def runnable_blocks(text: str, name: str) -> list[Block]:
    blocks = []
    for match in RUNNABLE.finditer(text):
        indent = len(match["indent"])
        commands: list[tuple[str, list[str]]] = []
        for raw in match["body"].splitlines():
            line = raw[indent:] if raw[:indent].strip() == "" else raw
            if line.startswith("$ "):
                commands.append((line[2:], []))
            elif line.strip():
                assert commands, f"{name}: output before any command in a runnable block"
                commands[-1][1].append(line.strip())
        where = f"{name}:{text.count(chr(10), 0, match.start()) + 1}"
        blocks.append(Block(where, tuple((c, tuple(out)) for c, out in commands), int(match["exit"] or 0)))
    return blocks


def _documented_blocks() -> list[Block]:
    files = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]
    return [b for f in files for b in runnable_blocks(f.read_text(encoding="utf-8"), f.relative_to(PROJECT).as_posix())]


def run_block(block: Block, root: Path) -> list[str]:
    """What is wrong when `block` runs in `root`: nothing when it does what it says."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WXPUB_", "GITHUB_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    problems = []
    for i, (command, expected) in enumerate(block.commands):
        want = block.exit if i == len(block.commands) - 1 else 0
        ran = subprocess.run(["bash", "-c", command], cwd=root, env=env, capture_output=True, text=True,
                             timeout=300, stdin=subprocess.DEVNULL)
        output = (ran.stdout + ran.stderr).splitlines()
        if ran.returncode != want:
            problems.append(f"{block.where}: `{command}` exited {ran.returncode}, not {want}:\n{ran.stdout}{ran.stderr}")
        rest = iter(output)
        for line in expected:
            if not any(line in got for got in rest):
                problems.append(f"{block.where}: `{command}` did not print {line!r}:\n{ran.stdout}{ran.stderr}")
                break
    return problems


def project_copy(target: Path) -> Path:
    """This checkout's files as they are (committed or not, nothing Git ignores), committed
    afresh on `main` in `target`."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=PROJECT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = PROJECT / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git(target, "init", "-q", "-b", "main")
    git(target, "config", "user.email", "docs@example.invalid")
    git(target, "config", "user.name", "docs")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "the repository as documented")
    return target


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project_copy(tmp_path_factory.mktemp("pristine") / "repo")


def test_the_guides_and_readme_have_runnable_blocks() -> None:
    where = {b.where.split(":")[0] for b in _documented_blocks()}
    assert {"README.md", *GUIDES} <= where


@pytest.mark.parametrize("block", _documented_blocks(), ids=lambda b: b.where)
def test_runnable_block_runs(block: Block, pristine: Path, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(pristine, root, symlinks=True)
    assert run_block(block, root) == []


def test_a_wrong_block_is_caught(tmp_path: Path) -> None:
    """The runner can fail: a wrong exit code, output that is not printed, a missing command."""
    text = ("```console runnable exit=1\n$ echo 你好\n你好\n$ exit 1\n```\n\n"
            "  ```console runnable\n  $ echo 你好\n  再见\n  ```\n\n"
            "```console runnable\n$ true\n$ false\n```\n\n```console runnable exit=2\n$ no-such-command-here\n```\n")
    good, unprinted, failing, missing = runnable_blocks(text, "x.md")
    assert (good.exit, good.commands) == (1, (("echo 你好", ("你好",)), ("exit 1", ())))
    assert run_block(good, tmp_path) == []
    assert len(run_block(unprinted, tmp_path)) == 1 and "再见" in run_block(unprinted, tmp_path)[0]
    assert "`false` exited 1, not 0" in run_block(failing, tmp_path)[0]
    assert "exited 127, not 2" in run_block(missing, tmp_path)[0]
