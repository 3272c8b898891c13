"""`wxpub init DIR` (pipeline/scaffold.py): a content repository that is valid as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.cli import main
from pipeline.codeowners import render_codeowners
from pipeline.policies import load_policies
from pipeline.scaffold import WORKFLOW_FILES
from tests.testing.fixtures import PROJECT


def test_init_writes_a_repository_that_lints_clean(tmp_path: Path, lint, capsys: pytest.CaptureFixture[str]) -> None:
    school = tmp_path / "school"
    assert main(["init", str(school)]) == 0
    capsys.readouterr()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=school, check=True)
    policies = load_policies(school)  # valid against the policy schema and its references
    assert (school / ".github" / "CODEOWNERS").read_text(encoding="utf-8") == render_codeowners(policies)
    code, findings = lint(school, "--strict")
    assert (code, findings) == (0, [])
    assert main(["--root", str(school), "codeowners", "--check"]) == 0
    readme = (school / "README.md").read_text(encoding="utf-8")
    assert "@" + "SCHOOL@" not in readme and "投稿" in readme
    # lint's messages and wxpub new's comments cite docs/editors.md, which a school's repository
    # does not have: its README says where the guides are, at the version it installs
    from pipeline import __version__
    from pipeline.scaffold import repository
    assert "docs/editors.md" in readme and f"{repository(None)}" in readme and f"v{__version__}" in readme
    assert not re.search(r"@[A-Z]+@", readme)  # every placeholder filled
    assert "policies/wordlists/prohibited.txt" in {w.source for w in policies.wordlists}
    assert (school / "policies" / "wordlists" / "prohibited.txt").is_file()


def test_the_workflows_install_a_pinned_wxpub_and_name_the_policys_secrets(tmp_path: Path) -> None:
    school = tmp_path / "school"
    assert main(["init", str(school), "--source", "https://git.example.invalid/wxpub"]) == 0
    policies = load_policies(school)
    for name in WORKFLOW_FILES:
        text = (school / ".github" / "workflows" / name).read_text(encoding="utf-8")
        assert "pip install" not in text  # the setup step installs (tests/test_workflows.py)
    setup = (school / ".github" / "actions" / "setup-wxpub" / "action.yml").read_text(encoding="utf-8")
    assert not re.search(r"pip install.* \.$", setup, re.MULTILINE)  # never the checkout
    assert "pip install --require-hashes -r requirements/ci.txt" in setup  # the locked dependencies, then wxpub at its tag
    assert 'pip install --no-deps --no-build-isolation "wxpub @ git+https://git.example.invalid/wxpub@v' in setup
    assert (school / "requirements" / "ci.txt").read_text(encoding="utf-8").endswith(
        (PROJECT / "requirements" / "ci.txt").read_text(encoding="utf-8"))
    pull_request = yaml.safe_load((school / ".github" / "workflows" / "pull-request.yml").read_text(encoding="utf-8"))
    assert set(pull_request["jobs"]) == {"lint", "code-scanning", "preview"}  # wxpub's own tests stay here
    publish = yaml.safe_load((school / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8"))
    env = next(s["env"] for s in publish["jobs"]["publish"]["steps"] if s.get("name") == "Publish")
    wanted = {e for a in policies.accounts.values() for e in (a.appid_env, a.secret_env)}
    assert {k for k in env if k.endswith(("_APPID", "_SECRET"))} == wanted
    assert all(env[k] == f"${{{{ secrets.{k} }}}}" for k in wanted)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=school, check=True)  # actionlint finds its config there
    actionlint = Path(sys.executable).parent / "actionlint"
    result = subprocess.run([str(actionlint), "-no-color", *map(str, (school / ".github" / "workflows").glob("*.yml"))],
                            cwd=school, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("occupied", ["file", "hidden"])
def test_a_folder_that_is_not_empty_is_refused_without_force(tmp_path: Path, occupied: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    school = tmp_path / "school"
    school.mkdir()
    (school / ("notes.txt" if occupied == "file" else ".git")).write_text("mine", encoding="utf-8")
    assert main(["init", str(school)]) == 2
    err = capsys.readouterr().err
    assert "文件夹不是空的" in err and "--force" in err and "Traceback" not in err
    assert sorted(p.name for p in school.iterdir()) == ["notes.txt" if occupied == "file" else ".git"]
    assert main(["init", str(school), "--force"]) == 0
    assert (school / "policies.yaml").is_file()


def test_a_file_in_the_way_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "school").write_text("x", encoding="utf-8")
    assert main(["init", str(tmp_path / "school"), "--force"]) == 2
    assert "不是文件夹" in capsys.readouterr().err


@pytest.mark.parametrize("source", ['https://x.invalid/w" && curl evil #', "https://x.invalid/$(id)", "ftp://x/w",
                                    "https://x.invalid/w\nrun: evil", ""])
def test_a_source_that_could_inject_into_the_workflows_is_refused(tmp_path: Path, source: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["init", str(tmp_path / "school"), "--source", source])
    err = capsys.readouterr().err
    if source == "":  # an empty --source means the default repository
        assert code == 0
        return
    assert code == 2 and "--source" in err and "Traceback" not in err
    assert not (tmp_path / "school").exists()  # refused before anything is written


def test_working_as_the_guides_say_leaves_nothing_to_commit_by_mistake(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by following the README from `wxpub init`: after the guides' `wxpub preview -o 预览`
    and a sandbox run, `git status` offered the preview pages, `.wxpub/` (the sandbox's database
    and its credentials) and wxpub report's default `report/` for the next `git add -A`. They keep out of Git now, and the
    sandbox's folder does so by itself, whatever .gitignore a school keeps."""
    school = tmp_path / "school"
    assert main(["init", str(school)]) == 0
    (school / ".gitignore").write_text("\n".join(
        line for line in (school / ".gitignore").read_text(encoding="utf-8").splitlines() if ".wxpub" not in line))
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                    ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "init"]):
        subprocess.run(command, cwd=school, check=True)
    assert main(["--root", str(school), "preview", "-o", str(school / "预览")]) == 0
    assert main(["--root", str(school), "publish", "--sandbox", "--now", "12:30"]) == 0
    assert main(["--root", str(school), "backup", "--sandbox"]) == 0
    monkeypatch.chdir(school)  # as a person runs it: in the repository, the report where it goes by default
    assert main(["report", "--sandbox"]) == 0 and (school / "report" / "report.html").is_file()
    capsys.readouterr()
    assert (school / ".wxpub" / "sandbox.secrets.json").is_file()
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=school,
                            capture_output=True, text=True, check=True).stdout
    assert status == ""


def test_the_commented_certification_and_previewers_are_valid_once_uncommented(tmp_path: Path) -> None:
    """Working from wxpub init, `wxpub preview --wechat` refused with 'no previewers' and doctor
    said 'no certification dates', and the new policy showed neither key: it now shows both,
    commented, and they are valid as written once the comment marks are taken away."""
    school = tmp_path / "school"
    assert main(["init", str(school)]) == 0
    policy = school / "policies.yaml"
    text = policy.read_text(encoding="utf-8")
    uncommented = re.sub(r"^    # (certification:|previewers:)", r"    \1", text, flags=re.M)
    uncommented = re.sub(r"^    #   (?=\S)", "      ", uncommented, flags=re.M)
    assert uncommented != text
    policy.write_text(uncommented, encoding="utf-8")
    official = load_policies(school).accounts["official"]
    assert set(official.previewers) == {"张三", "李四"}
    assert official.verified_until and official.annual_review and official.renewal
