"""What a person does in the account's back end (公众号后台) that the API cannot: edit an
article after it went out. `wxpub backup` must notice such an edit (DRIFT003), so the sandbox
lets a test make one through `POST /sandbox/published/edit`.

WeChat keeps the edited article at its place (same article_id and index) and moves the
publication's `update_time` to the time of the edit, which is how `freepublish/batchget`
tells a client that listed it before that something changed.
"""

from __future__ import annotations

from typing import Any, Mapping

from pipeline.sandbox.codes import AdminError
from pipeline.sandbox.store import Store, dumps, loads

EDITABLE = ("title", "content", "author", "digest")


def edit_published(store: Store, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Replace fields of article `index` (1-based) of publication `article_id` of account `appid`."""
    appid, article_id, index = spec.get("appid"), spec.get("article_id"), spec.get("index")
    if not isinstance(appid, str) or not isinstance(article_id, str):
        raise AdminError("appid and article_id are required")
    if isinstance(index, bool) or not isinstance(index, int) or index < 1:
        raise AdminError("index is the article's 1-based place in the publication")
    changes = {key: spec[key] for key in EDITABLE if key in spec}
    if not changes or not all(isinstance(value, str) for value in changes.values()):
        raise AdminError(f"give at least one of {', '.join(EDITABLE)}, as text")
    with store.transaction() as db:
        row = db.execute("SELECT publish_id, articles FROM publications WHERE appid = ? AND article_id = ?",
                         (appid, article_id)).fetchone()
        if row is None:
            raise AdminError("no such publication of this account")
        articles = loads(row["articles"])
        if index > len(articles) or articles[index - 1].get("is_deleted"):
            raise AdminError("no such article in the publication (or it was deleted)")
        articles[index - 1].update(changes)
        now = store.now(db)
        db.execute("UPDATE publications SET articles = ? WHERE publish_id = ?", (dumps(articles), row["publish_id"]))
        db.execute("INSERT INTO published_edits (article_id, edited_at) VALUES (?, ?) "
                   "ON CONFLICT(article_id) DO UPDATE SET edited_at = excluded.edited_at", (article_id, now))
    return {"ok": True, "update_time": int(now)}
