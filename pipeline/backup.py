"""Backing up what WeChat holds (R17): `wxpub backup`.

For each account, an export of its publications (`freepublish/batchget`, `getarticle`), its
draft box (`draft/batchget`, `draft/get`), its permanent images (`material/batchget_material`,
`get_material`) and the images the articles show, into a dated folder

    DIR/<account>/<YYYY-MM-DD>/manifest.json      ids, update_times, sha256 of every file
                               published/<article_id>/<index>.html
                               drafts/<media_id>/<index>.html
                               materials/<media_id>.<ext>
                               images/<sha256>.<ext>

Exports are incremental: the lists are read without content (`no_content`), and a
publication, draft or material whose listing (update_time, titles, …) is what the previous
export's manifest recorded is copied from that export, not fetched again; an image URL already
downloaded is not downloaded again (WeChat's image URLs never change content). A folder is
built beside its final place and renamed into it once complete: an interrupted export never
looks like a finished one, and a same-day export replaces the earlier one only when done.

WeChat is the only thing read over the network: the API, and the images its articles point to
on WeChat's image hosts (`IMAGE_HOSTS`; anything else is listed as not downloaded). Against
the sandbox, image URLs are fetched through the sandbox as HTTP proxy, so the URLs WeChat
answered are the ones fetched, and nothing leaves the machine.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlsplit

import requests
import urllib3

from pipeline.anchor import THUMB_NAME, is_anchor_listing
from pipeline.errors import UserError, os_reason
from pipeline.render import check
from pipeline.wechat import WeChat, WeChatError

MANIFEST = "manifest.json"
FORMAT = 1  # of manifest.json
IMAGE_HOSTS = frozenset({"mmbiz.qpic.cn", "mmbiz.qlogo.cn"})  # where WeChat serves article and material images
IMAGE_MAX = 10 * 1024 * 1024  # WeChat's largest image (a permanent material)
# update_time has whole seconds, and WeChat's clock is read from a Date header: an item changed
# within this many seconds of the previous export's listing may have changed after it
SETTLE_SECONDS = 5.0
UNKNOWN_CLOCK_SECONDS = 900.0  # without WeChat's time, our own clock, allowed to be this far off
_SAFE = re.compile(r"[A-Za-z0-9_-]{1,80}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
UNLISTABLE = "微信不允许该账号通过接口列出已发表文章(48001,未认证账号):已发表文章未备份,也未与发布记录核对"
_MAGIC = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF8", "gif"), (b"BM", "bmp"), (b"RIFF", "webp"))


@dataclass(frozen=True)
class Downloader:
    """Fetches WeChat's image URLs. `proxy`: the sandbox's base URL, through which its image URLs
    are fetched (None: straight to WeChat, through the machine's own proxy settings if any)."""

    proxy: str | None = None
    timeout: float = 30.0

    def get(self, url: str) -> bytes | str:
        """The bytes behind `url`, or why they were not fetched (Chinese)."""
        if _image_host(url) not in IMAGE_HOSTS:
            return "不是微信图片服务器上的地址,未下载"
        session = requests.Session()
        if self.proxy is not None:
            session.trust_env = False  # the sandbox, and only it: no environment proxy may divert the request
            session.proxies = {"http": self.proxy, "https": self.proxy}
        try:
            with session.get(url, timeout=self.timeout, stream=True, allow_redirects=False) as response:
                if response.status_code != 200:
                    return f"HTTP {response.status_code}"
                data = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    data += chunk
                    if len(data) > IMAGE_MAX:
                        return "超过 10 MB,未下载"
                return bytes(data)
        except requests.RequestException as exc:
            return f"下载失败:{type(exc).__name__}"
        finally:
            session.close()


def _image_host(url: str) -> str | None:
    """The host a download of `url` would connect to, when urlsplit and urllib3 (what requests
    connects with) read the same one and no user part is given: `http://10.0.0.5\\@mmbiz.qpic.cn/`
    is mmbiz.qpic.cn to urlsplit but 10.0.0.5 to urllib3, and WeChat's image links have no
    user part, backslash or whitespace."""
    try:
        parts = urlsplit(url)
        prepared = requests.Request("GET", url).prepare().url or ""
        connected = urllib3.util.parse_url(prepared)
    except (ValueError, requests.RequestException, urllib3.exceptions.LocationParseError):
        return None
    if parts.scheme not in ("http", "https") or "@" in parts.netloc or re.search(r"[\\\s]", url):
        return None
    host = (parts.hostname or "").lower()
    return host if host == (connected.host or "").lower() and connected.auth is None else None


@dataclass(frozen=True)
class Export:
    """One account's export: where it is, what WeChat holds (in the shape its list endpoints
    give, with content, for `audit.against_wechat`), and what was fetched or reused."""

    account: str
    folder: Path
    publications: tuple[dict[str, Any], ...] | None  # None: WeChat lets this account list none (48001)
    drafts: tuple[dict[str, Any], ...]
    manifest: Mapping[str, Any]
    fetched: Mapping[str, int]
    reused: Mapping[str, int]
    missing_images: tuple[tuple[str, str], ...] = ()  # (url, why)


@dataclass
class _Build:
    """An export being written into its staging folder (mutable while it is built, then frozen
    into an Export)."""

    staging: Path
    previous: Path | None
    before: Mapping[str, Any]
    settled_before: float  # an item WeChat last changed before this (its clock) is as the previous export saw it
    fetched: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("articles", "drafts", "materials", "images"), 0))
    reused: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("articles", "drafts", "materials", "images"), 0))
    images: dict[str, dict[str, Any]] = field(default_factory=dict)

    def write(self, relative: str, data: bytes) -> dict[str, Any]:
        target = self.staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)  # never write through a link into an earlier export
        target.write_bytes(data)
        return {"file": relative, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    def reuse(self, record: Mapping[str, Any]) -> bytes | None:
        """The file a previous export recorded, copied into this one; None when it is not there
        intact (then it is fetched again)."""
        if self.previous is None or not isinstance(record, Mapping) or not isinstance(record.get("file"), str):
            return None  # (a manifest edited by hand is read as far as it makes sense, never trusted)
        relative = str(record["file"])
        source = self.previous / relative
        if ".." in Path(relative).parts or Path(relative).is_absolute() or not _inside(source, self.previous):
            return None
        data = source.read_bytes()
        if hashlib.sha256(data).hexdigest() != record.get("sha256"):
            return None  # changed or damaged since: fetch it again
        target = self.staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:  # a hard link: daily exports of unchanged images cost no space
            target.unlink(missing_ok=True)
            os.link(source, target)
        except OSError:
            self.write(relative, data)
        return data


def _inside(source: Path, folder: Path) -> bool:
    """`source` is a plain file of `folder`, reached through no link: the previous export comes
    back from a cache, and a link there (to a file or a folder) would bring the runner's own
    files into the export that is uploaded."""
    try:
        if source.is_symlink() or not source.is_file():
            return False
        return source.resolve(strict=True).is_relative_to(folder.resolve(strict=True))
    except (OSError, RuntimeError):  # a link loop, or gone meanwhile
        return False


def export(client: WeChat, account: str, out: Path, day: datetime.date, images: Downloader, *,
           full: bool = False, clock: Callable[[], float | None] = lambda: None) -> Export:
    """Export one account into `out/<account>/<day>/`; `full` ignores earlier exports. `clock`
    tells WeChat's time (wechat.server_time), recorded as when the lists were read."""
    home = out / account
    final = home / day.isoformat()
    previous = None if full else latest_export(home)
    before = _manifest(previous) if previous is not None else {}
    home.mkdir(parents=True, exist_ok=True)
    _sweep(home)
    staging = home / f".{day.isoformat()}.partial-{secrets.token_hex(4)}"
    staging.mkdir()
    earlier_listing = before.get("listed_at")
    settled = float(earlier_listing) - SETTLE_SECONDS if isinstance(earlier_listing, (int, float)) else 0.0
    build = _Build(staging, previous if before else None, before, settled)
    listed_at = clock()
    if listed_at is None:
        listed_at = datetime.datetime.now(datetime.timezone.utc).timestamp() - UNKNOWN_CLOCK_SECONDS
    try:
        publications = _publications(client, build)
        drafts = _drafts(client, build)
        materials = _materials(client, build)
        missing = _images(build, (*(publications or []), *drafts), images)
        manifest = {
            "format": FORMAT, "account": account, "date": day.isoformat(), "listed_at": listed_at,
            "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "counts": {"published": len(publications or []), "drafts": len(drafts), "materials": len(materials),
                       "images": len(build.images), **{f"wechat_{k}": v for k, v in client.material_count().items()}},
            "published": [_listed(item) for item in publications or []], "drafts": [_listed(item) for item in drafts],
            "materials": materials, "images": build.images,
        }
        if publications is None:
            manifest["published_unavailable"] = UNLISTABLE
        build.write(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))
        _swap(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Export(account, final, None if publications is None else tuple(publications), tuple(drafts), manifest,
                  dict(build.fetched), dict(build.reused), missing)


def _sweep(home: Path, older_than: float = 3600.0) -> None:
    """Remove what a killed export left behind (its staging folder, a replaced export not yet
    deleted): an hour old, it belongs to no running export."""
    now = datetime.datetime.now().timestamp()
    for leftover in home.glob(".*-*"):
        if (".partial-" in leftover.name or ".old-" in leftover.name) and now - leftover.stat().st_mtime > older_than:
            shutil.rmtree(leftover, ignore_errors=True)


def latest_export(home: Path) -> Path | None:
    """The newest dated export of an account that finished (has its manifest)."""
    if not home.is_dir():
        return None
    done = sorted(p for p in home.iterdir()
                  if _DAY.fullmatch(p.name) and not p.is_symlink() and (p / MANIFEST).is_file())
    return done[-1] if done else None


def _manifest(folder: Path) -> Mapping[str, Any]:
    """A previous export's manifest; an unreadable one is no previous export (everything is
    fetched again), never a reason to stop backing up."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == FORMAT else {}


def _swap(staging: Path, final: Path) -> None:
    """Put the finished export in its place; a same-day export it replaces is removed after."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{secrets.token_hex(4)}")
        final.rename(old)
    staging.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# -- what is exported ------------------------------------------------------------------------


def _safe(name: str) -> str:
    """A file name for a WeChat id: itself when plain, else a hash (ids are WeChat's, not ours)."""
    return name if _SAFE.fullmatch(name) else "id-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:32]


def _listing_key(item: Mapping[str, Any]) -> str:
    """What a list answer without content says about an item: when it changes, fetch it again.
    A draft's `url` is a temporary preview link WeChat may issue afresh on every call: left out."""
    volatile = ("content", "url") if "media_id" in item else ("content",)
    news = [{k: v for k, v in n.items() if k not in volatile} for n in item.get("content", {}).get("news_item", [])]
    text = json.dumps({"update_time": item.get("update_time"), "news": news}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _earlier(build: _Build, section: str, key: str, value: str) -> Mapping[str, Any] | None:
    entries = build.before.get(section, [])
    return next((e for e in entries if isinstance(e, dict) and e.get(key) == value), None) if isinstance(entries, list) else None


def _articles(build: _Build, listed: Mapping[str, Any], earlier: Mapping[str, Any] | None,
              fetch: Callable[[], list[dict[str, Any]]], kind: str) -> list[dict[str, Any]]:
    """The articles of one publication or draft, with content: copied from the previous export
    when its listing is unchanged and every file is intact, else fetched."""
    if earlier is not None and earlier.get("listing") == _listing_key(listed) and _settled(build, listed):
        records = earlier.get("articles", [])
        wanted = len(listed.get("content", {}).get("news_item", []))
        copied = [build.reuse(r) for r in records] if isinstance(records, list) and len(records) == wanted else [None]
        if copied and all(data is not None for data in copied):
            try:
                reused = [{**{k: v for k, v in r.items() if k not in ("file", "sha256", "size")},
                           "content": data.decode("utf-8")} for r, data in zip(records, copied) if data is not None]
            except UnicodeDecodeError:
                reused = []
            if reused:
                build.reused[kind] += 1
                return reused
    build.fetched[kind] += 1
    return [dict(n) for n in fetch()]


def _settled(build: _Build, listed: Mapping[str, Any]) -> bool:
    """Whether WeChat's `update_time` of an item is before the previous export read the lists: an
    edit in the same second as that reading leaves update_time as it was, and must not be missed."""
    updated = listed.get("update_time")
    return isinstance(updated, (int, float)) and not isinstance(updated, bool) and updated < build.settled_before


def _saved(build: _Build, folder: str, news: list[dict[str, Any]]) -> list[dict[str, Any]]:
    records = []
    for index, article in enumerate(news, 1):
        record = {k: v for k, v in article.items() if k != "content"}
        record.update(build.write(f"{folder}/{index}.html", str(article.get("content", "")).encode("utf-8")))
        records.append(record)
    return records


def _publications(client: WeChat, build: _Build) -> list[dict[str, Any]] | None:
    """None when WeChat refuses this account the publication list: since 2025 unverified
    accounts get 48001 on every freepublish/* API (they publish by hand, from drafts)."""
    out = []
    listing = client.listed_publications(content=False)
    if listing is None:
        return None
    for listed in listing:
        article_id = str(listed["article_id"])
        folder = f"published/{_safe(article_id)}"
        news = _articles(build, listed, _earlier(build, "published", "article_id", article_id),
                         lambda: client.published_article(article_id), "articles")
        out.append({"article_id": article_id, "update_time": listed.get("update_time"),
                    "listing": _listing_key(listed), "folder": folder, "records": _saved(build, folder, news),
                    "content": {"news_item": news}})
    return out


def _drafts(client: WeChat, build: _Build) -> list[dict[str, Any]]:
    out = []
    for listed in client.drafts(content=False):
        if is_anchor_listing(listed):
            continue  # wxpub's ledger anchor (pipeline/anchor.py): a witness of the ledger, not an article
        media_id = str(listed["media_id"])
        folder = f"drafts/{_safe(media_id)}"

        def fetch(media_id: str = media_id) -> list[dict[str, Any]]:
            draft = client.get_draft(media_id)
            return list((draft or {}).get("news_item", []))

        news = _articles(build, listed, _earlier(build, "drafts", "media_id", media_id), fetch, "drafts")
        out.append({"media_id": media_id, "update_time": listed.get("update_time"), "listing": _listing_key(listed),
                    "folder": folder, "records": _saved(build, folder, news), "content": {"news_item": news}})
    return out


def _listed(item: Mapping[str, Any]) -> dict[str, Any]:
    """A publication or draft as the manifest records it (its HTML is in the files it names)."""
    return {**{k: item[k] for k in ("article_id", "media_id", "update_time", "listing") if k in item},
            "articles": item["records"]}


def _materials(client: WeChat, build: _Build) -> list[dict[str, Any]]:
    out = []
    for listed in client.materials():
        if listed.get("name") == THUMB_NAME:
            continue  # the anchor's generated cover, no article's image
        media_id = str(listed["media_id"])
        entry = {k: listed.get(k) for k in ("media_id", "name", "update_time", "url")}
        earlier = _earlier(build, "materials", "media_id", media_id)
        if earlier is not None and earlier.get("update_time") == listed.get("update_time") and build.reuse(earlier) is not None:
            build.reused["materials"] += 1
            out.append({**entry, **{k: earlier[k] for k in ("file", "sha256", "size")}})
            continue
        data = client.material_file(media_id)
        build.fetched["materials"] += 1
        out.append({**entry, **build.write(f"materials/{_safe(media_id)}.{_extension(data)}", data)})
    return out


def _extension(data: bytes) -> str:
    return next((ext for magic, ext in _MAGIC if data.startswith(magic)), "bin")


def image_urls(content: str) -> list[str]:
    """The images an article's HTML shows, in order (WeChat lazy-loads with data-src)."""
    found = []
    for element in check.parse(content).elements:
        if element.tag == "img":
            attrs = dict(element.attrs)
            url = (attrs.get("data-src") or attrs.get("src") or "").strip()
            if url and url not in found:
                found.append(url)
    return found


def _images(build: _Build, items: Iterable[Mapping[str, Any]], downloader: Downloader) -> tuple[tuple[str, str], ...]:
    """Every image the exported articles show, downloaded once ever (an earlier export's copy is
    reused: an image URL of WeChat's never changes what it serves)."""
    urls = dict.fromkeys(url for item in items for news in item["content"]["news_item"]
                         for url in image_urls(str(news.get("content", ""))))
    earlier = build.before.get("images", {})
    missing = []
    for url in urls:
        known = earlier.get(url) if isinstance(earlier, dict) else None
        if isinstance(known, dict) and build.reuse(known) is not None:
            build.images[url] = dict(known)
            build.reused["images"] += 1
            continue
        got = downloader.get(url)
        if isinstance(got, str):
            build.images[url] = {"missing": got}
            missing.append((url, got))
            continue
        build.fetched["images"] += 1
        digest = hashlib.sha256(got).hexdigest()
        build.images[url] = build.write(f"images/{digest[:32]}.{_extension(got)}", got)
    return tuple(missing)


def writable(out: Path) -> None:
    """Refuse, before any call to WeChat, a DIR that cannot be written (no half exports)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".probe-{secrets.token_hex(4)}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"备份目录无法写入:{os_reason(exc)}", where=str(out),
                        hint="用 -o 指定一个可写的目录,或检查该目录的权限与剩余空间") from None
    ignore = out / ".gitignore"
    if not ignore.exists():  # an export in the repository must never be committed to main by accident
        ignore.write_text("# wxpub backup: exports of WeChat's content, kept out of Git\n*\n", encoding="utf-8")


def failed(account: str, error: WeChatError | OSError) -> UserError:
    """Why one account's export stopped, for a person (nothing of it was kept)."""
    if isinstance(error, OSError):
        return UserError(f"账号 {account} 的备份写入失败:{os_reason(error)}", where=str(error.filename or ""),
                         hint="检查备份目录的权限与剩余空间后重新运行;未完成的导出已删除,此前的导出不受影响")
    return UserError(f"账号 {account} 的备份失败:{error}",
                     hint="按上面的提示处理后重新运行;未完成的导出已删除,此前的导出不受影响")

