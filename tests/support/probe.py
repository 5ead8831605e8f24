"""Run the app with a probe that says what the server process holds, for tests that look for leaks.

    python -m tests.support.probe REPORT app.py

The app runs exactly as ``python app.py`` runs it; the probe only adds a SIGUSR1 handler, the way a
profiler attaches to a process, and the app exposes nothing new. On SIGUSR1 it collects garbage and
writes REPORT (JSON, replaced atomically) with:

- ``tensors``, ``tensor_bytes``: every torch tensor Python can reach (the model's weights, and whatever
  a run still holds: images, activations, gradients) and the bytes of their distinct storages;
- ``busy_threads``: threads, other than the main one, that are inside the engine (``deepdream_core``):
  a run still going;
- ``suspended_generators``: the engine's generators that started and were not closed: a run left
  hanging, holding its frame and everything in it (the app's handler around it holds it too).
- ``report``: how many reports the probe has written, so a reader can tell a fresh one.

Memory held only inside C++ (and not by any tensor Python can reach) is not counted.
"""

from __future__ import annotations

import gc
import inspect
import json
import os
import runpy
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

# Every run goes through the engine, and nothing else does: a background thread or generator the app
# may keep for its own purposes is not counted as a run.
ENGINE = Path(__file__).resolve().parents[2] / "deepdream_core"


def _is_engine(filename: str) -> bool:
    return Path(os.path.abspath(filename)).is_relative_to(ENGINE)


def _in_engine(frame: FrameType | None) -> bool:
    while frame is not None:
        if _is_engine(frame.f_code.co_filename):
            return True
        frame = frame.f_back
    return False


def snapshot() -> dict[str, int | list[str]]:
    """What the process holds now (see the module docstring)."""
    gc.collect()
    objects = gc.get_objects()
    tensors, tensor_bytes = _tensors(objects)
    suspended = [
        g.__qualname__
        for g in objects
        if inspect.isgenerator(g)
        and _is_engine(g.gi_code.co_filename)
        and inspect.getgeneratorstate(g) == inspect.GEN_SUSPENDED
    ]
    main = threading.main_thread().ident
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    busy = [
        names.get(ident, str(ident))
        for ident, frame in sys._current_frames().items()
        if ident != main and _in_engine(frame)
    ]
    return {
        "tensors": tensors,
        "tensor_bytes": tensor_bytes,
        "busy_threads": sorted(busy),
        "suspended_generators": sorted(suspended),
    }


def _tensors(objects: list[object]) -> tuple[int, int]:
    """How many torch tensors are among ``objects``, and the bytes of their distinct storages."""
    torch = sys.modules.get("torch")
    if torch is None:
        return 0, 0
    count, storages = 0, {}
    for obj in objects:
        if issubclass(type(obj), torch.Tensor):
            count += 1
            try:
                storage = obj.untyped_storage()
            except (RuntimeError, NotImplementedError):  # sparse and other layouts without one storage
                continue
            storages[(str(obj.device), storage.data_ptr())] = storage.nbytes()
    return count, sum(storages.values())


def _reporter(report: Path) -> Callable[[int, FrameType | None], None]:
    count = 0

    def write_report(_signum: int, _frame: FrameType | None) -> None:
        nonlocal count
        count += 1
        partial = report.with_suffix(".partial")
        partial.write_text(json.dumps({**snapshot(), "report": count}))
        os.replace(partial, report)

    return write_report


if __name__ == "__main__":
    report, app = Path(sys.argv[1]).resolve(), sys.argv[2]
    signal.signal(signal.SIGUSR1, _reporter(report))
    sys.argv = sys.argv[2:]
    runpy.run_path(app, run_name="__main__")
