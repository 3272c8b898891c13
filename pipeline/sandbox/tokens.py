"""Access tokens: `stable_token`, the plain `token`, and the check every other call passes.

WECHAT_API.md: stable_token returns the *same* token to every caller while it is valid
(7200 s; renewed in the last 5 minutes, old and new both valid then); force_refresh
invalidates the old one (20 a day, at least 30 s apart). The plain `token` issues a new
token on every call and retires the previous ones about 5 minutes later (2000 a day);
the two kinds do not affect each other.

The IP whitelist (公众号后台 → 基本配置 → IP 白名单): an account that has one answers every
token request and every call from an address not on it with 40164, whose errmsg names the
address (codes.not_whitelisted). An account without one lets every caller through.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
from typing import Any, Mapping

from pipeline.sandbox.call import Call
from pipeline.sandbox.codes import AdminError, ApiError, NotWhitelisted
from pipeline.sandbox.store import Account, Store, day_of, month_of

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
    require_whitelisted(call, account.appid)
    return account


def _whitelist_key(appid: str) -> str:
    return f"ip_whitelist:{appid}"


def require_whitelisted(call: Call, appid: str) -> None:
    """40164 unless the caller's address is on the account's whitelist (or it keeps none)."""
    listed = call.store.meta(call.db, _whitelist_key(appid), "")
    if not listed:
        return
    ip = call.request.client_ip
    if _normal(ip) not in {_normal(entry) for entry in json.loads(listed)}:
        raise NotWhitelisted(ip)


def _normal(ip: str) -> str:
    """An address as one spelling: ::ffff:1.2.3.4 is 1.2.3.4."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


def set_whitelist(store: Store, spec: Mapping[str, Any]) -> list[str] | None:
    """/sandbox/whitelist {"appid", "ips": [addresses] | null}: null removes the whitelist."""
    appid, ips = spec.get("appid"), spec.get("ips")
    if not isinstance(appid, str) or not appid:
        raise AdminError("appid is required")
    if ips is not None:
        if not isinstance(ips, list) or not all(isinstance(ip, str) for ip in ips):
            raise AdminError("ips must be a list of IP addresses or null")
        for ip in ips:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise AdminError(f"not an IP address: {ip}") from None
    with store.transaction() as db:
        if store.account(db, appid) is None:
            raise AdminError(f"no account {appid}")
        store.set_meta(db, _whitelist_key(appid), json.dumps(ips) if ips is not None else "")
    return ips


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
    require_whitelisted(call, call.account.appid)


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
