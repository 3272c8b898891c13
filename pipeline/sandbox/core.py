"""The `Sandbox`: the endpoint table, the path of one API call, and the admin operations.

One API call goes: count it and find the faults due (committed on its own, so a dropped
or failed call is still counted) → the server applies delay/drop/errcode → otherwise
method check, token check and the handler run in one transaction, rolled back if the
handler answers an error.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict
from pathlib import Path
from typing import Any, Mapping

from pipeline.sandbox import drafts, mass, media, publishing, stats, tokens
from pipeline.sandbox.call import ApiRequest, Call, Endpoint, FileAnswer
from pipeline.sandbox.codes import AdminError, ApiError
from pipeline.sandbox.faults import Effect, add_faults, clear_faults, effect_for_call, listing
from pipeline.sandbox.store import ACCOUNT_TYPES, Account, Store, loads

ENDPOINTS: dict[str, Endpoint] = {
    "token": Endpoint(tokens.plain_token, method="GET", auth=False),
    "stable_token": Endpoint(tokens.stable_token, auth=False),  # POST only (WECHAT_API.md)
    "clear_quota": Endpoint(tokens.clear_quota),
    "media/uploadimg": Endpoint(media.uploadimg),
    "material/add_material": Endpoint(media.add_material),
    "material/batchget_material": Endpoint(media.batchget_material),
    "material/get_materialcount": Endpoint(media.get_materialcount, method="GET"),
    "material/get_material": Endpoint(media.get_material),
    "draft/add": Endpoint(drafts.add),
    "draft/get": Endpoint(drafts.get),
    "draft/update": Endpoint(drafts.update),
    "draft/delete": Endpoint(drafts.delete),
    "draft/count": Endpoint(drafts.count, method="GET"),  # the one GET of the draft box
    "draft/batchget": Endpoint(drafts.batchget),
    "freepublish/submit": Endpoint(publishing.submit),
    "freepublish/get": Endpoint(publishing.get),
    "freepublish/batchget": Endpoint(publishing.batchget),
    "freepublish/getarticle": Endpoint(publishing.getarticle),
    "freepublish/delete": Endpoint(publishing.delete),
    "message/mass/sendall": Endpoint(mass.sendall),
    "message/mass/get": Endpoint(mass.get),
    "message/mass/delete": Endpoint(mass.delete),
    "message/mass/preview": Endpoint(mass.preview),
    "datacube/getarticleread": Endpoint(stats.getarticleread),  # served under /datacube/, as WeChat does
    "datacube/getarticleshare": Endpoint(stats.getarticleshare),
}

ACCOUNT_DEFAULTS: dict[str, Any] = {"type": "service", "verified": True, "publish_delay_polls": 1,
                                    "publish_delay_seconds": 0.0, "publish_get_quota": 100}


class Sandbox:
    """The WeChat sandbox over one state file (shared by every process that opens it)."""

    def __init__(self, state: Path) -> None:
        self.store = Store(Path(state))

    # -- API calls ------------------------------------------------------------------------
    def begin_call(self, request: ApiRequest) -> Effect:
        """Count the call (per endpoint and account) and return the faults due on it."""
        with self.store.transaction() as db:
            appid = self._caller(db, request)
            self.store.count_call(db, request.endpoint, appid)
            effect = effect_for_call(db, request.endpoint, appid)
            for endpoint, body in effect.writes:
                self._another_writer(db, appid, endpoint, body)
            return effect

    def _another_writer(self, db: sqlite3.Connection, appid: str, endpoint: str, body: str) -> None:
        """One call of another writer of the account (a fault's `writes`), answered to nobody:
        it takes effect as that call alone would, or, refused, changes nothing."""
        account = self.store.account(db, appid)
        if account is None:
            return
        self.store.count_call(db, endpoint, appid)
        call = Call(self.store, db, self.store.now(db), ApiRequest("POST", endpoint, {}, body.encode("utf-8")), account)
        db.execute("SAVEPOINT another_writer")
        try:
            ENDPOINTS[endpoint].handler(call)
        except ApiError:
            db.execute("ROLLBACK TO another_writer")
        db.execute("RELEASE another_writer")

    def dispatch(self, request: ApiRequest) -> dict[str, Any] | FileAnswer:
        """The WeChat answer to one call (errors included: WeChat answers them with HTTP 200)."""
        endpoint = ENDPOINTS.get(request.endpoint)
        if endpoint is None:
            return ApiError(40066, f"the sandbox has no /cgi-bin/{request.endpoint}").body()
        try:
            with self.store.transaction() as db:
                call = Call(self.store, db, self.store.now(db), request)
                if request.method != endpoint.method:
                    raise ApiError(43002 if endpoint.method == "POST" else 43001)
                if endpoint.auth:
                    tokens.authenticate(call)
                return endpoint.handler(call)
        except ApiError as error:
            return error.body()

    def _caller(self, db: sqlite3.Connection, request: ApiRequest) -> str:
        """The appid a call is made for, as far as it can be told before checking anything."""
        if request.endpoint == "token":
            return request.query.get("appid", "")
        if request.endpoint == "stable_token":
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                return ""
            return str(body.get("appid", "")) if isinstance(body, dict) else ""
        row = db.execute("SELECT appid FROM tokens WHERE token = ?", (request.query.get("access_token", ""),)).fetchone()
        return str(row["appid"]) if row else ""

    # -- administration (the /sandbox/ endpoints) -------------------------------------------
    def put_account(self, spec: Mapping[str, Any]) -> Account:
        """Register an account or update the fields given for a known one."""
        appid = spec.get("appid")
        if not isinstance(appid, str) or not appid:
            raise AdminError("appid is required")
        with self.store.transaction() as db:
            old = self.store.account(db, appid)
        unknown = sorted(set(spec) - set(ACCOUNT_DEFAULTS) - {"appid", "secret", "name"})
        if unknown:
            raise AdminError(f"unknown account fields: {', '.join(unknown)}")
        fields: dict[str, Any] = {**ACCOUNT_DEFAULTS, "name": appid, **(asdict(old) if old else {}), **spec}
        if not isinstance(fields.get("secret"), str) or not fields["secret"]:
            raise AdminError("secret is required for a new account")
        if fields["type"] not in ACCOUNT_TYPES:
            raise AdminError("type must be subscription or service")
        if not isinstance(fields["verified"], bool):
            raise AdminError("verified must be true or false")
        try:
            account = Account(appid=appid, secret=fields["secret"], name=str(fields["name"]), type=fields["type"],
                              verified=bool(fields["verified"]), publish_delay_polls=int(fields["publish_delay_polls"]),
                              publish_delay_seconds=float(fields["publish_delay_seconds"]),
                              publish_get_quota=int(fields["publish_get_quota"]))
        except (TypeError, ValueError) as exc:
            raise AdminError(f"bad account field: {exc}") from None
        if min(account.publish_delay_polls, account.publish_delay_seconds, account.publish_get_quota) < 0:
            raise AdminError("publish_delay_polls, publish_delay_seconds and publish_get_quota must be ≥ 0")
        self.store.put_account(account)
        return account

    def add_faults(self, specs: Any) -> None:
        add_faults(self.store, specs, ENDPOINTS)

    def clear_faults(self) -> None:
        clear_faults(self.store)

    def reset(self) -> None:
        self.store.reset()

    def advance_clock(self, seconds: float) -> float:
        return self.store.advance_clock(seconds)

    def now(self) -> float:
        """The sandbox's clock (the wall clock plus what tests advanced it by), read outside any
        transaction: a page may be answered while its own transaction is still open."""
        db = self.store.connect()
        try:
            return self.store.now(db)
        finally:
            db.close()

    def count_download(self, host: str) -> None:
        """Count a fetch of an image URL (as the calls of `host`, e.g. mmbiz.qpic.cn, in the state)."""
        with self.store.transaction() as db:
            self.store.count_call(db, host, "")

    def image(self, name: str) -> tuple[bytes, str] | None:
        with self.store.transaction() as db:
            return media.image(db, name)

    def state(self) -> dict[str, Any]:
        """Everything, as JSON for tests: no secrets, no image bytes, token fingerprints only."""
        with self.store.transaction() as db:
            return _snapshot(self.store, db)


def _rows(db: sqlite3.Connection, sql: str, json_columns: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [{k: (loads(row[k]) if k in json_columns else row[k]) for k in row.keys()} for row in db.execute(sql)]


def _previews(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """The preview messages sent, each with what it `shows` when opened now: WeChat does not
    document that a preview keeps a snapshot, so the sandbox opens the draft as it is now (its
    articles' titles and content), or None once the draft is gone (deleted, published, sent)."""
    drafts = {row["media_id"]: loads(row["articles"]) for row in db.execute("SELECT media_id, articles FROM drafts")}
    return [{**row, "shows": ([{"title": a["title"], "content": a["content"]} for a in drafts[row["media_id"]]]
                              if row["media_id"] in drafts else None)}
            for row in _rows(db, "SELECT * FROM previews ORDER BY sent_at, rowid")]


def _snapshot(store: Store, db: sqlite3.Connection) -> dict[str, Any]:
    calls: dict[str, int] = {}
    by_account: dict[str, dict[str, int]] = {}
    for row in db.execute("SELECT endpoint, appid, SUM(count) AS n FROM calls GROUP BY endpoint, appid"):
        calls[row["endpoint"]] = calls.get(row["endpoint"], 0) + int(row["n"])
        by_account.setdefault(row["appid"], {})[row["endpoint"]] = int(row["n"])
    accounts = [a.public() for a in (store.account(db, r["appid"]) for r in db.execute(
        "SELECT appid FROM accounts ORDER BY appid")) if a]
    token_rows = [{"fingerprint": "sha256:" + hashlib.sha256(r["token"].encode()).hexdigest()[:12],
                   **{k: r[k] for k in ("appid", "kind", "issued_at", "expires_at")}, "revoked": bool(r["revoked"])}
                  for r in db.execute("SELECT * FROM tokens ORDER BY issued_at")]
    return {
        "now": store.now(db),
        "accounts": accounts,
        "calls": calls,
        "calls_by_account": by_account,
        "tokens": token_rows,
        "quota": _rows(db, "SELECT * FROM quota ORDER BY appid, api, period"),
        "uploads": _rows(db, "SELECT * FROM uploads ORDER BY created_at, rowid"),
        "materials": _rows(db, "SELECT * FROM materials ORDER BY created_at, rowid"),
        "drafts": _rows(db, "SELECT * FROM drafts ORDER BY created_at, rowid", ("articles",)),
        "publications": _rows(db, "SELECT * FROM publications ORDER BY submitted_at, rowid",
                              ("articles", "fail_idx", "forced")),
        "mass_sends": _rows(db, "SELECT * FROM mass_sends ORDER BY sent_at, rowid", ("articles", "filter")),
        "previews": _previews(db),
        "faults": listing(db),
    }
