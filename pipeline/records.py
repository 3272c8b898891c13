"""What each ledger line means: one typed record per publishing step, from any format version.

A ledger line (`ledger.Entry`) is storage: when, which run, which step, which article, and a
JSON object of step data. This module is the one place that gives that data a type:
`read(entry)` returns the record of the line's step, built from version 1 lines (before
`v`, `id` and the claim existed) as well as version 2 ones, and `Record.to_data()` is what
a writer stores. docs/ledger.md describes every step and field.

Steps are either intents, written (and shared) *before* the WeChat call they announce, or
results, written after WeChat answered. Which step may follow which is decided in
`pipeline.messages`, not here.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Mapping, Union

from pipeline.ledger import Entry


class Step(StrEnum):
    # One message: one WeChat draft (and its publication or mass send) of up to 8 articles
    MESSAGE_STARTED = "message_started"  # intent: this run claims these articles; lists the files to upload
    TAKEN_OVER = "taken_over"  # intent: another run resumes a message whose owner went quiet
    IMAGE_UPLOADED = "image_uploaded"  # result: media/uploadimg (a body image)
    COVER_UPLOADED = "cover_uploaded"  # result: material/add_material (a cover)
    DRAFT_ADDING = "draft_adding"  # intent: draft/add
    DRAFT_ADDED = "draft_added"  # result: the draft's media_id
    SUBMITTING = "submitting"  # intent: freepublish/submit
    SUBMITTED = "submitted"  # result: publish_id
    MASS_SENDING = "mass_sending"  # intent: message/mass/sendall
    PUBLISHED = "published"  # result, one per article: out by freepublish
    DRAFTED = "drafted"  # result, one per article: left in the draft box for a person (draft mode)
    MASS_SENT = "mass_sent"  # result, one per article: sent to followers
    FAILED = "failed"  # result: WeChat refused the message for good
    ABANDONED = "abandoned"  # intent or result: this attempt ends unsent; its articles may be planned again
    ORPHAN_DELETED = "orphan_deleted"  # result: a draft of an abandoned attempt, found and deleted
    # Retracting one article (R15)
    RETRACTING = "retracting"  # intent: freepublish/delete, message/mass/delete or draft/delete
    DRAFT_REBUILDING = "draft_rebuilding"  # intent: draft/add of the draft's other articles (WeChat cannot remove one)
    DRAFT_REBUILT = "draft_rebuilt"  # result: the siblings' new draft; the old one is deleted next
    RETRACTED = "retracted"  # result: WeChat confirmed the article is gone
    # A published article whose folder moved (publish.find_moves): the folder it now lives in
    MOVED = "moved"  # fact: the piece at `path` is the article at `to`; nothing is sent or deleted


FINAL_STEPS = (Step.PUBLISHED, Step.DRAFTED, Step.MASS_SENT)  # after these, an article is out


@dataclass(frozen=True)
class ClaimedArticle:
    path: str
    content_hash: str
    approved_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileRef:
    """A bundle file a message uploads: by content, so it is uploaded once per account ever."""

    sha: str
    kind: str  # "image" (media/uploadimg) | "cover" (material/add_material)
    name: str  # the file name sent to WeChat: content-addressed for covers, so recovery can find it


@dataclass(frozen=True)
class Record:
    STEP: ClassVar[Step]

    def to_data(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class MessageStarted(Record):
    STEP = Step.MESSAGE_STARTED
    batch: str
    mode: str  # publish | mass | draft
    articles: tuple[ClaimedArticle, ...]
    files: tuple[FileRef, ...] = ()
    day: str = ""  # the policy's local date the articles go out on (daily caps)
    cap: int = 0  # the account's daily cap at the time (0: none)
    lease_until: float = 0.0  # wall-clock seconds: other runs leave the message alone until then


@dataclass(frozen=True)
class TakenOver(Record):
    STEP = Step.TAKEN_OVER
    batch: str
    expected: str  # id of the message's last line the taker saw: void if another landed in between
    lease_until: float = 0.0


@dataclass(frozen=True)
class ImageUploaded(Record):
    STEP = Step.IMAGE_UPLOADED
    sha: str
    url: str
    batch: str = ""
    reupload: bool = False  # an earlier attempt listed it and died unrecorded: this may be a second upload


@dataclass(frozen=True)
class CoverUploaded(Record):
    STEP = Step.COVER_UPLOADED
    sha: str
    media_id: str
    url: str = ""
    batch: str = ""
    name: str = ""
    recovered: bool = False  # found in WeChat's material list after a crash, not uploaded again


@dataclass(frozen=True)
class DraftAdding(Record):
    STEP = Step.DRAFT_ADDING
    batch: str
    marker: str = ""  # the attempt's marker in every article's content (data-wxpub); "" in version 1
    lease_until: float = 0.0
    # sending.fingerprint of each article as sent, in draft order: what `wxpub backup` compares
    # WeChat's copy with (DRIFT003). Added in 2026-12 without a format version: older lines lack
    # it (nothing to compare with), and older readers ignore it
    fingerprints: tuple[str, ...] = ()
    # Version 1 started a message here, without a claim, and recognised drafts by (title, cover)
    paths: tuple[str, ...] = ()
    hashes: tuple[str, ...] = ()
    approved_by: tuple[tuple[str, ...], ...] = ()
    markers: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class DraftAdded(Record):
    STEP = Step.DRAFT_ADDED
    batch: str
    media_id: str
    recovered: bool = False  # found by its marker after a crash


@dataclass(frozen=True)
class Submitting(Record):
    STEP = Step.SUBMITTING
    batch: str
    media_id: str
    lease_until: float = 0.0


@dataclass(frozen=True)
class Submitted(Record):
    STEP = Step.SUBMITTED
    batch: str
    media_id: str
    publish_id: str


@dataclass(frozen=True)
class MassSending(Record):
    STEP = Step.MASS_SENDING
    batch: str
    media_id: str
    clientmsgid: str
    lease_until: float = 0.0


@dataclass(frozen=True)
class Final(Record):
    """One article of a message is out; the entry's path and content_hash say which."""

    STEP = Step.PUBLISHED  # or DRAFTED / MASS_SENT: the entry's step
    batch: str = ""  # "" in some version 1 lines
    media_id: str = ""
    index: int = 0  # 1-based place in the message
    approved_by: tuple[str, ...] = ()
    publish_id: str = ""
    article_id: str = ""
    url: str = ""
    msg_id: str = ""
    msg_data_id: str = ""  # a mass send's id in WeChat's statistics, whose article key is "<msg_data_id>_<index>"


@dataclass(frozen=True)
class Failed(Record):
    STEP = Step.FAILED
    batch: str
    errcode: int | None = None
    publish_id: str = ""
    publish_status: int | None = None
    fail_idx: tuple[int, ...] = ()
    needs_change: bool = False  # rejected for its content: not tried again until the content changes
    draft_left: bool = False  # WeChat refused to send the draft, which is still in the draft box: delete it


@dataclass(frozen=True)
class Abandoned(Record):
    STEP = Step.ABANDONED
    batch: str
    reason: str = ""  # refused | upload_failed | too_long | draft_not_found | resumed_before_draft | resumed_unsent
    errcode: int | None = None
    sweep_until: float = 0.0  # wall clock: until then, runs look for a late draft of this attempt and delete it


@dataclass(frozen=True)
class OrphanDeleted(Record):
    STEP = Step.ORPHAN_DELETED
    batch: str
    media_id: str


@dataclass(frozen=True)
class Retracting(Record):
    STEP = Step.RETRACTING
    of: str = ""  # the step of the publication undone: published | mass_sent | drafted
    index: int = 0
    target: str = ""  # id of the final line being undone ("" in version 1)
    expected: str = ""  # a retry by another run: the last line of the retraction it saw
    lease_until: float = 0.0


@dataclass(frozen=True)
class DraftRebuilding(Record):
    STEP = Step.DRAFT_REBUILDING
    batch: str  # the new attempt, whose marker the rebuilt draft carries
    media_id: str  # the draft being rebuilt without the retracted article
    keep: tuple[str, ...] = ()  # the siblings' paths, in their new order
    lease_until: float = 0.0


@dataclass(frozen=True)
class DraftRebuilt(Record):
    STEP = Step.DRAFT_REBUILT
    batch: str
    old_media_id: str
    media_id: str
    keep: tuple[str, ...] = ()  # the siblings, at index 1.. of the new draft
    recovered: bool = False


@dataclass(frozen=True)
class Retracted(Record):
    STEP = Step.RETRACTED
    of: str = ""
    index: int = 0
    how: str = ""  # what WeChat confirmed: deleted | already_deleted | draft_gone | rebuilt


@dataclass(frozen=True)
class Moved(Record):
    """Recorded the first time a move is recognised, so that it stays one whatever edits the
    new folder gets later: likeness to the published text would fade with each of them, and the
    piece would go out again once it fell below the threshold (at its old path, the same edits
    would never be sent without `republish: true`)."""
    STEP = Step.MOVED
    to: str  # the article's path now


RECORD_TYPES: Mapping[Step, type[Record]] = types.MappingProxyType({
    Step.MESSAGE_STARTED: MessageStarted, Step.TAKEN_OVER: TakenOver, Step.IMAGE_UPLOADED: ImageUploaded,
    Step.COVER_UPLOADED: CoverUploaded, Step.DRAFT_ADDING: DraftAdding, Step.DRAFT_ADDED: DraftAdded,
    Step.SUBMITTING: Submitting, Step.SUBMITTED: Submitted, Step.MASS_SENDING: MassSending,
    Step.PUBLISHED: Final, Step.DRAFTED: Final, Step.MASS_SENT: Final, Step.FAILED: Failed,
    Step.ABANDONED: Abandoned, Step.ORPHAN_DELETED: OrphanDeleted, Step.RETRACTING: Retracting,
    Step.DRAFT_REBUILDING: DraftRebuilding, Step.DRAFT_REBUILT: DraftRebuilt, Step.RETRACTED: Retracted,
    Step.MOVED: Moved,
})


def read(entry: Entry) -> Record | None:
    """The typed record of one line; None for a step this version does not know (kept, not judged)."""
    try:
        step = Step(entry.step)
    except ValueError:
        return None
    record: Record = _build(RECORD_TYPES[step], entry.data)
    return record


# -- conversion ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _build(cls: type[Any], data: Mapping[str, Any]) -> Any:
    """An instance of dataclass `cls` from JSON data: missing fields take their defaults
    (older versions wrote fewer), lists become tuples, nested objects their dataclass."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            values[f.name] = _convert(hints[f.name], data[f.name], f"{cls.__name__}.{f.name}")
    try:
        return cls(**values)
    except TypeError as error:  # a required field is missing
        raise ValueError(f"{cls.__name__}: {error}") from None


def _convert(hint: Any, raw: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return None if raw is None else _convert(options[0], raw, where)
    if origin is tuple:
        if not isinstance(raw, (list, tuple)):
            raise ValueError(f"{where}: expected a list, got {type(raw).__name__}")
        item = typing.get_args(hint)[0]
        return tuple(_convert(item, value, where) for value in raw)
    if dataclasses.is_dataclass(hint):
        if not isinstance(raw, Mapping):
            raise ValueError(f"{where}: expected an object")
        return _build(hint, raw)  # type: ignore[arg-type]
    if hint is float and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    if hint is str and isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return str(raw)  # version 1 wrote some WeChat ids (msg_id) as numbers
    if hint is int and isinstance(raw, str) and raw.lstrip("-").isdigit():
        return int(raw)
    if not isinstance(raw, hint) or (hint is int and isinstance(raw, bool)):
        raise ValueError(f"{where}: expected {hint.__name__}, got {type(raw).__name__}")
    return raw
