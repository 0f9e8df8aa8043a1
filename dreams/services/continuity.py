"""Continuity threads: concerns followed across dreams by name.

A thread a dream touches is `new` the first time, `recurring` when it was also in the
previous dream, `resurfaced` when it comes back after a gap; a thread no dream has touched
for `FADE_AFTER_DREAMS` dreams is `faded`.
"""

from collections.abc import Sequence
from datetime import datetime

from dreams.models import ContinuityThread, ThreadStatus
from engines.contracts import ContinuityContext, ThreadDraft

FADE_AFTER_DREAMS = 3
OPEN_THREADS_FOR_CONTEXT = 12


def open_threads() -> list[ContinuityContext]:
    """The threads a dream engine receives as context: not faded, most recent first."""
    threads = ContinuityThread.objects.exclude(status=ThreadStatus.FADED)[:OPEN_THREADS_FOR_CONTEXT]
    return [
        ContinuityContext(
            name=thread.name, status=thread.status, times_seen=thread.times_seen, note=thread.note
        )
        for thread in threads
    ]


def continuity_merge(
    *, drafts: Sequence[ThreadDraft], sequence: int, at: datetime
) -> list[ContinuityThread]:
    """Fold a dream's threads into the history; returns the threads this dream touched.
    Runs inside the transaction that writes the dream."""
    touched: dict[str, ContinuityThread] = {}
    for draft in drafts:
        key = ContinuityThread.key_for(draft.name)
        if key in touched:
            continue
        thread = ContinuityThread.objects.select_for_update().filter(key=key).first()
        if thread is None:
            thread = ContinuityThread(
                key=key,
                name=draft.name,
                status=ThreadStatus.NEW,
                first_seen_at=at,
                times_seen=0,
            )
        elif thread.last_seen_sequence == sequence - 1 and thread.status != ThreadStatus.FADED:
            thread.status = ThreadStatus.RECURRING
        else:
            thread.status = ThreadStatus.RESURFACED
        thread.note = draft.note or thread.note
        thread.last_seen_at = at
        thread.last_seen_sequence = sequence
        thread.times_seen += 1
        thread.save()
        touched[key] = thread
    ContinuityThread.objects.exclude(status=ThreadStatus.FADED).filter(
        last_seen_sequence__lte=sequence - FADE_AFTER_DREAMS
    ).update(status=ThreadStatus.FADED)
    return list(touched.values())
