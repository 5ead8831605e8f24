"""The JSON depth guard on a tiny ASGI app, no server: what it refuses, and what passes through untouched."""

from __future__ import annotations

import asyncio
import json

from starlette.types import Message, Receive, Scope, Send

from deepdream_core.dreaming.json_input import MAX_JSON_DEPTH
from deepdream_studio.json_guard import THREAD_PAST_BYTES, DeepJsonGuard

DEEP = b"[" * 100_000 + b"]" * 100_000
TOO_DEEP = f"request body: the JSON nests deeper than {MAX_JSON_DEPTH} levels, so it was not read; send "


async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with the body it read, in one chunk per piece received, as a stream."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    while True:
        message = await receive()
        await send({"type": "http.response.body", "body": message.get("body", b""), "more_body": True})
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def call(path: str, chunks: list[bytes], content_type: bytes | None = b"application/json") -> tuple[int, bytes]:
    """The status and whole answer of the guarded ``echo_app`` for a POST of ``chunks``."""
    status, pieces = call_pieces(path, chunks, content_type)
    return status, b"".join(pieces)


def call_pieces(path: str, chunks: list[bytes], content_type: bytes | None) -> tuple[int, list[bytes]]:
    """The status and the answer's non-empty pieces (``echo_app`` sends one per piece of the body it got)."""
    headers = [(b"content-type", content_type)] if content_type is not None else []
    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    incoming: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1} for i, chunk in enumerate(chunks)
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(DeepJsonGuard(echo_app)(scope, receive, send))
    return sent[0]["status"], [message["body"] for message in sent[1:] if message.get("body")]


def test_a_deep_api_body_gets_400_with_the_message() -> None:
    status, answer = call("/gradio_api/call/dream", [DEEP[:70_000], DEEP[70_000:]])
    assert status == 400
    detail = json.loads(answer)["detail"]
    assert detail.startswith(TOO_DEEP + "the settings as a JSON string"), detail
    # FastAPI reads a body with no Content-Type as JSON, so that is checked too.
    assert call("/gradio_api/queue/join", [DEEP], content_type=None)[0] == 400


def test_a_deep_mcp_body_gets_a_json_rpc_error() -> None:
    for path in ("/gradio_api/mcp", "/gradio_api/mcp/", "/gradio_api/mcp/messages/"):
        status, answer = call(path, [DEEP])
        error = json.loads(answer)
        assert status == 400 and error["jsonrpc"] == "2.0" and error["id"] is None, error
        assert error["error"]["code"] == -32700 and error["error"]["message"].startswith(TOO_DEEP), error


def test_a_deep_body_in_utf_16_or_32_is_refused_too() -> None:
    # Python's parser reads UTF-16/32 bodies (json.loads on bytes detects the encoding); scanned as UTF-8, an
    # escaped quote swallowed the zero byte after it and the deep brackets counted as one string's.
    hidden = '["\\"", ' + "[" * 100_000 + "]" * 100_000 + ', "x"]'
    for encoding in ("utf-16-le", "utf-16-be", "utf-16", "utf-32-le", "utf-32"):
        body = hidden.encode(encoding)
        status, answer = call("/gradio_api/queue/join", [body])
        assert status == 400 and json.loads(answer)["detail"].startswith(TOO_DEEP), (encoding, answer[:200])
        status, answer = call("/gradio_api/mcp/", [body])
        assert status == 400 and json.loads(answer)["error"]["code"] == -32700, (encoding, answer[:200])
    shallow = '{"data": ["\\"", "{\\"steps\\": 12}"]}'.encode("utf-16-le")
    assert call("/gradio_api/queue/join", [shallow]) == (200, shallow)


def test_a_large_deep_body_is_refused_too() -> None:
    padding = b'{"photo": "' + b"A" * THREAD_PAST_BYTES + b'", "x": '  # scanned in a worker thread
    status, answer = call("/gradio_api/call/dream", [padding + DEEP + b"}"])
    assert status == 400 and json.loads(answer)["detail"].startswith(TOO_DEEP)


def test_everything_else_passes_through_untouched() -> None:
    at_limit = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    body = json.dumps({"data": [{"path": "x", "meta": {"_type": "gradio.FileData"}}, '{"steps": 12}']}).encode()
    assert call_pieces("/gradio_api/call/dream", [body[:10], body[10:]], b"application/json") == (200, [body])
    assert call("/gradio_api/mcp/", [at_limit]) == (200, at_limit)
    # Uploads and other bodies that are never parsed as JSON are not read by the guard at all: the app gets
    # them piece by piece, as sent (a JSON body above came whole, read by the guard and handed on).
    pieces = [DEEP[:10], DEEP[10:]]
    assert call_pieces("/gradio_api/upload", pieces, b"multipart/form-data; boundary=x") == (200, pieces)
    assert call_pieces("/gradio_api/call/dream", pieces, b"text/plain") == (200, pieces)
