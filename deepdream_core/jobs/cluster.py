"""Batch dreams and video segments on a Ray cluster: one long-lived worker per CPU or GPU slot holds the model.

Only the CLI's ``--ray`` imports this module (and with it Ray, an optional extra:
``pip install 'deepdream-studio[ray]'``). The driver (this process) reads the inputs, decides what is
done already, hands each image to the next free worker, and writes the PNG bytes the worker sends
back (atomically), so the workers need no shared folder. A worker whose process dies is restarted by
Ray (it loads the model again) and its image is retried once, on whichever worker is free first;
a second death reports the image as failed. Ctrl-C cancels what is queued and kills the workers.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ray
from PIL import Image

from ..dreaming.settings import DreamSettings
from ..models.echo import echo
from ..motion.segments import dream_segment
from ..motion.video import VideoSettings
from . import batch
from .batch import BatchItem, BatchJob, BatchReport, ClusterError, Outcome, Progress

# A worker loads torch and the model when it starts: half a minute on a busy 2-core machine, more
# when the weights are downloaded first. One that takes longer than this is given up.
WORKER_START_TIMEOUT_S = 600.0
# How often the driver looks up from waiting, so Ctrl-C is handled promptly.
_POLL_S = 0.5
# How often Ray may restart one worker; a worker that keeps dying (out of memory at load) is dropped.
_MAX_RESTARTS = 3
# Small: results come back as PNG bytes, not as big arrays. Ray's own default takes 30% of memory.
_LOCAL_OBJECT_STORE_BYTES = 200 * 1024 * 1024


class DreamWorker:
    """A Ray actor process holding one model; ``ready`` loads it (again after a restart), with the driver's
    choice of CUDA graphs (see :func:`~deepdream_core.dreaming.cache.set_cuda_graphs`)."""

    def __init__(self, model: str, device: str, cuda_graphs: bool = False) -> None:
        self.model, self.device, self.cuda_graphs = model, device, cuda_graphs

    def ready(self, job: BatchJob | None = None) -> str:
        """Load the model (once per process), check the job, and return the weights' fingerprint."""
        from ..dreaming.cache import get_dreamer, set_cuda_graphs
        from ..files.records import weights_fingerprint

        set_cuda_graphs(self.cuda_graphs)
        dreamer = get_dreamer(self.model, self.device)
        if job is not None:
            batch.check_job(dreamer, job)
        return weights_fingerprint(self.model)

    def dream_image(self, job: BatchJob, data: bytes, weights: str) -> tuple[bytes | None, tuple[str, ...], str | None]:
        """(PNG bytes, notices, None), or (None, (), message) when this image cannot be dreamed."""
        from ..dreaming.cache import get_dreamer

        try:
            png, notices = batch.dream_bytes(get_dreamer(self.model, self.device), job, data, weights)
        except batch.IMAGE_ERRORS as err:
            return None, (), str(err)
        return png, notices, None

    def dream_segment(
        self, clip: Any, settings: DreamSettings, video: VideoSettings, guide: Image.Image | None
    ) -> list[Image.Image]:
        return dream_segment(clip, settings, video, guide)


@dataclass
class _Pool:
    """The driver's view of its workers: the free ones, the (re)starting ones and since when."""

    workers: list
    starting: dict  # ready() ref -> (worker, when it was asked)
    free: collections.deque = field(default_factory=collections.deque)
    weights: str = ""  # the model's fingerprint, from the first worker up


def connect(address: str, device: str = "auto") -> tuple[int, dict[str, float]]:
    """Join (``auto``, ``HOST:PORT``, ``ray://...``) or start (``local``) a cluster.

    Returns how many workers to start and the resources each takes: one per GPU when the cluster
    has GPUs (and ``device`` allows them), else one per CPU.
    """
    # Ship this engine's code to the workers, so they dream with exactly the driver's version even
    # where the cluster has another (or no) copy installed; the dependencies must be there already.
    engine = Path(__file__).parents[1]  # deepdream_core/
    runtime_env = {"py_modules": [str(engine)], "excludes": ["__pycache__"]}
    try:
        if address == "local":
            # Ray protects a cluster it starts with a token (~/.ray/auth_token); RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0
            # keeps it on 127.0.0.1 (see README, Scaling out).
            ray.init(
                include_dashboard=False,
                runtime_env=runtime_env,
                log_to_driver=False,
                logging_level=logging.WARNING,
                object_store_memory=_LOCAL_OBJECT_STORE_BYTES,
            )
        else:
            ray.init(address=address, runtime_env=runtime_env, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, ValueError, RuntimeError) as err:
        raise ClusterError(
            f"could not join the Ray cluster at {echo(address)} ({err}); start one with "
            f"`ray start --head`, give its address (HOST:6379), or use --ray local"
        ) from None
    resources = ray.cluster_resources()
    gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 0))
    if gpus and device in ("auto", "cuda"):
        return gpus, {"num_gpus": 1, "num_cpus": 0}
    if cpus < 1:
        ray.shutdown()
        raise ClusterError(f"the Ray cluster at {echo(address)} has no CPU or GPU to run a worker on")
    return cpus, {"num_cpus": 1}


def _start_workers(count: int, resources: dict[str, float], settings: DreamSettings, job: BatchJob | None) -> _Pool:
    from ..dreaming.cache import cuda_graphs_on

    actor: Any = ray.remote(max_restarts=_MAX_RESTARTS, max_task_retries=0)(DreamWorker)
    options = (settings.model, settings.device, cuda_graphs_on())
    workers = [actor.options(**resources).remote(*options) for _ in range(count)]
    now = time.monotonic()
    return _Pool(workers, {worker.ready.remote(job): (worker, now) for worker in workers})


def _stop(pool: _Pool | None) -> None:
    """Kill our workers (a running image stops at once; nothing partial is written) and leave the cluster."""
    if pool is not None:
        for worker in pool.workers:
            ray.kill(worker, no_restart=True)
    ray.shutdown()


def _wait_until_one_ready(pool: _Pool) -> str:
    """The weights' fingerprint from the first worker up; a job error (bad layer, no weights) is raised here."""
    while not pool.free:
        if not pool.starting:
            raise ClusterError("no Ray worker could start; see the cluster's logs (`ray logs`)")
        _poll(pool, {})
    return pool.weights


def _poll(pool: _Pool, in_flight: dict) -> list:
    """Wait a little for a task or a starting worker; returns the finished tasks' refs.

    Workers that became ready join ``pool.free``; one whose start failed for good, or took too long,
    leaves the pool. A start that failed on the job itself (an unknown layer, weights not found)
    raises that error, as every worker would meet it.
    """
    ready, _ = ray.wait(list(in_flight) + list(pool.starting), num_returns=1, timeout=_POLL_S)
    now = time.monotonic()
    for ref, (worker, since) in list(pool.starting.items()):
        if ref in ready:
            del pool.starting[ref]
            try:
                pool.weights = ray.get(ref)
                pool.free.append(worker)
            except ray.exceptions.RayTaskError as err:
                raise err.cause from None
            except ray.exceptions.RayActorError:
                pool.workers.remove(worker)  # dead for good: Ray gave up restarting it
        elif now - since > WORKER_START_TIMEOUT_S:
            del pool.starting[ref]
            pool.workers.remove(worker)
            ray.kill(worker, no_restart=True)
    return [ref for ref in ready if ref in in_flight]


_DIED = (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError, ray.exceptions.OutOfMemoryError)


def _fan_out(
    pool: _Pool,
    tasks: Sequence[Any],
    submit: Callable[[Any, Any], Any],
    on_result: Callable[[Any, Any], None],
    on_lost: Callable[[Any, str], None],
    on_retry: Callable[[Any], None],
) -> None:
    """Give each task to the next free worker; a task whose worker died goes back in the queue once."""
    queue = collections.deque((task, 0) for task in tasks)
    in_flight: dict = {}  # ref -> (worker, task, tries so far)
    while queue or in_flight:
        if not pool.workers:
            for task, _ in queue:
                on_lost(task, "no Ray worker is left to dream it")
            return
        while pool.free and queue:
            worker = pool.free.popleft()
            task, tries = queue.popleft()
            in_flight[submit(worker, task)] = (worker, task, tries)
        for ref in _poll(pool, in_flight):
            worker, task, tries = in_flight.pop(ref)
            try:
                result = ray.get(ref)
            except _DIED:
                # Ray restarts the worker (max_restarts); it takes work again once ready() answers.
                pool.starting[worker.ready.remote()] = (worker, time.monotonic())
                if tries == 0:
                    on_retry(task)
                    queue.appendleft((task, 1))
                else:
                    on_lost(task, "the worker dreaming it died twice (out of memory?), so it was not dreamed")
                continue
            pool.free.append(worker)
            on_result(task, result)


def run_batch(items: Sequence[BatchItem], job: BatchJob, address: str, progress: Progress) -> BatchReport:
    """Dream every item not done yet on the cluster at ``address``; see the module's docstring."""
    pool = None
    try:
        count, resources = connect(address, job.settings.device)
        pool = _start_workers(count, resources, job.settings, job)
        weights = _wait_until_one_ready(pool)
        todo = batch.pending(items, job, weights)
        report = BatchReport(total=len(items), skipped=len(items) - len(todo))
        progress.start(report.total, report.skipped)

        shared_job = ray.put(job)  # sent to the cluster once, not with every image

        def submit(worker: Any, item: BatchItem) -> Any:
            try:
                data = batch.read_input(item.source)
            except batch.IMAGE_ERRORS as err:  # an unreadable input is reported without a round trip
                return ray.put((None, (), str(err)))
            return worker.dream_image.remote(shared_job, data, weights)

        def finish(item: BatchItem, outcome: Outcome) -> None:
            report.add(outcome)
            progress.finished(outcome)

        def on_result(item: BatchItem, result: tuple[bytes | None, tuple[str, ...], str | None]) -> None:
            png, notices, error = result
            if png is not None:
                try:
                    batch.save_output(item, png)
                except OSError as err:
                    error = str(err)
            finish(item, Outcome(item, error, notices))

        _fan_out(
            pool,
            todo,
            submit,
            on_result,
            lambda item, why: finish(item, Outcome(item, why)),
            lambda item: progress.note(f"a worker died while dreaming {item.source}; it is dreamed again"),
        )
        return report
    finally:
        _stop(pool)


def run_segments(
    clips: Sequence[Any],
    settings: DreamSettings,
    video: VideoSettings,
    guide: Image.Image | None,
    address: str,
    on_segment: Callable[[int, int], None],
) -> list[list[Image.Image]]:
    """Dream each segment's clip on the cluster at ``address``, in parallel; the frames of each, in order."""
    pool = None
    results: dict[int, list[Image.Image]] = {}
    try:
        count, resources = connect(address, settings.device)
        pool = _start_workers(min(count, len(clips)), resources, settings, None)
        _wait_until_one_ready(pool)

        def on_result(index: int, frames: list[Image.Image]) -> None:
            results[index] = frames
            on_segment(len(results), len(clips))

        def on_lost(index: int, why: str) -> None:
            raise ClusterError(f"segment {index + 1} of {len(clips)}: {why}")

        _fan_out(
            pool,
            range(len(clips)),
            lambda worker, index: worker.dream_segment.remote(clips[index], settings, video, guide),
            on_result,
            on_lost,
            lambda index: None,
        )
    finally:
        _stop(pool)
    return [results[index] for index in range(len(clips))]
