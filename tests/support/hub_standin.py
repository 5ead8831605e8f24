"""A local stand-in for the Hugging Face Hub's file downloads, for tests without a network.

It answers ``HEAD``/``GET /{repo_id}/resolve/{revision}/{filename}`` like the Hub does for plain
(non-Xet) files: the commit and ETag headers ``huggingface_hub`` needs, the bytes, and 404s with
the Hub's ``X-Error-Code``. Point a process at it with ``HF_ENDPOINT`` (read when huggingface_hub
is imported, so tests run the client in a subprocess with :meth:`HubStandIn.env`)::

    with HubStandIn() as hub:
        hub.add("timm/some_model", "model.safetensors", data)
        subprocess.run([...], env=hub.env(tmp_path))
        assert hub.downloads("timm/some_model", "model.safetensors") == 1
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class HubStandIn:
    """Serves the files given to :meth:`add`; records every request as (method, path)."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self._server: ThreadingHTTPServer | None = None
        self._held: dict[str, threading.Event] = {}
        self._asked = threading.Condition()

    def add(self, repo_id: str, filename: str, data: bytes) -> None:
        self.files[(repo_id, filename)] = data

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "use HubStandIn as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def env(self, home: Path, endpoint: str | None = None) -> dict[str, str]:
        """The current environment, pointed at this stand-in (or ``endpoint``) with its own cache in ``home``."""
        env = dict(os.environ)
        env.update(
            HF_ENDPOINT=endpoint or self.endpoint,
            HF_HOME=str(home),
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_OFFLINE="0",
            HF_HUB_ETAG_TIMEOUT="5",
            HF_HUB_DOWNLOAD_TIMEOUT="5",
        )
        env.pop("HF_HUB_CACHE", None)
        env.pop("HF_TOKEN", None)
        return env

    def hold(self, repo_id: str) -> None:
        """Requests for ``repo_id`` wait unanswered until :meth:`release`: a slow Hub, with no clock to tune."""
        self._held[repo_id] = threading.Event()

    def release(self, repo_id: str) -> None:
        self._held.pop(repo_id).set()

    def wait_for_request(self, repo_id: str, timeout: float = 120) -> bool:
        """Whether a request for ``repo_id`` arrives within ``timeout`` seconds (or came already)."""
        with self._asked:
            return self._asked.wait_for(lambda: any(repo_id in path for _, path in self.requests), timeout)

    def downloads(self, repo_id: str, filename: str) -> int:
        """How many times the file's bytes were sent (GET), as opposed to checked (HEAD)."""
        return sum(1 for method, path in self.requests if method == "GET" and path == _path(repo_id, filename))

    def __enter__(self) -> HubStandIn:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        for held in list(self._held):
            self.release(held)
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                self._answer(send_body=False)

            def do_GET(self) -> None:
                self._answer(send_body=True)

            def _answer(self, send_body: bool) -> None:
                with hub._asked:
                    hub.requests.append((self.command, self.path))
                    hub._asked.notify_all()
                repo_id, _, rest = self.path.lstrip("/").partition("/resolve/")
                held = hub._held.get(repo_id)
                if held is not None:
                    held.wait(timeout=300)
                filename = rest.partition("/")[2]
                data = hub.files.get((repo_id, filename))
                if data is None:
                    known_repo = any(repo == repo_id for repo, _ in hub.files)
                    self.send_response(404)
                    self.send_header("X-Error-Code", "EntryNotFound" if known_repo else "RepoNotFound")
                    self.send_header("X-Repo-Commit", COMMIT)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if send_body:
                    self.wfile.write(data)

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

        return Handler


def _path(repo_id: str, filename: str) -> str:
    return f"/{repo_id}/resolve/main/{filename}"


def write_hub_cache(home: Path, repo_id: str, files: dict[str, bytes], commit: str = COMMIT) -> Path:
    """Put ``files`` into ``home`` (an ``HF_HOME``) as huggingface_hub's cache holds a download of ``main``.

    ``hub/models--{org}--{name}/``: each file's bytes in ``blobs/<sha256>``, ``refs/main`` naming the
    commit, and ``snapshots/<commit>/<filename>`` a relative link to the blob. This is where a Space's
    ``preload_from_hub`` leaves files. Returns the repository's cache folder.
    """
    repo = home / "hub" / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    for filename, data in files.items():
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = repo / "snapshots" / commit / filename
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    return repo


def closed_endpoint() -> str:
    """An http:// address on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
