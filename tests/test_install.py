"""wxpub as a school installs it: the wheel built from this checkout, installed into a fresh
virtual environment, run from a folder outside the checkout. `wxpub init` scaffolds a content
repository there, an editor adds an article, and it is linted, rendered, previewed and
published into the sandbox, with the themes and word lists the wheel ships.

The wheel and the environment are made once per session (the build takes seconds, installing
the dependencies from the package index or pip's cache the most of a minute)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.testing.fixtures import PROJECT, jpeg_bytes



def _run(args: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(PROJECT)], out)
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = out.glob("wxpub-*.whl")
    return found


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `wxpub` executable of a fresh virtual environment holding only the wheel and its dependencies."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    made = _run([sys.executable, "-m", "venv", str(venv)], venv.parent)
    assert made.returncode == 0, made.stderr
    # as a school's own `.venv/` inside its content repository, which its .gitignore leaves
    # out: the shipped themes are wxpub's files, not that repository's ignored ones
    subprocess.run(["git", "init", "-q"], cwd=venv.parent, check=True)
    (venv.parent / ".gitignore").write_text("env/\n", encoding="utf-8")
    pip = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                str(wheel)], venv.parent, timeout=900)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return venv / "bin" / "wxpub"


def test_the_wheel_holds_the_themes_word_lists_schemas_and_scaffold(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = "pipeline/default_files/"
    for theme in ("classic", "campus"):
        assert {f"{shipped}themes/{theme}/theme.yaml", f"{shipped}themes/{theme}/article.html.j2"} <= names
    for word_list in (PROJECT / "policies" / "wordlists").glob("*.txt"):
        assert f"{shipped}policies/wordlists/{word_list.name}" in names
    for workflow in (PROJECT / ".github" / "workflows").glob("*.yml"):
        assert f"{shipped}.github/workflows/{workflow.name}" in names
    assert {"pipeline/schemas/policies.schema.json", "pipeline/schemas/front-matter.schema.json",
            "pipeline/init_files/policies.yaml", "pipeline/init_files/example/index.md"} <= names


def test_installed_wxpub_scaffolds_lints_renders_previews_and_publishes(installed: Path, tmp_path: Path) -> None:
    school = tmp_path / "school"
    init = _run([str(installed), "init", str(school)], tmp_path)
    assert init.returncode == 0, init.stdout + init.stderr
    assert not (school / "themes").exists()  # the themes come from the wheel

    where = _run([str(installed.parent / "python"), "-c", "import pipeline; print(pipeline.__file__)"], school)
    assert Path(where.stdout.strip()).is_relative_to(installed.parent.parent), where.stdout  # not this checkout

    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "editor@example.invalid"],
                 ["config", "user.name", "editor"]):
        subprocess.run(["git", *args], cwd=school, check=True)
    bundle = school / "content" / "official" / "school-office" / "2026-10-20-open-day"
    bundle.mkdir(parents=True)
    (bundle / "cover.jpg").write_bytes(jpeg_bytes())
    (bundle / "index.md").write_text(
        "---\ntitle: 学校开放日\nauthor: 李明\ndepartment: school-office\ncategory: 校园动态\n"
        "cover: cover.jpg\noriginal: true\n---\n\n10 月 20 日学校举行开放日，欢迎家长来校参观。\n", encoding="utf-8")
    subprocess.run(["git", "add", "-A"], cwd=school, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "开放日"], cwd=school, check=True)

    lint = _run([str(installed), "lint", "--strict", "--format", "json"], school)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert json.loads(lint.stdout)["files"] == 2  # the example and the new article

    # a word from the shipped list is found: the word lists are there, read through the policy
    (bundle / "index.md").write_text((bundle / "index.md").read_text(encoding="utf-8") + "\n全国第一。\n",
                                     encoding="utf-8")
    flagged = _run([str(installed), "lint", "--format", "json"], school)
    assert "WORD003" in {f["code"] for f in json.loads(flagged.stdout)["findings"]}, flagged.stdout
    subprocess.run(["git", "checkout", "--", "."], cwd=school, check=True)

    render = _run([str(installed), "render", str(bundle / "index.md")], school)
    assert render.returncode == 0, render.stderr
    assert "欢迎家长来校参观" in render.stdout and "李明" in render.stdout  # the body and the byline of the shipped theme

    preview = _run([str(installed), "preview", str(bundle / "index.md"), "-o", str(tmp_path / "preview")], school)
    assert preview.returncode == 0, preview.stderr
    assert any((tmp_path / "preview").rglob("*.html"))

    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
    publish = _run([str(installed), "publish", "--sandbox", "--now", f"{today} 12:30", "--format", "json"], school)
    assert publish.returncode == 0, publish.stdout + publish.stderr
    report = json.loads(publish.stdout)
    sent = {item["path"] for item in report["published"]}
    assert "content/official/school-office/2026-10-20-open-day/index.md" in sent, report
    again = _run([str(installed), "publish", "--sandbox", "--now", f"{today} 12:31", "--format", "json"], school)
    assert json.loads(again.stdout)["published"] == [], again.stdout  # exactly once
