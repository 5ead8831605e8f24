"""Request bodies nested too deep, refused before Gradio or the MCP server parse them.

Gradio's API (``/gradio_api/call/...``, ``/gradio_api/queue/join``) and the MCP server read a request's JSON
body with Python's parser, which recurses once per level: a body nested 10^5 deep got Gradio's bare "There was an
error parsing the body", and the MCP server logged a traceback and answered error -32603. :class:`DeepJsonGuard`
reads the body of each request that may be parsed as JSON (the app reads it whole anyway), counts its depth with
the engine's check (``dreaming.json_input.check_depth``, the limit every JSON argument has) and answers HTTP 400
with that message; at the MCP endpoint as a JSON-RPC error, so MCP clients show it. Every other request, and
every response (streams included), passes through untouched.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deepdream_core.dreaming.json_input import check_depth, json_text
from deepdream_core.dreaming.settings import SettingsError

MCP_PATH = "/gradio_api/mcp/"
# JSON-RPC's code for "Invalid JSON was received by the server".
PARSE_ERROR = -32700
# What to send instead, for each transport.
API_HINT = '; send the settings as a JSON string, as in {"data": [<photo>, "{\\"steps\\": 12}", null, null]}'
MCP_HINT = (
    "; send each tool argument as its schema says (settings_json is a string), as in "
    '{"name": "dream", "arguments": {"photo": "https://...", "settings_json": "{\\"steps\\": 12}"}}'
)
# Larger bodies are scanned in a worker thread, so the server answers other requests meanwhile: the scan takes
# about 10 ms a MB here (a 67 MB body holding an inline 50 MB photo: 0.7 s), a small request's well under 1 ms.
THREAD_PAST_BYTES = 1 << 20


def parsed_as_json(scope: Scope) -> bool:
    """Whether Gradio or the MCP server would parse this request's body as JSON.

    FastAPI parses a body with no Content-Type as JSON too; forms and uploads (multipart) never are, and may be
    large and binary, so they are not read here.
    """
    if scope["method"] not in ("POST", "PUT", "PATCH"):
        return False
    content_type = next((value for key, value in scope["headers"] if key.lower() == b"content-type"), b"")
    media = content_type.split(b";")[0].strip().lower()
    return media in (b"", b"application/json") or (media.startswith(b"application/") and media.endswith(b"+json"))


class DeepJsonGuard:
    """ASGI middleware: a JSON request body nested deeper than the JSON limit gets HTTP 400 with a clear message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not parsed_as_json(scope):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before sending the whole body: nobody to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        del chunks
        mcp = MCP_PATH in scope["path"] + "/"
        hint = MCP_HINT if mcp else API_HINT
        try:
            if len(body) > THREAD_PAST_BYTES:
                await anyio.to_thread.run_sync(check_body, body, hint)
            else:
                check_body(body, hint)
        except SettingsError as refused:
            error = {"jsonrpc": "2.0", "id": None, "error": {"code": PARSE_ERROR, "message": str(refused)}}
            await JSONResponse(error if mcp else {"detail": str(refused)}, status_code=400)(scope, receive, send)
            return
        replay: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        del body  # held by the replay until the app reads it, not for as long as its answer streams

        async def replayed() -> Message:
            # The body once, then the client's own messages (a streaming response listens for its disconnect).
            return replay.pop() if replay else await receive()

        await self.app(scope, replayed, send)


def check_body(body: bytes, hint: str) -> None:
    """Raise :class:`SettingsError` for ``body`` if it nests too deep, read in the encoding the parser will read."""
    check_depth(json_text(body), "request body", hint)
