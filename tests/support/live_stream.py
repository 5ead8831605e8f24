"""A raw client of Gradio's input streaming, as the Live tab's webcam speaks it (and as any other client may).

The page sends a stream's first frame to ``queue/join``, reads the queue's event stream (``process_starts``
gives the event's id, each ``process_streaming`` a dreamed frame) and posts every further frame to
``/gradio_api/stream/{event_id}``; the server dreams the newest frame it holds each time it is free. A frame
is ``{"url": "data:image/jpeg;base64,..."}``, or whatever a hostile client puts there instead.
"""

from __future__ import annotations

import base64
import io
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image

from tests.support.app_server import AppServer, config

STREAM_HANDLER = "live_stream"


def data_url(image: Image.Image, fmt: str = "JPEG") -> dict[str, str]:
    """A frame as the page's camera sends it: the picture inline, as a data URL."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    mime = "image/jpeg" if fmt == "JPEG" else f"image/{fmt.lower()}"
    return {"url": f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"}


def bytes_url(data: bytes, mime: str = "image/png") -> dict[str, str]:
    """Any bytes sent as a frame of type ``mime``."""
    return {"url": f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"}


@dataclass
class StreamRun:
    """What one stream got back: each dreamed frame's outputs, and the final message."""

    outputs: list[list[Any]] = field(default_factory=list)  # [dream, readout, state, watch] per dreamed frame
    final: dict[str, Any] = field(default_factory=dict)  # the process_completed message

    @property
    def error(self) -> str | None:
        return None if self.final.get("success", True) else self.final["output"].get("error")


def stream(
    server: AppServer,
    frames: Callable[[int], Any | None],
    strength: Any = 0.5,
    size: Any = 128,
    look: str = "eyes",
    timeout_s: float = 300,
) -> StreamRun:
    """Stream ``frames(0)``, ``frames(1)``... as the page does, each once the previous one is answered, until
    ``frames`` returns None (the stream is closed) or the server ends it (an error, the time limit)."""
    page = config(server)
    names = [dep["api_name"] for dep in page["dependencies"]]
    fn_index = names.index(STREAM_HANDLER)
    session = uuid.uuid4().hex

    def body(frame: Any) -> dict[str, Any]:
        data = [frame, look, strength, size, None]
        return {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": None}

    run = StreamRun()
    with httpx.Client(base_url=f"{server.url}gradio_api", timeout=60) as client:
        client.post("/queue/join", json=body(frames(0))).raise_for_status()
        event_id = None
        for message in _messages(client, session, timeout_s):
            kind = message.get("msg")
            if kind == "process_starts":
                event_id = message["event_id"]
            elif kind == "process_streaming":
                run.outputs.append(message["output"]["data"])
                frame = frames(len(run.outputs))
                if frame is None:
                    client.post(f"/stream/{event_id}/close")
                else:
                    client.post(f"/stream/{event_id}", json=body(frame))
            elif kind == "process_completed":
                run.final = message
                return run
    raise RuntimeError("the event stream ended without a result")


def _messages(client: httpx.Client, session: str, timeout_s: float) -> Iterator[dict[str, Any]]:
    with client.stream("GET", "/queue/data", params={"session_hash": session}, timeout=timeout_s) as events:
        for line in events.iter_lines():
            if line.startswith("data:"):
                yield json.loads(line[5:])
