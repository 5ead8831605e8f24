"""The line: where a dream stands in Gradio's own queue (its real structures, no server), and the waiter's words.

The events are Gradio's ``Event`` objects in a real ``Queue`` of a small page with a dream in the ``"dream"`` line,
placed as Gradio places them (waiting in the line's list, running in ``active_jobs``); the runs in progress are the
engine's (:func:`deepdream_core.jobs.timing.timed`). The browser tests see the same on the real page.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr
import pytest
from gradio.context import LocalContext
from gradio.queueing import Event, Queue

from deepdream_core import DreamProgress, DreamSettings
from deepdream_core.jobs.costs import CostTable, DefaultCost
from deepdream_core.jobs.estimate import Estimate, estimate_dream
from deepdream_core.jobs.load import QUIET
from deepdream_core.jobs.timing import timed
from deepdream_studio import line

LITE0 = "efficientnet_lite0"


class Line:
    """A page with one dream function in the ``"dream"`` line, ``workers`` at once, and its real Gradio queue."""

    def __init__(self, workers: int = 1) -> None:
        with gr.Blocks() as self.blocks:
            button = gr.Button()
            self.dream = button.click(lambda: None, concurrency_id="dream", concurrency_limit=workers)
        self.blocks.queue()
        self.queue: Queue = self.blocks._queue
        self.queue.active_jobs = [None] * 4
        self.fn = self.blocks.fns[self.dream["id"]]
        self.queue.create_event_queue_for_fn(self.fn)

    def join(self, session: str) -> Event:
        event = Event(session, self.fn, request=None, username=None)  # type: ignore[arg-type]
        self.queue.event_queue_per_concurrency_id["dream"].queue.append(event)
        return event

    def start(self, event: Event) -> None:
        """As Gradio starts an event: out of the line's list, into a free worker."""
        self.queue.event_queue_per_concurrency_id["dream"].queue.remove(event)
        self.queue.active_jobs[self.queue.active_jobs.index(None)] = [event]


def estimate_of(seconds: float) -> Estimate:
    return Estimate(seconds=seconds, megapixel_steps=1.0, model=LITE0, device="cpu", measured=True)


@pytest.fixture(autouse=True)
def quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    """The line's figures at a quiet machine's pace, whatever else this machine runs (the load has tests of its own)."""
    monkeypatch.setattr(line, "current_load", lambda wait=True: QUIET)


def test_a_dream_waits_for_the_one_running_and_those_ahead_by_their_estimates() -> None:
    page = Line()
    running, first, mine = page.join("a"), page.join("b"), page.join("me")
    page.start(running)
    line._expected.update({running._id: estimate_of(30.0), first._id: estimate_of(20.0), mine._id: estimate_of(5.0)})
    try:
        place = line.place_of(page.queue, "me", {page.dream["id"]})
        assert place is not None and place.ahead == 2 and place.alongside == 0
        assert place.seconds == pytest.approx(50.0)  # the running one (not yet begun its steps), then the next
        assert line.place_of(page.queue, "b", {page.dream["id"]}) == line.Place(1, pytest.approx(30.0), 0)
        assert line.place_of(page.queue, "a", {page.dream["id"]}) is None  # running: not waiting
        # A new dream would wait for all three; a session with a dream of its own in the line sees no wait.
        assert line.place_if_joined(page.queue, "new").seconds == pytest.approx(55.0)
        assert line.place_if_joined(page.queue, "me") == line.Place(0, 0.0, 0)
    finally:
        line._expected.clear()


def test_with_two_workers_a_dream_starts_when_the_first_frees_and_runs_beside_the_other() -> None:
    page = Line(workers=2)
    long, short = page.join("a"), page.join("b")
    page.join("me")
    page.start(long)
    page.start(short)
    line._expected.update({long._id: estimate_of(60.0), short._id: estimate_of(10.0)})
    try:
        assert line.place_of(page.queue, "me", {page.dream["id"]}) == line.Place(2, pytest.approx(10.0), 1)
    finally:
        line._expected.clear()


def test_a_running_dream_counts_for_what_its_own_run_has_left() -> None:
    """Once the engine times the run (keyed by its queue event), its remaining time replaces the estimate."""
    page = Line()
    running = page.join("a")
    page.join("me")
    page.start(running)
    settings = DreamSettings(max_size=64, steps=100, octaves=1, device="cpu")
    costs = CostTable({LITE0: DefaultCost(cpu=1000.0, gpu=1.0)})  # an estimate of minutes...
    estimate = estimate_dream(settings, (64, 64), costs=costs)

    def steps() -> Iterator[DreamProgress]:
        for done in range(1, 101):
            time.sleep(0.01 if done > 1 else 0.0)
            yield DreamProgress(1, 1, done, 100, done, 100, 0.0, None)

    run = timed(steps(), estimate, key=running._id, costs=costs, load=lambda: QUIET)
    for _ in range(60):  # ...while the run does a step in about 0.01 s (more on a busy machine)
        next(run)
    try:
        place = line.place_of(page.queue, "me", {page.dream["id"]})
        assert place is not None and place.seconds < estimate.seconds / 10  # its pace, not the estimate
    finally:
        run.close()


def test_a_dream_nobody_noted_counts_for_gradios_average_of_its_function() -> None:
    page = Line()
    page.join("api")  # an API call: nobody noted its estimate
    page.join("me")
    page.queue.process_time_per_fn[page.fn].add(12.0)
    page.queue.process_time_per_fn[page.fn].add(8.0)
    assert line.place_of(page.queue, "me", {page.dream["id"]}) == line.Place(1, pytest.approx(10.0), 0)


def waited(page: Line, session: str, until: Any) -> list[dict[str, Any]]:
    """What the waiter of ``session`` says until ``until()`` (a coroutine) has moved the line, then ends."""

    async def main() -> list[dict[str, Any]]:
        said: list[dict[str, Any]] = []

        async def listen() -> None:
            LocalContext.blocks.set(page.blocks)
            async for update in line.waiting(session, {page.dream["id"]}, estimate_of(5.0), lambda p: {"at": p}):
                said.append(update)

        await asyncio.gather(listen(), until())
        return said

    return asyncio.run(main())


def test_the_waiter_says_each_new_place_and_ends_when_its_dream_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(line, "POLL_S", 0.05)
    page = Line()
    first, second, mine = page.join("a"), page.join("b"), page.join("me")
    page.start(first)
    line._expected.update({first._id: estimate_of(30.0), second._id: estimate_of(20.0)})

    async def move() -> None:
        await asyncio.sleep(0.3)
        page.queue.active_jobs[0] = None  # the first dream ends, the second starts
        page.start(second)
        await asyncio.sleep(0.3)
        page.start(mine)  # now it is mine

    said = waited(page, "me", move)
    assert [update["at"].ahead for update in said] == [2, 1]
    assert said[0]["at"].seconds == pytest.approx(50.0, abs=1.0) and said[1]["at"].seconds == pytest.approx(20.0, abs=1)
    assert "me" not in line._waiters  # a dream that starts now need not wait for it (see handover)
    assert mine._id in line._expected  # kept while it runs: until its first step, the line counts it by its estimate
    line._expected.clear()


def test_a_waiter_whose_dream_never_waited_says_nothing() -> None:
    page = Line()
    mine = page.join("me")
    page.start(mine)  # a free worker took it at once
    assert waited(page, "me", lambda: asyncio.sleep(0)) == []
