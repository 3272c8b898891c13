"""`wxpub publish` end to end: real Git repos, the real wechatpy client over HTTP, the sandbox."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.cli import main
from pipeline.commands.publish import LEDGER_REF, SANDBOX_LEDGER_REF
from pipeline.ledger import Ledger
from pipeline.snapshot import WorkTree
from tests.testing.fixtures import commit_all, git, http, jpeg_bytes, write_article
from tests.testing.publishing import world

LUNCH = "2026-11-25 12:30"  # inside every sample account's publish window
OFFICIAL = "content/official/publicity/2026-10-20-sports-day/index.md"
COLLEGE = "content/cs-college/cs-college/2026-10-21-contest/index.md"
YOUTH = "content/youth/youth-league/2026-10-22-camp/index.md"


def state(url: str) -> dict[str, Any]:
    return world(url)


def fault(url: str, **spec: Any) -> None:
    http(url + "/sandbox/faults", spec)


def publish(repo: Path, url: str, capsys: pytest.CaptureFixture[str], *extra: str, now: str = LUNCH) -> tuple[int, dict[str, Any]]:
    code = main(["--root", str(repo), "publish", "--sandbox-url", url, "--now", now, "--format", "json", *extra])
    return code, json.loads(capsys.readouterr().out)


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {item["path"]: item["status"] for group in report.values() for item in group if item["path"]}


def test_publishes_each_mode_then_a_second_run_calls_nothing(site: Path, sandbox: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, report = publish(site, sandbox, capsys)
    assert code == 0, report
    assert statuses(report) == {OFFICIAL: "published", COLLEGE: "mass_sent", YOUTH: "drafted"}
    published = report["published"]
    official = next(item for item in published if item["path"] == OFFICIAL)
    assert official["url"].startswith("http://mp.weixin.qq.com/s?__biz=") and official["article_id"]
    world = state(sandbox)
    assert [p["status"] for p in world["publications"]] == [0]
    assert len(world["mass_sends"]) == 1 and len(world["drafts"]) == 1  # only the draft-mode article stays
    assert world["calls"].get("token", 0) == 0  # never the plain token: it would break other systems
    assert world["calls"]["stable_token"] == 3  # once per account per run
    article = world["publications"][0]["articles"][0]
    assert "mmbiz.qpic.cn/sandbox/" in article["content"]  # the body image was uploaded and kept
    calls_before = dict(world["calls"])
    code, again = publish(site, sandbox, capsys)
    assert code == 0 and statuses(again) == {}
    assert state(sandbox)["calls"] == calls_before  # not one WeChat call, not even a token


def test_each_image_is_uploaded_once_ever(site: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    publish(site, sandbox, capsys)
    # A second official article reusing the same photo and cover bytes the next day
    write_article(site, slug="2026-10-23-again", body="又见起跑。\n\n![起跑](start.jpg)\n",
                  front_matter={"title": "运动会第二天"}, files={"start.jpg": jpeg_bytes(600, 400)})
    commit_all(site)
    code, report = publish(site, sandbox, capsys, now="2026-11-26 12:30")
    assert code == 0 and statuses(report)["content/official/publicity/2026-10-23-again/index.md"] == "published"
    world = state(sandbox)
    # three covers, and the thumbs of the publish and mass accounts' ledger anchors, once each
    assert world["calls"]["media/uploadimg"] == 1 and world["calls"]["material/add_material"] == 3 + 2


def test_outside_the_window_everything_waits_and_makes_no_call(site: Path, sandbox: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, report = publish(site, sandbox, capsys, now="2026-11-25 10:00")  # class time
    assert code == 0
    assert statuses(report) == {OFFICIAL: "queued", COLLEGE: "queued", YOUTH: "queued"}
    assert all("不在发布时段" in item["message"] for item in report["queued"])
    assert state(sandbox)["calls"] == {}
    code, report = publish(site, sandbox, capsys, now="2026-11-25 12:15")  # the lunch window opens
    assert statuses(report) == {OFFICIAL: "published", COLLEGE: "mass_sent", YOUTH: "drafted"}


def test_publish_at_and_daily_cap(repo: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    for day in (1, 2, 3):
        write_article(repo, slug=f"2026-10-0{day}-news", front_matter={"title": f"新闻 {day}", "priority": day})
    write_article(repo, slug="2026-10-04-later", front_matter={"title": "定时文章", "publish_at": "2026-11-25 18:00"})
    commit_all(repo)
    code, report = publish(repo, sandbox, capsys)
    by_path = statuses(report)
    # daily_cap 2 for the official account: the two highest priorities go, in one message
    assert [p for p, s in by_path.items() if s == "published"] == [
        "content/official/publicity/2026-10-03-news/index.md", "content/official/publicity/2026-10-02-news/index.md"]
    assert by_path["content/official/publicity/2026-10-01-news/index.md"] == "queued"
    later = next(i for i in report["queued"] if i["path"].endswith("2026-10-04-later/index.md"))
    assert "定时发布" in later["message"]
    [publication] = state(sandbox)["publications"]
    assert [a["title"] for a in publication["articles"]] == ["新闻 3", "新闻 2"]  # one message, priority order


def test_retraction_deletes_only_its_own_index(repo: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, slug="2026-10-01-first", front_matter={"title": "第一篇", "headline": True})
    write_article(repo, slug="2026-10-02-second", front_matter={"title": "第二篇"})
    commit_all(repo)
    publish(repo, sandbox, capsys)
    index = repo / "content/official/publicity/2026-10-02-second/index.md"
    text = index.read_text(encoding="utf-8").replace("title: 第二篇", "title: 第二篇\nretracted: true")
    index.write_text(text, encoding="utf-8")
    commit_all(repo, "retract the second")
    code, report = publish(repo, sandbox, capsys, now="2026-11-26 12:30")
    assert code == 0
    assert [i["path"] for i in report["retracted"]] == ["content/official/publicity/2026-10-02-second/index.md"]
    [publication] = state(sandbox)["publications"]
    assert [a.get("is_deleted", False) for a in publication["articles"]] == [False, True]
    ledger = Ledger.open(repo, ref=SANDBOX_LEDGER_REF)
    assert [e.path for e in ledger.published()] == ["content/official/publicity/2026-10-01-first/index.md"]


def test_deleting_the_bundle_retracts_it(site: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    publish(site, sandbox, capsys)
    shutil.rmtree(site / "content/official/publicity/2026-10-20-sports-day")
    commit_all(site, "remove")
    code, report = publish(site, sandbox, capsys, now="2026-11-26 12:30")
    assert [i["path"] for i in report["retracted"]] == [OFFICIAL]
    assert state(sandbox)["publications"][0]["status"] == 5  # every article of it deleted


def test_articles_failing_lint_are_not_published(repo: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    write_article(repo, body="联系电话 13812345678。\n")
    commit_all(repo)
    code, report = publish(repo, sandbox, capsys)
    assert code == 1
    [failed] = report["failed"]
    assert failed["path"] == OFFICIAL and "PII002" in failed["message"]
    assert state(sandbox)["calls"] == {}


def test_quota_stops_one_account_and_the_rest_goes_on(site: Path, sandbox: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    fault(sandbox, endpoint="draft/add", nth=1, errcode=45009)  # the first account to draft: cs-college
    code, report = publish(site, sandbox, capsys)
    assert statuses(report) == {COLLEGE: "queued", OFFICIAL: "published", YOUTH: "drafted"}
    quota = next(i for i in report["failed"] if not i["path"])
    assert "45009" in quota["message"] and "队列" in quota["message"]
    code, report = publish(site, sandbox, capsys)
    assert statuses(report) == {COLLEGE: "mass_sent"}
    assert len(state(sandbox)["mass_sends"]) == 1


@pytest.mark.parametrize(("endpoint", "errcode"), [("freepublish/get", -1), ("draft/add", 42001), ("draft/add", 40001)])
def test_transient_and_token_errors_are_retried(site: Path, sandbox: str, capsys: pytest.CaptureFixture[str],
                                                endpoint: str, errcode: int) -> None:
    fault(sandbox, endpoint=endpoint, nth=1, errcode=errcode)
    code, report = publish(site, sandbox, capsys)
    assert code == 0 and statuses(report)[OFFICIAL] == "published"
    world = state(sandbox)
    assert len(world["publications"]) == 1 and len(world["mass_sends"]) == 1


@pytest.mark.parametrize(("endpoint", "errcode", "advice"), [
    ("freepublish/submit", 48001, "publish_mode 改为 draft"),
    ("stable_token", 40164, "IP 白名单"),
    ("freepublish/submit", 53503, "草稿未通过微信发表前的检查"),
])
def test_errors_that_need_a_person_say_what_to_do(site: Path, sandbox: str, capsys: pytest.CaptureFixture[str],
                                                  endpoint: str, errcode: int, advice: str) -> None:
    fault(sandbox, endpoint=endpoint, nth=1, errcode=errcode)
    code, report = publish(site, sandbox, capsys)
    assert code == 1
    messages = " ".join(i["message"] for i in report["failed"])
    assert str(errcode) in messages and advice in messages
    assert not state(sandbox)["publications"]
    if endpoint == "freepublish/submit":  # the refused draft is not left behind in the draft box
        assert [a["title"] for d in state(sandbox)["drafts"] for a in d["articles"]] == ["暑期夏令营招募"]


def test_a_publish_that_fails_review_is_reported(site: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    http(sandbox + "/sandbox/faults", {"publish_fail": {"status": 4, "fail_idx": [1]}})
    code, report = publish(site, sandbox, capsys)
    assert code == 1
    failed = next(i for i in report["failed"] if i["path"] == OFFICIAL)
    assert "审核拒绝" in failed["message"]


def test_secret_never_appears_anywhere(site: Path, sandbox: str, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cr3t-Value-4242424242"
    policies = yaml.safe_load((site / "policies.yaml").read_text(encoding="utf-8"))
    for account_id, account in policies["accounts"].items():
        appid = f"wxreal{account_id.replace('-', '')}"
        http(sandbox + "/sandbox/accounts", {"appid": appid, "secret": secret, "type": account["type"], "verified": True})
        monkeypatch.setenv(account["credentials"]["appid_env"], appid)
        monkeypatch.setenv(account["credentials"]["secret_env"], secret)
    fault(sandbox, endpoint="freepublish/submit", nth=1, errcode=48001)  # an error path too
    code = main(["--root", str(site), "publish", "--api", sandbox + "/cgi-bin/", "--now", LUNCH])
    out = capsys.readouterr()
    assert code == 1
    ledger = Ledger.open(site, ref=LEDGER_REF)
    texts = [out.out, out.err, "\n".join(e.to_json() for e in ledger.entries)]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*") if p.is_file() and ".git" not in p.parts]
    assert ledger.entries and all(secret not in text for text in texts)
    world = json.dumps(state(sandbox))
    assert secret not in world


def test_missing_credentials_stop_the_run_before_anything_is_sent(site: Path, capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WXPUB_OFFICIAL_APPID", "wxofficial")
    monkeypatch.setenv("WXPUB_OFFICIAL_SECRET", "official-secret")
    for name in ("WXPUB_CS_COLLEGE_APPID", "WXPUB_CS_COLLEGE_SECRET"):
        monkeypatch.delenv(name, raising=False)
    code = main(["--root", str(site), "publish", "--api", "http://127.0.0.1:9/cgi-bin/", "--now", LUNCH])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "江城大学计算机学院" in err and "WXPUB_CS_COLLEGE_APPID, WXPUB_CS_COLLEGE_SECRET 未设置" in err
    assert Ledger.open(site, ref=LEDGER_REF).entries == ()  # not even the official account started


def test_dry_run_plans_without_calling(site: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = publish(site, sandbox, capsys, "--dry-run")
    assert code == 0
    assert {i["path"] for i in report["planned"]} == {OFFICIAL, COLLEGE, YOUTH}
    assert state(sandbox)["calls"] == {}
    assert Ledger.open(site, ref=SANDBOX_LEDGER_REF).entries == ()


def test_status_lists_the_ledger(site: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    publish(site, sandbox, capsys)
    assert main(["--root", str(site), "status", "--sandbox", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["path"]: r["status"] for r in rows} == {OFFICIAL: "published", COLLEGE: "mass_sent", YOUTH: "drafted"}
    head = [r["commit"] for r in rows]
    assert len(set(head)) == 1 and len(head[0]) == 40


def test_job_summary_lists_links(site: Path, sandbox: str, capsys: pytest.CaptureFixture[str],
                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    publish(site, sandbox, capsys)
    text = summary.read_text(encoding="utf-8")
    assert "| 已发表 | `" + OFFICIAL + "` | official | [http://mp.weixin.qq.com/s?__biz=" in text


def test_main_is_never_committed_to(site: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.testing.fixtures import git
    head = git(site, "rev-parse", "HEAD")
    publish(site, sandbox, capsys)
    assert git(site, "rev-parse", "HEAD") == head
    assert git(site, "status", "--porcelain") == ""  # the sandbox's credentials are in .wxpub/, which ignores itself
    assert git(site, "rev-parse", SANDBOX_LEDGER_REF)  # the ledger lives beside main


def test_lint_refuses_editing_a_published_article_without_republish(site: Path, sandbox: str,
                                                                    capsys: pytest.CaptureFixture[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.ledger import Entry
    ledger = Ledger.open(site, ref=LEDGER_REF)  # as a real (not sandbox) publication would leave it
    from pipeline.content import load_article
    from pathlib import PurePosixPath
    article = load_article(WorkTree(site), PurePosixPath(OFFICIAL))
    # A publication as a version 1 ledger recorded it (no message around it): read forever
    ledger.append(Entry(at="2026-11-25T04:30:00+00:00", run="r1", step="published", account="official",
                        path=OFFICIAL, content_hash=article.content_hash, data={"article_id": "a1", "index": 1}, v=1))
    assert main(["--root", str(site), "lint", "--format", "json"]) == 0
    capsys.readouterr()
    index = site / OFFICIAL
    index.write_text(index.read_text(encoding="utf-8").replace("运动会现场。", "运动会现场,气氛热烈。"), encoding="utf-8")
    assert main(["--root", str(site), "lint", "--format", "json"]) == 1
    [finding] = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] == "PUB001"]
    assert finding["path"] == OFFICIAL and "republish: true" in finding["message"]
    index.write_text(index.read_text(encoding="utf-8").replace("title: 学校举行秋季运动会", "title: 学校举行秋季运动会\nrepublish: true"),
                     encoding="utf-8")
    assert main(["--root", str(site), "lint", "--format", "json"]) == 0


def test_lint_takes_a_windows_checkout_of_a_published_article_for_unchanged(site: Path, sandbox: str,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Git for Windows checks files out with CRLF (core.autocrlf=true): the working tree's bytes are
    not the commit's, though nobody edited anything. PUB001 said every published article was
    edited; Git, which applies its own conversion when it compares, says it is not. A real edit on
    that checkout, CRLF and all, is still PUB001."""
    from pipeline.ledger import Entry
    from pipeline.content import load_article
    from pathlib import PurePosixPath
    article = load_article(WorkTree(site), PurePosixPath(OFFICIAL))
    Ledger.open(site, ref=LEDGER_REF).append(Entry(
        at="2026-11-25T04:30:00+00:00", run="r1", step="published", account="official", path=OFFICIAL,
        content_hash=article.content_hash, data={"article_id": "a1", "index": 1}, v=1))
    git(site, "config", "core.autocrlf", "true")
    index = site / OFFICIAL
    index.unlink()
    git(site, "checkout", "--", OFFICIAL)
    assert b"\r\n" in index.read_bytes()  # as a Windows checkout has it
    assert main(["--root", str(site), "lint", "--format", "json"]) == 0, capsys.readouterr().out
    capsys.readouterr()
    index.write_bytes(index.read_bytes().replace("运动会现场。".encode(), "运动会现场,气氛热烈。".encode()))
    assert main(["--root", str(site), "lint", "--format", "json"]) == 1
    assert [f["path"] for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] == "PUB001"] == [OFFICIAL]


def test_status_verify_finds_what_disagrees(site: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    publish(site, sandbox, capsys)
    verify = ["--root", str(site), "status", "--sandbox-url", sandbox, "--verify", "--format", "json"]
    assert main(verify) == 0, capsys.readouterr()
    assert json.loads(capsys.readouterr().out)["disagreements"] == []
    ledger = Ledger.open(site, ref=SANDBOX_LEDGER_REF)
    official = next(e for e in ledger.published() if e.path == OFFICIAL)
    # Someone deletes the publication in the back end, and a stray wxpub draft appears
    from pipeline.wechat import Credentials, WeChat
    secrets = json.loads((site / ".wxpub" / "sandbox.secrets.json").read_text(encoding="utf-8"))
    client = WeChat(Credentials("wxsandboxofficial", secrets["wxsandboxofficial"]), base_url=sandbox + "/cgi-bin/")
    client.delete_published(str(official.data["article_id"]), 1)
    cover = next(m["media_id"] for m in state(sandbox)["materials"] if m["appid"] == "wxsandboxofficial")
    client.add_draft([{"title": "重复的草稿", "content": '<section data-wxpub="x.1">正文</section>', "thumb_media_id": cover}])
    shutil.rmtree(site / "content/youth/youth-league/2026-10-22-camp")
    commit_all(site, "remove the camp article")
    assert main(verify) == 1
    found = {(d["path"], d["message"]) for d in json.loads(capsys.readouterr().out)["disagreements"]}
    assert (OFFICIAL, "发布记录说已发表,但微信的已发表列表里没有它(可能已在后台删除)") in found
    assert (YOUTH, "文章已从仓库删除,但仍在发布记录中(待撤回)") in found
    assert any(path == "" and "重复的草稿" in message for path, message in found)
