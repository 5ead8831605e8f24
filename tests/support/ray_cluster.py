"""A real Ray cluster on 127.0.0.1 for the cluster tests: started by the test, stopped after, its processes found by id.

Several people run tests on one machine at once, so every port is picked free by the OS and the
cluster's files live in its own temporary folder; only this cluster's processes (descendants of the
``ray start --block`` process the test started) are ever signalled. Ray resolves 127.0.0.1 to the
machine's network address unless told it is a single-machine cluster, and its token authentication
needs the driver to be told the token: :data:`LOOPBACK` and :attr:`RayCluster.env` say both.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.app_server import free_port

# `ray start` on a busy 2-core machine: its services come up in 10-30 s.
START_TIMEOUT_S = 180
STOP_TIMEOUT_S = 60
# Ray's switch for clusters on one machine (named for macOS and Windows, where it is the default):
# every address stays 127.0.0.1 instead of the machine's network address.
LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


@dataclass(frozen=True)
class RayCluster:
    address: str  # HOST:PORT, for --ray
    process: subprocess.Popen  # `ray start --head --block`: the cluster's processes are its descendants
    log: Path
    token: str  # this cluster's own authentication token

    @property
    def env(self) -> dict[str, str]:
        """The environment a driver process needs to join this cluster."""
        return {**os.environ, **LOOPBACK, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": self.token}

    def processes(self, title: str) -> list[int]:
        """Ids of this cluster's processes whose title (Ray sets ``ray::Class.method``) starts with ``title``."""
        return [pid for pid in descendants(self.process.pid) if _cmdline(pid).startswith(title)]


def descendants(root: int) -> list[int]:
    """Every process below ``root``, from /proc (children of children too)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@contextmanager
def running_cluster(cpus: int = 2) -> Iterator[RayCluster]:
    """``ray start --head`` on 127.0.0.1 with ``cpus`` CPU slots (one dream worker each); stopped at the end."""
    ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")
    assert ray is not None, "the ray command is missing: pip install 'ray>=2.40'"
    # Short: Ray's socket paths must fit in 107 bytes.
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    port = free_port()
    args = [
        ray,
        "start",
        "--head",
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--port={port}",
        f"--num-cpus={cpus}",
        "--include-dashboard=false",
        "--disable-usage-stats",
        f"--temp-dir={temp}",
        f"--object-store-memory={100 * 1024 * 1024}",
        f"--dashboard-agent-listen-port={free_port()}",
        f"--dashboard-agent-grpc-port={free_port()}",
        f"--runtime-env-agent-port={free_port()}",
        f"--metrics-export-port={free_port()}",
        f"--node-manager-port={free_port()}",
        f"--object-manager-port={free_port()}",
    ]
    log = temp / "ray-start.log"
    token = secrets.token_hex(16)
    with log.open("wb") as out:
        process = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **LOOPBACK, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token},
        )
    cluster = RayCluster(f"127.0.0.1:{port}", process, log, token)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while b"Ray runtime started" not in log.read_bytes():
            if process.poll() is not None:
                raise RuntimeError(f"ray start exited with code {process.returncode}:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the Ray cluster did not start within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}"
                )
            time.sleep(0.5)
        yield cluster
    finally:
        _stop(cluster)
        shutil.rmtree(temp, ignore_errors=True)


def _stop(cluster: RayCluster) -> None:
    """SIGTERM to `ray start --block` (it stops its services), then SIGKILL to whatever of ours is left."""
    left = {pid: _cmdline(pid) for pid in descendants(cluster.process.pid)}
    cluster.process.terminate()
    try:
        cluster.process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        cluster.process.kill()
        cluster.process.wait()
    for pid, cmdline in left.items():
        if cmdline and _cmdline(pid) == cmdline:  # still that process, not a new one that got its id
            os.kill(pid, signal.SIGKILL)
