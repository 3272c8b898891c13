"""The HTTP face of the sandbox: WeChat's /cgi-bin/ endpoints, the /sandbox/ admin API,
the pages, and request logs that never show a token or a secret.

Routes:
  /cgi-bin/<endpoint>        WeChat's API (errors as HTTP 200 + {"errcode", "errmsg"})
  /datacube/<endpoint>       WeChat's statistics (stats.py), ENDPOINTS key "datacube/<endpoint>"
  POST   /sandbox/accounts   register or update an account
  POST   /sandbox/faults     add faults;  DELETE /sandbox/faults clears them
  GET    /sandbox/state      everything, as JSON
  POST   /sandbox/reset      forget everything
  POST   /sandbox/clock      {"advance": seconds}: move the sandbox clock forward (every
                             answer's Date header tells the sandbox clock's time)
  POST   /sandbox/whitelist  {"appid", "ips": [...] | null}: the account's API IP whitelist
                             (null: none, every caller is let through; [] lets nobody through)
  POST   /sandbox/followers  {"appid", "followers": [{"openid", "wxname"?, "subscribed"?}],
                             "preview_per_day"?}: who follows the account (message/mass/preview
                             reaches only them) and the daily preview limit (default WeChat's 100)
  GET    /                   published articles per account
  GET    /article/<article_id>[?idx=N], /s/<key>   one article as WeChat shows it
  GET    /mmbiz/<name>       the bytes behind http://mmbiz.qpic.cn/sandbox/<name>; the same
                             bytes to a client using the sandbox as HTTP proxy for that URL
  POST   /sandbox/published/edit  {appid, article_id, index, title?, content?}: edit a
                             published article as a person does in the back end
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from pipeline.sandbox import backend, mass, pages, tokens
from pipeline.sandbox.call import ApiRequest, FileAnswer
from pipeline.sandbox.codes import AdminError, ApiError, errmsg, not_whitelisted
from pipeline.sandbox.core import Sandbox
from pipeline.sandbox.media import IMAGE_HOST

MAX_BODY = 32 * 1024 * 1024  # above add_material's 10 MB, so "too big" is WeChat's 40009
_SECRET_PARAMS = re.compile(r"(access_token|secret|appsecret)=[^&\s\"']*", re.IGNORECASE)
_SECRET_JSON = re.compile(r"(\"(?:access_token|secret)\"\s*:\s*\")[^\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with every access_token=... and secret=... value (query or JSON) replaced."""
    return _SECRET_JSON.sub(r"\1***", _SECRET_PARAMS.sub(r"\1=***", text))


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], sandbox: Sandbox, *, verbose: bool = False,
                 log: IO[str] | None = None) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)
        self.sandbox = sandbox
        self.verbose = verbose
        self.log = log

    def write_log(self, line: str) -> None:
        if self.verbose:
            stream = self.log or sys.stderr
            stream.write(redact(line) + "\n")
            stream.flush()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up is not the sandbox's problem; say so only when asked
        self.write_log(f"connection error from {client_address[0]}: {redact(traceback.format_exc(limit=2))}")


class _Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    timeout = 60  # idle keep-alive connections end instead of holding a thread forever
    server_version = "wxpub-sandbox"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        self.server.write_log(f"{self.address_string()} - {format % args}")

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")

    # -- plumbing --------------------------------------------------------------------------
    def _body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, b"request body too large", "text/plain; charset=utf-8")
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header tells the time by the sandbox's clock, as WeChat's tells its own:
        # the publisher checks the runner's clock against it
        return super().date_time_string(self.server.sandbox.now() if timestamp is None else timestamp)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, data: Any, status: int = 200) -> None:
        # WeChat's own header: "application/json; encoding=utf-8"
        self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; encoding=utf-8")

    def _html(self, text: str | None) -> None:
        if text is None:
            self._send(404, "<h1>404 找不到这篇文章</h1>".encode(), "text/html; charset=utf-8")
        else:
            self._send(200, text.encode("utf-8"), "text/html; charset=utf-8")

    def _drop(self) -> None:
        """Hang up without an answer, as a crashed or cut-off server would."""
        self.close_connection = True

    def _route(self, method: str) -> None:
        body = self._body()
        if body is None:
            return
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        try:
            if url.netloc:  # an absolute URL: the sandbox asked to act as the HTTP proxy to WeChat's image host
                self._proxied(method, url.netloc, url.path)
            elif url.path.startswith("/cgi-bin/datacube/"):  # WeChat has no statistics under /cgi-bin/
                self._json(ApiError(40066, "statistics are served under /datacube/").body())
            elif url.path.startswith("/cgi-bin/"):
                self._api(method, url.path.removeprefix("/cgi-bin/"), query, body)
            elif url.path.startswith("/datacube/"):  # statistics live beside /cgi-bin/, as on WeChat
                self._api(method, url.path.removeprefix("/"), query, body)
            elif url.path.startswith("/sandbox/"):
                self._admin(method, url.path.removeprefix("/sandbox/").strip("/"), body)
            else:
                self._page(method, url.path, query)
        except Exception:  # noqa: BLE001 - answer like WeChat's "system error" and keep serving
            self.server.write_log(f"sandbox error on {self.command} {url.path}:\n{traceback.format_exc()}")
            self._json(ApiError(-1, "sandbox bug, see its log").body())

    # -- /cgi-bin/ ---------------------------------------------------------------------------
    def _api(self, method: str, endpoint: str, query: dict[str, str], body: bytes) -> None:
        sandbox = self.server.sandbox
        request = ApiRequest(method=method, endpoint=endpoint, query=query, body=body,
                             content_type=self.headers.get("Content-Type", ""), client_ip=self.client_address[0])
        effect = sandbox.begin_call(request)
        if effect.delay and effect.drop != "after":
            time.sleep(effect.delay)
        if effect.drop == "before":
            return self._drop()
        answer: dict[str, Any] | FileAnswer
        if effect.errcode is not None:
            answer = {"errcode": effect.errcode, "errmsg": effect.errmsg or self._fault_errmsg(effect.errcode)}
        else:
            answer = sandbox.dispatch(request)
        if isinstance(answer, FileAnswer):  # material/get_material of an image: the bytes themselves
            if effect.drop == "after":
                return self._drop()
            return self._send(200, answer.data, answer.mime)
        if effect.drop == "after":
            # With a delay, the call has taken effect and the caller is left waiting: the moment a
            # crash test kills the client, to prove the ledger recovers what it never heard back
            if effect.delay:
                time.sleep(effect.delay)
            return self._drop()
        self._json(answer)

    def _fault_errmsg(self, errcode: int) -> str:
        if errcode == 40164:  # WeChat names the caller's address in this one
            return not_whitelisted(self.client_address[0])
        return errmsg(errcode, "sandbox fault")

    # -- /sandbox/ ---------------------------------------------------------------------------
    def _admin(self, method: str, path: str, body: bytes) -> None:
        route = ADMIN.get((method, path))
        if route is None:
            return self._json({"ok": False, "error": f"no {method} /sandbox/{path}"}, 404)
        try:
            spec = json.loads(body) if body.strip() else {}
            self._json(route(self.server.sandbox, spec))
        except (ValueError, AdminError) as exc:
            self._json({"ok": False, "error": str(exc)}, 400)

    def _proxied(self, method: str, host: str, path: str) -> None:
        """The bytes behind an image URL the sandbox gave out (http://mmbiz.qpic.cn/sandbox/...),
        for a client that uses the sandbox as its HTTP proxy: the very URL WeChat answered is
        fetched, and nothing leaves this machine. Any other host is refused."""
        if method != "GET" or host.lower() != urlsplit(IMAGE_HOST).netloc or not path.startswith("/sandbox/"):
            return self._send(403, b"the sandbox proxies its own image URLs only", "text/plain; charset=utf-8")
        self.server.sandbox.count_download(host.lower())  # so a test can tell an image was not fetched twice
        self._image(unquote(path.removeprefix("/sandbox/")))

    def _image(self, name: str) -> None:
        found = self.server.sandbox.image(name)
        if found is None:
            return self._send(404, b"no such image", "text/plain; charset=utf-8")
        self._send(200, found[0], found[1])

    # -- pages ------------------------------------------------------------------------------
    def _page(self, method: str, path: str, query: dict[str, str]) -> None:
        if method != "GET":
            return self._send(405, b"method not allowed", "text/plain; charset=utf-8")
        store = self.server.sandbox.store
        if path.startswith("/mmbiz/"):
            return self._image(unquote(path.removeprefix("/mmbiz/")))
        with store.transaction() as db:
            if path == "/":
                return self._html(pages.index(store, db))
            if path.startswith("/article/"):
                idx = int(query["idx"]) if query.get("idx", "").isdigit() else 1
                return self._html(pages.published_article(db, unquote(path.removeprefix("/article/")), idx))
            if path.startswith("/s/"):
                return self._html(pages.short_link(db, unquote(path.removeprefix("/s/"))))
        self._html(None)


def _object(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise AdminError("expected a JSON object")
    return spec


def _put_account(sandbox: Sandbox, spec: Any) -> dict[str, Any]:
    return {"ok": True, "account": sandbox.put_account(_object(spec)).public()}


def _add_faults(sandbox: Sandbox, spec: Any) -> dict[str, Any]:
    sandbox.add_faults(spec)
    return {"ok": True}


def _clear_faults(sandbox: Sandbox, _spec: Any) -> dict[str, Any]:
    sandbox.clear_faults()
    return {"ok": True}


def _state(sandbox: Sandbox, _spec: Any) -> dict[str, Any]:
    return sandbox.state()


def _reset(sandbox: Sandbox, _spec: Any) -> dict[str, Any]:
    sandbox.reset()
    return {"ok": True}


def _advance_clock(sandbox: Sandbox, spec: Any) -> dict[str, Any]:
    seconds = _object(spec).get("advance")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise AdminError("advance must be a number of seconds ≥ 0")
    return {"ok": True, "now": sandbox.advance_clock(float(seconds))}


def _whitelist(sandbox: Sandbox, spec: Any) -> dict[str, Any]:
    return {"ok": True, "ips": tokens.set_whitelist(sandbox.store, _object(spec))}


def _followers(sandbox: Sandbox, spec: Any) -> dict[str, Any]:
    return {"ok": True, **mass.set_audience(sandbox.store, _object(spec))}


ADMIN: dict[tuple[str, str], Callable[[Sandbox, Any], dict[str, Any]]] = {
    ("POST", "accounts"): _put_account,
    ("POST", "faults"): _add_faults,
    ("DELETE", "faults"): _clear_faults,
    ("GET", "state"): _state,
    ("POST", "reset"): _reset,
    ("POST", "clock"): _advance_clock,
    ("POST", "whitelist"): _whitelist,
    ("POST", "followers"): _followers,
    ("POST", "published/edit"): lambda sandbox, spec: backend.edit_published(sandbox.store, _object(spec)),
}


def make_server(state: Path, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False,
                log: IO[str] | None = None) -> ThreadingHTTPServer:
    """A sandbox HTTP server on `host:port` (0: any free port) over the state file `state`.
    Request logs (redacted) go to `log` (default stderr) only when `verbose`."""
    return SandboxServer((host, port), Sandbox(state), verbose=verbose, log=log)


def base_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    host = host if isinstance(host, str) else host.decode()
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def start_in_thread(state: Path, port: int = 0, *, verbose: bool = False,
                    log: IO[str] | None = None) -> tuple[ThreadingHTTPServer, str]:
    """Serve in a daemon thread; returns the server and its base URL (`http://127.0.0.1:PORT`).
    Call `server.shutdown()` when done: the socket is closed once the loop has stopped."""
    server = make_server(state, port=port, verbose=verbose, log=log)

    def serve() -> None:
        try:
            server.serve_forever(poll_interval=0.05)
        finally:
            server.server_close()

    threading.Thread(target=serve, name="wechat-sandbox", daemon=True).start()
    return server, base_url(server)
