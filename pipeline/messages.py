"""The publishing state machine: what the ledger says about every message, article and upload.

A *message* is one WeChat draft of up to 8 articles and what becomes of it (published,
mass-sent, or left in the draft box). Its life is a chain of ledger lines; `fold` reads the
whole ledger, in order, through `TRANSITIONS`, the one table of which step may follow which,
and gives the `LedgerState` every decision is made from. The same lines give the same state
on every runner, so runners agree without talking to each other:

- A claim (`message_started`) holds its articles: a later claim on an article that a live
  message holds, that is already out in this version, that was rejected in this version,
  or that would pass the account's daily cap, is *void*: the run that wrote it sees so
  after its write and calls nothing.
- Intents (`draft_adding`, `submitting`, `mass_sending`, `abandoned`) count only from the
  message's owner, the run that claimed it or took it over (`taken_over`, which counts only
  if no line of the message landed since the one the taker saw). Results are facts about
  WeChat and count from any run, where the table allows them.
- A message is done only when every one of its articles has its final line.
- A line the table does not allow is void: kept in the ledger for the audit, ignored here,
  except that a draft recorded for an attempt already abandoned is an orphan to delete.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Mapping

from pipeline.ledger import Entry
from pipeline.records import (
    Abandoned, ClaimedArticle, CoverUploaded, DraftAdded, DraftAdding, DraftRebuilding, DraftRebuilt,
    Failed, FileRef, Final, ImageUploaded, MassSending, MessageStarted, Moved, OrphanDeleted, Record, Retracted, Retracting,
    Step, Submitted, Submitting, TakenOver, read,
)


class Phase(StrEnum):
    CLAIMED = "claimed"  # articles held; files being uploaded
    DRAFT_ADDING = "draft_adding"  # draft/add called, answer not recorded
    DRAFT_ADDED = "draft_added"  # the draft exists
    SUBMITTING = "submitting"  # freepublish/submit called, answer not recorded
    SUBMITTED = "submitted"  # WeChat is publishing
    MASS_SENDING = "mass_sending"  # message/mass/sendall called, answer not recorded
    DONE = "done"  # every article has its final line
    FAILED = "failed"  # WeChat refused the message for good
    ABANDONED = "abandoned"  # ended unsent; its articles may be claimed again


TERMINAL = frozenset({Phase.DONE, Phase.FAILED, Phase.ABANDONED})

# Which step may follow which. Final lines (published, drafted, mass_sent) keep the phase
# until every article of the message has one, then make it DONE.
TRANSITIONS: Mapping[Phase, Mapping[Step, Phase]] = MappingProxyType({
    Phase.CLAIMED: {Step.TAKEN_OVER: Phase.CLAIMED, Step.DRAFT_ADDING: Phase.DRAFT_ADDING,
                    Step.ABANDONED: Phase.ABANDONED},
    # A draft that left the draft box before its answer was recorded may already be published
    # (an operator publishing a draft-mode draft): then its articles' final lines come straight away
    Phase.DRAFT_ADDING: {Step.TAKEN_OVER: Phase.DRAFT_ADDING, Step.DRAFT_ADDED: Phase.DRAFT_ADDED,
                         Step.ABANDONED: Phase.ABANDONED, Step.PUBLISHED: Phase.DRAFT_ADDING},
    # A message taken over before it was sent is abandoned (its draft deleted) and planned afresh
    Phase.DRAFT_ADDED: {Step.TAKEN_OVER: Phase.DRAFT_ADDED, Step.SUBMITTING: Phase.SUBMITTING,
                        Step.MASS_SENDING: Phase.MASS_SENDING, Step.DRAFTED: Phase.DRAFT_ADDED,
                        Step.PUBLISHED: Phase.DRAFT_ADDED, Step.ABANDONED: Phase.ABANDONED},
    Phase.SUBMITTING: {Step.TAKEN_OVER: Phase.SUBMITTING, Step.SUBMITTING: Phase.SUBMITTING,
                       Step.SUBMITTED: Phase.SUBMITTED, Step.PUBLISHED: Phase.SUBMITTING, Step.FAILED: Phase.FAILED,
                       Step.ABANDONED: Phase.ABANDONED},
    Phase.SUBMITTED: {Step.TAKEN_OVER: Phase.SUBMITTED, Step.PUBLISHED: Phase.SUBMITTED, Step.FAILED: Phase.FAILED},
    Phase.MASS_SENDING: {Step.TAKEN_OVER: Phase.MASS_SENDING, Step.MASS_SENDING: Phase.MASS_SENDING,
                         Step.MASS_SENT: Phase.MASS_SENDING, Step.FAILED: Phase.FAILED,
                         Step.ABANDONED: Phase.ABANDONED},
    Phase.DONE: {},
    Phase.FAILED: {Step.ORPHAN_DELETED: Phase.FAILED},
    Phase.ABANDONED: {Step.DRAFT_ADDED: Phase.ABANDONED, Step.ORPHAN_DELETED: Phase.ABANDONED},
})
OWNER_ONLY = frozenset({Step.DRAFT_ADDING, Step.SUBMITTING, Step.MASS_SENDING, Step.ABANDONED})
# publish_status after which the same version is not sent again: refused for its content (2 原创
# check, 4 platform review), or out and then deleted by a person (5) or banned by WeChat (6)
CONTENT_REFUSALS = frozenset({2, 4, 5, 6})


@dataclass(frozen=True)
class Message:
    batch: str  # the attempt's id: also its marker in WeChat (data-wxpub="<batch>.<index>")
    account: str
    mode: str  # publish | mass | draft ("" in version 1: the account's mode)
    articles: tuple[ClaimedArticle, ...]
    files: tuple[FileRef, ...]
    day: str  # local date it goes out on (daily caps)
    started: Entry  # the line that started it
    phase: Phase
    owner: str  # run id allowed to write its intents
    lease_until: float  # wall clock: until then, other runs leave it alone
    last_id: str  # id of its last counted line (a takeover names it)
    marker: str = ""
    legacy_markers: tuple[tuple[str, ...], ...] = ()  # version 1: (title, cover media_id) per article
    media_id: str = ""
    publish_id: str = ""
    clientmsgid: str = ""
    finals: Mapping[str, Entry] = field(default_factory=dict)  # path -> its final line
    failure: Failed | None = None
    abandoned: Abandoned | None = None
    abandoned_at: Entry | None = None
    orphans: tuple[str, ...] = ()  # drafts of this attempt to delete (media_ids)
    intent_at: Entry | None = None  # its latest intent line (when the last call was announced)
    fingerprints: tuple[str, ...] = ()  # what each article was sent as (sending.fingerprint), by index

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(a.path for a in self.articles)

    @property
    def live(self) -> bool:
        return self.phase not in TERMINAL

    def holds(self, path: str) -> bool:
        return path in self.paths


@dataclass(frozen=True)
class Publication:
    """An article that is out: its final line, and where it is now (a draft may be rebuilt)."""

    entry: Entry
    media_id: str
    index: int
    marker: str = ""  # data-wxpub of its article in WeChat ("" for version 1 lines)
    fingerprint: str = ""  # what it was sent as (sending.fingerprint; "" when the ledger did not record it)

    @property
    def path(self) -> str:
        return self.entry.path

    def as_entry(self) -> Entry:
        """The final line with its current place, for readers of plain entries."""
        if self.entry.data.get("media_id", "") == self.media_id and self.entry.data.get("index", 0) == self.index:
            return self.entry
        return replace(self.entry, data={**self.entry.data, "media_id": self.media_id, "index": self.index})


@dataclass(frozen=True)
class Retraction:
    """A retraction under way: its intent line, and a draft rebuild if its draft had siblings."""

    path: str
    account: str
    intent: Entry
    record: Retracting
    target: Publication
    owner: str = ""  # the run allowed to act on it
    last_id: str = ""  # id of its last counted line (a retry by another run names it)
    rebuilding: DraftRebuilding | None = None
    rebuilt: DraftRebuilt | None = None
    rebuilding_entry: Entry | None = None


@dataclass(frozen=True)
class LedgerState:
    messages: Mapping[str, Message]  # by batch id, in the order they started
    publications: Mapping[str, Publication]  # by path, in the order they went out
    retractions: Mapping[str, Retraction]  # by path: retractions begun and not confirmed
    # (account, kind, sha) -> latest upload. A cover (a permanent material, by media_id) and a body
    # image (a media/uploadimg URL) with the same bytes are different WeChat objects: neither
    # stands in for the other (WeChat drops an <img> whose src did not come from uploadimg)
    uploads: Mapping[tuple[str, str, str], ImageUploaded | CoverUploaded]
    rejected: Mapping[tuple[str, str], Failed]  # (path, content_hash) refused for its content
    void: frozenset[str]  # ids of lines that did not count
    loose: tuple[Entry, ...] = ()  # version 1 final lines outside any message
    # Every attempt whose markers may be in WeChat: the messages' and the draft rebuilds' (a
    # rebuilt draft carries a new attempt's markers, publish.refuse_rewound_ledger)
    attempts: frozenset[str] = frozenset()
    # old path -> the folder the piece moved to, as last recorded (publish.find_moves); a move
    # ends when the piece is back in its folder or a new piece is published there
    moves: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def live_holder(self, path: str) -> Message | None:
        return next((m for m in self.messages.values() if m.live and m.holds(path)), None)

    def used_on(self, account: str, day: str) -> int:
        """Articles of `account` that went out, or are going out, on local date `day`
        (retracted ones too: they used the day's slot)."""
        return sum(len(m.articles) for m in self.messages.values()
                   if m.account == account and m.day == day and m.phase not in (Phase.ABANDONED, Phase.FAILED))


def refused_articles(message: Message, failure: Failed) -> tuple[ClaimedArticle, ...]:
    """The articles a refusal is about: those WeChat named in fail_idx (1-based), or every
    article of the message when it named none (or none of them exists)."""
    named = {i for i in failure.fail_idx if 1 <= i <= len(message.articles)}
    return tuple(a for i, a in enumerate(message.articles, 1) if not named or i in named)


def upload_kind(record: ImageUploaded | CoverUploaded) -> str:
    """The FileRef kind an upload record is of: "cover" (material/add_material) or "image" (media/uploadimg)."""
    return "cover" if isinstance(record, CoverUploaded) else "image"


def fold(entries: tuple[Entry, ...] | list[Entry], tz: datetime.tzinfo = datetime.timezone.utc) -> LedgerState:
    """The state after every line, read in ledger order through TRANSITIONS."""
    folder = _Folder(tz)
    rebuilds: set[str] = set()
    for entry in entries:
        record = _read(entry)
        if record is None or not folder.apply(entry, record):
            folder.void.add(entry.id or f"line:{id(entry)}")
        elif isinstance(record, DraftRebuilding):
            rebuilds.add(record.batch)
    return LedgerState(MappingProxyType(folder.messages), MappingProxyType(folder.publications),
                       MappingProxyType(folder.retractions), MappingProxyType(folder.uploads),
                       MappingProxyType(folder.rejected), frozenset(folder.void), tuple(folder.loose),
                       frozenset(folder.messages) | rebuilds, MappingProxyType(folder.moves))


def _read(entry: Entry) -> Record | None:
    try:
        return read(entry)
    except ValueError:
        return None  # a line this version cannot type is kept, not judged


class _Folder:
    def __init__(self, tz: datetime.tzinfo) -> None:
        self.tz = tz
        self.messages: dict[str, Message] = {}
        self.publications: dict[str, Publication] = {}
        self.retractions: dict[str, Retraction] = {}
        self.uploads: dict[tuple[str, str, str], ImageUploaded | CoverUploaded] = {}
        self.rejected: dict[tuple[str, str], Failed] = {}
        self.void: set[str] = set()
        self.loose: list[Entry] = []
        self.moves: dict[str, str] = {}

    def apply(self, entry: Entry, record: Record) -> bool:
        """Count one line; False when it is void."""
        if isinstance(record, (ImageUploaded, CoverUploaded)):
            self.uploads[(entry.account, upload_kind(record), record.sha)] = record
            return True
        if isinstance(record, MessageStarted):
            return self._start(entry, record)
        if isinstance(record, DraftAdding) and record.batch not in self.messages and record.paths and entry.v == 1:
            return self._start_v1(entry, record)
        if isinstance(record, (Retracting, DraftRebuilding, DraftRebuilt, Retracted)):
            return self._retraction(entry, record)
        if isinstance(record, Moved):  # about a publication of its account
            publication = self.publications.get(entry.path)
            if publication is None or publication.entry.account != entry.account or not record.to:
                return False
            if record.to == entry.path:  # back in its own folder: the move is over
                return self.moves.pop(entry.path, None) is not None
            self.moves[entry.path] = record.to
            return True
        if isinstance(record, Final) and not entry.path:
            return False  # a final line is about one article
        if isinstance(record, Final) and entry.v == 1 and record.batch not in self.messages:
            self._out(entry, record)  # version 1 wrote some publications without a message
            self.loose.append(entry)
            return True
        batch = getattr(record, "batch", "")
        message = self.messages.get(batch)
        if message is None:
            return False
        return self._advance(message, entry, record)

    # -- messages --------------------------------------------------------------------------

    def _start(self, entry: Entry, claim: MessageStarted) -> bool:
        if claim.batch in self.messages or not claim.articles or not self._claimable(entry.account, claim):
            return False
        self.messages[claim.batch] = Message(
            batch=claim.batch, account=entry.account, mode=claim.mode, articles=claim.articles, files=claim.files,
            day=claim.day, started=entry, phase=Phase.CLAIMED, owner=entry.run, lease_until=claim.lease_until,
            last_id=entry.id)
        return True

    def _claimable(self, account: str, claim: MessageStarted) -> bool:
        for article in claim.articles:
            held = any(m.live and m.holds(article.path) for m in self.messages.values())
            out = self.publications.get(article.path)
            if held or (out is not None and out.entry.content_hash == article.content_hash):
                return False
            if (article.path, article.content_hash) in self.rejected:
                return False
        if claim.cap:
            used = sum(len(m.articles) for m in self.messages.values()
                       if m.account == account and m.day == claim.day and m.phase not in (Phase.ABANDONED, Phase.FAILED))
            if used + len(claim.articles) > claim.cap:
                return False
        return True

    def _start_v1(self, entry: Entry, record: DraftAdding) -> bool:
        approved = record.approved_by + ((),) * (len(record.paths) - len(record.approved_by))
        articles = tuple(ClaimedArticle(p, h, tuple(a)) for p, h, a in zip(record.paths, record.hashes, approved))
        self.messages[record.batch] = Message(
            batch=record.batch, account=entry.account, mode="", articles=articles, files=(),
            day=entry.moment.astimezone(self.tz).date().isoformat(), started=entry, phase=Phase.DRAFT_ADDING,
            owner=entry.run, lease_until=0.0, last_id=entry.id, legacy_markers=record.markers)
        return True

    def _advance(self, message: Message, entry: Entry, record: Record) -> bool:
        step = Step(entry.step)
        after = TRANSITIONS[message.phase].get(step)
        if after is None:
            return False
        if step in OWNER_ONLY and entry.run != message.owner:
            return False
        if message.phase is Phase.ABANDONED and isinstance(record, DraftAdded):
            # The attempt was given up, then its draft turned up: an orphan to delete
            self.messages[message.batch] = replace(message, orphans=message.orphans + (record.media_id,))
            return True
        changes: dict[str, object] = {"phase": after, "last_id": entry.id or message.last_id}
        if isinstance(record, TakenOver):
            if record.expected != message.last_id:
                return False  # a line landed after the one the taker saw: the owner is alive
            changes |= {"owner": entry.run, "lease_until": record.lease_until}
        elif isinstance(record, DraftAdding):
            changes |= {"marker": record.marker, "lease_until": max(message.lease_until, record.lease_until),
                        "intent_at": entry, "fingerprints": record.fingerprints}
        elif isinstance(record, DraftAdded):
            changes["media_id"] = record.media_id
        elif isinstance(record, Submitting):
            changes |= {"media_id": record.media_id or message.media_id, "intent_at": entry,
                        "lease_until": max(message.lease_until, record.lease_until)}
        elif isinstance(record, Submitted):
            changes["publish_id"] = record.publish_id
        elif isinstance(record, MassSending):
            changes |= {"clientmsgid": record.clientmsgid, "media_id": record.media_id or message.media_id,
                        "intent_at": entry,
                        "lease_until": max(message.lease_until, record.lease_until)}
        elif isinstance(record, Final):
            if not message.holds(entry.path) or entry.path in message.finals:
                return False
            finals = {**message.finals, entry.path: entry}
            changes["finals"] = MappingProxyType(finals)
            if len(finals) == len(message.articles):
                changes["phase"] = Phase.DONE
            sent = message.fingerprints
            self._out(entry, record, sent[record.index - 1] if 0 < record.index <= len(sent) else "")
        elif isinstance(record, Failed):
            changes["failure"] = record
            if record.draft_left and message.media_id:  # WeChat kept the draft it refused to send
                changes["orphans"] = message.orphans + (message.media_id,)
            if record.needs_change:
                for article in refused_articles(message, record):
                    self.rejected[(article.path, article.content_hash)] = record
        elif isinstance(record, Abandoned):
            changes |= {"abandoned": record, "abandoned_at": entry}
            if message.media_id:  # its draft exists: delete it
                changes["orphans"] = message.orphans + (message.media_id,)
        elif isinstance(record, OrphanDeleted):
            changes["orphans"] = tuple(m for m in message.orphans if m != record.media_id)
        self.messages[message.batch] = replace(message, **changes)  # type: ignore[arg-type]
        return True

    def _out(self, entry: Entry, record: Final, fingerprint: str = "") -> None:
        self.publications.pop(entry.path, None)  # re-insert: the order follows the latest publication
        mark = f"{record.batch}.{record.index}" if record.batch and entry.v >= 2 else ""
        self.publications[entry.path] = Publication(entry, record.media_id, record.index, mark, fingerprint)
        self.retractions.pop(entry.path, None)
        self.moves.pop(entry.path, None)  # a new piece at the path: a recorded move named the one before

    # -- retractions -----------------------------------------------------------------------

    def _retraction(self, entry: Entry, record: Record) -> bool:
        path = entry.path
        current = self.retractions.get(path)
        target = self.publications.get(path)
        if isinstance(record, Retracting):
            if target is None or (record.target and record.target != target.entry.id):
                return False
            if current is not None and entry.v >= 2 and entry.run != current.owner and record.expected != current.last_id:
                return False  # another run's retraction of it is under way: one at a time, as for messages
            if current is not None:  # a retry: what the earlier attempt did to the draft stands
                self.retractions[path] = replace(current, intent=entry, record=record, owner=entry.run,
                                                 last_id=entry.id)
            else:
                self.retractions[path] = Retraction(path, entry.account, entry, record, target, owner=entry.run,
                                                    last_id=entry.id)
            return True
        if current is None:
            if isinstance(record, Retracted) and target is not None and entry.v == 1:
                self.publications.pop(path, None)  # version 1 wrote no intent for some
                self.moves.pop(path, None)
                return True
            return False
        if isinstance(record, DraftRebuilding):
            if entry.run != current.owner or current.rebuilt is not None:
                return False
            self.retractions[path] = replace(current, rebuilding=record, rebuilding_entry=entry, last_id=entry.id)
            return True
        if isinstance(record, DraftRebuilt):
            if current.rebuilding is None or current.rebuilding.batch != record.batch or current.rebuilt is not None:
                return False
            self.retractions[path] = replace(current, rebuilt=record, last_id=entry.id)
            for number, sibling in enumerate(record.keep, 1):
                if sibling in self.publications:
                    self.publications[sibling] = replace(self.publications[sibling], media_id=record.media_id,
                                                         index=number, marker=f"{record.batch}.{number}")
            return True
        assert isinstance(record, Retracted)
        self.publications.pop(path, None)
        self.moves.pop(path, None)  # the piece is gone: nothing left to have moved
        del self.retractions[path]
        return True
