"""`wxpub serve`: a local preview server with live reload, for writing articles.

`/` lists every article under PATH; `/<bundle path>/` is its phone preview, built on each
request, e.g. /content/official/publicity/2026-09-01-opening-ceremony/. Each page polls
`/__wxpub/version?page=...`, a fingerprint of the files it depends on (the bundle, the
themes, policies.yaml and the word lists), and reloads itself when that changes.

URLs are only ever looked up among the bundles found under PATH, never joined onto the
file system, so no request can read outside the repository. It binds to loopback unless
told otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import socket
import sys
import threading
from dataclasses import dataclass, field
from html import escape
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, quote, unquote, urlsplit

from pipeline.content import CONTENT_DIR, Article, find_bundles, load_article
from pipeline.commands import arguments
from pipeline.errors import ExitCode, UserError, os_reason
from pipeline.policies import POLICY_FILE, Policies, load_policies
from pipeline.preview import IndexEntry, build_index, build_preview, index_entry, live_reload_script, page
from pipeline.render.themes import THEMES_DIR, load_theme
from pipeline.snapshot import WorkTree

DEFAULT_PORT = 8000
LOOPBACK = "127.0.0.1"
VERSION_PATH = "/__wxpub/version"
_LOOPBACK_NAMES = ("127.0.0.1", "::1", "localhost")


def add_parser(subparsers: argparse._SubParsersAction, help_text: str) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("serve", help=help_text, description=help_text)
    p.add_argument("path", nargs="?", type=Path, default=None, metavar="PATH",
                   help="要预览的目录(默认 content/)")
    p.add_argument("--port", type=arguments.port, default=DEFAULT_PORT, metavar="N", help=f"端口(默认 {DEFAULT_PORT};0 表示自动选择)")
    p.add_argument("--host", default=LOOPBACK, metavar="HOST",
                   help="监听地址(默认 127.0.0.1,只有本机能访问;改为 0.0.0.0 会让局域网内的人都能访问)")
    p.add_argument("--theme", metavar="NAME", help="使用 themes/ 下的其他主题(默认按账号设置)")
    p.set_defaults(run=run)


# -- what a page depends on -----------------------------------------------------------------
def _fingerprint(files: list[Path]) -> str:
    """Names, sizes and modification times: cheap to take every half second, and any save changes it."""
    digest = hashlib.sha256()
    for path in sorted(files):
        try:
            stat = path.stat()
        except OSError:
            continue
        # surrogateescape: a name that is not UTF-8 is still bytes to fingerprint (lint says ART001)
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:16]


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []


@dataclass
class Site:
    """The repository being previewed, with what is cached between requests."""

    root: Path
    base: Path  # the folder whose articles are listed (absolute, inside root)
    theme: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _policies: tuple[str, Policies] | None = None
    _themes_version: str = ""

    def policy_files(self) -> list[Path]:
        return [self.root / POLICY_FILE, *_files_under(self.root / "policies")]

    def theme_files(self) -> list[Path]:
        return _files_under(self.root / THEMES_DIR)

    def bundles(self) -> dict[str, PurePosixPath]:
        """URL path (`content/.../slug`) -> index.md, for every article under `base`."""
        return {str(b.parent): b for b in find_bundles(self.root, [self.base])}

    def version(self, bundle: PurePosixPath | None) -> str:
        """The fingerprint of a page: its bundle (or, for the index, every index.md), themes, policy."""
        if bundle is None:
            own = [self.root / b for b in self.bundles().values()]
        else:
            own = _files_under(self.root / bundle.parent)
        return _fingerprint([*own, *self.theme_files(), *self.policy_files()])

    def policies(self) -> Policies:
        """The policy, reloaded when its files change; theme caches dropped when a theme changes."""
        with self._lock:
            themes = _fingerprint(self.theme_files())
            if themes != self._themes_version:
                load_theme.cache_clear()
                self._themes_version = themes
            version = _fingerprint(self.policy_files())
            if self._policies is None or self._policies[0] != version:
                self._policies = (version, load_policies(self.root))
            return self._policies[1]


# -- pages ----------------------------------------------------------------------------------
def _version_url(key: str) -> str:
    return f"{VERSION_PATH}?page={quote(key, safe='', errors='surrogateescape')}"


def _error_page(title: str, error: UserError, live: tuple[str, str]) -> str:
    where = f"<p class=facts><code>{_escape(error.where)}</code></p>" if error.where else ""
    hint = f"<p class=note>提示：{_escape(error.hint)}</p>" if error.hint else ""
    body = (f'<header class="top"><h1>{_escape(title)}<span class=live>实时预览</span></h1>{where}'
            f'<p class="problem" style="color:#c0392b;white-space:pre-wrap">{_escape(error.message)}</p>{hint}'
            "<p class=note>保存修改后本页会自动刷新。</p></header>")
    return page(title, body, script=live_reload_script(*live))


def _escape(text: str) -> str:
    return escape(text, quote=True)


def render_index(site: Site) -> str:
    live = (_version_url(""), site.version(None))
    policies = site.policies()
    entries: list[IndexEntry] = []
    for key, bundle in site.bundles().items():
        loaded = load_article(WorkTree(site.root), bundle)
        if isinstance(loaded, Article):
            entries.append(index_entry(loaded, policies, f"/{quote(key, errors='surrogateescape')}/"))
        else:
            entries.append(IndexEntry(f"/{quote(key, errors='surrogateescape')}/", bundle.parent.name, bundle.parts[1] if len(bundle.parts) > 1 else "",
                                      "", str(bundle), problem=f"第 {loaded.line} 行:{loaded.code} {loaded.message}"))
    note = f"共 {len(entries)} 篇文章；保存文件后预览页会自动刷新"
    return build_index(entries, heading=f"文章预览 · {site.base.relative_to(site.root).as_posix() or '.'}", note=note, live=live)


def render_article_page(site: Site, bundle: PurePosixPath) -> tuple[int, str]:
    live = (_version_url(str(bundle.parent)), site.version(bundle))
    try:
        policies = site.policies()
        loaded = load_article(WorkTree(site.root), bundle)
        if not isinstance(loaded, Article):
            # as lint says it (file:line:column, the code the editors' guide explains), and no
            # hint: the page itself says that saving reloads it
            raise UserError(f"错误 {loaded.code} {loaded.message}", where=f"{loaded.path}:{loaded.line}:{loaded.column}")
        return 200, build_preview(loaded, policies, theme=site.theme, live=live)
    except UserError as exc:
        return 500, _error_page(f"无法预览 {bundle.parent.name}", exc, live)


# -- HTTP -----------------------------------------------------------------------------------
class Handler(http.server.BaseHTTPRequestHandler):
    site: Site  # set on the subclass made per server
    server_version = "wxpub-serve"

    def do_GET(self) -> None:  # noqa: N802 - the http.server naming
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    def _answer(self, *, head: bool) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        try:
            if path == VERSION_PATH:
                status, body, kind = self._version(parse_qs(parts.query).get("page", [""])[0])
            elif path in ("/", "/index.html"):
                status, body, kind = 200, render_index(self.site), "text/html"
            else:
                bundle = self.site.bundles().get(path.strip("/"))
                if bundle is None:
                    status, body, kind = 404, self._not_found(), "text/html"
                else:
                    status, html = render_article_page(self.site, bundle)
                    body, kind = html, "text/html"
        except UserError as exc:  # e.g. policies.yaml broken: say so in the page, keep serving
            status, body, kind = 500, _error_page("无法预览", exc, (_version_url(""), self.site.version(None))), "text/html"
        self._send(status, body.encode("utf-8", "replace"), kind, head=head)  # a non-UTF-8 folder name is listed as ?

    def _version(self, key: str) -> tuple[int, str, str]:
        if not key:
            return 200, self.site.version(None), "text/plain"
        bundle = self.site.bundles().get(key)
        if bundle is None:  # the article was removed or renamed: the page reloads into a 404
            return 200, "gone", "text/plain"
        return 200, self.site.version(bundle), "text/plain"

    def _not_found(self) -> str:
        body = ('<header class="top"><h1>找不到这个页面</h1>'
                '<p class="note">只能预览所选目录中的文章。<a href="/">返回文章列表</a></p></header>')
        return page("找不到页面", body)

    def _send(self, status: int, body: bytes, kind: str, *, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        """Quiet: the pages poll twice a second, a line per request would drown everything."""


def make_server(site: Site, host: str, port: int) -> http.server.ThreadingHTTPServer:
    handler = type("SiteHandler", (Handler,), {"site": site})
    server_class = type("SiteServer", (http.server.ThreadingHTTPServer,),
                        {"address_family": socket.AF_INET6 if ":" in host else socket.AF_INET})
    try:
        server: http.server.ThreadingHTTPServer = server_class((host, port), handler)
    except OSError as exc:
        raise UserError(f"无法在 {host}:{port} 上启动服务:{os_reason(exc)}",
                        hint="端口可能已被占用:用 --port 指定其他端口,或 --port 0 自动选择") from None
    server.daemon_threads = True
    return server


def _base(root: Path, path: Path | None) -> Path:
    base = ((path if path.is_absolute() else Path.cwd() / path) if path is not None else root / CONTENT_DIR).resolve()
    if not base.is_dir():
        raise UserError(f"目录不存在:{path or CONTENT_DIR}", hint="给出 content/ 或其下的目录")
    if not base.is_relative_to(root.resolve()):
        raise UserError(f"目录不在仓库 {root} 之内:{path}", hint="只能预览仓库中的文章")
    return base


def run(args: argparse.Namespace) -> int:
    root: Path = args.root.resolve()
    site = Site(root=root, base=_base(root, args.path), theme=args.theme)
    site.policies()  # fail now, with the message, if the policy cannot be read
    server = make_server(site, args.host, args.port)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    shown = f"[{host}]" if ":" in host else host
    print(f"预览服务已启动:http://{shown}:{port}/  (按 Ctrl+C 停止)", flush=True)
    if args.host not in _LOOPBACK_NAMES:
        print(f"注意:正在监听 {args.host},同一网络中的其他人也能看到这些未发布的文章", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        print("预览服务已停止", file=sys.stderr)
    finally:
        server.server_close()
    return ExitCode.OK
