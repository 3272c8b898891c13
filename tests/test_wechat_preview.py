"""`wxpub preview --wechat`: test sends to reviewers' phones (R13), against the sandbox over
HTTP with the real wechatpy client and real Git repositories (clones for fresh runners)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.commands.publish import SANDBOX_LEDGER_REF
from pipeline.policies import load_policies
from pipeline.sending import MARKER, PREVIEW_MARKER, marker_of, with_marker
from tests.testing.fixtures import PROJECT, commit_all, git, http, jpeg_bytes, write_article

ARTICLE = "content/official/publicity/2026-10-20-sports-day"
APPID = "wxsandboxofficial"  # what `--sandbox-url` registers the sample's `official` account as
ZHANG = {"openid": "oZhangsan000000000000000001", "wxname": "zhangsan_jcu"}  # 张三 by WeChat ID in the policy
LISI = {"openid": "oLisi0000000000000000000002"}  # 李四's openid comes from a CI secret
LUNCH = "2026-11-25 12:30"


@pytest.fixture
def world(repo: Path, sandbox: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """One committed article of the sample's `official` account; 张三 and 李四 follow it."""
    write_article(repo, body="运动会现场。\n\n![起跑](start.jpg)\n", files={"start.jpg": jpeg_bytes(600, 400)})
    commit_all(repo, "one article")
    http(sandbox + "/sandbox/accounts", {"appid": APPID, "secret": "registered-before-the-cli", "name": "江城大学"})
    follow(sandbox, ZHANG, LISI)
    monkeypatch.setenv("WXPUB_PREVIEW_OPENID_LISI", LISI["openid"])
    return repo, sandbox


def follow(sandbox: str, *followers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = http(sandbox + "/sandbox/followers", {"appid": APPID, "followers": list(followers), **extra})
    return answer


def state(sandbox: str) -> dict[str, Any]:
    answer: dict[str, Any] = http(sandbox + "/sandbox/state")
    return answer


def preview(root: Path, sandbox: str, capsys: pytest.CaptureFixture[str], *to: str, extra: tuple[str, ...] = (),
            article: str = ARTICLE) -> tuple[int, dict[str, Any] | None, str]:
    """`wxpub preview --wechat ARTICLE --to ... --format json`: (exit code, report or None, stderr)."""
    code = main(["--root", str(root), "preview", "--wechat", str(root / article) if not extra else article,
                 "--to", *to, "--sandbox-url", sandbox, "--format", "json", *extra])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err, captured.err
    return code, (json.loads(captured.out) if captured.out.strip() else None), captured.err


def preview_drafts(world: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in world["drafts"] if marker_of(d["articles"][0]["content"], PREVIEW_MARKER)]


def ledger_refs(root: Path) -> str:
    return git(root, "for-each-ref", "refs/wxpub/")


def test_sends_to_each_named_reviewer_and_a_second_call_adds_a_draft_of_its_own(
        world: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    repo, sandbox = world
    code, report, _ = preview(repo, sandbox, capsys, "张三", "李四")
    assert code == 0 and report is not None
    assert report["version"].startswith("w") and [d["sent"] for d in report["deliveries"]] == [True, True]
    after_first = state(sandbox)
    assert [p["touser"] for p in after_first["previews"]] == [ZHANG["openid"], LISI["openid"]]
    [draft] = preview_drafts(after_first)
    assert {p["media_id"] for p in after_first["previews"]} == {draft["media_id"]} == {report["media_id"]}
    content = draft["articles"][0]["content"]
    assert "mmbiz.qpic.cn/sandbox/" in content  # the body image uploaded, as the publisher does
    assert marker_of(content) is None  # not the publisher's marker: no attempt of its own
    assert marker_of(content, PREVIEW_MARKER) == f"{preview_key_of(ARTICLE)}.{report['version']}"

    index = repo / ARTICLE / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("秋季运动会", "秋季田径运动会"), encoding="utf-8")
    code, second, _ = preview(repo, sandbox, capsys, "张三")
    assert code == 0 and second is not None and second["media_id"] != report["media_id"]
    assert second["version"] != report["version"] and second["deleted"] == []
    after_second = state(sandbox)
    assert len(preview_drafts(after_second)) == 2 and len(after_second["previews"]) == 3
    assert after_second["calls"]["draft/add"] == 2 and "draft/update" not in after_second["calls"]
    first_phone, _, third_phone = after_second["previews"]
    assert "秋季田径运动会" not in first_phone["shows"][0]["title"]  # what 张三 was told is still there
    assert "秋季田径运动会" in third_phone["shows"][0]["title"]
    # the cover went up once (found again by its content-hash name); previews never touch the ledger
    assert len(after_second["materials"]) == 1
    assert ledger_refs(repo) == ""


def preview_key_of(article: str) -> str:
    import hashlib

    return hashlib.sha256(article.encode("utf-8")).hexdigest()[:24]


def test_a_fresh_clone_at_a_commit_marks_its_draft_with_that_commit(world: tuple[Path, str], tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A new CI runner: a clone of its own, the article read from the pull request's commit."""
    repo, sandbox = world
    assert preview(repo, sandbox, capsys, "张三")[0] == 0
    index = repo / ARTICLE / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("秋季运动会", "秋季趣味运动会"), encoding="utf-8")
    head = commit_all(repo, "edit on the pull request")
    clone = tmp_path / "runner"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    git(clone, "checkout", "-q", "HEAD~1")  # the base branch's checkout; the article comes from --rev
    code, report, _ = preview(clone, sandbox, capsys, "张三", extra=("--rev", head[:12]))
    assert code == 0 and report is not None and report["version"] == head  # the whole sha, whatever --rev said
    [draft] = [d for d in preview_drafts(state(sandbox)) if d["media_id"] == report["media_id"]]
    assert "秋季趣味运动会" in draft["articles"][0]["title"]
    assert marker_of(draft["articles"][0]["content"], PREVIEW_MARKER) == f"{preview_key_of(ARTICLE)}.{head}"
    assert ledger_refs(clone) == "" and ledger_refs(repo) == ""


def test_two_runs_at_once_each_keep_their_own_draft(world: tuple[Path, str], tmp_path: Path) -> None:
    """Two processes started together, of two versions, draft/add answered slowly: each
    message shows its own run's version, and neither run deleted the other's draft."""
    repo, sandbox = world
    first = git(repo, "rev-parse", "HEAD")
    index = repo / ARTICLE / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("秋季运动会", "秋季接力运动会"), encoding="utf-8")
    second = commit_all(repo, "the other pull request's version")
    http(sandbox + "/sandbox/faults", {"endpoint": "draft/add", "delay": 3, "count": 2})
    runs = [subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(repo), "preview", "--wechat", ARTICLE,
                              "--rev", rev, "--to", name, "--sandbox-url", sandbox],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT, env={**os.environ})
            for rev, name in ((first, "张三"), (second, "李四"))]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    world_after = state(sandbox)
    assert world_after["calls"]["draft/add"] == 2 and len(preview_drafts(world_after)) == 2
    by_phone = {p["touser"]: p["shows"][0]["title"] for p in world_after["previews"]}
    assert "秋季接力运动会" not in by_phone[ZHANG["openid"]] and "秋季接力运动会" in by_phone[LISI["openid"]]


def test_past_the_daily_limit_a_preview_is_refused_in_chinese(world: tuple[Path, str],
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    repo, sandbox = world
    assert follow(sandbox, ZHANG, LISI)["preview_per_day"] == 100  # WeChat's limit unless a test lowers it
    follow(sandbox, ZHANG, LISI, preview_per_day=3)
    assert preview(repo, sandbox, capsys, "张三", "李四")[0] == 0
    code, report, _ = preview(repo, sandbox, capsys, "张三", "李四")
    assert code == 1 and report is not None
    sent, refused = report["deliveries"]
    assert sent["sent"] and not refused["sent"] and refused["errcode"] == 45009
    assert "今天的预览次数已用完" in refused["message"] and "100" in refused["message"]
    assert len(state(sandbox)["previews"]) == 3
    http(sandbox + "/sandbox/clock", {"advance": 24 * 3600})  # the next day (Beijing time) the limit is new
    assert preview(repo, sandbox, capsys, "李四")[0] == 0


def test_someone_who_does_not_follow_or_has_no_such_id_is_refused_with_a_reason(
        world: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    repo, sandbox = world
    follow(sandbox, {**ZHANG, "subscribed": False})  # 张三 unfollowed; 李四's openid is no follower at all
    code, report, err = preview(repo, sandbox, capsys, "张三", "李四")
    assert code == 1 and report is not None
    by_name = {d["name"]: d for d in report["deliveries"]}
    assert by_name["张三"]["errcode"] == 43004 and "没有关注「江城大学」" in by_name["张三"]["message"]
    assert by_name["李四"]["errcode"] == 40003 and "openid" in by_name["李四"]["message"]
    follow(sandbox, LISI)  # nobody has 张三's WeChat ID now
    code, report, _ = preview(repo, sandbox, capsys, "张三")
    assert code == 1 and report is not None and report["deliveries"][0]["errcode"] == 40132
    assert "微信号无效" in report["deliveries"][0]["message"]
    assert LISI["openid"] not in json.dumps(report) and ZHANG["wxname"] not in json.dumps(report)  # personal IDs stay out
    assert state(sandbox)["previews"] == []
    assert state(sandbox)["drafts"] == []  # sent to nobody: no phone points to the draft, so it went again


def test_an_unknown_reviewer_is_named_with_the_allowed_ones(world: tuple[Path, str],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    repo, sandbox = world
    code, report, err = preview(repo, sandbox, capsys, "张三", "王五")
    assert code == 2 and report is None
    assert "「王五」不在账号「江城大学」的预览名单中" in err and "可选:张三、李四" in err and "policies.yaml:" in err
    assert state(sandbox)["previews"] == [] and state(sandbox)["drafts"] == []  # nothing half-done


def test_a_secret_that_is_not_set_is_named(world: tuple[Path, str], capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    repo, sandbox = world
    monkeypatch.delenv("WXPUB_PREVIEW_OPENID_LISI")
    code, _, err = preview(repo, sandbox, capsys, "李四")
    assert code == 2 and "WXPUB_PREVIEW_OPENID_LISI" in err and "未设置" in err
    assert state(sandbox)["drafts"] == []


@pytest.mark.parametrize(("args", "fragment"), [
    (("preview", "--wechat", ARTICLE), "--wechat 需要 --to"),
    (("preview", "--wechat", "--to", "张三"), "一次预览一篇文章"),
    (("preview", "--to", "张三"), "--to 和 --rev 只用于 --wechat"),
    (("preview", "--wechat", "content/nowhere", "--to", "张三", "--rev", "HEAD"), "无法读取 index.md(不存在)"),
    (("preview", "--wechat", "../../etc", "--to", "张三", "--rev", "HEAD"), "不是 content/ 下的文章路径"),
    (("preview", "--wechat", ARTICLE, "--to", "张三", "--rev", "no-such-rev"), "找不到 Git 版本"),
])
def test_bad_command_lines_get_a_clear_message(world: tuple[Path, str], capsys: pytest.CaptureFixture[str],
                                               args: tuple[str, ...], fragment: str) -> None:
    repo, sandbox = world
    code = main(["--root", str(repo), *args, "--sandbox-url", sandbox])
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and "Traceback" not in err, err


def test_previews_never_enter_the_ledger_nor_hold_back_publishing(world: tuple[Path, str],
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    repo, sandbox = world
    assert preview(repo, sandbox, capsys, "张三")[0] == 0
    assert ledger_refs(repo) == ""
    code = main(["--root", str(repo), "publish", "--sandbox-url", sandbox, "--now", LUNCH, "--format", "json"])
    captured = capsys.readouterr()
    assert captured.out.strip(), captured.err
    report = json.loads(captured.out)
    assert code == 0 and [p["path"] for p in report["published"]] == [f"{ARTICLE}/index.md"], report
    world_after = state(sandbox)
    assert len(world_after["publications"]) == 1 and world_after["publications"][0]["status"] == 0
    published = world_after["publications"][0]["articles"][0]["content"]
    assert marker_of(published, MARKER) and marker_of(published, PREVIEW_MARKER) is None
    assert len(preview_drafts(world_after)) == 1  # the preview draft stays a draft: nothing published it
    assert world_after["previews"][0]["shows"] is not None
    lines = git(repo, "show", f"{SANDBOX_LEDGER_REF}:ledger.jsonl").splitlines()
    assert not any("preview" in line for line in lines)
    code = main(["--root", str(repo), "status", "--sandbox-url", sandbox, "--verify", "--format", "json"])
    verified = json.loads(capsys.readouterr().out)
    assert code == 0 and verified["disagreements"] == [], verified  # the preview draft is not taken for a stray attempt
    assert preview(repo, sandbox, capsys, "张三")[0] == 0  # and previewing after publishing still works


# -- the sandbox's preview endpoint, as strict as WeChat documents it ----------------------------------


def _token(sandbox: str, appid: str, secret: str) -> str:
    http(sandbox + "/sandbox/accounts", {"appid": appid, "secret": secret})
    answer = http(sandbox + "/cgi-bin/stable_token", {"grant_type": "client_credential", "appid": appid, "secret": secret})
    return str(answer["access_token"])


def _preview_call(sandbox: str, token: str, payload: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = http(f"{sandbox}/cgi-bin/message/mass/preview?access_token={token}", payload)
    return answer


def test_the_sandbox_preview_takes_one_receiver_and_only_the_accounts_own_draft(
        world: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    repo, sandbox = world
    code, report, _ = preview(repo, sandbox, capsys, "张三")
    assert code == 0 and report is not None
    media_id = report["media_id"]
    ours = _token(sandbox, APPID, "sandbox-secret-official")
    news = {"mpnews": {"media_id": media_id}, "msgtype": "mpnews"}
    both = _preview_call(sandbox, ours, {**news, "touser": ZHANG["openid"], "towxname": ZHANG["wxname"]})
    assert both["errcode"] == 40097
    assert _preview_call(sandbox, ours, news)["errcode"] == 40097  # neither
    assert _preview_call(sandbox, ours, {**news, "touser": ZHANG["openid"], "msgtype": "text"})["errcode"] == 40008
    assert _preview_call(sandbox, ours, {**news, "touser": ZHANG["openid"]})["errcode"] == 0
    assert _preview_call(sandbox, ours, {**news, "towxname": ZHANG["wxname"]})["errcode"] == 0
    other = _token(sandbox, "wxsandboxother", "another-secret-01")
    http(sandbox + "/sandbox/followers", {"appid": "wxsandboxother", "followers": [ZHANG]})
    assert _preview_call(sandbox, other, {**news, "touser": ZHANG["openid"]})["errcode"] == 40007  # not its draft
    assert len(state(sandbox)["previews"]) == 3


@pytest.mark.parametrize("spec", [
    {"followers": "everyone"}, {"followers": [{"wxname": "no_openid"}]}, {"followers": [{"openid": "o1", "x": 1}]},
    {"followers": [{"openid": "o1", "subscribed": "yes"}]}, {"preview_per_day": -1}, {"preview_per_day": True},
    {"limit": 3},
])
def test_the_sandbox_refuses_a_follower_setting_it_cannot_honour(sandbox: str, spec: dict[str, Any]) -> None:
    http(sandbox + "/sandbox/accounts", {"appid": APPID, "secret": "x" * 16})
    request = {"appid": APPID, **spec}
    with pytest.raises(Exception, match="400"):
        http(sandbox + "/sandbox/followers", request)


# -- the workflow that sends previews when a reviewer asks ------------------------------------------

WORKFLOW = PROJECT / ".github" / "workflows" / "wechat-preview.yml"


def test_the_workflow_runs_base_code_for_same_repository_pull_requests_only() -> None:
    import yaml

    text = WORKFLOW.read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    triggers = workflow.get("on", workflow.get(True))
    assert set(triggers) == {"pull_request_target", "issue_comment"}  # both run the default branch's file
    job = workflow["jobs"]["preview"]
    condition = " ".join(job["if"].split())
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
    assert "github.event.label.name == 'wechat-preview'" in condition
    assert "startsWith(github.event.comment.body, '/preview')" in condition
    assert '"OWNER", "MEMBER", "COLLABORATOR"' in condition and "author_association" in condition
    # read the base branch; write only to reply on the pull request to a /preview comment
    assert workflow["permissions"] == {} and job["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = job["steps"]
    find = next(s for s in steps if s.get("id") == "pr")
    assert ".head.repo.full_name" in find["run"] and "exit 1" in find["run"]  # a fork's PR, asked by comment
    for step in steps:
        assert "${{" not in step.get("run", ""), step  # comment text only through the environment
        uses = step.get("uses", "")
        if uses and not uses.startswith("$/"):  # $/: this repository's own setup step, at the running commit
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses.split(" ")[0]), uses  # pinned by commit
        assert "ref" not in step.get("with", {}), step  # never the pull request's code
    send = next(s for s in steps if s.get("name") == "Send previews")
    assert 'wxpub preview --wechat "$article" --rev "$HEAD_SHA"' in send["run"]
    policies = load_policies(PROJECT)
    wanted = {e for a in policies.accounts.values() for e in (a.appid_env, a.secret_env)}
    wanted |= {p.env for a in policies.accounts.values() for p in a.previewers.values() if p.env}
    assert {k for k, v in send["env"].items() if "secrets." in v} == wanted


def test_a_preview_draft_is_never_taken_for_a_version_1_attempt() -> None:
    """Version 1 attempts are recognised by (title, cover media_id); a preview draft of the same
    article shows both, and must not be adopted as the publisher's draft."""
    from pipeline.ledger import Entry
    from pipeline.messages import Message, Phase
    from pipeline.records import ClaimedArticle
    from pipeline.sending import _is_attempt, with_marker

    legacy = Message(batch="b1", account="official", mode="", articles=(ClaimedArticle("x/index.md", "h"),), files=(),
                     day="2026-11-25", started=Entry(at="", run="r", step="claimed", account="official", v=1),
                     phase=Phase.DRAFT_ADDING, owner="r", lease_until=0.0, last_id="",
                     legacy_markers=(("学校举行秋季运动会", "MEDIA1"),))
    news = [{"title": "学校举行秋季运动会", "thumb_media_id": "MEDIA1", "content": "<section><p>正文</p></section>"}]
    assert _is_attempt(news, legacy)  # what version 1 recovery adopts
    previewed = [{**news[0], "content": with_marker(news[0]["content"], "k1", PREVIEW_MARKER)}]
    assert not _is_attempt(previewed, legacy)


@settings(max_examples=300, deadline=None)
@given(body=st.text(max_size=200), key=st.from_regex(r"[0-9a-f]{1,24}", fullmatch=True),
       batch=st.from_regex(r"[0-9a-f]{1,16}\.[1-8]", fullmatch=True))
def test_the_two_markers_never_read_as_each_other(body: str, key: str, batch: str) -> None:
    """Whatever the article holds, even text that spells either attribute, a preview draft
    carries only its preview key and a publisher's draft only its attempt."""
    content = f"<section><p>{body}</p></section>"
    previewed = with_marker(content, key, PREVIEW_MARKER)
    assert marker_of(previewed, PREVIEW_MARKER) == key and marker_of(previewed) is None
    sent = with_marker(content, batch)
    assert marker_of(sent) == batch and marker_of(sent, PREVIEW_MARKER) is None
    assert marker_of(with_marker(previewed, key + "0", PREVIEW_MARKER), PREVIEW_MARKER) == key + "0"  # replaced, not added


_SAMPLE = load_policies(PROJECT)


@settings(max_examples=200, deadline=None)
@given(names=st.lists(st.sampled_from(["张三", "李四"]) | st.text(min_size=1, max_size=8), min_size=1, max_size=5))
def test_any_name_outside_the_list_is_refused_before_anything_is_sent(names: list[str]) -> None:
    from pipeline.errors import UserError
    from pipeline.wechat_preview import receivers

    account = _SAMPLE.accounts["official"]
    environ = {"WXPUB_PREVIEW_OPENID_LISI": LISI["openid"]}
    unknown = [n for n in names if n not in ("张三", "李四")]
    if unknown:
        with pytest.raises(UserError) as refused:
            receivers(_SAMPLE, account, names, environ)
        assert "可选:张三、李四" in str(refused.value) and f"「{unknown[0]}」" in str(refused.value)
        return
    found = receivers(_SAMPLE, account, names, environ)
    assert [r.name for r in found] == list(dict.fromkeys(names))  # each once, in the order asked
    assert {r.name: (r.kind, r.id) for r in found} == {n: v for n, v in {
        "张三": ("wxname", ZHANG["wxname"]), "李四": ("openid", LISI["openid"])}.items() if n in names}
    assert all(r.id not in repr(r) for r in found)  # a personal ID is never printed by accident
