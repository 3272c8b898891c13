"""`wxpub init`: a school's own content repository, ready to commit.

What it writes comes from two places and is never a second copy of either:

- `pipeline/init_files/`: the commented policies.yaml, the editors' README, .gitignore, the
  example article, the pre-commit config and the VS Code settings (package data; this
  repository's own .vscode/ and .remarkrc.json are the same files);
- the shipped defaults (pipeline.defaults.shipped_root): the word lists, the lock file of
  wxpub's dependencies (`requirements/ci.txt`, which the workflows install hash-checked),
  Dependabot's configuration for the pinned actions, and this repository's own workflows
  and the setup step they share (`.github/actions/setup-wxpub`), adapted here in three
  ways: the setup step installs a pinned wxpub instead of the checkout (`pip install ... .`),
  the pull-request workflow has no test job (a content repository has no tests of its own),
  and publish.yml, doctor.yml and wechat-preview.yml list the secrets of the new policy's
  accounts (and previewers).

CODEOWNERS and the editors' front-matter schema are generated from the new policy by
pipeline.codeowners and pipeline.editor, the one generator of each.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path, PurePosixPath

from PIL import Image

from pipeline import __version__
from pipeline.codeowners import CODEOWNERS_FILE, render_codeowners
from pipeline.defaults import WORDLISTS, shipped_root
from pipeline.editor import FRONT_MATTER_SCHEMA_FILE, render_front_matter_schema
from pipeline.errors import UserError
from pipeline.policies import POLICY_FILE, Policies, load_policies

WORKFLOWS = PurePosixPath(".github", "workflows")
WORKFLOW_FILES = ("pull-request.yml", "approvals.yml", "review-submitted.yml", "publish.yml", "doctor.yml",
                  "backup.yml", "wechat-preview.yml", "stats.yml")
# Workflows that hand the accounts' credentials to wxpub (wechat-preview.yml also the previewers' IDs)
_WITH_SECRETS = ("publish.yml", "doctor.yml", "backup.yml", "wechat-preview.yml", "stats.yml")
EXAMPLE_ARTICLE = PurePosixPath("content", "official", "publicity", "2026-01-01-example")
# The one step every workflow installs wxpub with; after the locked dependencies it installs
# this checkout, in wxpub's own repository, and the pinned release in a school's
SETUP_ACTION = PurePosixPath(".github", "actions", "setup-wxpub", "action.yml")
_INSTALL_LINE = "python -m pip install --no-deps --no-build-isolation ."
LOCK_FILE = PurePosixPath("requirements", "ci.txt")
DEPENDABOT = PurePosixPath(".github", "dependabot.yml")
# this repository's Dependabot entry for its lock files (the last one): a school's copy of the
# lock is wxpub's, not compiled from a pyproject.toml of its own, so it changes with wxpub's version
_PIP_UPDATES = re.compile(r"\n  # requirements/test\.txt.*\Z", re.DOTALL)
# publish.yml, doctor.yml, wechat-preview.yml and stats.yml hand each account's credentials to wxpub by
# name; the new policy's accounts replace the sample's between this line and the step's `run:`
_SECRETS_START = "# The names policies.yaml gives under accounts.*.credentials (R16)"
_SECRETS_END = "run: "
DEFAULT_REPOSITORY = "https://github.com/jcu-media/wxpub"
_GIT_URL = re.compile(r"(https|ssh|file)://[A-Za-z0-9._~:/@%+-]+")


@dataclass(frozen=True)
class Scaffold:
    root: Path
    written: tuple[PurePosixPath, ...]
    install: str


def install_spec(source: str | None) -> str:
    """The pip requirement the workflows install: wxpub from its Git repository at this
    version's tag. A Git tag names exactly the reviewed source; the name `wxpub` on PyPI is
    not this project's to guarantee, so `pip install wxpub==...` could install someone else's."""
    return f"wxpub @ git+{repository(source)}@v{__version__}"


def repository(source: str | None) -> str:
    """wxpub's Git repository: `--source`, else the one this package says it comes from."""
    url = source or _repository_url()
    if not _GIT_URL.fullmatch(url):  # it lands in a `run:` line of every workflow: no quotes, spaces or $
        raise UserError(f"--source 不是可用的 Git 仓库地址:{url}",
                        hint="写作 https://主机/组织/wxpub 这样的地址(只含字母、数字和 . _ ~ : / @ % + -)")
    return url


def _repository_url() -> str:
    try:
        urls = metadata.metadata("wxpub").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository":
            return str(url).strip()
    return DEFAULT_REPOSITORY


def scaffold(root: Path, *, force: bool, source: str | None = None) -> Scaffold:
    """Write a new content repository into `root` (created if missing)."""
    if root.exists() and not root.is_dir():
        raise UserError("目标不是文件夹", where=str(root), hint="换一个文件夹名,或先删除同名文件")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise UserError("文件夹不是空的,为避免覆盖已有文件,未写入任何内容", where=str(root),
                        hint="换一个空文件夹;确需在此生成(同名文件会被覆盖)请加 --force")
    install = install_spec(source)
    files: dict[PurePosixPath, bytes] = {
        PurePosixPath(POLICY_FILE): _packaged("policies.yaml").encode(),
        PurePosixPath(".gitignore"): _packaged("gitignore").encode(),
        EXAMPLE_ARTICLE / "index.md": _packaged("example/index.md").encode(),
        EXAMPLE_ARTICLE / "cover.jpg": _cover(),
        # the guides stay in wxpub's repository: the README says where, at this version
        PurePosixPath("README.md"): _packaged("README.md").replace("@SCHOOL@", "示例学校")
        .replace("@EXAMPLE@", f"{EXAMPLE_ARTICLE}/").replace("@INSTALL@", install)
        .replace("@REPOSITORY@", repository(source)).replace("@VERSION@", __version__).encode(),
    }
    # where editors work: pre-commit runs wxpub lint at the same tag the workflows install;
    # VS Code gets the settings, extension recommendations and remark config (the schema
    # itself follows the policy, below)
    files[PurePosixPath(".pre-commit-config.yaml")] = (_packaged("pre-commit-config.yaml")
                                                       .replace("@REPOSITORY@", repository(source))
                                                       .replace("@VERSION@", __version__).encode())
    files[PurePosixPath(".vscode", "settings.json")] = _packaged("vscode-settings.json").encode()
    files[PurePosixPath(".vscode", "extensions.json")] = _packaged("vscode-extensions.json").encode()
    files[PurePosixPath(".remarkrc.json")] = _packaged("remarkrc.json").encode()
    # actionlint's list of the runner labels the workflows use (the self-hosted `wechat` runner)
    files[PurePosixPath(".github", "actionlint.yaml")] = (shipped_root() / ".github" / "actionlint.yaml").read_bytes()
    files[LOCK_FILE] = _lock_file()
    files[DEPENDABOT] = _dependabot()
    files[SETUP_ACTION] = adapt_setup((shipped_root() / SETUP_ACTION).read_text(encoding="utf-8"), install).encode()
    for source_list in sorted((shipped_root() / WORDLISTS).glob("*.txt")):
        files[WORDLISTS / source_list.name] = source_list.read_bytes()
    _write(root, files)
    policies = load_policies(root)  # the policy just written: what the workflows and CODEOWNERS follow
    derived = {WORKFLOWS / name: adapt_workflow(name, (shipped_root() / WORKFLOWS / name).read_text(encoding="utf-8"),
                                                policies).encode() for name in WORKFLOW_FILES}
    derived[PurePosixPath(CODEOWNERS_FILE)] = render_codeowners(policies).encode()
    derived[PurePosixPath(FRONT_MATTER_SCHEMA_FILE)] = render_front_matter_schema(policies).encode()
    _write(root, derived)
    files |= derived
    return Scaffold(root, tuple(sorted(files)), install)


def adapt_setup(text: str, install: str) -> str:
    """The shared setup step, installing `install` (wxpub at its tag) instead of the checkout."""
    if text.count(_INSTALL_LINE) != 1:
        raise AssertionError(f"{SETUP_ACTION}: the install step changed; update pipeline/scaffold.py")
    return text.replace(_INSTALL_LINE, _INSTALL_LINE.removesuffix(".") + f'"{install}"')


def adapt_workflow(name: str, text: str, policies: Policies) -> str:
    """This repository's workflow `name`, made for a school's content repository."""
    if name == "pull-request.yml":
        text = re.sub(r"\n  test:\n.*\Z", "\n", text, flags=re.DOTALL)  # the last job: wxpub's own tests
    if name in _WITH_SECRETS:
        start = text.index(_SECRETS_START) + len(_SECRETS_START)
        end = text.index(_SECRETS_END, start)
        names = [env for account in policies.accounts.values() for env in (account.appid_env, account.secret_env)]
        if name == "wechat-preview.yml":
            names += [p.env for account in policies.accounts.values() for p in account.previewers.values() if p.env]
        lines = [f"          {env}: ${{{{ secrets.{env} }}}}" for env in dict.fromkeys(names)]
        text = text[:start] + "\n" + "\n".join(lines) + "\n        " + text[end:]
    return text


def _lock_file() -> bytes:
    """wxpub's lock file, headed by where it comes from: the pins are the ones this version
    of wxpub was tested with, so they change together with the version the workflows install."""
    header = (f"# The dependencies of wxpub {__version__}, pinned with their hashes: the workflows install\n"
              "# exactly these (written by `wxpub init`; when the workflows install another wxpub\n"
              "# version, replace this file with that version's requirements/ci.txt).\n")
    return header.encode() + (shipped_root() / LOCK_FILE).read_bytes()


def _dependabot() -> bytes:
    """This repository's Dependabot configuration, keeping the school's pinned actions fresh."""
    text = (shipped_root() / DEPENDABOT).read_text(encoding="utf-8")
    school, cut = _PIP_UPDATES.subn("\n", text)
    if cut != 1:
        raise AssertionError(f"{DEPENDABOT}: the pip entry changed; update pipeline/scaffold.py")
    return school.encode()


def _packaged(name: str) -> str:
    return resources.files("pipeline.init_files").joinpath(name).read_text(encoding="utf-8")


def _cover() -> bytes:
    """A plain 900×500 JPEG, the cover size the example policy asks for."""
    buffer = io.BytesIO()
    Image.new("RGB", (900, 500), (38, 96, 164)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _write(root: Path, files: dict[PurePosixPath, bytes]) -> None:
    for relative, data in files.items():
        target = root.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
