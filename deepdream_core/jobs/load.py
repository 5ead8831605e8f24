"""How busy this machine is, and how much longer that makes a dream: what the time estimate multiplies by.

A dream on a CPU runs as many threads as torch uses (all the cores by default), and each step waits for all of
them, so it slows down when anything else wants those cores. Two kinds of competitors are counted:

- **other processes**: the CPU time the machine (or this container, when its cgroup caps it) spent outside this
  process over the last few seconds, in cores (:class:`CpuMeter`; Linux only, zero elsewhere);
- **this process's other dreams** that will run alongside: passed in by the caller, who knows them (the runs in
  progress of :mod:`.timing`, or the app's queue).

The model: every competitor keeps its cores busy, and the cores are shared evenly, so a dream that wants ``t``
cores takes ``(others + t x (1 + alongside)) / cores`` times as long as alone, and never less (:meth:`Load.slowdown`).
``bench/estimate.py`` checks the model against dreams run beside another process's dream. Past all cores busy the
counters cannot tell how many more wait, so a machine loaded beyond its cores reads as just full. On a
GPU the device, not the CPU, is what dreams share: a dream there is slowed by the dreams running beside it on the
same process, ``1 + alongside`` (not measured on a GPU here), and other processes are not seen.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

# The CPU time of other processes is averaged over at least this long (shorter: one scheduler tick's noise)...
MIN_WINDOW_S = 1.0
# ...and at most this long (longer: a dream that ended a while ago would still count as running).
MAX_WINDOW_S = 15.0
# With no sample old enough, two are taken this far apart (the first estimate of a process waits this long).
FIRST_WINDOW_S = 0.25


@dataclass(frozen=True)
class Load:
    """What competes with a dream for this machine's cores, as of the last few seconds."""

    others: float  # cores kept busy by other processes
    cores: float  # cores this process may use
    threads: float  # cores one dream of this process keeps busy (torch's threads, at most ``cores``)

    def slowdown(self, device: str, alongside: int = 0) -> float:
        """How many times longer than alone a dream on ``device`` takes, with ``alongside`` more dreams of this
        process running at the same time (see the module's docstring)."""
        if device.split(":")[0] != "cpu":
            return 1.0 + alongside
        demand = self.others + self.threads * (1 + alongside)
        return max(1.0, demand / self.cores)


QUIET = Load(others=0.0, cores=1.0, threads=1.0)  # nothing else runs: every slowdown is 1


@dataclass(frozen=True)
class CpuSample:
    at: float  # time.monotonic()
    busy: float  # CPU seconds the machine (or this container) has spent, all processes
    own: float  # CPU seconds this process has spent


class CpuMeter:
    """The cores other processes keep busy, from CPU-time counters sampled on each call (no thread of its own)."""

    def __init__(self, read_busy: Callable[[], float | None] | None = None, cores: float | None = None) -> None:
        self._read_busy = read_busy or machine_busy_seconds
        self.cores = cores or usable_cores()
        self._samples: deque[CpuSample] = deque(maxlen=64)
        self._lock = threading.Lock()

    def load(self, wait: bool = True) -> Load:
        """The load now, averaged over the last ``MIN_WINDOW_S`` to ``MAX_WINDOW_S`` seconds.

        With no sample that old, two are taken ``FIRST_WINDOW_S`` apart, or with ``wait`` False (a caller on an
        event loop) other processes count as none until the next call.
        """
        threads = min(float(torch.get_num_threads()), self.cores)
        now = self._sample()
        if now is None:  # no counters here (not Linux): other processes are not seen
            return Load(0.0, self.cores, threads)
        with self._lock:
            base = next((s for s in reversed(self._samples) if now.at - s.at >= MIN_WINDOW_S), None)
            self._samples.append(now)
        if base is None or now.at - base.at > MAX_WINDOW_S:
            if not wait:
                return Load(0.0, self.cores, threads)
            time.sleep(FIRST_WINDOW_S)
            base, now = now, self._sample() or now
            with self._lock:
                self._samples.append(now)
        elapsed = max(now.at - base.at, 1e-6)
        others = ((now.busy - base.busy) - (now.own - base.own)) / elapsed
        return Load(min(max(others, 0.0), self.cores), self.cores, threads)

    def _sample(self) -> CpuSample | None:
        busy = self._read_busy()
        return None if busy is None else CpuSample(time.monotonic(), busy, time.process_time())


def usable_cores() -> float:
    """The cores this process may run on: its CPU affinity, within its cgroup's CPU quota if one is set."""
    cores = float(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    quota = _cgroup_quota()
    return min(cores, quota) if quota else cores


def machine_busy_seconds() -> float | None:
    """CPU seconds spent by every process this one competes with: its cgroup's when a CPU quota caps the cgroup
    (a container's neighbours outside it do not take its cores), else the whole machine's; None off Linux."""
    if _cgroup_quota():
        usage = _read(Path("/sys/fs/cgroup/cpu.stat"))  # cgroup v2
        if usage is not None:
            fields = dict(line.split() for line in usage.splitlines() if line.count(" ") == 1)
            if "usage_usec" in fields:
                return int(fields["usage_usec"]) / 1e6
        usage = _read(Path("/sys/fs/cgroup/cpuacct/cpuacct.usage"))  # cgroup v1, nanoseconds
        if usage is not None and usage.strip().isdigit():
            return int(usage) / 1e9
    stat = _read(Path("/proc/stat"))
    if stat is None or not stat.startswith("cpu "):
        return None
    # user nice system idle iowait irq softirq steal ...: all but idle and iowait are busy time.
    ticks = [int(value) for value in stat.split("\n", 1)[0].split()[1:]]
    busy = sum(ticks) - ticks[3] - (ticks[4] if len(ticks) > 4 else 0)
    return busy / os.sysconf("SC_CLK_TCK")


def _cgroup_quota() -> float | None:
    """The cgroup's CPU quota in cores (cgroup v2 ``cpu.max``, or v1 ``cfs_quota_us``), None when unlimited."""
    limit = _read(Path("/sys/fs/cgroup/cpu.max"))
    if limit is not None:
        quota, _, period = limit.strip().partition(" ")
        return int(quota) / int(period) if quota.isdigit() and period.isdigit() else None
    quota_us = _read(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"))
    period_us = _read(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us"))
    if quota_us and period_us and quota_us.strip().isdigit() and period_us.strip().isdigit():
        return int(quota_us) / int(period_us)
    return None  # "-1" (v1) or "max" (v2): no quota


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


_METER: CpuMeter | None = None
_METER_LOCK = threading.Lock()


def current_load(wait: bool = True) -> Load:
    """This machine's load now, from the process's one meter (made on first use); see :meth:`CpuMeter.load`."""
    global _METER
    with _METER_LOCK:
        if _METER is None:
            _METER = CpuMeter()
        meter = _METER
    return meter.load(wait)
