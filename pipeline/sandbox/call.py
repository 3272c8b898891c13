"""One API call as a handler sees it: the request, the open transaction, the caller's account."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from pipeline.sandbox.codes import ApiError
from pipeline.sandbox.store import Account, Store


@dataclass(frozen=True)
class ApiRequest:
    """An HTTP request to /cgi-bin/<endpoint>, taken apart."""

    method: str
    endpoint: str
    query: Mapping[str, str]
    body: bytes = b""
    content_type: str = ""
    client_ip: str = ""  # the caller's address, checked against the account's IP whitelist


@dataclass
class Call:
    store: Store
    db: sqlite3.Connection
    now: float
    request: ApiRequest
    account: Account | None = None
    _json: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def acct(self) -> Account:
        """The authenticated account (set before any handler with `auth` runs)."""
        assert self.account is not None, "handler needs an authenticated call"
        return self.account

    @property
    def appid(self) -> str:
        return self.acct.appid

    def json(self) -> dict[str, Any]:
        """The JSON body. wechatpy sends JSON without a Content-Type, so none is required."""
        if self._json is None:
            self._json = parse_json(self.request.body)
        return self._json


def parse_json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise ApiError(44002)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(47001, "body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(47001, "body is not a JSON object")
    return data


def text_arg(data: Mapping[str, Any], name: str, *, missing: int = 40097) -> str:
    """A required string argument; `missing` is the errcode when it is absent or empty."""
    value = data.get(name)
    if value is None or value == "":
        raise ApiError(missing, f"{name} missing")
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ApiError(47001, f"{name} must be a string")
    return str(value)


def int_arg(data: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = data.get(name, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ApiError(47001, f"{name} must be an integer")
    try:
        number = int(value)
    except ValueError:
        raise ApiError(47001, f"{name} must be an integer") from None
    if not low <= number <= high:
        raise ApiError(40097, f"{name} must be between {low} and {high}")
    return number


def page_args(data: Mapping[str, Any], page_max: int) -> tuple[int, int]:
    """(offset, count) of a list endpoint (draft/batchget, freepublish/batchget,
    material/batchget_material): both are required by WeChat's documentation, count 1..20."""
    for name in ("offset", "count"):
        if data.get(name) is None:
            raise ApiError(40097, f"{name} missing")
    return int_arg(data, "offset", 0, 0, 10**9), int_arg(data, "count", page_max, 1, page_max)


@dataclass(frozen=True)
class FileAnswer:
    """An answer that is a file, not JSON: WeChat answers material/get_material of an image
    with the image's bytes."""

    data: bytes
    mime: str
    filename: str


Handler = Callable[[Call], "dict[str, Any] | FileAnswer"]


@dataclass(frozen=True)
class Endpoint:
    """How WeChat serves one endpoint: the handler, its HTTP method, whether it takes a token."""

    handler: Handler
    method: str = "POST"
    auth: bool = True
