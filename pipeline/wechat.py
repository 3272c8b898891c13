"""The WeChat Official Account API, as the publisher needs it, on top of wechatpy.

wechatpy 2.0.0a26 wraps draft/* and freepublish/*, but fetches tokens with the plain
`cgi-bin/token`, which invalidates the token of every other system sharing the account
(menus, auto-replies). We override that with `stable_token`, fetch it once per run, make
the base URL configurable (WeChat or the local sandbox), and cap token retries (wechatpy
retries expired tokens by unbounded recursion). Every error leaves here as `WeChatError`
with a Chinese message saying what a person should do, and with secrets redacted.
"""

from __future__ import annotations

import datetime
import email.utils
import io
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, TypeVar

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from pipeline.errors import UserError
from pipeline.policies import Account

WECHAT_API = "https://api.weixin.qq.com/cgi-bin/"
T = TypeVar("T")
LIST_PAGE = 20  # the most draft/batchget, freepublish/batchget and material/batchget_material give
LIST_READS = 3  # reads of a list from its start before a list that never holds still is refused

# Errors a retry can fix (system busy) and token errors a fresh token fixes
BUSY = -1
TOKEN_ERRORS = (40001, 42001)
QUOTA_ERRORS = (45009, 45028)
NO_PUBLISHING_API = 48001

_ADVICE = {
    40164: "调用接口的 IP 不在该公众号的 IP 白名单中。请在公众号后台「设置与开发 → 基本配置 → IP 白名单」加入发布机器的出口 IP;"
           "GitHub 托管的 runner 出口 IP 不固定,请使用固定出口 IP 的自托管 runner(或固定 IP 的中转)运行发布任务",
    40013: "AppID 无效:请检查 policies.yaml 中 appid_env 所指的环境变量(CI secret)是否填对",
    40125: "AppSecret 无效:请检查 secret_env 所指的环境变量(CI secret);若密钥已重置,请更新 CI secret",
    48001: "该账号没有接口权限:自 2025 年起,未认证账号不能通过接口发表。请把 policies.yaml 中该账号的 publish_mode 改为 draft,"
           "由运营人员在公众号后台手动发表;或完成微信认证",
    45009: "今日接口调用次数已达上限:本次运行已停止,其余文章留在队列中,明日(或在后台清零配额后)由定时任务继续发布",
    45028: "群发次数已用完(订阅号每天 1 次,服务号每月 4 次):文章留在队列中,额度恢复后继续",
    40005: "文件类型不受支持:正文图片只能是 JPG/PNG",
    40009: "图片过大:正文图片须小于 1 MB",
    45001: "媒体文件过大",
    -1: "微信系统繁忙,请稍后重试",
    61500: "统计接口的日期格式不对(应为 YYYY-MM-DD):这是 wxpub 的缺陷,请报告",
    61501: "统计接口的日期范围不对:一次只能查询一天,且最晚是昨天(北京时间);请确认本机时钟正确",
}


class WeChatError(Exception):
    """A WeChat API error, or a failure to reach WeChat, with advice for a person."""

    def __init__(self, endpoint: str, errcode: int | None, errmsg: str, advice: str = "",
                 body: Mapping[str, Any] | None = None) -> None:
        self.endpoint = endpoint
        self.errcode = errcode
        self.errmsg = errmsg
        self.body = dict(body or {})  # the whole error answer, e.g. 45065 carries the first msg_id
        self.advice = advice or _ADVICE.get(errcode or 0, "")
        if errcode is not None and 53500 <= errcode < 53600:
            self.advice = f"草稿未通过微信发表前的检查:{errmsg};请按提示修改文章后重新提交"
        super().__init__(str(self))

    @property
    def transient(self) -> bool:
        return self.errcode in (BUSY, None)

    @property
    def no_publishing_api(self) -> bool:
        """48001 from a freepublish/* API: since July 2025 an unverified account has none (it
        saves drafts, and people publish them by hand), so it has no publication list to read."""
        return self.errcode == NO_PUBLISHING_API and self.endpoint.startswith("freepublish/")

    def __str__(self) -> str:
        code = f"errcode {self.errcode}" if self.errcode is not None else "网络错误"
        text = f"微信接口 {self.endpoint} 失败({code}: {self.errmsg})"
        return f"{text}。{self.advice}" if self.advice else text


class UnsettledList(WeChatError):
    """A list that changed under every read of it (`WeChat._pages`): every call answered, so
    there is no errcode; retrying later is the fix."""

    def __str__(self) -> str:
        return f"微信接口 {self.endpoint} 的列表无法读完整:{self.errmsg}。{self.advice}"


@dataclass(frozen=True)
class Credentials:
    appid: str
    secret: str = field(repr=False)


def credentials_for(account: Account, environ: Mapping[str, str]) -> Credentials:
    """The account's AppID and AppSecret from the environment variables the policy names (R16)."""
    missing = [name for name in (account.appid_env, account.secret_env) if not environ.get(name)]
    if missing:
        raise UserError(f"账号「{account.name}」缺少凭据:环境变量 {', '.join(missing)} 未设置",
                        hint="在 CI 的 environment secrets 中设置它们;本地试用请加 --sandbox 使用内置沙箱")
    return Credentials(environ[account.appid_env], environ[account.secret_env])


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json() if response is not None else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class Redactor:
    """Replaces every known secret (AppSecret, access tokens) in text that leaves the process."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, secret: str) -> None:
        if secret and len(secret) >= 6:
            self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return re.sub(r"(access_token|secret)=[^&\s]+", r"\1=***", text)


class UnreadableAnswer(requests.RequestException):
    """WeChat's answer was not the JSON object the endpoint documents (a gateway's error page
    with HTTP 200, a cut-off body, a field missing). It says nothing about whether the call
    took effect, so it is handled like a lost answer: an unknown outcome, never a result."""


def _field(result: Mapping[str, Any], key: str, endpoint: str) -> str:
    """One field of a success answer; a success without it is an unknown outcome, not a crash."""
    if key not in result:
        raise WeChatError(endpoint, None, f"微信的回答缺少 {key},无法确认调用是否生效")
    return str(result[key])


def KEEP_FILE(result: Any) -> Any:  # noqa: N802 - a marker passed as wechatpy's result_processor
    """Marks a call whose answer may be a file (material/get_material of an image)."""
    return result


class _StableTokenClient(WeChatClient):  # type: ignore[misc]
    """wechatpy's client with the stable token endpoint and no unbounded token retries."""

    def __init__(self, credentials: Credentials, base_url: str, timeout: float, redact: Redactor) -> None:
        super().__init__(credentials.appid, credentials.secret, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = base_url
        self._redact = redact

    def _handle_result(self, res: Any, method: Any = None, url: Any = None,
                       result_processor: Callable[[Any], Any] | None = None, **kwargs: Any) -> Any:
        # wechatpy hands back the raw Response when the body is not JSON, and its processors
        # index the answer (x["url"]): either would surface far from the call as a TypeError
        decoded = res if isinstance(res, dict) else self._decode_result(res)
        if result_processor is KEEP_FILE:  # an endpoint that answers with a file: its bytes, or its JSON error
            if not isinstance(decoded, dict):
                return res
            result_processor = None
        if not isinstance(decoded, dict):
            raise UnreadableAnswer(f"answer is not a JSON object (HTTP {getattr(res, 'status_code', '?')})")

        def processed(result: Any) -> Any:
            try:
                return result_processor(result) if result_processor else result
            except (KeyError, TypeError):
                raise UnreadableAnswer("answer lacks a documented field") from None

        return super()._handle_result(res, method, url, processed, **kwargs)

    def fetch_access_token(self, force_refresh: bool = False) -> dict[str, Any]:
        response = self._http.post(
            url=f"{self.API_BASE_URL}stable_token",
            json={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                  "force_refresh": force_refresh},
            timeout=self.timeout,
        )
        result = response.json()
        if not isinstance(result, dict):
            raise UnreadableAnswer("stable_token answer is not a JSON object")
        if result.get("errcode"):
            raise WeChatError("stable_token", int(result["errcode"]), str(result.get("errmsg", "")))
        if "access_token" not in result:
            raise UnreadableAnswer("stable_token answer lacks access_token")
        token = str(result["access_token"])
        self._redact.add(token)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, token, expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result


def server_time(base_url: str, timeout: float) -> datetime.datetime | None:
    """The time by WeChat's clock: the Date header of an answer from the API host (a HEAD
    request, which no API counts against a quota). None when no answer or no readable Date.
    The moment is taken halfway through the round trip."""
    started = time.monotonic()
    try:
        response = requests.head(base_url, timeout=timeout, allow_redirects=False)
    except requests.RequestException:
        return None
    header = response.headers.get("Date", "")
    try:
        told = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if told.tzinfo is None:
        return None
    return told + datetime.timedelta(seconds=(time.monotonic() - started) / 2)


class WeChat:
    """One account's API for one run: one token, counted calls, redacted errors."""

    def __init__(self, credentials: Credentials, *, base_url: str = WECHAT_API, timeout: float = 30,
                 retries: int = 3, backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.redact = Redactor()
        self.redact.add(credentials.secret)
        base = base_url if base_url.endswith("/") else base_url + "/"
        self._client = _StableTokenClient(credentials, base, timeout, self.redact)
        # Statistics live beside /cgi-bin/ under /datacube/ (https://api.weixin.qq.com/datacube/)
        self._datacube = base.removesuffix("cgi-bin/") + "datacube/"
        self.calls: Counter[str] = Counter()
        self.used_up: dict[str, WeChatError] = {}  # APIs whose daily quota ran out during this run
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep

    # -- the call wrapper ----------------------------------------------------------------
    def _call(self, endpoint: str, fn: Callable[[], T], *, idempotent: bool) -> T:
        """Run one API call. A stale token is refreshed once and the call repeated once (safe:
        WeChat rejected it before doing anything). Busy and network errors are retried with
        back-off only when repeating the call cannot duplicate anything."""
        if endpoint in self.used_up:  # this API's quota is over for the day: no call would succeed
            raise self.used_up[endpoint]
        attempt, token_retried = 0, False
        while True:
            self.calls[endpoint] += 1
            try:
                return fn()
            except WeChatClientException as exc:
                error = WeChatError(endpoint, exc.errcode, self.redact(str(exc.errmsg)), body=_json(exc.response))
            except requests.RequestException as exc:
                error = WeChatError(endpoint, None, self.redact(type(exc).__name__ + ": " + str(exc)))
            except WeChatError as exc:  # from the token fetch
                raise WeChatError(exc.endpoint, exc.errcode, self.redact(exc.errmsg)) from None
            if error.errcode in TOKEN_ERRORS and not token_retried:
                token_retried = True
                self.calls["stable_token"] += 1
                try:
                    self._client.fetch_access_token()
                except requests.RequestException as exc:  # the refresh got no (readable) answer
                    raise WeChatError("stable_token", None, self.redact(type(exc).__name__ + ": " + str(exc))) from None
                except WeChatError as exc:
                    raise WeChatError(exc.endpoint, exc.errcode, self.redact(exc.errmsg)) from None
                continue
            if error.transient and idempotent and attempt < self._retries:
                self._sleep(self._backoff * 2 ** attempt)
                attempt += 1
                continue
            if error.errcode in QUOTA_ERRORS:
                self.used_up[endpoint] = error
            raise error from None

    def token(self) -> None:
        """Fetch the access token now (once per run), so credential problems surface first."""
        self._call("stable_token", lambda: self._client.access_token, idempotent=True)

    # -- images ---------------------------------------------------------------------------
    def upload_body_image(self, data: bytes, filename: str) -> str:
        """media/uploadimg: a URL usable inside article content (jpg/png, < 1 MB)."""
        return str(self._call("media/uploadimg", lambda: self._client.media.upload_image((filename, io.BytesIO(data))),
                              idempotent=False))

    def upload_cover(self, data: bytes, filename: str) -> tuple[str, str]:
        """material/add_material type=image: a permanent media_id for thumb_media_id."""
        result = self._call("material/add_material",
                            lambda: self._client.material.add("image", (filename, io.BytesIO(data))), idempotent=False)
        return _field(result, "media_id", "material/add_material"), str(result.get("url", ""))

    # -- drafts ---------------------------------------------------------------------------
    def add_draft(self, articles: list[dict[str, Any]]) -> str:
        # The dict goes through as built: wechatpy's helpers drop article_type and crop fields
        result = self._call("draft/add", lambda: self._client.post("draft/add", data={"articles": articles}),
                            idempotent=False)
        return _field(result, "media_id", "draft/add")

    def update_draft(self, media_id: str, index: int, article: dict[str, Any]) -> None:
        """draft/update: replace the article at 0-based `index` of a draft (same media_id)."""
        self._call("draft/update", lambda: self._client.post(
            "draft/update", data={"media_id": media_id, "index": index, "articles": article}), idempotent=True)

    def get_draft(self, media_id: str) -> dict[str, Any] | None:
        try:
            result = self._call("draft/get", lambda: self._client.post("draft/get", data={"media_id": media_id}),
                                idempotent=True)
        except WeChatError as error:
            if error.errcode == 40007:  # invalid media_id: no such draft (published, sent or deleted)
                return None
            raise
        return dict(result)

    def delete_draft(self, media_id: str) -> None:
        self._call("draft/delete", lambda: self._client.post("draft/delete", data={"media_id": media_id}),
                   idempotent=True)

    def delete_draft_if_present(self, media_id: str) -> None:
        """draft/delete, where a draft already gone (40007) is what we wanted."""
        try:
            self.delete_draft(media_id)
        except WeChatError as error:
            if error.errcode != 40007:
                raise

    def drafts(self, *, content: bool = True) -> Iterator[dict[str, Any]]:
        """The draft box, newest first; `content=False` leaves each article's HTML out (no_content)."""
        yield from self._pages("draft/batchget", content=content)

    def materials(self) -> Iterator[dict[str, Any]]:
        """Permanent images, newest first (material/batchget_material): media_id, name, url, update_time."""
        yield from self._pages("material/batchget_material", {"type": "image"}, content=None)

    def material_file(self, media_id: str) -> bytes:
        """The bytes of a permanent image (material/get_material answers with the file itself)."""
        result = self._call("material/get_material", lambda: self._client.post(
            "material/get_material", data={"media_id": media_id}, result_processor=KEEP_FILE), idempotent=True)
        if isinstance(result, requests.Response):
            return result.content
        raise WeChatError("material/get_material", None, "微信返回的不是素材文件,无法确认内容")

    def material_count(self) -> dict[str, int]:
        """material/get_materialcount: how many permanent materials of each kind the account holds."""
        result = self._call("material/get_materialcount", lambda: self._client.get("material/get_materialcount"),
                            idempotent=True)
        return {key: int(value) for key, value in result.items() if key.endswith("_count")}

    # -- publishing -----------------------------------------------------------------------
    def submit(self, media_id: str) -> str:
        result = self._call("freepublish/submit",
                            lambda: self._client.post("freepublish/submit", data={"media_id": media_id}),
                            idempotent=False)
        return _field(result, "publish_id", "freepublish/submit")

    def publish_status(self, publish_id: str) -> dict[str, Any]:
        return dict(self._call("freepublish/get",
                               lambda: self._client.post("freepublish/get", data={"publish_id": publish_id}),
                               idempotent=True))

    def published(self, *, content: bool = True) -> Iterator[dict[str, Any]]:
        """Publications, newest first; `content=False` leaves each article's HTML out (no_content).
        An unverified account gets 48001 (WeChatError.no_publishing_api): see listed_publications.
        A 48001 after a page was answered is no such account (it has a list, and part of it was
        read): that list could not be read whole, and an unread part must never pass for none."""
        answered = False
        try:
            for item in self._pages("freepublish/batchget", content=content):
                answered = True
                yield item
        except WeChatError as error:
            if answered and error.no_publishing_api:
                raise UnsettledList("freepublish/batchget", None, "读到一半时微信拒绝继续列出(errcode 48001)",
                                    advice="本次没有据此发送任何内容,请稍后重新运行") from error
            raise

    def listed_publications(self, *, content: bool = True) -> list[dict[str, Any]] | None:
        """Every publication, or None when WeChat keeps no publication list for this account (an
        unverified one, 48001): what wxpub did there is all in its draft box."""
        try:
            return list(self.published(content=content))
        except WeChatError as error:
            if error.no_publishing_api:
                return None
            raise

    def published_article(self, article_id: str) -> list[dict[str, Any]]:
        """The articles of one publication (freepublish/getarticle), with url and is_deleted."""
        result = self._call("freepublish/getarticle",
                            lambda: self._client.post("freepublish/getarticle", data={"article_id": article_id}),
                            idempotent=True)
        return [dict(item) for item in result.get("news_item", [])]

    def delete_published(self, article_id: str, index: int) -> None:
        if index < 1:
            raise ValueError("index 0 would delete every article of the message; pass the 1-based index")
        self._call("freepublish/delete",
                   lambda: self._client.post("freepublish/delete", data={"article_id": article_id, "index": index}),
                   idempotent=False)

    def mass_send(self, media_id: str, clientmsgid: str) -> tuple[str, str]:
        """message/mass/sendall to every follower; `clientmsgid` makes a resend return the first
        send (45065) instead of reaching followers twice, so this call may be retried. Returns
        (msg_id, msg_data_id): msg_data_id names the send in WeChat's statistics ("" when only
        a resend's 45065 answered, which does not carry it)."""
        payload = {"filter": {"is_to_all": True}, "mpnews": {"media_id": media_id}, "msgtype": "mpnews",
                   "send_ignore_reprint": 0, "clientmsgid": clientmsgid}
        try:
            result = self._call("message/mass/sendall",
                                lambda: self._client.post("message/mass/sendall", data=payload), idempotent=True)
        except WeChatError as error:
            if error.errcode == 45065:  # already sent with this clientmsgid: the first result stands
                if "msg_id" in error.body:
                    return str(error.body["msg_id"]), str(error.body.get("msg_data_id", ""))
                match = re.search(r"\d{6,}", error.errmsg)
                return (match.group() if match else ""), ""
            raise
        return _field(result, "msg_id", "message/mass/sendall"), str(result.get("msg_data_id", ""))

    def preview(self, media_id: str, *, kind: str, receiver: str) -> str:
        """message/mass/preview of a draft to one person: `kind` is "openid" (touser) or "wxname"
        (towxname). Never retried: a lost answer may have reached the phone, and a preview
        counts against a small daily limit."""
        payload = {"touser" if kind == "openid" else "towxname": receiver, "mpnews": {"media_id": media_id},
                   "msgtype": "mpnews"}
        result = self._call("message/mass/preview",
                            lambda: self._client.post("message/mass/preview", data=payload), idempotent=False)
        return str(result.get("msg_id", ""))

    def mass_delete(self, msg_id: str, index: int) -> None:
        """message/mass/delete of one article (1-based article_idx; 0 would delete the whole send)."""
        if index < 1:
            raise ValueError("article_idx 0 would delete every article of the send; pass the 1-based index")
        self._call("message/mass/delete",
                   lambda: self._client.post("message/mass/delete", data={"msg_id": int(msg_id), "article_idx": index}),
                   idempotent=True)

    # -- statistics -------------------------------------------------------------------------
    def day_statistics(self, endpoint: str, day: datetime.date) -> dict[str, Any]:
        """One datacube endpoint (e.g. "getarticleread") for ONE day: the article statistics take
        a range of one day only, so a longer one cannot be asked for. Day D can be asked from
        D+1 (Beijing time); the answer is {"list": [...], "is_delay": bool}."""
        text = day.isoformat()
        return dict(self._call(f"datacube/{endpoint}", lambda: self._client.post(
            endpoint, data={"begin_date": text, "end_date": text}, api_base_url=self._datacube), idempotent=True))

    def _pages(self, endpoint: str, extra: Mapping[str, Any] | None = None, *,
               content: bool | None = True) -> Iterator[dict[str, Any]]:
        """Every item that was in a list throughout its read, each once (as listed at some
        moment of the read; items that came or went meanwhile may be listed too), 20 a page
        (WeChat's most). `content` None: the endpoint has no no_content switch.

        WeChat pages by offset into a list that other writers change while it is read (a second
        runner, a racing anchor replacement, the preview job, an operator, a publication taking
        its draft), and documents no order. What this relies on (and the sandbox does) is that an
        item only ever moves towards the front: the list is newest first by a time that only
        grows, and what is added, updated or finished comes first. A delete, or a move to the
        front, between two pages shifts an unread item into the pages already read: never seen,
        an anchor missed, an article sent twice. So each page after the first starts one item
        early, at the previous page's last item, which must come back (same id and update_time),
        and total_count must not change. Together they prove nothing unread moved into the part
        already read: each such move puts one more item before the last one read, which only a
        delete before it can balance, and that delete changes the total unless an add balances
        it, which again puts one more item before it. A read that shifted is read again from
        the start, at most LIST_READS times. The overlap costs no call while a list fits on one
        page; after that a page brings 19 new items instead of 20."""
        switch = {} if content is None else {"no_content": 0 if content else 1}
        given: set[str] = set()
        for _ in range(LIST_READS):
            shifted = False
            for item in self._one_read(endpoint, {**(extra or {}), **switch}):
                if item is None:
                    shifted = True
                    break
                if _identity(item) not in given:
                    given.add(_identity(item))
                    yield item
            if not shifted:
                return
        raise UnsettledList(endpoint, None, f"连续 {LIST_READS} 次读取时,列表都在读取过程中被改动"
                            "(有草稿、发表记录或素材被增删或修改)", advice="可能有另一次发布运行、预览任务或运营人员正在公众号后台操作;"
                            "本次没有据此发送任何内容,请稍后重新运行")

    def _one_read(self, endpoint: str, data: Mapping[str, Any]) -> Iterator[dict[str, Any] | None]:
        """One read of a list from its start, page by page; a None item says it shifted under
        the read (or the server ignores offset, or total_count promises more than it lists)."""
        total: int | None = None
        last: tuple[str, object] | None = None  # the previous page's last item, as _listed_as names it
        offset = 0  # items of the list read so far
        while total is None or offset < total:
            start = offset if last is None else offset - 1
            page = self._call(endpoint, lambda: self._client.post(
                endpoint, data={**data, "offset": start, "count": LIST_PAGE}), idempotent=True)
            items, told = page.get("item", []), page.get("total_count", 0)
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items) or type(told) is not int:
                raise WeChatError(endpoint, None, "微信的列表答复格式不对(item 应为对象列表,total_count 应为整数)")
            if last is not None and (told != total or not items or _listed_as(items[0]) != last):
                yield None
                return
            new = items if last is None else items[1:]
            if not new and told > offset:
                yield None
                return
            yield from new
            total, offset = told, offset + len(new)
            if not new:
                return
            last = _listed_as(items[-1])


def _listed_as(item: Mapping[str, Any]) -> tuple[str, object]:
    """What must come back unchanged at the start of the next page: the item and its
    update_time (not the whole item: a draft's preview url is a temporary link)."""
    return _identity(item), item.get("update_time")


def _identity(item: Mapping[str, Any]) -> str:
    """What names a listed item: a draft's or material's media_id, a publication's article_id."""
    return str(item.get("media_id") or item.get("article_id") or sorted(item.items()))
