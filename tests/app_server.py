"""The real app in a subprocess on 127.0.0.1 and a free port, for API, browser and load tests.

Several people run tests on one machine at once, so the port is picked free by the OS, never 7860.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parent.parent
# Cold start on a busy 2-core machine: importing torch and gradio can take half a minute.
START_TIMEOUT_S = 240


@dataclass(frozen=True)
class AppServer:
    url: str
    process: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_test_presets(folder: Path) -> Path:
    """Small, fast presets made from scikit-image photos: a layer look, a guide-image look, a class look."""
    from conftest import skimage_photo

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("coffee", "rocket", "astronaut"):
        skimage_photo(name, 96).save(folder / f"{name}.jpg")
    presets = {
        "quick-eyes": {"title": "Quick eyes", "description": "Eyes, fast.", "family": "creatures", "order": 10,
                       "thumbnail": "coffee.jpg",
                       "settings": {"layers": [{"layer": "blocks.3", "weight": 1.0}], "steps": 4, "octaves": 2}},
        "guided": {"title": "Guided", "description": "Textures of a guide photo.", "family": "guide", "order": 20,
                   "thumbnail": "rocket.jpg", "guide": "astronaut.jpg",
                   "settings": {"steps": 3, "octaves": 2, "guide_weight": 2.0}},
        "tabby": {"title": "Tabby", "description": "More cat.", "family": "class", "order": 30,
                  "thumbnail": "astronaut.jpg",
                  "settings": {"steps": 3, "octaves": 2, "class_target": "tabby cat", "class_weight": 3.0}},
    }
    for name, data in presets.items():
        (folder / f"{name}.json").write_text(json.dumps(data))
    return folder


@contextmanager
def running_app(workdir: Path, env: dict[str, str] | None = None) -> Iterator[AppServer]:
    """Start ``python app.py``; wait until it answers; kill it (and only it) at the end."""
    port = free_port()
    log = workdir / "app-server.log"
    full_env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
                "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(workdir / "gradio-cache"),
                "PYTHONUNBUFFERED": "1", **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=full_env, stdout=out,
                                   stderr=subprocess.STDOUT)
    server = AppServer(f"http://127.0.0.1:{port}/", process, log)
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
