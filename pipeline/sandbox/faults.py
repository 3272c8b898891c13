"""Injected faults: how tests make the sandbox fail the way WeChat and networks fail.

A call fault `{"endpoint": "freepublish/submit", "nth": 2, ...}` acts on the Nth call to
that endpoint counted from when the fault was set (1-based; `count` consecutive calls,
default 1; `appid` narrows it to one account; endpoint "*" matches every /cgi-bin/ call):
- `"errcode": N` (and optional `"errmsg"`): answer the WeChat error, do nothing;
- `"delay": seconds`: answer late (with `"drop": true, "when": "after"`: take effect, then
  keep the caller waiting that long before dropping; crash tests kill the caller then);
- `"drop": true, "when": "before"|"after"` (default "before"): close the connection with
  no answer, before doing anything or after the call took effect (crash recovery);
- `"writes": [{"endpoint": "draft/delete", "body": {...}}, ...]`: another writer's calls
  (a second runner, an operator in the back end, the preview job), made as the same account
  just before this call is answered: how a test deletes, adds or updates a draft between two
  pages of a listing. Each takes effect or fails as that call alone would; a failure (a draft
  already gone) changes nothing and is not reported to the faulted call.
A publish fault `{"publish_fail": {"publish_id"?, "status": 2..6, "fail_idx": [1]}}` makes
that publication (or else the next one submitted) end in that status.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from pipeline.sandbox.codes import AdminError
from pipeline.sandbox.store import Store, dumps, loads


@dataclass(frozen=True)
class Effect:
    """What the faults due on one call ask for, combined."""

    delay: float = 0.0
    errcode: int | None = None
    errmsg: str = ""
    drop: str | None = None  # "before" | "after"
    writes: tuple[tuple[str, str], ...] = ()  # (endpoint, JSON body) of another writer's calls, in order


def _number(spec: Mapping[str, Any], name: str, default: float, low: float) -> float:
    value = spec.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
        raise AdminError(f"{name} must be a number ≥ {low}")
    return float(value)


def _writes(spec: Any, known: set[str]) -> list[dict[str, Any]]:
    if not isinstance(spec, list) or not spec:
        raise AdminError("writes is a non-empty list of {endpoint, body}")
    writes = []
    for write in spec:
        if not isinstance(write, dict) or write.get("endpoint") not in known or not isinstance(write.get("body", {}), dict):
            raise AdminError("each write is {\"endpoint\": a /cgi-bin/ name such as draft/delete, \"body\": {...}}")
        writes.append({"endpoint": write["endpoint"], "body": write.get("body", {})})
    return writes


def _action(spec: Mapping[str, Any], known: set[str]) -> dict[str, Any]:
    action: dict[str, Any] = {}
    if "writes" in spec:
        action["writes"] = _writes(spec["writes"], known - {"*"})
    if "errcode" in spec:
        if isinstance(spec["errcode"], bool) or not isinstance(spec["errcode"], int):
            raise AdminError("errcode must be an integer")
        action["errcode"] = spec["errcode"]
        action["errmsg"] = str(spec.get("errmsg", ""))
    if "delay" in spec:
        action["delay"] = _number(spec, "delay", 0, 0)
    if spec.get("drop"):
        when = spec.get("when", "before")
        if when not in ("before", "after"):
            raise AdminError('when must be "before" or "after"')
        action["drop"] = when
    elif "when" in spec:
        raise AdminError('"when" goes with "drop": true')
    if not action:
        raise AdminError("a fault needs errcode, delay, drop or writes")
    return action


def _publish_fail(db: sqlite3.Connection, spec: Any) -> None:
    if not isinstance(spec, dict):
        raise AdminError("publish_fail must be an object")
    status = spec.get("status", 3)
    if status not in (2, 3, 4, 5, 6):
        raise AdminError("publish_fail status must be 2..6")
    fail_idx = spec.get("fail_idx", [])
    if not isinstance(fail_idx, list) or not all(isinstance(i, int) for i in fail_idx):
        raise AdminError("fail_idx must be a list of 1-based article numbers")
    forced = {"status": status, "fail_idx": fail_idx}
    if spec.get("publish_id") is None:
        db.execute("INSERT INTO publish_faults (status, fail_idx) VALUES (?, ?)", (status, dumps(fail_idx)))
        return
    updated = db.execute("UPDATE publications SET forced = ? WHERE publish_id = ? AND status = 1",
                         (dumps(forced), str(spec["publish_id"]))).rowcount
    if not updated:
        raise AdminError(f"no publication {spec['publish_id']} is still publishing")


def add_faults(store: Store, specs: Any, endpoints: Iterable[str]) -> None:
    """Store one fault specification or a list of them (all or none)."""
    known = set(endpoints) | {"*"}
    with store.transaction() as db:
        for spec in specs if isinstance(specs, list) else [specs]:
            if not isinstance(spec, dict):
                raise AdminError("a fault is a JSON object")
            if "publish_fail" in spec:
                _publish_fail(db, spec["publish_fail"])
                continue
            endpoint = spec.get("endpoint")
            if endpoint not in known:
                raise AdminError(f"unknown endpoint {endpoint!r}; use a /cgi-bin/ name such as draft/add, or *")
            appid = spec.get("appid")
            db.execute("INSERT INTO faults (endpoint, appid, nth, count, action) VALUES (?, ?, ?, ?, ?)",
                       (endpoint, str(appid) if appid else None, int(_number(spec, "nth", 1, 1)),
                        int(_number(spec, "count", 1, 1)), dumps(_action(spec, known))))


def clear_faults(store: Store) -> None:
    with store.transaction() as db:
        db.execute("DELETE FROM faults")
        db.execute("DELETE FROM publish_faults")


def effect_for_call(db: sqlite3.Connection, endpoint: str, appid: str) -> Effect:
    """Count this call against every matching fault and combine the ones now due."""
    delay, errcode, errmsg, drop = 0.0, None, "", None
    writes: list[tuple[str, str]] = []
    rows = db.execute("SELECT * FROM faults WHERE (endpoint = ? OR endpoint = '*') AND (appid IS NULL OR appid = ?) "
                      "ORDER BY id", (endpoint, appid)).fetchall()
    for row in rows:
        seen = int(row["seen"]) + 1
        db.execute("UPDATE faults SET seen = ? WHERE id = ?", (seen, row["id"]))
        if not row["nth"] <= seen < row["nth"] + row["count"]:
            continue
        action = loads(row["action"])
        delay += float(action.get("delay", 0))
        if errcode is None and "errcode" in action:
            errcode, errmsg = int(action["errcode"]), str(action.get("errmsg", ""))
        drop = drop or action.get("drop")
        writes += [(str(w["endpoint"]), json.dumps(w["body"])) for w in action.get("writes", [])]
    return Effect(delay=delay, errcode=errcode, errmsg=errmsg, drop=drop, writes=tuple(writes))


def listing(db: sqlite3.Connection) -> dict[str, Any]:
    calls = [{**{k: row[k] for k in ("id", "endpoint", "appid", "nth", "count", "seen")},
              **json.loads(row["action"])} for row in db.execute("SELECT * FROM faults ORDER BY id")]
    publish = [{"status": row["status"], "fail_idx": loads(row["fail_idx"])}
               for row in db.execute("SELECT * FROM publish_faults ORDER BY id")]
    return {"calls": calls, "publish_fail": publish}
