"""One article source: the same bytes are the same article for lint, render, publish and approvals.

Real Git repositories in temporary folders (read through the working tree and through a
commit's tree with pygit2), the real forge client over HTTP to the fake GitHub, the real
wechatpy client against the sandbox. The property test writes generated front matter with
every kind of line ending and BOM and checks that all three sources give one Article.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path, PurePosixPath
from typing import Any, Iterator
from urllib.parse import unquote

import pygit2
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.approvals import read_article
from pipeline.cli import main
from pipeline.commands.publish import SANDBOX_LEDGER_REF
from pipeline.content import Article, BundleFileRefused, LoadProblem, load_article, parse_article
from pipeline.forge import GitHubForge
from pipeline.ledger import Ledger
from pipeline.policies import load_policies
from pipeline.preview import build_preview
from pipeline.publish import unservable
from pipeline.render import render_article
from pipeline.snapshot import CommitTree, WorkTree
from tests.testing.fake_github import FakeGitHub
from tests.testing.fixtures import (
    ARTICLE, VALID_BODY, VALID_FRONT_MATTER, commit_all, found, git, http, jpeg_bytes, lint_json, make_repo, run_cli,
    write_article,
)
from tests.testing.publishing import world

LUNCH = "2026-11-25 12:30"  # inside every sample account's publish window
REL = PurePosixPath(ARTICLE)
NOTICE = "content/official/academic-affairs/2026-10-21-exam-notice/index.md"
HEAD, BASE = "h" * 40, "b" * 40


# -- the loader, property-based: worktree, commit tree and forge bytes give one Article ---------------

@pytest.fixture(scope="module")
def source_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("source"))


@pytest.fixture(scope="module")
def fake_forge() -> Iterator[tuple[FakeGitHub, GitHubForge]]:
    with FakeGitHub("jcu-media/site") as fake:
        yield fake, GitHubForge(fake.repo, fake.token, api_url=fake.url)


def commit_tree(root: Path) -> CommitTree:
    """Commit everything in `root` with pygit2 and return the commit's tree as a snapshot."""
    repo = pygit2.Repository(str(root))
    repo.index.add_all()
    repo.index.write()
    signature = pygit2.Signature("test", "test@example.invalid")
    parents = [] if repo.head_is_unborn else [repo.head.target]
    oid = repo.create_commit("HEAD", signature, signature, "generated", repo.index.write_tree(), parents)
    return CommitTree(repo[oid].peel(pygit2.Commit).tree)


# Text an editor could type, minus what YAML treats as a line break but Markdown does not
# (those have their own test below) and surrogates (not encodable).
_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\u2028\u2029\x85"), max_size=40)
_VALUES = st.one_of(_TEXT, st.integers(-10**6, 10**6), st.booleans(), st.lists(_TEXT, max_size=3),
                    _TEXT.map(lambda t: f"{t}\n----\n{t}"),  # a multi-line value with a line of dashes
                    _TEXT.map(lambda t: f"--- {t}\n---"))
_KEYS = st.sampled_from(["title", "author", "digest", "category", "cover", "tags", "note", "标题", "a b", "---x"])
_BODY_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r\x00"), max_size=80)


@st.composite
def index_files(draw: st.DrawFn) -> tuple[dict[str, Any], str, str, bytes]:
    """(front matter, body, index.md as LF text, its bytes with a random BOM and a random line
    ending per line)."""
    front_matter = draw(st.dictionaries(_KEYS, _VALUES, max_size=6))
    body = draw(_BODY_TEXT | st.sampled_from(["---\n", "正文\n---\n再一段", "\n\n"]))
    style = draw(st.sampled_from([None, '"', "'"]))
    dumped = yaml.safe_dump(front_matter, allow_unicode=True, default_style=style, width=draw(st.sampled_from([20, 80])))
    text = "---\n" + (dumped if front_matter else "") + "---\n" + body
    lines = text.split("\n")
    endings = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines), max_size=len(lines)))
    for i in range(len(lines) - 2):  # a lone CR before an empty line ended by LF would be one CRLF
        if endings[i] == "\r" and not lines[i + 1] and endings[i + 1] == "\n":
            endings[i] = "\r\n"
    raw = "".join(line + ending for line, ending in zip(lines[:-1], endings)) + lines[-1]
    bom = draw(st.booleans())
    return front_matter, body, text, (b"\xef\xbb\xbf" if bom else b"") + raw.encode("utf-8")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=index_files())
def test_worktree_commit_and_forge_read_the_same_article(source_repo: Path, fake_forge: tuple[FakeGitHub, GitHubForge],
                                                         case: tuple[dict[str, Any], str, str, bytes]) -> None:
    front_matter, body, text, raw = case
    fake, forge = fake_forge
    index = source_repo / REL
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_bytes(raw)
    (index.parent / "cover.jpg").write_bytes(b"cover bytes")
    tree = commit_tree(source_repo)
    fake.set_file(HEAD, str(REL), raw)

    from_worktree = load_article(WorkTree(source_repo), REL)
    from_commit = load_article(CommitTree(tree.tree), REL)
    from_forge = read_article(str(REL), forge.file_content(str(REL), HEAD))
    canonical = parse_article(REL, text.encode())  # no BOM, LF only
    assert from_worktree == from_commit == from_forge == canonical
    assert isinstance(from_worktree, Article) and isinstance(from_commit, Article)
    assert dict(from_worktree.front_matter) == front_matter
    assert from_worktree.body == body
    assert from_worktree.content_hash == from_commit.content_hash


def test_a_line_of_three_dashes_inside_a_quoted_value_ends_the_front_matter_for_everyone(
        source_repo: Path, fake_forge: tuple[FakeGitHub, GitHubForge]) -> None:
    # YAML itself cannot hold a line `---` inside a quoted value, so the fence wins: every
    # consumer sees an unterminated quote (ART003), none sees a category.
    raw = '---\ntitle: "第一行\n---\ncategory: 通知公告"\n---\n正文\n'.encode()
    fake, forge = fake_forge
    fake.set_file(HEAD, str(REL), raw)
    results = [parse_article(REL, raw), read_article(str(REL), forge.file_content(str(REL), HEAD))]
    assert all(isinstance(r, LoadProblem) and r.code == "ART003" and r.line == 2 for r in results)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_a_line_break_only_yaml_sees_is_art003_in_the_front_matter(separator: str) -> None:
    # `title: x<LS>category: 通知公告` is one line to Git and to a reviewer, two to YAML
    raw = f"---\ntitle: 校运会{separator}category: 通知公告\n---\n正文{separator}照常\n".encode()
    problem = parse_article(REL, raw)
    assert isinstance(problem, LoadProblem)
    assert (problem.code, problem.line, problem.column) == ("ART003", 2, 11)
    assert f"U+{ord(separator):04X}" in problem.message
    body_only = parse_article(REL, f"---\ntitle: 校运会\n---\n正文{separator}照常\n".encode())
    assert isinstance(body_only, Article) and body_only.body == f"正文{separator}照常\n"  # in the body: a character


# -- every consumer, end to end, on the encodings editors' tools produce ----------------------------

NOTICE_FM = {**VALID_FRONT_MATTER, "title": "期末考试安排", "department": "academic-affairs", "category": "通知公告"}


def encoded(variant: str) -> bytes:
    text = "---\n" + yaml.safe_dump(NOTICE_FM, allow_unicode=True, sort_keys=False) + "---\n\n" + VALID_BODY
    if variant == "quoted-dashes":  # a quoted two-line title whose second line starts with ----
        text = text.replace("title: 期末考试安排\n", 'title: "期末考试安排\n----- 第二学期"\n')
    endings = {"lf": "\n", "crlf": "\r\n", "cr": "\r", "bom-crlf": "\r\n", "quoted-dashes": "\r\n"}
    data = text.replace("\n", endings.get(variant, "\n"))
    if variant == "mixed":
        data = "".join(line + ("\r\n", "\r", "\n")[i % 3] for i, line in enumerate(text.split("\n")[:-1]))
    return (b"\xef\xbb\xbf" if variant.startswith("bom") else b"") + data.encode("utf-8")


VARIANTS = ["lf", "crlf", "cr", "mixed", "bom-crlf", "quoted-dashes"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_lint_and_approvals_read_the_category_whatever_the_encoding(
        repo: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str], variant: str) -> None:
    raw = encoded(variant)
    index = write_article(repo, account="official", department="academic-affairs", slug="2026-10-21-exam-notice")
    index.write_bytes(raw)
    code, out, _ = run_cli(repo, capsys, "lint", "--format", "json")
    assert (code, json.loads(out)["findings"]) == (0, [])
    github.add_pull(1, "editor-li", HEAD, base_sha=BASE, files=[(NOTICE, "added", None)])
    github.set_file(HEAD, NOTICE, raw)
    code, out, _ = run_cli(repo, capsys, "approvals", "--pr", "1", "--format", "json")
    stages = [s["name"] for s in json.loads(out)["stages"]]
    assert "校领导审批" in stages  # 通知公告's extra stage did not vanish
    assert code == 1  # nobody approved yet


def publish(repo: Path, url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(["--root", str(repo), "publish", "--sandbox-url", url, "--now", LUNCH, "--format", "json", *extra])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err, captured.err
    return code, json.loads(captured.out)


def test_publish_reads_bom_crlf_and_quoted_dashes_as_lint_does(repo: Path, sandbox: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, account="official", department="academic-affairs",
                  slug="2026-10-21-exam-notice").write_bytes(encoded("quoted-dashes"))
    commit_all(repo)
    code, report = publish(repo, sandbox, capsys)
    assert code == 0, report
    [published] = report["published"]
    assert published["path"] == NOTICE
    [publication] = http(sandbox + "/sandbox/state")["publications"]
    assert publication["articles"][0]["title"] == "期末考试安排 ----- 第二学期"  # the folded two-line title


# -- bundle files only through the resolver --------------------------------------------------------

WAIVER = "<!-- wxpub-disable LINK002, MEDIA001: 编辑声明图片可用 -->\n"


def escape_cases(repo: Path, outside: Path) -> dict[str, str]:
    """Body image targets that leave the bundle, each with its waiver, by name."""
    other = write_article(repo, slug="2026-09-01-other", files={"shared.jpg": jpeg_bytes(60, 40)})
    secret = outside / "secret.jpg"
    secret.write_bytes(jpeg_bytes(60, 40, color=(255, 0, 0)))
    return {
        "absolute": str(secret),
        "dot-dot": f"../{other.parent.name}/shared.jpg",
        "encoded-dot-dot": f"%2e%2e/{other.parent.name}/shared.jpg",
        "symlink-out": "link-out.jpg",
        "symlink-in": "link-in.jpg",
        "symlinked-folder": "photos-link/real.jpg",
    }


def write_escapes(repo: Path, outside: Path, name: str) -> Path:
    targets = escape_cases(repo, outside)
    index = write_article(repo, body=f"{WAIVER}![现场]({targets[name]})\n",
                          files={"photos/real.jpg": jpeg_bytes(60, 40)})
    bundle = index.parent
    (bundle / "link-out.jpg").symlink_to(outside / "secret.jpg")
    (bundle / "link-in.jpg").symlink_to("photos/real.jpg")  # inside, and still refused
    (bundle / "photos-link").symlink_to("photos")
    return index


ESCAPES = ["absolute", "dot-dot", "encoded-dot-dot", "symlink-out", "symlink-in", "symlinked-folder"]


@pytest.mark.parametrize("name", ESCAPES)
def test_render_and_preview_never_read_outside_the_bundle_even_when_waived(tmp_path: Path, repo: Path,
                                                                             name: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    index = write_escapes(repo, outside, name)
    article = load_article(WorkTree(repo), PurePosixPath(index.relative_to(repo).as_posix()))
    assert isinstance(article, Article)
    rendered = render_article(article, load_policies(repo))
    assert rendered.images == ()  # nothing for the publisher to upload
    [refused] = rendered.refused
    assert refused.problem == {"absolute": "outside", "dot-dot": "outside", "encoded-dot-dot": "outside"}.get(name, "symlink")
    with pytest.raises(BundleFileRefused, match="不会被读取或发布"):
        article.files.read(refused.shown)
    page = build_preview(article, load_policies(repo))
    for leaked in ((outside / "secret.jpg").read_bytes(), (index.parent / "photos" / "real.jpg").read_bytes()):
        assert base64.b64encode(leaked).decode() not in page
    assert "图片不在文章目录中" in unquote(page)
    # The publisher's own guard (plan time, before any upload) says the same without lint's rules
    assert f"{refused.shown} " in unservable(article, load_policies(repo))


@pytest.mark.parametrize("name", ESCAPES)
def test_publish_refuses_an_article_naming_a_file_outside_its_bundle_even_when_waived(
        tmp_path: Path, repo: Path, sandbox: str, capsys: pytest.CaptureFixture[str], name: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    write_escapes(repo, outside, name)
    commit_all(repo)  # git stores the symlinks as links: the commit's tree has them too
    code, report = publish(repo, sandbox, capsys)
    assert code == 1
    [failed] = [f for f in report["failed"] if f["path"] == ARTICLE]
    # lint's binding LINK002 (the waiver does not count) stops it before the resolver is asked
    assert "LINK002" in failed["message"] and "抑制注释对它无效" in failed["message"]
    world = http(sandbox + "/sandbox/state")
    secret = hashlib.sha256((outside / "secret.jpg").read_bytes()).hexdigest()
    uploaded = {row["sha256"] for row in world["uploads"] + world["materials"]}
    assert secret not in uploaded
    assert all(ARTICLE != p["path"] for p in report["published"])


@pytest.mark.parametrize("name", ESCAPES)
def test_lint_reports_what_the_publisher_refuses_whatever_the_waiver(tmp_path: Path, repo: Path, name: str,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The publisher refuses these articles (above), so lint must fail them on the pull request:
    a waiver of a body image's LINK002 does nothing, and says so."""
    outside = tmp_path / "outside"
    outside.mkdir()
    write_escapes(repo, outside, name)
    code, data = lint_json(repo, capsys)
    assert code == 1
    [refused] = [f for f in found(data, "LINK002") if f["path"] == ARTICLE]
    assert refused["severity"] == "error" and refused["message"].endswith("(发布时会因此拒绝整篇文章,抑制注释对它无效)")
    assert [f["code"] for f in found(data, "SUP002") if f["path"] == ARTICLE] == ["SUP002"]  # the waiver did nothing
    assert [s["suppressed"] for s in data["suppressions"] if s["path"] == ARTICLE] == [0]


def test_a_waived_link_outside_the_bundle_stays_waived(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One step beside: a link (not an image) is rendered as its text and never read, so the
    publisher sends the article and the editor's waiver of LINK002 still counts."""
    write_article(repo, slug="2026-09-01-other", files={"form.pdf": b"%PDF-1.4"})
    write_article(repo, body="报名表见[附件](../2026-09-01-other/form.pdf)。 <!-- wxpub-disable LINK002: 链接到另一篇的附件 -->\n")
    code, data = lint_json(repo, capsys)
    assert found(data, "LINK002") == [] and code == 0, data["findings"]
    assert [s["suppressed"] for s in data["suppressions"]] == [1]


@pytest.mark.parametrize(("override", "break_it", "code"), [
    ("MEDIA001: {severity: off}", "symlinked-cover", "MEDIA001"),
    ("MEDIA001: {severity: notice}", "symlinked-cover", "MEDIA001"),
    ("FM001: {severity: off}", "no-cover", "FM001"),
    ("FM002: {severity: off}", "empty-cover", "FM002"),
    ("LINK002: {severity: off}", "outside-image", "LINK002"),
    ("LINK001: {severity: warning}", "missing-image", "LINK001"),
])
def test_a_policy_cannot_switch_off_what_the_publisher_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               override: str, break_it: str, code: str) -> None:
    policy = (Path(__file__).resolve().parents[1] / "policies.yaml").read_text(encoding="utf-8")
    repo = make_repo(tmp_path, policies=policy.replace("rules:\n", f"rules:\n  {override}\n", 1))
    bodies = {"outside-image": "![现场](/etc/hostname)\n", "missing-image": "![现场](nosuch.jpg)\n"}
    index = write_article(repo, body=bodies.get(break_it, VALID_BODY),
                          **({"drop": ("cover",)} if break_it == "no-cover" else {}),
                          **({"front_matter": {"cover": ""}} if break_it == "empty-cover" else {}))
    if break_it == "symlinked-cover":
        (index.parent / "cover.jpg").unlink()
        (index.parent / "cover.jpg").symlink_to("photo.jpg")
        (index.parent / "photo.jpg").write_bytes(jpeg_bytes())
    exit_code, data = lint_json(repo, capsys)
    assert exit_code == 1
    assert [f["severity"] for f in found(data, code)] == ["error"]


def test_a_policy_still_switches_off_the_same_code_where_the_publisher_does_not_care(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = (Path(__file__).resolve().parents[1] / "policies.yaml").read_text(encoding="utf-8")
    repo = make_repo(tmp_path, policies=policy.replace("rules:\n", "rules:\n  FM001: {severity: off}\n"
                                                                     "  LINK001: {severity: off}\n", 1))
    write_article(repo, drop=("author",), body="报名表见[附件](form.pdf)。\n")
    code, data = lint_json(repo, capsys)
    assert found(data, "FM001", "LINK001") == [] and code == 0, data["findings"]


def test_publish_refuses_a_symlinked_cover_even_with_the_media_rule_off(tmp_path: Path, sandbox: str,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    policy = (Path(__file__).resolve().parents[1] / "policies.yaml").read_text(encoding="utf-8")
    repo = make_repo(tmp_path, policies=policy.replace("rules:\n", "rules:\n  MEDIA001: {severity: off}\n", 1))
    outside = tmp_path / "elsewhere.jpg"
    outside.write_bytes(jpeg_bytes())
    index = write_article(repo)
    (index.parent / "cover.jpg").unlink()
    (index.parent / "cover.jpg").symlink_to(outside)
    commit_all(repo)
    code, report = publish(repo, sandbox, capsys)
    assert code == 1 and report["published"] == []
    assert "cover.jpg 是符号链接" in report["failed"][0]["message"]
    assert world(sandbox)["materials"] == []


def test_publish_refuses_an_article_without_a_cover_even_with_the_rule_off(tmp_path: Path, sandbox: str,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    policy = (Path(__file__).resolve().parents[1] / "policies.yaml").read_text(encoding="utf-8")
    repo = make_repo(tmp_path, policies=policy.replace("rules:\n", "rules:\n  FM001: {severity: off}\n", 1))
    write_article(repo, drop=("cover",))
    commit_all(repo)
    code, report = publish(repo, sandbox, capsys)
    assert code == 1 and report["published"] == []
    assert "FM001" in report["failed"][0]["message"] and "缺少必填字段 cover" in report["failed"][0]["message"]


def test_the_content_hash_covers_what_the_bundle_serves_and_nothing_else(repo: Path, tmp_path: Path) -> None:
    index = write_article(repo, files={"photos/a.jpg": jpeg_bytes(30, 20)})
    snapshot = WorkTree(repo)

    def content_hash() -> str:
        article = load_article(snapshot, REL)
        assert isinstance(article, Article)
        return article.content_hash

    first = content_hash()
    (index.parent / "link.jpg").symlink_to("photos/a.jpg")  # not served: not part of the article
    (tmp_path / "out.jpg").write_bytes(b"x")
    (index.parent / "out.jpg").symlink_to(tmp_path / "out.jpg")
    assert content_hash() == first
    (index.parent / "photos" / "a.jpg").write_bytes(jpeg_bytes(30, 20, color=(1, 2, 3)))  # served: part of it
    assert content_hash() != first


def test_a_fifo_in_the_bundle_neither_hangs_nor_counts(repo: Path) -> None:
    index = write_article(repo)
    before = load_article(WorkTree(repo), REL)
    os.mkfifo(index.parent / "pipe.jpg")
    after = load_article(WorkTree(repo), REL)
    assert isinstance(before, Article) and isinstance(after, Article)
    assert after.files.resolve("pipe.jpg").problem == "not-a-file"
    assert after.content_hash == before.content_hash


# -- publish --rev: the commit, never the working tree --------------------------------------------------

def test_publish_from_a_dirty_checkout_sends_what_was_committed(repo: Path, sandbox: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    photo = jpeg_bytes(60, 40)
    index = write_article(repo, body="运动会现场。\n\n![起跑](start.jpg)\n", files={"start.jpg": photo})
    committed = commit_all(repo, "reviewed and merged")
    committed_text = index.read_text(encoding="utf-8")
    # The checkout drifts: an edited title, a swapped photo, a new unreviewed article, a broken policy
    index.write_text(committed_text.replace("学校举行秋季运动会", "未经审核的标题"), encoding="utf-8")
    (index.parent / "start.jpg").write_bytes(jpeg_bytes(60, 40, color=(255, 0, 0)))
    write_article(repo, slug="2026-10-22-unreviewed", front_matter={"title": "未提交的文章"})
    (repo / "policies.yaml").write_text("school: [", encoding="utf-8")
    (repo / "themes" / "classic" / "article.html.j2").write_text("{{ broken", encoding="utf-8")

    code, report = publish(repo, sandbox, capsys, "--rev", committed)
    assert code == 0, report
    assert [p["path"] for p in report["published"]] == [ARTICLE]
    world = http(sandbox + "/sandbox/state")
    [publication] = world["publications"]
    assert publication["articles"][0]["title"] == "学校举行秋季运动会"
    assert [u["sha256"] for u in world["uploads"]] == [hashlib.sha256(photo).hexdigest()]
    [entry] = Ledger.open(repo, ref=SANDBOX_LEDGER_REF).published()
    from_commit = load_article(CommitTree(pygit2.Repository(str(repo)).revparse_single(committed).peel(pygit2.Commit).tree), REL)
    assert isinstance(from_commit, Article) and entry.content_hash == from_commit.content_hash
    assert entry.commit == committed
    assert git(repo, "status", "--porcelain")  # the working tree was left as it was


def test_publish_an_older_revision(repo: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, front_matter={"title": "第一版"})
    first = commit_all(repo, "first")
    write_article(repo, front_matter={"title": "第二版"})
    commit_all(repo, "second")
    code, report = publish(repo, sandbox, capsys, "--rev", first)
    assert code == 0
    [publication] = http(sandbox + "/sandbox/state")["publications"]
    assert publication["articles"][0]["title"] == "第一版"
