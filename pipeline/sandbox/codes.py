"""WeChat's error codes as the sandbox answers them, and the one exception that carries them.

Sources, so a reader can check each code (all stored copies, see the final report):
- WECHAT_API.md (our shared facts): 40001/42001 token errors, 40013/40125 credentials,
  40164 IP whitelist, 40005/40009/45001 images, 45009 daily quota, 45028/45065 mass send,
  48001 unverified accounts on the publishing API.
- WeChat's global return code table ("全局返回码", Getting_Started/Global_Return_Code), as
  mirrored in public SDKs: 40002, 40003, 40004, 40007, 40008, 40012, 41001, 41002, 41004, 41005,
  43001, 43002, 44002, 44003, 44004, 45002 content, 45003 title, 45004 description,
  45008 article count, 47001 data format, 40097 invalid args.
- The mass-send page ("群发接口", clientmsgid section): 45065 "clientmsgid exist" (the answer
  carries the first msg_id), 45066, 45067 clientmsgid too long; 45028 "has no masssend quota".
- freepublish/getarticle's page: {"errcode":53600,"errmsg":"Article ID 无效"}.
- 40132 "invalid username" (a WeChat ID that is not one) and 43004 "require subscribe" (the
  receiver does not follow the account), both from the global table, answer a preview
  (message/mass/preview) to someone WeChat cannot deliver it to; 45009 answers a preview past
  the daily limit (about 100), as public reports of that endpoint show.
- 40164's errmsg names the caller's address, as WeChat words it in public reports:
  "invalid ip 101.45.43.1 ipv6 ::ffff:101.45.43.1, not in whitelist rid: ...".
- 45110 "author size out of limit": not in the global table, but what draft/add answers
  for a long author in many public reports.
"""

from __future__ import annotations

import secrets
from typing import Any

ERRMSG: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40005: "invalid file type",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40012: "invalid thumb size",
    40013: "invalid appid",
    40066: "invalid url",
    40097: "invalid args",
    40125: "invalid appsecret",
    40132: "invalid username",
    40164: "invalid ip, not in whitelist",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41005: "media data missing",
    42001: "access_token expired",
    43004: "require subscribe",
    43001: "require GET method",
    43002: "require POST method",
    44002: "empty post data",
    44003: "empty news data",
    44004: "empty content",
    45001: "media size out of limit",
    45002: "content size out of limit",
    45003: "title size out of limit",
    45004: "description size out of limit",
    45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit",
    45028: "has no masssend quota",
    45065: "clientmsgid exist",
    45067: "clientmsgid size out of limit",
    45110: "author size out of limit",
    47001: "data format error",
    48001: "api unauthorized",
    48006: "forbid to clear quota because of reaching the limit",
    53503: "该草稿未通过发布检查",
    53600: "Article ID 无效",
    61500: "date format error",  # datacube/* (statistics): a date not written YYYY-MM-DD
    61501: "date range error",  # datacube/*: a range longer than the endpoint allows, or not before today
}


def errmsg(errcode: int, detail: str = "") -> str:
    """WeChat's message for `errcode`, with a request id as WeChat appends one.

    The rid makes every message differ, as the real ones do, so no client can get away
    with comparing errmsg strings instead of errcodes."""
    base = ERRMSG.get(errcode, "sandbox injected error")
    if detail:
        base = f"{base}: {detail}"
    rid = "-".join(secrets.token_hex(4) for _ in range(3))
    return f"{base} rid: {rid}"


def not_whitelisted(ip: str) -> str:
    """40164's errmsg, naming the caller's address as WeChat does (IPv4 also as mapped IPv6)."""
    mapped = ip if ":" in ip else f"::ffff:{ip}"
    return errmsg(40164).replace("invalid ip,", f"invalid ip {ip} ipv6 {mapped},")


class ApiError(Exception):
    """A WeChat error answer: `{"errcode": N, "errmsg": "..."}` plus any extra fields."""

    def __init__(self, errcode: int, detail: str = "", **extra: Any) -> None:
        super().__init__(errcode, detail)
        self.errcode = errcode
        self.detail = detail
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"errcode": self.errcode, "errmsg": errmsg(self.errcode, self.detail), **self.extra}


class NotWhitelisted(ApiError):
    """40164 for a caller whose address is not on the account's IP whitelist."""

    def __init__(self, ip: str) -> None:
        super().__init__(40164)
        self.ip = ip

    def body(self) -> dict[str, Any]:
        return {"errcode": 40164, "errmsg": not_whitelisted(self.ip)}


class AdminError(ValueError):
    """A /sandbox/ admin request the sandbox cannot carry out (answered with HTTP 400)."""
