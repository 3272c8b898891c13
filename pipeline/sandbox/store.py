"""The sandbox's state: one SQLite file that every sandbox process on it shares.

Separate processes (a `wxpub sandbox serve` and a test, or two servers) must see one
account, so there is no in-memory state: each request opens its own connection and runs
in one `BEGIN IMMEDIATE` transaction, which serialises writers across processes (WAL mode
lets readers through). The clock is the wall clock plus an offset kept in the file, so a
test can jump two hours ahead (token expiry, daily quotas) without sleeping.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

SCHEMA_VERSION = 1  # bump when SCHEMA changes: old state files are refused, not misread
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    appid TEXT PRIMARY KEY, secret TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
    verified INTEGER NOT NULL, publish_delay_polls INTEGER NOT NULL,
    publish_delay_seconds REAL NOT NULL, publish_get_quota INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, appid TEXT NOT NULL, kind TEXT NOT NULL,
    issued_at REAL NOT NULL, expires_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS calls (
    endpoint TEXT NOT NULL, appid TEXT NOT NULL, day TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (endpoint, appid, day));
CREATE TABLE IF NOT EXISTS quota (
    appid TEXT NOT NULL, api TEXT NOT NULL, period TEXT NOT NULL, used INTEGER NOT NULL,
    PRIMARY KEY (appid, api, period));
CREATE TABLE IF NOT EXISTS blobs (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL, mime TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS uploads (
    appid TEXT NOT NULL, name TEXT NOT NULL, url TEXT NOT NULL, sha256 TEXT NOT NULL,
    size INTEGER NOT NULL, created_at REAL NOT NULL, PRIMARY KEY (appid, name));
CREATE TABLE IF NOT EXISTS materials (
    media_id TEXT PRIMARY KEY, appid TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL,
    url TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, filename TEXT NOT NULL,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS drafts (
    media_id TEXT PRIMARY KEY, appid TEXT NOT NULL, articles TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS publications (
    publish_id TEXT PRIMARY KEY, appid TEXT NOT NULL, msg_data_id INTEGER NOT NULL,
    draft_media_id TEXT NOT NULL, articles TEXT NOT NULL, status INTEGER NOT NULL,
    polls INTEGER NOT NULL, forced TEXT, article_id TEXT, fail_idx TEXT NOT NULL,
    submitted_at REAL NOT NULL, finished_at REAL);
CREATE TABLE IF NOT EXISTS mass_sends (
    msg_id INTEGER PRIMARY KEY, appid TEXT NOT NULL, msg_data_id INTEGER NOT NULL,
    clientmsgid TEXT NOT NULL, filter TEXT NOT NULL, draft_media_id TEXT NOT NULL,
    articles TEXT NOT NULL, status TEXT NOT NULL, sent_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS previews (
    msg_id INTEGER PRIMARY KEY, appid TEXT NOT NULL, touser TEXT NOT NULL,
    media_id TEXT NOT NULL, sent_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT, endpoint TEXT NOT NULL, appid TEXT,
    nth INTEGER NOT NULL, count INTEGER NOT NULL, seen INTEGER NOT NULL DEFAULT 0,
    action TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS published_edits (article_id TEXT PRIMARY KEY, edited_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS publish_faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT, status INTEGER NOT NULL, fail_idx TEXT NOT NULL);
"""

TABLES = ("meta", "accounts", "tokens", "calls", "quota", "blobs", "uploads", "materials", "drafts",
          "publications", "mass_sends", "previews", "faults", "publish_faults",
          "published_edits")

# WeChat's daily quotas reset at midnight Beijing time
BEIJING = timezone(timedelta(hours=8))
ACCOUNT_TYPES = ("subscription", "service")


@dataclass(frozen=True)
class Account:
    """One official account the sandbox knows, by appid."""

    appid: str
    secret: str
    name: str
    type: str  # subscription | service: their mass-send quotas differ
    verified: bool  # unverified accounts get 48001 on freepublish/* and mass sending
    publish_delay_polls: int  # freepublish/get answers "publishing" to the first N queries
    publish_delay_seconds: float  # ... and for at least this long after the submit
    publish_get_quota: int  # freepublish/get queries a day before 45009

    def public(self) -> dict[str, Any]:
        """The account without its secret (for /sandbox/state and pages)."""
        data = asdict(self)
        del data["secret"]
        return data


def day_of(now: float) -> str:
    return datetime.fromtimestamp(now, BEIJING).strftime("%Y-%m-%d")


def month_of(now: float) -> str:
    return datetime.fromtimestamp(now, BEIJING).strftime("%Y-%m")


def loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class Store:
    """Connections, transactions, the clock and counters over one SQLite file."""

    def __init__(self, path: Path) -> None:
        if str(path) == ":memory:" or not str(path):
            raise ValueError("the sandbox needs a real file: separate processes must share one state")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = self.connect()
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
        finally:
            db.close()
        with self.transaction() as db:
            version = self.meta(db, "schema_version", str(SCHEMA_VERSION))
            if version != str(SCHEMA_VERSION):
                raise ValueError(f"{self.path} holds sandbox state of schema {version}, not {SCHEMA_VERSION}: "
                                 "delete it (it only holds sandbox data)")
            self.set_meta(db, "schema_version", str(SCHEMA_VERSION))

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; a sandbox needs no fsync per call
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One serialised transaction: committed on success, rolled back on any exception."""
        db = self.connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    # -- the clock and counters ---------------------------------------------------------
    def now(self, db: sqlite3.Connection) -> float:
        return time.time() + float(self.meta(db, "clock_offset", "0"))

    def meta(self, db: sqlite3.Connection, key: str, default: str) -> str:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row["value"]) if row else default

    def set_meta(self, db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                   (key, value))

    def next_number(self, db: sqlite3.Connection, name: str) -> int:
        """A counter shared by every process on this file (publish_id, msg_id, ...)."""
        value = int(self.meta(db, f"counter:{name}", "0")) + 1
        self.set_meta(db, f"counter:{name}", str(value))
        return value

    def advance_clock(self, seconds: float) -> float:
        with self.transaction() as db:
            self.set_meta(db, "clock_offset", str(float(self.meta(db, "clock_offset", "0")) + seconds))
            return self.now(db)

    def quota_used(self, db: sqlite3.Connection, appid: str, api: str, period: str) -> int:
        row = db.execute("SELECT used FROM quota WHERE appid = ? AND api = ? AND period = ?",
                         (appid, api, period)).fetchone()
        return int(row["used"]) if row else 0

    def use_quota(self, db: sqlite3.Connection, appid: str, api: str, period: str) -> None:
        db.execute("INSERT INTO quota (appid, api, period, used) VALUES (?, ?, ?, 1) "
                   "ON CONFLICT(appid, api, period) DO UPDATE SET used = used + 1", (appid, api, period))

    def count_call(self, db: sqlite3.Connection, endpoint: str, appid: str) -> None:
        db.execute("INSERT INTO calls (endpoint, appid, day, count) VALUES (?, ?, ?, 1) "
                   "ON CONFLICT(endpoint, appid, day) DO UPDATE SET count = count + 1",
                   (endpoint, appid, day_of(self.now(db))))

    # -- accounts -----------------------------------------------------------------------
    def account(self, db: sqlite3.Connection, appid: str) -> Account | None:
        row = db.execute("SELECT * FROM accounts WHERE appid = ?", (appid,)).fetchone()
        if row is None:
            return None
        return Account(appid=row["appid"], secret=row["secret"], name=row["name"], type=row["type"],
                       verified=bool(row["verified"]), publish_delay_polls=int(row["publish_delay_polls"]),
                       publish_delay_seconds=float(row["publish_delay_seconds"]),
                       publish_get_quota=int(row["publish_get_quota"]))

    def put_account(self, account: Account) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (account.appid, account.secret, account.name, account.type, int(account.verified),
                        account.publish_delay_polls, account.publish_delay_seconds, account.publish_get_quota))

    def reset(self) -> None:
        with self.transaction() as db:
            for table in TABLES:
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - table names are constants
            self.set_meta(db, "schema_version", str(SCHEMA_VERSION))
