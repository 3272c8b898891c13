"""`wxpub backup` end to end (R17): real Git repositories, the real publish command, the real
wechatpy client over HTTP to the sandbox, the sandbox's own call counts. What WeChat holds is
exported into dated folders, only what changed is fetched again, and an article deleted,
edited or published by hand in WeChat is reported against the ledger (DRIFT0xx)."""

from __future__ import annotations

import datetime
import hashlib
import html
import json
import os
from pathlib import Path
from typing import Any, Callable

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.audit import against_wechat
from pipeline.backup import Downloader, _safe, export, image_urls
from pipeline.cli import main
from pipeline.commands.publish import SANDBOX_LEDGER_REF
from pipeline.ledger import Ledger
from pipeline.sending import fingerprint, with_marker
from pipeline.wechat import Credentials, WeChat, server_time
from tests.testing.fixtures import commit_all, http, jpeg_bytes, write_article
from tests.testing.publishing import world

LUNCH = "2026-11-25 12:30"
FIRST = "content/official/publicity/2026-10-01-first/index.md"
SECOND = "content/official/publicity/2026-10-02-second/index.md"
PHOTO = jpeg_bytes(600, 400, color=(200, 80, 40))


def state(url: str) -> dict[str, Any]:
    return world(url)


def official(root: Path, url: str) -> WeChat:
    """The official account's API, as a person with its credentials would use it outside wxpub."""
    secrets = json.loads((root / ".wxpub" / "sandbox.secrets.json").read_text(encoding="utf-8"))
    return WeChat(Credentials("wxsandboxofficial", secrets["wxsandboxofficial"]), base_url=url + "/cgi-bin/")


def backup(root: Path, url: str, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(["--root", str(root), "backup", "--sandbox-url", url, "-o", str(out), "--format", "json", *extra])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, json.loads(captured.out) if captured.out.strip() else {"stderr": captured.err}


def fetches(url: str) -> dict[str, int]:
    """What the sandbox served that a backup downloads: article contents, drafts, materials, images."""
    calls = state(url)["calls"]
    return {key: calls.get(key, 0) for key in ("freepublish/getarticle", "draft/get", "material/get_material",
                                               "mmbiz.qpic.cn")}


@pytest.fixture
def published(repo: Path, sandbox: str, capsys: pytest.CaptureFixture[str]) -> Path:
    """Two official articles published together through `wxpub publish` (one with a photo), and
    one draft-mode article of the youth account left in its draft box."""
    write_article(repo, slug="2026-10-01-first", body="运动会现场。\n\n![起跑](start.jpg)\n",
                  front_matter={"title": "第一篇", "headline": True}, files={"start.jpg": PHOTO})
    write_article(repo, slug="2026-10-02-second", front_matter={"title": "第二篇"})
    write_article(repo, account="youth", department="youth-league", slug="2026-10-22-camp",
                  front_matter={"title": "暑期夏令营招募", "category": "学生活动"})
    commit_all(repo, "three articles")
    code = main(["--root", str(repo), "publish", "--sandbox-url", sandbox, "--now", LUNCH, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert sorted(i["path"] for i in report["published"] if i["status"] == "published") == [FIRST, SECOND]
    # WeChat's update_time has whole seconds: what changed in the second a backup lists it in is
    # fetched again by the next one. Ten seconds on, nothing here is that fresh any more.
    http(sandbox + "/sandbox/clock", {"advance": 10})
    return repo


def wechat_clock(url: str) -> Callable[[], float | None]:
    """WeChat's (the sandbox's) time, as `wxpub backup` reads it."""
    def now() -> float | None:
        told = server_time(url + "/cgi-bin/", 5)
        return None if told is None else told.timestamp()
    return now


def test_export_holds_every_article_draft_material_and_image_byte_for_byte(
        published: Path, sandbox: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "backup"
    code, report = backup(published, sandbox, out, capsys)
    assert code == 0 and report["drift"] == [], report
    by_account = {e["account"]: e for e in report["exports"]}
    folder = Path(by_account["official"]["folder"])
    assert folder.parent == out / "official" and folder.name.count("-") == 2  # DIR/<account>/<YYYY-MM-DD>
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    [publication] = manifest["published"]
    world = state(sandbox)
    [sent] = [p for p in world["publications"] if p["appid"] == "wxsandboxofficial"]
    assert publication["article_id"] == sent["article_id"] and isinstance(publication["update_time"], int)
    for record, article in zip(publication["articles"], sent["articles"], strict=True):
        saved = (folder / record["file"]).read_bytes()
        assert saved.decode("utf-8") == article["content"]  # the HTML WeChat holds, as it holds it
        assert record["sha256"] == hashlib.sha256(saved).hexdigest() and record["title"] == article["title"]
    # The body image, byte for byte what the editor committed (and WeChat served back)
    [image] = manifest["images"].values()
    assert (folder / image["file"]).read_bytes() == PHOTO
    # Covers are permanent materials: each exported file is the committed cover's bytes
    covers = {hashlib.sha256((published / p).read_bytes()).hexdigest()
              for p in ("content/official/publicity/2026-10-01-first/cover.jpg",
                        "content/official/publicity/2026-10-02-second/cover.jpg")}
    assert {hashlib.sha256((folder / m["file"]).read_bytes()).hexdigest() for m in manifest["materials"]} == covers
    # WeChat counts the ledger anchor's thumb too (pipeline/anchor.py), which is no article's and not exported
    assert manifest["counts"]["wechat_image_count"] == len(manifest["materials"]) + 1
    # The draft-mode article is exported from the draft box
    youth = json.loads((Path(by_account["youth"]["folder"]) / "manifest.json").read_text(encoding="utf-8"))
    [draft] = youth["drafts"]
    assert [a["title"] for a in draft["articles"]] == ["暑期夏令营招募"]
    assert (out / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"  # never committed by accident


def test_a_second_export_fetches_only_what_changed(published: Path, sandbox: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "backup"
    before = fetches(sandbox)
    assert backup(published, sandbox, out, capsys)[0] == 0
    first = fetches(sandbox)
    # the publication's contents, the draft, each account's cover (both official articles have the
    # same cover bytes: uploaded once) and the photo were fetched once
    assert {k: first[k] - before[k] for k in first} == {"freepublish/getarticle": 1, "draft/get": 1,
                                                         "material/get_material": 2, "mmbiz.qpic.cn": 1}
    code, report = backup(published, sandbox, out, capsys)
    assert code == 0 and fetches(sandbox) == first  # nothing changed: no content, no material, no image
    assert {e["account"]: e["fetched"] for e in report["exports"]}["official"] == dict.fromkeys(
        ("articles", "drafts", "materials", "images"), 0)
    assert sum(e["reused"]["articles"] for e in report["exports"]) == 1
    # A person edits the second article in the back end: only that publication is fetched again
    article_id = state(sandbox)["publications"][0]["article_id"]
    http(sandbox + "/sandbox/published/edit", {"appid": "wxsandboxofficial", "article_id": article_id, "index": 2,
                                                "content": "<section><p>改过的正文</p></section>"})
    code, report = backup(published, sandbox, out, capsys)
    after = fetches(sandbox)
    assert {k: after[k] - first[k] for k in after} == {"freepublish/getarticle": 1, "draft/get": 0,
                                                        "material/get_material": 0, "mmbiz.qpic.cn": 0}
    folder = Path(next(e["folder"] for e in report["exports"] if e["account"] == "official"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    files = [folder / a["file"] for a in manifest["published"][0]["articles"]]
    assert files[1].read_text(encoding="utf-8") == "<section><p>改过的正文</p></section>"
    assert all(hashlib.sha256(f.read_bytes()).hexdigest() == a["sha256"]
               for f, a in zip(files, manifest["published"][0]["articles"], strict=True))
    assert code == 1 and [d["code"] for d in report["drift"]] == ["DRIFT003"]  # and the edit is drift
    assert not [p for p in (out / "official").iterdir() if p.name.startswith(".")]  # no staging left behind


def test_drift_deleted_edited_and_published_by_hand(published: Path, sandbox: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    ledger = Ledger.open(published, ref=SANDBOX_LEDGER_REF)
    adding = [e for e in ledger.entries if e.step == "draft_adding" and e.account == "official"]
    assert [len(e.data["fingerprints"]) for e in adding] == [2]  # what was sent is on record
    article_id = str(next(e for e in ledger.published() if e.path == FIRST).data["article_id"])
    client = official(published, sandbox)
    client.delete_published(article_id, 2)  # the second article is deleted in WeChat
    http(sandbox + "/sandbox/published/edit", {"appid": "wxsandboxofficial", "article_id": article_id, "index": 1,
                                                "title": "第一篇(后台改过)"})
    # and an article goes out by hand, past review: draft/add + freepublish/submit, no wxpub
    cover = next(m["media_id"] for m in state(sandbox)["materials"] if m["appid"] == "wxsandboxofficial")
    publish_id = client.submit(client.add_draft([{"title": "未经审批的通知", "content": "<p>明天停课。</p>",
                                                  "thumb_media_id": cover}]))
    while client.publish_status(publish_id)["publish_status"] == 1:
        pass
    code, report = backup(published, sandbox, tmp_path / "backup", capsys)
    assert code == 1  # drift: findings, not an error
    found = {(d["code"], d["path"]) for d in report["drift"]}
    assert found == {("DRIFT001", ""), ("DRIFT002", SECOND), ("DRIFT003", FIRST)}, report["drift"]
    hand = next(d for d in report["drift"] if d["code"] == "DRIFT001")
    assert "未经审批的通知" in hand["message"] and "没有经过分级审批" in hand["message"]
    folder = Path(next(e["folder"] for e in report["exports"] if e["account"] == "official"))
    assert json.loads((folder / "drift.json").read_text(encoding="utf-8")) == [
        d for d in report["drift"] if d["account"] == "official"]
    # `status --verify` is the same check, live: it finds the same drift
    assert main(["--root", str(published), "status", "--sandbox-url", sandbox, "--verify", "--format", "json"]) == 1
    verified = {(d["code"], d["path"]) for d in json.loads(capsys.readouterr().out)["disagreements"]}
    assert found <= verified
    # The text report names each finding by its code, in Chinese
    assert main(["--root", str(published), "backup", "--sandbox-url", sandbox, "-o", str(tmp_path / "b2")]) == 1
    text = capsys.readouterr().out
    assert "DRIFT001\tofficial\t-\t微信中有一篇发布记录里没有的已发表文章「未经审批的通知」" in text
    assert "核对结果:3 处偏差" in text


def test_a_failed_export_keeps_the_previous_one_and_says_why(published: Path, sandbox: str, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "backup"
    assert backup(published, sandbox, out, capsys)[0] == 0
    [folder] = (out / "official").iterdir()
    manifest = (folder / "manifest.json").read_bytes()
    http(sandbox + "/sandbox/faults", {"endpoint": "draft/batchget", "appid": "wxsandboxofficial", "errcode": 40164})
    code = main(["--root", str(published), "backup", "--sandbox-url", sandbox, "-o", str(out), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2 and "IP 白名单" in captured.err and "账号 official 的备份失败" in captured.err
    assert "Traceback" not in captured.err
    assert [p.name for p in (out / "official").iterdir()] == [folder.name]  # no half export beside it
    assert (folder / "manifest.json").read_bytes() == manifest  # the earlier export, untouched
    # the other accounts were backed up all the same, and said so
    assert sorted(e["account"] for e in json.loads(captured.out)["exports"]) == ["cs-college", "youth"]


def test_an_unverified_account_is_backed_up_without_its_publication_list(
        published: Path, sandbox: str, tmp_path: Path) -> None:
    """Since 2025 WeChat answers 48001 to every freepublish/* call of an unverified account: its
    drafts and materials are still exported, and its publications are said to be missing."""
    secrets = json.loads((published / ".wxpub" / "sandbox.secrets.json").read_text(encoding="utf-8"))
    http(sandbox + "/sandbox/accounts", {"appid": "wxsandboxyouth", "verified": False})
    client = WeChat(Credentials("wxsandboxyouth", secrets["wxsandboxyouth"]), base_url=sandbox + "/cgi-bin/")
    done = export(client, "youth", tmp_path / "b", datetime.date(2026, 11, 25), Downloader(proxy=sandbox))
    assert done.publications is None and "48001" in done.manifest["published_unavailable"]
    assert [a["title"] for d in done.manifest["drafts"] for a in d["articles"]] == ["暑期夏令营招募"]
    assert len(done.manifest["materials"]) == 1 and (done.folder / "manifest.json").is_file()
    state_now = Ledger.open(published, ref=SANDBOX_LEDGER_REF).state()
    assert against_wechat(state_now, "youth", list(done.drafts), done.publications) == []


def test_bad_input_is_a_chinese_message_never_a_traceback(published: Path, sandbox: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    before = state(sandbox)["calls"]
    code, report = backup(published, sandbox, blocker / "backup", capsys)
    assert code == 2 and "备份目录无法写入" in report["stderr"] and str(blocker / "backup") in report["stderr"]
    assert state(sandbox)["calls"] == before  # refused before the first call to WeChat
    code, report = backup(published, sandbox, tmp_path / "b", capsys, "--account", "nobody")
    assert code == 2 and "policies.yaml 中没有账号 nobody" in report["stderr"]
    # Against WeChat itself, with no credentials in the environment: nothing is called, nothing written
    for name in ("WXPUB_OFFICIAL_APPID", "WXPUB_OFFICIAL_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("WXPUB_SANDBOX_URL", raising=False)
    code = main(["--root", str(published), "backup", "--account", "official", "-o", str(tmp_path / "real")])
    captured = capsys.readouterr()
    assert code == 2 and "缺少凭据" in captured.err and "Traceback" not in captured.err
    assert not (tmp_path / "real").exists()


def test_the_sandbox_list_endpoints_hold_to_wechats_limits(published: Path, sandbox: str) -> None:
    """offset and count are required, count is 1..20 (the pages of draft_batchget,
    freepublish_batchget and batchGetMaterial); get_material of an unknown id is 40007."""
    secrets = json.loads((published / ".wxpub" / "sandbox.secrets.json").read_text(encoding="utf-8"))
    token = requests.post(f"{sandbox}/cgi-bin/stable_token", json={
        "grant_type": "client_credential", "appid": "wxsandboxofficial", "secret": secrets["wxsandboxofficial"]},
        timeout=10).json()["access_token"]

    def call(endpoint: str, body: dict[str, Any]) -> Any:
        return requests.post(f"{sandbox}/cgi-bin/{endpoint}", params={"access_token": token}, json=body, timeout=10)

    for endpoint, extra in (("draft/batchget", {}), ("freepublish/batchget", {}),
                            ("material/batchget_material", {"type": "image"})):
        assert call(endpoint, {**extra, "offset": 0, "count": 20}).json()["total_count"] >= 0
        for body in ({"offset": 0, "count": 21}, {"offset": 0, "count": 0}, {"count": 20}, {"offset": 0},
                     {"offset": -1, "count": 20}):
            assert call(endpoint, {**extra, **body}).json()["errcode"] == 40097, (endpoint, body)
    material = state(sandbox)["materials"][0]["media_id"]
    answer = call("material/get_material", {"media_id": material})
    assert answer.headers["Content-Type"] == "image/jpeg" and answer.content.startswith(b"\xff\xd8")
    assert call("material/get_material", {"media_id": "no-such-media"}).json()["errcode"] == 40007


def test_the_sandbox_proxies_its_own_image_urls_only(published: Path, sandbox: str) -> None:
    [url] = [u for p in state(sandbox)["publications"] for a in p["articles"] for u in image_urls(a["content"])]
    assert Downloader(proxy=sandbox).get(url) == PHOTO
    assert Downloader(proxy=sandbox).get(url.replace(".jpg", "0.jpg")) == "HTTP 404"
    proxies = {"http": sandbox}
    assert requests.get("http://example.com/x.jpg", proxies=proxies, timeout=5).status_code == 403
    assert requests.get("http://mmbiz.qpic.cn/elsewhere.jpg", proxies=proxies, timeout=5).status_code == 403


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:1/x.jpg", "http://mmbiz.qpic.cn.evil.example/x.jpg", "http://mmbiz.qpic.cn@evil.example/x.jpg",
    "file:///etc/passwd", "ftp://mmbiz.qpic.cn/x.jpg", "//mmbiz.qpic.cn/x.jpg", "data:image/png;base64,AAAA",
])
def test_only_wechats_image_hosts_are_downloaded(url: str) -> None:
    got = Downloader(proxy="http://127.0.0.1:9").get(url)  # would fail loudly if it connected anywhere
    assert got == "不是微信图片服务器上的地址,未下载"


# -- the class, not the example -------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(title=_TEXT, words=_TEXT, style=st.sampled_from(["", ' style="color:#333"', ' style="font-size:17px;margin:0"']),
       batch=st.text("abcdef0123456789", min_size=1, max_size=16), index=st.integers(1, 8))
def test_fingerprint_ignores_styles_and_markers_not_words(title: str, words: str, style: str, batch: str,
                                                          index: int) -> None:
    plain = f"<section><p>{html.escape(words)}</p></section>"
    styled = with_marker(f"<section{style}><p{style}>{html.escape(words)}</p></section>", f"{batch}.{index}")
    assert fingerprint(title, plain) == fingerprint(title, styled)  # restyled or re-marked: the same article
    assert fingerprint(title, plain) != fingerprint(title, f"<section><p>{html.escape(words)}改</p></section>")
    assert fingerprint(title, plain) != fingerprint(title + "改", plain)


@settings(max_examples=100, deadline=None)
@given(path=st.text("abcdefghijklmnop/_-.", min_size=1, max_size=20))
def test_fingerprint_counts_each_image(path: str) -> None:
    one = '<p>图</p><img src="http://mmbiz.qpic.cn/sandbox/a.jpg">'
    other = f'<p>图</p><img src="http://mmbiz.qpic.cn/sandbox/a.jpg{html.escape(path)}">'
    # the scheme and query of an image URL are WeChat's to change; its host and path are the image
    assert fingerprint("t", one) == fingerprint("t", one.replace("http://", "https://").replace('.jpg"', '.jpg?wx_fmt=jpeg"'))
    assert fingerprint("t", one) != fingerprint("t", other)
    assert fingerprint("t", one) != fingerprint("t", "<p>图</p>")
    # a link whose words stay and whose target changes is an edit (a reader would be sent elsewhere)
    link = '<p><a href="https://mp.weixin.qq.com/s/abc">往期回顾</a></p>'
    assert fingerprint("t", link) != fingerprint("t", link.replace("/s/abc", f"/s/abc{html.escape(path)}"))
    assert fingerprint("t", link) == fingerprint("t", link.replace("https://", "http://"))


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_any_wechat_id_becomes_one_plain_file_name(name: str) -> None:
    safe = _safe(name)
    assert os.sep not in safe and "/" not in safe and safe not in (".", "..") and not safe.startswith(".")
    assert 0 < len(safe) <= 80 and safe.isascii()
    assert _safe(name) == safe and (safe == name or safe.startswith("id-"))


def test_daily_exports_share_unchanged_files_and_leftovers_are_swept(published: Path, sandbox: str,
                                                                      tmp_path: Path) -> None:
    client = official(published, sandbox)
    out = tmp_path / "b"
    stale = out / "official" / ".2026-11-24.partial-dead"  # what a killed export left, hours ago
    stale.mkdir(parents=True)
    os.utime(stale, (0, 0))
    monday = export(client, "official", out, datetime.date(2026, 11, 30), Downloader(proxy=sandbox),
                    clock=wechat_clock(sandbox))
    tuesday = export(client, "official", out, datetime.date(2026, 12, 1), Downloader(proxy=sandbox),
                     clock=wechat_clock(sandbox))
    assert not stale.exists() and sorted(p.name for p in (out / "official").iterdir()) == ["2026-11-30", "2026-12-01"]
    assert tuesday.fetched == dict.fromkeys(("articles", "drafts", "materials", "images"), 0)
    [image] = tuesday.manifest["images"].values()
    before, after = monday.folder / image["file"], tuesday.folder / image["file"]
    assert before.stat().st_ino == after.stat().st_ino and after.read_bytes() == PHOTO  # one copy on disk
    # Monday's export is a snapshot: a later export never writes into its files
    html_file = monday.folder / monday.manifest["published"][0]["articles"][0]["file"]
    kept = html_file.read_bytes()
    export(client, "official", out, datetime.date(2026, 12, 1), Downloader(proxy=sandbox), full=True)
    assert html_file.read_bytes() == kept and (monday.folder / image["file"]).read_bytes() == PHOTO


def test_what_an_account_published_before_wxpub_is_history_not_drift(
        repo: Path, sandbox: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A school's account has years of articles published by hand before it adopted wxpub
    write_article(repo, slug="2026-12-01-first", front_matter={"title": "第一篇"})
    commit_all(repo, "the first article through wxpub")
    base = ["--root", str(repo), "publish", "--sandbox-url", sandbox, "--format", "json"]
    assert backup(repo, sandbox, tmp_path / "before", capsys, "--account", "official")[0] == 0  # nothing yet
    client = official(repo, sandbox)
    cover = client.upload_cover(jpeg_bytes(900, 500), "old.jpg")[0]
    publish_id = client.submit(client.add_draft([{"title": "往年的通知", "content": "<p>旧文。</p>",
                                                  "thumb_media_id": cover}]))
    while client.publish_status(publish_id)["publish_status"] == 1:
        pass
    # wxpub's first publication for the account is later than that one (a day on, by the ledger's clock)
    tomorrow = datetime.datetime.now() + datetime.timedelta(days=1)
    assert main([*base, "--now", tomorrow.strftime("%Y-%m-%d 12:30")]) == 0
    capsys.readouterr()
    code, report = backup(repo, sandbox, tmp_path / "b", capsys, "--account", "official")
    assert code == 0 and report["drift"] == [], report["drift"]
    assert json.loads((Path(report["exports"][0]["folder"]) / "manifest.json").read_text(encoding="utf-8"))[
        "counts"]["published"] == 2  # history is backed up all the same


def test_every_page_is_exported_and_a_draft_edited_in_the_draft_box_is_drift(
        published: Path, sandbox: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secrets = json.loads((published / ".wxpub" / "sandbox.secrets.json").read_text(encoding="utf-8"))
    youth = WeChat(Credentials("wxsandboxyouth", secrets["wxsandboxyouth"]), base_url=sandbox + "/cgi-bin/")
    cover = next(m["media_id"] for m in state(sandbox)["materials"] if m["appid"] == "wxsandboxyouth")
    for number in range(20):  # 21 drafts with wxpub's: two pages of draft/batchget (20 at most)
        youth.add_draft([{"title": f"手写草稿 {number}", "content": f"<p>草稿 {number}</p>", "thumb_media_id": cover}])
    ledger = Ledger.open(published, ref=SANDBOX_LEDGER_REF)
    camp = next(e for e in ledger.published() if e.account == "youth")
    draft = youth.get_draft(str(camp.data["media_id"]))
    assert draft is not None
    edited = {**draft["news_item"][0], "content": draft["news_item"][0]["content"].replace("</p>", "(已改)</p>", 1)}
    youth._client.post("draft/update", data={"media_id": camp.data["media_id"], "index": 0, "articles": {
        k: edited[k] for k in ("title", "author", "digest", "content", "content_source_url", "thumb_media_id",
                               "need_open_comment", "only_fans_can_comment")}})
    before = state(sandbox)["calls"].get("draft/batchget", 0)
    code, report = backup(published, sandbox, tmp_path / "b", capsys, "--account", "youth")
    assert state(sandbox)["calls"]["draft/batchget"] - before == 2
    [export_] = report["exports"]
    assert export_["counts"]["drafts"] == 21
    manifest = json.loads((Path(export_["folder"]) / "manifest.json").read_text(encoding="utf-8"))
    assert len({d["media_id"] for d in manifest["drafts"]}) == 21
    # hand-made drafts are not drift (nothing went out); the edited wxpub draft is
    assert code == 1 and [(d["code"], d["path"]) for d in report["drift"]] == [("DRIFT003", camp.path)]


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
                     max_leaves=10)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(section=st.sampled_from(["published", "drafts", "materials", "images"]), garbage=_JSON,
       path=st.sampled_from(["../../../etc/passwd", "/etc/passwd", "manifest.json", "images", ""]))
def test_a_manifest_edited_by_hand_is_never_trusted_nor_a_crash(published: Path, sandbox: str, tmp_path_factory:
                                                                pytest.TempPathFactory, section: str, garbage: Any,
                                                                path: str) -> None:
    client = official(published, sandbox)
    out = tmp_path_factory.mktemp("b")
    day = datetime.date(2026, 11, 30)
    first = export(client, "official", out, day, Downloader(proxy=sandbox))
    manifest = json.loads((first.folder / "manifest.json").read_text(encoding="utf-8"))
    manifest[section] = garbage
    for entry in manifest["published"] if isinstance(manifest["published"], list) else []:
        for article in entry.get("articles", []) if isinstance(entry, dict) else []:
            if isinstance(article, dict):
                article["file"] = path  # pointed outside the export, or at something else in it
    (first.folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    again = export(client, "official", out, day + datetime.timedelta(days=1), Downloader(proxy=sandbox))
    saved = again.manifest["published"][0]["articles"]
    sent = [a for p in state(sandbox)["publications"] for a in p["articles"] if p["appid"] == "wxsandboxofficial"]
    assert [(again.folder / a["file"]).read_text(encoding="utf-8") for a in saved] == [a["content"] for a in sent]
    assert [image["sha256"] for image in again.manifest["images"].values()] == [hashlib.sha256(PHOTO).hexdigest()]


def test_an_edit_in_the_second_a_backup_listed_is_not_missed(published: Path, sandbox: str, tmp_path: Path) -> None:
    """update_time has whole seconds: an edit in the same second as the one before it, with a
    listing in between, leaves the listing as it was. The next export fetches it all the same."""
    client = official(published, sandbox)
    article_id = state(sandbox)["publications"][0]["article_id"]
    day = datetime.date(2026, 11, 30)

    def edit(text: str) -> None:
        http(sandbox + "/sandbox/published/edit", {"appid": "wxsandboxofficial", "article_id": article_id,
                                                    "index": 1, "content": f"<p>{text}</p>"})

    for attempt in range(20):  # until both edits and the listing between them fall in one second
        edit(f"第一次改 {attempt}")
        first = export(client, "official", tmp_path / f"b{attempt}", day, Downloader(proxy=sandbox),
                       clock=wechat_clock(sandbox))
        edit("第二次改")
        if next(client.published(content=False))["update_time"] == first.manifest["published"][0]["update_time"]:
            break
    else:
        pytest.fail("never managed an edit in the second of the listing before it")
    again = export(client, "official", tmp_path / f"b{attempt}", day, Downloader(proxy=sandbox),
                   clock=wechat_clock(sandbox))
    assert again.fetched["articles"] == 1  # the listing looked the same; it was fetched anyway
    saved = again.folder / again.manifest["published"][0]["articles"][0]["file"]
    assert saved.read_text(encoding="utf-8") == "<p>第二次改</p>"
