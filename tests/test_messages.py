"""The state machine (pipeline.messages) over any interleaving of several runners' lines.

Runners that planned the same articles write their lines in their own order; the shared
ledger interleaves them in whatever order their pushes landed. Whatever the interleaving:
an article is held by at most one live message, goes out at most once per version, a void
line changes nothing, and a message is done only when every article has its final line.
"""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ledger import Entry
from pipeline.messages import Phase, fold
from pipeline.records import (
    ClaimedArticle, DraftAdded, DraftAdding, Final, MessageStarted, Record, Step, Submitted, Submitting, TakenOver,
)

PATHS = ("content/official/publicity/2026-10-20-a/index.md", "content/official/publicity/2026-10-21-b/index.md")


def line(record: Record, run: str, path: str = "", step: Step | None = None) -> Entry:
    return Entry(at="2026-11-25T04:30:00+00:00", run=run, step=str(step or record.STEP), account="official",
                 path=path, content_hash="h-" + path[-12:] if path else "", data=record.to_data(),
                 id=uuid.uuid4().hex)


def script(run: str, batch: str, paths: tuple[str, ...], cap: int = 0) -> list[Entry]:
    """What one runner writes to publish `paths` in one message, start to end."""
    articles = tuple(ClaimedArticle(p, "h-" + p[-12:]) for p in paths)
    lines = [line(MessageStarted(batch, "publish", articles, day="2026-11-25", cap=cap), run),
             line(DraftAdding(batch, marker=batch), run), line(DraftAdded(batch, f"media-{batch}"), run),
             line(Submitting(batch, f"media-{batch}"), run), line(Submitted(batch, f"media-{batch}", f"p-{batch}"), run)]
    lines += [line(Final(batch, media_id=f"media-{batch}", index=i, article_id=f"a-{batch}"), run, p, Step.PUBLISHED)
              for i, p in enumerate(paths, 1)]
    return lines


@st.composite
def interleavings(draw: Any) -> list[Entry]:
    runners = draw(st.integers(2, 3))
    scripts = []
    for n in range(runners):
        paths = draw(st.sampled_from([PATHS, PATHS[:1], PATHS[1:]]))
        scripts.append(script(f"run{n}", f"b{n}", paths, cap=draw(st.sampled_from([0, 2, 3]))))
    if draw(st.booleans()):  # a later runner takes over the first one's message
        seen = draw(st.integers(0, len(scripts[0]) - 1))
        takeover = line(TakenOver("b0", expected=scripts[0][seen].id), "run9")
        rest = [line(Submitting("b0", "media-b0"), "run9")]
        scripts.append([takeover, *rest])
    merged: list[Entry] = []
    cursors = [0] * len(scripts)
    while any(c < len(s) for c, s in zip(cursors, scripts)):
        choices = [i for i, (c, s) in enumerate(zip(cursors, scripts)) if c < len(s)]
        pick = draw(st.sampled_from(choices))
        merged.append(scripts[pick][cursors[pick]])
        cursors[pick] += 1
    return merged


@settings(max_examples=300, deadline=None)
@given(interleavings())
def test_any_interleaving_sends_each_article_once(entries: list[Entry]) -> None:
    before = fold([])
    for end in range(1, len(entries) + 1):
        state = fold(entries[:end])
        for batch in state.messages.keys() - before.messages.keys():  # a claim that counted
            claim = state.messages[batch].started.data
            if claim["cap"]:
                assert before.used_on("official", claim["day"]) + len(claim["articles"]) <= claim["cap"]
        before = state
        for path in PATHS:
            live = [m for m in state.messages.values() if m.live and m.holds(path)]
            assert len(live) <= 1, (path, [m.batch for m in live])
            done = [m for m in state.messages.values() if m.phase is Phase.DONE and m.holds(path)]
            assert len(done) <= 1
        for message in state.messages.values():
            assert (message.phase is Phase.DONE) == (len(message.finals) == len(message.articles))
    state = fold(entries)
    kept = [e for e in entries if e.id not in state.void]
    again = fold(kept)
    assert again.void == frozenset()  # the lines that counted still count on their own
    assert {b: (m.phase, m.owner, m.finals.keys()) for b, m in again.messages.items()} == \
        {b: (m.phase, m.owner, m.finals.keys()) for b, m in state.messages.items()}
    assert again.publications.keys() == state.publications.keys()


def test_a_takeover_counts_only_over_the_line_it_saw() -> None:
    first = script("run0", "b0", PATHS)
    old_owner = first[:4]  # claimed, draft_adding, draft_added, submitting
    stale = line(TakenOver("b0", expected=first[2].id), "run1")  # saw draft_added, not submitting
    fresh = line(TakenOver("b0", expected=first[3].id), "run2")
    state = fold([*old_owner, stale, fresh])
    assert stale.id in state.void and fresh.id not in state.void
    assert state.messages["b0"].owner == "run2"
    late_intent = line(Submitting("b0", "media-b0"), "run0")  # the old owner, too late
    assert late_intent.id in fold([*old_owner, stale, fresh, late_intent]).void


def test_a_claim_over_a_held_or_published_article_is_void() -> None:
    first = script("run0", "b0", PATHS[:1])
    second = script("run1", "b1", PATHS)[0]
    assert second.id in fold([first[0], second]).void  # held by a live message
    third = script("run2", "b2", PATHS[:1])[0]
    assert third.id in fold([*first, third]).void  # out already in this version
    fourth = script("run3", "b3", PATHS[1:])[0]
    assert fourth.id not in fold([*first, fourth]).void  # another article: fine


def test_the_daily_cap_voids_a_claim_past_it() -> None:
    first = script("run0", "b0", PATHS[:1], cap=1)
    second = script("run1", "b1", PATHS[1:], cap=1)[0]
    assert second.id in fold([*first, second]).void
