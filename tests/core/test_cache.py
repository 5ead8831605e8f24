"""The model cache: each model loaded once per process, served at once while another model loads, one load
shared by the requests that ask for a model together, and a failed load tried afresh by the next request.

The loads are real: timm models' weights come through huggingface_hub from the local Hub stand-in, which
holds a model's requests unanswered (a slow Hub) until the test releases them, in a child process (it reads
HF_ENDPOINT at import) that asks for models from threads, one per line the test writes to it.
"""

from __future__ import annotations

import gc
import inspect
import queue
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from safetensors.torch import save as save_safetensors

from deepdream_core import BUNDLED_MODEL, get_spec
from deepdream_core.dreaming import cache
from tests.support import REPO
from tests.support.checkpoints import random_checkpoint
from tests.support.hub_standin import HubStandIn

SLOW = "mobilenetv3_small_100.lamb_in1k"  # small timm models: a real load in a second or two
FAILING = "mobilenetv3_small_050.lamb_in1k"


def waiting(ident: int | None) -> bool:
    """Whether thread ``ident`` waits in the cache for another request's load of its model."""
    frame, names = sys._current_frames().get(ident or 0), []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return "_cached_or_shared" in names and "wait" in names


# Each line "TAG MODEL" asks for MODEL in a thread of its own, which prints "TAG ok ID" or "TAG error MESSAGE";
# "TAG waits" is printed once that thread is waiting for another request's load of the model.
CHILD = (
    textwrap.dedent("""
    import sys, threading, time
    from deepdream_core.dreaming.cache import get_dreamer

    printing = threading.Lock()

    def say(*words):  # one whole line at a time: print() from two threads can interleave its parts
        with printing:
            sys.stdout.write(" ".join(str(word) for word in words) + "\\n")
            sys.stdout.flush()

    def ask(tag, model):
        try:
            say(tag, "ok", id(get_dreamer(model, "cpu")))
        except Exception as err:
            say(tag, "error", err)
""")
    + inspect.getsource(waiting)
    + textwrap.dedent("""
    threads = []
    for line in sys.stdin:
        tag, model, *then = line.split()
        thread = threading.Thread(target=ask, args=(tag, model))
        thread.start()
        threads.append(thread)
        if then == ["waits"]:
            deadline = time.monotonic() + 60
            while thread.is_alive() and not waiting(thread.ident) and time.monotonic() < deadline:
                time.sleep(0.01)
            say(tag, "waits" if waiting(thread.ident) else "did not wait")
    for thread in threads:
        thread.join()
""")
)


class Child:
    """The child process, asked for models one line at a time; its answers are read as they come."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def ask(self, tag: str, model: str, waits: bool = False) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{tag} {model}{' waits' if waits else ''}\n")
        self.process.stdin.flush()

    def answer(self, timeout: float = 180) -> list[str]:
        """The child's next line, split into tag, outcome and the rest; fails after ``timeout`` seconds without one."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no answer from the child in {timeout:g} s")
        assert line, f"the child ended: {self.process.stderr.read()[-3000:] if self.process.stderr else ''}"
        return line.split(maxsplit=2)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put("")


@pytest.fixture
def child_and_hub(tmp_path: Path) -> Iterator[tuple[Child, HubStandIn]]:
    with HubStandIn() as hub:
        hub.add(get_spec(SLOW).weights.repo_id, "model.safetensors", checkpoint(SLOW))
        # A held request must not time out in huggingface_hub before the test releases it.
        env = dict(hub.env(tmp_path / "hf"), HF_HUB_ETAG_TIMEOUT="300", HF_HUB_DOWNLOAD_TIMEOUT="300")
        child = Child(env)
        try:
            yield child, hub
        finally:
            assert child.process.stdin is not None
            child.process.stdin.close()
    # The stand-in has answered every held request on its way out, so the child's threads end.
    try:
        child.process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        child.process.kill()
        raise


def checkpoint(name: str) -> bytes:
    return save_safetensors(random_checkpoint(get_spec(name).build(), seed=0))


def requests_for(hub: HubStandIn, model: str, method: str) -> int:
    return sum(1 for verb, path in hub.requests if verb == method and get_spec(model).weights.repo_id in path)


def test_a_slow_download_holds_up_no_other_model_and_is_shared_by_its_requests(
    child_and_hub: tuple[Child, HubStandIn],
) -> None:
    child, hub = child_and_hub
    slow_repo = get_spec(SLOW).weights.repo_id
    hub.hold(slow_repo)
    child.ask("first", SLOW)
    assert hub.wait_for_request(slow_repo), "the first request for the slow model never reached the Hub"
    child.ask("second", SLOW, waits=True)
    assert child.answer() == ["second", "waits"]
    # The Hub still holds the slow model: the bundled one loads meanwhile, and is then served from the cache.
    child.ask("bundled", BUNDLED_MODEL)
    tag, outcome, bundled = child.answer()
    assert (tag, outcome) == ("bundled", "ok")
    child.ask("again", BUNDLED_MODEL)
    assert child.answer() == ["again", "ok", bundled]
    hub.release(slow_repo)
    answers = sorted(child.answer() for _ in range(2))
    assert [answer[:2] for answer in answers] == [["first", "ok"], ["second", "ok"]]
    assert answers[0][2] == answers[1][2], "the two requests got different dreamers"
    assert requests_for(hub, SLOW, "HEAD") == 1 and requests_for(hub, SLOW, "GET") == 1


def test_a_failed_load_is_shared_by_its_waiting_requests_and_the_next_request_tries_again(
    child_and_hub: tuple[Child, HubStandIn],
) -> None:
    child, hub = child_and_hub
    repo = get_spec(FAILING).weights.repo_id  # not on the stand-in yet: the Hub answers 404
    hub.hold(repo)
    child.ask("first", FAILING)
    assert hub.wait_for_request(repo)
    child.ask("second", FAILING, waits=True)
    assert child.answer() == ["second", "waits"]
    hub.release(repo)
    answers = sorted(child.answer() for _ in range(2))
    assert [answer[:2] for answer in answers] == [["first", "error"], ["second", "error"]]
    assert answers[0][2] == answers[1][2]
    assert "was not found on the Hugging Face Hub" in answers[0][2]
    assert requests_for(hub, FAILING, "HEAD") == 1  # one load for both
    # Nothing of the failed load stayed behind: the next request loads afresh, and now finds the weights.
    hub.add(repo, "model.safetensors", checkpoint(FAILING))
    child.ask("later", FAILING)
    assert child.answer()[:2] == ["later", "ok"]
    assert requests_for(hub, FAILING, "GET") == 1


def test_a_failed_load_keeps_nothing_once_its_requests_are_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    """No reference cycle through the cache keeps a failed load's tensors: they go without the garbage collector."""
    built: list[weakref.ref] = []
    release = threading.Event()

    class Weights:  # what a load holds when it fails (the tensors read, a module built)
        pass

    def failing_load(model: str, device: object) -> None:
        weights = Weights()
        built.append(weakref.ref(weights))
        release.wait(timeout=60)
        raise RuntimeError(f"{model}: out of memory")

    def ask() -> str:
        try:
            cache.get_dreamer("failing-model", "cpu")
        except RuntimeError as err:
            return str(err)
        return "no error"

    monkeypatch.setattr(cache, "get_spec", lambda model: None)
    monkeypatch.setattr(cache, "load_model", failing_load)
    answers: list[str] = []
    gc.disable()
    try:
        threads = [threading.Thread(target=lambda: answers.append(ask())) for _ in range(2)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while not (built and any(waiting(thread.ident) for thread in threads)):
            assert time.monotonic() < deadline, "no request waited for the other's load"
            time.sleep(0.01)
        release.set()
        for thread in threads:
            thread.join(timeout=60)
        assert answers == ["failing-model: out of memory"] * 2
        assert len(built) == 1  # one load for both requests
        assert built[0]() is None, "the failed load's objects outlived its requests"
    finally:
        gc.enable()
