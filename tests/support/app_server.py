"""The real app in a subprocess on 127.0.0.1 and a free port, for API, browser and load tests.

Several people run tests on one machine at once, so the port is picked free by the OS, never 7860.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support import REPO

# Cold start on a busy 2-core machine: importing torch and gradio can take half a minute.
START_TIMEOUT_S = 240


@dataclass(frozen=True)
class AppServer:
    url: str
    process: subprocess.Popen
    log: Path
    probe_report: Path | None = None  # where tests.support.probe writes, when the app runs under it

    def alive(self) -> bool:
        return self.process.poll() is None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(workdir: Path, env: dict[str, str] | None = None, probed: bool = False) -> Iterator[AppServer]:
    """Start ``python app.py``; wait until it answers; kill it (and only it) at the end.

    ``probed``: run it under ``tests.support.probe``, so :func:`probe` can say what the process holds.
    """
    port = free_port()
    log = workdir / "app-server.log"
    report = workdir / "probe.json" if probed else None
    command = ["-m", "tests.support.probe", str(report), "app.py"] if report else ["app.py"]
    full_env = {
        **os.environ,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_TEMP_DIR": str(workdir / "gradio-cache"),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, *command], cwd=REPO, env=full_env, stdout=out, stderr=subprocess.STDOUT
        )
    server = AppServer(f"http://127.0.0.1:{port}/", process, log, report)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if not server.alive():
                raise RuntimeError(f"the app exited with code {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(server.url + "config", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not answer within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mb(server: AppServer) -> float:
    """The server process's resident memory (VmRSS), in MB."""
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS line in /proc/PID/status")


def probe(server: AppServer, timeout_s: float = 60) -> dict:
    """A fresh report from the probe in a server started with ``probed=True`` (see tests.support.probe)."""
    assert server.probe_report is not None, "start the app with running_app(..., probed=True)"
    seen = json.loads(server.probe_report.read_text())["report"] if server.probe_report.exists() else 0
    server.process.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.probe_report.exists():
            report = json.loads(server.probe_report.read_text())
            if report["report"] > seen:
                return report
        time.sleep(0.2)
    raise RuntimeError(f"the probe wrote no report within {timeout_s} s:\n{server.log.read_text()[-3000:]}")


def config(server: AppServer) -> dict:
    with urllib.request.urlopen(server.url + "config", timeout=30) as response:
        return json.loads(response.read())


def page_inputs(server: AppServer, fn_name: str, values: dict[str, object]) -> list:
    """The data the page would send to a handler: each input's value by its elem_id, the page's defaults elsewhere.

    Handlers take the setting controls by name (``inputs_kwargs``), so a test names what it sets and never
    depends on the order of the inputs.
    """
    page = config(server)
    components = {component["id"]: component.get("props", {}) for component in page["components"]}
    dependency = next(dep for dep in page["dependencies"] if dep["api_name"] == fn_name)
    data = []
    for component_id in dependency["inputs"]:
        props = components[component_id]
        key = props.get("elem_id") or props.get("label")
        data.append(values[key] if key in values else props.get("value"))
    unknown = set(values) - {components[i].get("elem_id") or components[i].get("label") for i in dependency["inputs"]}
    if unknown:
        raise KeyError(f"{fn_name} has no inputs {sorted(unknown)}")
    return data


def queue_call(server: AppServer, fn_name: str, data: list, query: str = "", session: str | None = None) -> dict:
    """Call an event handler the way the browser does (``queue/join`` then the event stream), by function name.

    gradio_client cannot call the app's private (browser-only) handlers, but anyone can post to
    them like the page does, so the security tests do too. ``query`` is the page's query string,
    which the page sends along (share links are read from it). Returns the ``process_completed``
    message: ``output`` holds ``data`` or ``error``. ``session``: a session hash to share with other calls (one
    visitor's page); by default each call is a visitor of its own.
    """
    import uuid

    import httpx

    names = [dep["api_name"] for dep in config(server)["dependencies"]]
    session = session or uuid.uuid4().hex
    join = httpx.post(
        f"{server.url}gradio_api/queue/join" + (f"?{query}" if query else ""),
        timeout=60,
        json={
            "data": data,
            "fn_index": names.index(fn_name),
            "session_hash": session,
            "event_data": None,
            "trigger_id": None,
        },
    )
    join.raise_for_status()
    with httpx.stream(
        "GET", f"{server.url}gradio_api/queue/data", params={"session_hash": session}, timeout=300
    ) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise RuntimeError(f"the event stream for {fn_name} ended without a result")


def api_call(server: AppServer, api_name: str, data: list) -> tuple[str, dict | list | None]:
    """Call a public endpoint with raw HTTP (``/gradio_api/call/NAME``), sending ``data`` exactly as given.

    Returns the last event's kind (``complete`` or ``error``) and its data.
    """
    import httpx

    posted = httpx.post(f"{server.url}gradio_api/call/{api_name}", json={"data": data}, timeout=60)
    posted.raise_for_status()
    event, payload = "", None
    with httpx.stream(
        "GET", f"{server.url}gradio_api/call/{api_name}/{posted.json()['event_id']}", timeout=300
    ) as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                payload = json.loads(line[5:])
    return event, payload
