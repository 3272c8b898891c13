"""Access tokens: `stable_token`, the plain `token`, and the check every other call passes.

WECHAT_API.md: stable_token returns the *same* token to every caller while it is valid
(7200 s; renewed in the last 5 minutes, old and new both valid then); force_refresh
invalidates the old one (20 a day, at least 30 s apart). The plain `token` issues a new
token on every call and retires the previous ones about 5 minutes later (2000 a day);
the two kinds do not affect each other.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from pipeline.sandbox.call import Call
from pipeline.sandbox.codes import ApiError
from pipeline.sandbox.store import Account, day_of, month_of

LIFETIME = 7200
RENEW_WINDOW = 300  # stable: a new token is issued in the last 5 minutes of the old one
PLAIN_GRACE = 300  # plain: earlier tokens stop working about 5 minutes after a new one
PLAIN_PER_DAY = 2000
FORCE_REFRESH_PER_DAY = 20
FORCE_REFRESH_GAP = 30
CLEAR_QUOTA_PER_MONTH = 10


def _account(call: Call, grant_type: Any, appid: Any, secret: Any) -> Account:
    if grant_type != "client_credential":
        raise ApiError(40002)
    if not appid:
        raise ApiError(41002)
    if not secret:
        raise ApiError(41004)
    account = call.store.account(call.db, str(appid))
    if account is None:
        raise ApiError(40013)
    if not hmac.compare_digest(str(secret).encode(), account.secret.encode()):
        raise ApiError(40125)
    return account


def _issue(call: Call, appid: str, kind: str) -> dict[str, Any]:
    token = f"sbx{call.store.next_number(call.db, 'token')}_{secrets.token_urlsafe(60)}"
    call.db.execute("INSERT INTO tokens (token, appid, kind, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                    (token, appid, kind, call.now, call.now + LIFETIME))
    return {"access_token": token, "expires_in": LIFETIME}


def stable_token(call: Call) -> dict[str, Any]:
    data = call.json()
    account = _account(call, data.get("grant_type"), data.get("appid"), data.get("secret"))
    if data.get("force_refresh") in (True, 1, "true"):
        return _force_refresh(call, account)
    row = call.db.execute("SELECT token, expires_at FROM tokens WHERE appid = ? AND kind = 'stable' AND revoked = 0 "
                          "ORDER BY expires_at DESC LIMIT 1", (account.appid,)).fetchone()
    if row is not None and row["expires_at"] - call.now > RENEW_WINDOW:
        return {"access_token": row["token"], "expires_in": int(row["expires_at"] - call.now)}
    return _issue(call, account.appid, "stable")


def _force_refresh(call: Call, account: Account) -> dict[str, Any]:
    today = day_of(call.now)
    if call.store.quota_used(call.db, account.appid, "stable_token:force", today) >= FORCE_REFRESH_PER_DAY:
        raise ApiError(45009, "force_refresh is limited to 20 a day")
    last = call.store.meta(call.db, f"force_refresh:{account.appid}", "")
    if last and call.now - float(last) < FORCE_REFRESH_GAP:
        raise ApiError(45011, "force_refresh needs 30 s between calls")
    call.store.use_quota(call.db, account.appid, "stable_token:force", today)
    call.store.set_meta(call.db, f"force_refresh:{account.appid}", str(call.now))
    call.db.execute("UPDATE tokens SET revoked = 1 WHERE appid = ? AND kind = 'stable'", (account.appid,))
    return _issue(call, account.appid, "stable")


def plain_token(call: Call) -> dict[str, Any]:
    query = call.request.query
    account = _account(call, query.get("grant_type"), query.get("appid"), query.get("secret"))
    today = day_of(call.now)
    if call.store.quota_used(call.db, account.appid, "token", today) >= PLAIN_PER_DAY:
        raise ApiError(45009)
    call.store.use_quota(call.db, account.appid, "token", today)
    call.db.execute("UPDATE tokens SET expires_at = MIN(expires_at, ?) WHERE appid = ? AND kind = 'plain'",
                    (call.now + PLAIN_GRACE, account.appid))
    return _issue(call, account.appid, "plain")


def authenticate(call: Call) -> None:
    """41001 without a token, 40001 for one never issued or revoked, 42001 once expired."""
    token = call.request.query.get("access_token", "")
    if not token:
        raise ApiError(41001)
    row = call.db.execute("SELECT appid, expires_at, revoked FROM tokens WHERE token = ?", (token,)).fetchone()
    if row is None or row["revoked"]:
        raise ApiError(40001)
    if row["expires_at"] <= call.now:
        raise ApiError(42001)
    call.account = call.store.account(call.db, row["appid"])
    if call.account is None:
        raise ApiError(40001)


def clear_quota(call: Call) -> dict[str, Any]:
    """`clear_quota {appid}`: resets today's API quotas, 10 times a month (WECHAT_API.md)."""
    appid = call.json().get("appid")
    if appid != call.appid:
        raise ApiError(40013)
    month = month_of(call.now)
    if call.store.quota_used(call.db, call.appid, "clear_quota", month) >= CLEAR_QUOTA_PER_MONTH:
        raise ApiError(48006)
    call.store.use_quota(call.db, call.appid, "clear_quota", month)
    call.db.execute("DELETE FROM quota WHERE appid = ? AND period = ?", (call.appid, day_of(call.now)))
    return {"errcode": 0, "errmsg": "ok"}
