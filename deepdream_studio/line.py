"""The line: the dreams waiting for this app's workers, read from Gradio's queue and said in words.

Every dream of the app (the page's tabs and the API) waits in one Gradio queue, ``"dream"``, which runs
``DEEPDREAM_CONCURRENCY`` at once. Gradio tells a waiting page only its place and its own average of past run times
("queue: 1/1 | 0.5s"). The app knows more: what each Photo-tab dream in the line will cost (its estimate, noted while
it waits) and how far each running dream has got (:func:`deepdream_core.jobs.timing.runs_in_progress`, whose runs
are keyed by their queue event). From those, :func:`place_of` says how many dreams are ahead of a visitor's and about
how long until it starts, which the page says in its status line while the visitor waits (:func:`waiting`), and
:func:`place_if_joined` what the estimate under Dream adds for the line.

Gradio's queue is read, never changed: its lists are copied before they are read (the server's event loop changes
them; a copy of a list is atomic under the GIL). A dream Gradio knows nothing about (an API call, a zoom animation)
counts for Gradio's own average of its function's past runs, or a default dream's estimate before any.
"""

from __future__ import annotations

import asyncio
import heapq
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass
from typing import Any

import gradio as gr
from gradio.context import LocalContext

from deepdream_core import DreamSettings
from deepdream_core.jobs.estimate import Estimate, about, estimate_dream
from deepdream_core.jobs.load import Load, current_load
from deepdream_core.jobs.timing import runs_in_progress

LINE = "dream"  # the concurrency id every dream of the app shares
POLL_S = 0.5  # how often a waiting page's place is read again
APPEAR_S = 2.0  # how long a waiter looks for its dream in the queue (the two requests of one click race)
HANDOVER_S = 2.0  # how long a dream that starts waits for its waiter to finish its last word

# The estimate (on a quiet machine) of each Photo-tab dream in the line, by queue event id, noted by its waiter.
_expected: dict[str, Estimate] = {}
# Per session, set when its waiter has ended: a dream that starts says nothing until then (see handover).
_waiters: dict[str, threading.Event] = {}


@dataclass(frozen=True)
class Place:
    """Where a dream stands in the line."""

    ahead: int  # dreams before it: running, and waiting ahead of it
    seconds: float  # about how long until it starts
    alongside: int  # dreams that will still run beside it when it starts (DEEPDREAM_CONCURRENCY above 1)


def current_event_id() -> str | None:
    """The queue event this handler runs for (Gradio sets it around every call and every step of a generator)."""
    return LocalContext.event_id.get(None)


def current_session() -> str | None:
    request = LocalContext.request.get(None)
    return getattr(request, "session_hash", None) if request is not None else None


def current_queue() -> Any:
    """The app's Gradio queue, from inside a handler (None outside one: a test calling a handler)."""
    blocks = LocalContext.blocks.get(None)
    return getattr(blocks, "_queue", None)


def place_of(queue: Any, session: str, fns: Collection[int]) -> Place | None:
    """Where the session's dream (an event of one of the functions ``fns``, by id: each session has its own copy of
    the page's functions) waits; None when it is not waiting (any more)."""
    waiting = _waiting(queue)
    mine = next((i for i, event in enumerate(waiting) if event.session_hash == session and event.fn._id in fns), None)
    return None if mine is None else _place(queue, waiting[:mine])


def place_if_joined(queue: Any, session: str | None) -> Place:
    """Where a dream would stand if it joined the line now; first in line (no wait) while the session has a dream of
    its own in the line or running, since the page takes one at a time (its Dream cannot be pressed then)."""
    if session is not None and any(event.session_hash == session for event in _waiting(queue) + _running(queue)):
        return Place(0, 0.0, 0)
    return _place(queue, _waiting(queue))


def _waiting(queue: Any) -> list[Any]:
    line = queue.event_queue_per_concurrency_id.get(LINE) if queue is not None else None
    return list(line.queue) if line is not None else []


def _running(queue: Any) -> list[Any]:
    jobs = list(queue.active_jobs) if queue is not None else []
    return [event for job in jobs if job for event in list(job) if event.concurrency_id == LINE]


def _place(queue: Any, ahead: list[Any]) -> Place:
    """The wait behind ``ahead`` (waiting events) and the running ones: the line's workers take them in order, each
    as soon as one is free, and the dream starts when the next one is."""
    if queue is None:
        return Place(0, 0.0, 0)
    running = _running(queue)
    line = queue.event_queue_per_concurrency_id.get(LINE)
    workers = getattr(line, "concurrency_limit", None) or len(running) + len(ahead) + 1
    runs = {run.key: run for run in runs_in_progress() if run.key is not None}
    now, load = time.monotonic(), current_load(wait=False)  # on the event loop: never sleeps
    free = [_remaining(queue, event, runs, now, load) for event in running]
    free += [0.0] * max(0, workers - len(free))
    heapq.heapify(free)
    for event in ahead:
        heapq.heappush(free, heapq.heappop(free) + _duration(queue, event, load))
    start = heapq.heappop(free)
    return Place(len(running) + len(ahead), start, sum(1 for end in free if end > start))


def _remaining(queue: Any, event: Any, runs: dict[str, Any], now: float, load: Load) -> float:
    """Seconds until a running event ends: its run's own pace when it is a timed dream, else Gradio's average."""
    if event._id in runs:
        return float(runs[event._id].remaining(now))
    if event._id in _expected:  # a Photo-tab dream between its start and its first step
        return _expected[event._id].under(load).seconds
    line = queue.event_queue_per_concurrency_id.get(LINE)
    starts = sorted(getattr(line, "start_times_per_fn", {}).get(event.fn, ())) if line is not None else []
    elapsed = time.time() - starts[0] if starts else 0.0
    return max(0.0, _average(queue, event, load) - elapsed)


def _duration(queue: Any, event: Any, load: Load) -> float:
    """Seconds a waiting event will run: its estimate when a waiter noted one, else Gradio's average."""
    if event._id in _expected:
        return _expected[event._id].under(load).seconds
    return _average(queue, event, load)


def _average(queue: Any, event: Any, load: Load) -> float:
    """Gradio's average of the event's function's past runs (timed as they ran), or a default dream's estimate.

    Gradio keeps one average per session's copy of a function: they are pooled by the function's id."""
    times = [kept for fn, kept in list(queue.process_time_per_fn.items()) if fn._id == event.fn._id and kept.count]
    if times:
        return sum(kept.process_time for kept in times) / sum(kept.count for kept in times)
    return estimate_dream(DreamSettings(), (DreamSettings().max_size,) * 2).under(load).seconds


# -- a visitor waiting ----------------------------------------------------------------------------------------


def said(place: Place, leave: str = "Leave the line") -> str:
    """The wait in words, for the status line; ``leave`` is the button that takes a visitor out of the line."""
    if place.ahead == 0:
        return "⏳ Yours is next: it starts in a moment."
    count = f"{place.ahead} dream{'s' if place.ahead != 1 else ''}"
    verb = "is" if place.ahead == 1 else "are"
    return (
        f"⏳ In line: {count} {verb} ahead of yours, which starts in {about(place.seconds)}. "
        f"**{leave}** if you would rather not wait."
    )


def say_the_wait(start: Any, dream: Any, status: Any) -> Any:
    """Another tab's dream (``dream``, a ``.then`` of ``start``) in the line: a waiter beside it, also after
    ``start``, says the wait in ``status`` while it waits. Its Stop leaves the line (cancel the returned event too).
    The tab's handler calls :func:`handover` before its first word."""
    fns = {dream["id"]}

    async def in_line(request: gr.Request) -> AsyncIterator[Any]:
        async for update in waiting(request.session_hash, fns, None, lambda place: {status: said(place, "Stop")}):
            yield update
        yield gr.skip()  # a generator that yields nothing would clear its outputs (Gradio 6.31)

    return start.then(in_line, None, status, concurrency_limit=None, show_progress="hidden", api_visibility="private")


async def waiting(
    session: str, fns: Collection[int], estimate: Estimate | None, updates: Callable[[Place], dict[str, Any]]
) -> AsyncIterator[dict[str, Any]]:
    """While the session's dream (an event of one of ``fns``) waits in the line: ``updates`` for its place, again
    each time the words change. ``seconds`` is its estimate on a quiet machine (None: not known)."""
    queue = current_queue()
    ended = threading.Event()
    _waiters[session] = ended
    event = None
    try:
        event = await _find(queue, session, fns)
        if event is None:
            return
        if estimate is not None:
            _expected[event._id] = estimate
        last: dict[str, Any] | None = None
        while (place := place_of(queue, session, fns)) is not None:
            update = updates(place)
            if update != last:
                yield update
                last = update
            await asyncio.sleep(POLL_S)
    finally:
        if _waiters.get(session) is ended:
            del _waiters[session]
        ended.set()
        if event is not None:
            _forget_ended(queue)


async def _find(queue: Any, session: str, fns: Collection[int]) -> Any:
    """The session's dream once it is in the queue; None when it runs already, or never comes (a refused remix)."""
    if queue is None:
        return None
    deadline = time.monotonic() + APPEAR_S
    while time.monotonic() < deadline:
        if any(e.session_hash == session and e.fn._id in fns for e in _running(queue)):
            return None
        event = next((e for e in _waiting(queue) if e.session_hash == session and e.fn._id in fns), None)
        if event is not None:
            return event
        await asyncio.sleep(0.05)
    return None


def _forget_ended(queue: Any) -> None:
    """Drop the notes of dreams that have left the line and ended (their runs now say how long they take)."""
    live = {event._id for event in _waiting(queue) + _running(queue)} if queue is not None else set()
    for known in list(_expected):
        if known not in live:
            _expected.pop(known, None)


def handover() -> None:
    """Called by a dream as it starts: wait (briefly) until the session's waiter has said its last word, so a
    "In line" status can never arrive after the dream's own first one."""
    session = current_session()
    ended = _waiters.get(session) if session is not None else None
    if ended is not None:
        ended.wait(HANDOVER_S)
