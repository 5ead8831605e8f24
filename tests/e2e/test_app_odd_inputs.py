"""The running app meets NaN, JSON nested too deep, long values and file URLs on private addresses.

Through gradio_client, raw API calls (a whole request body nested too deep too), the page's share-link handler
and MCP: every one gets a specific message (never Gradio's generic "upstream Gradio app has raised an
exception"), and the app keeps serving.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from deepdream_core.dreaming.json_input import MAX_JSON_DEPTH
from tests.support.app_server import api_call, queue_call
from tests.support.mcp import session_run

TINY = {"max_size": 64, "steps": 1, "octaves": 1, "seed": 0}
DEEP = "[" * 100_000 + "]" * 100_000
HIDDEN_IN_UTF16 = ('{"data": ["\\"", ' + DEEP + ', "x"]}').encode("utf-16-le")
LONG_NAME = "m" * 8192
# The loopback address as Gradio's guard sees it in each spelling the issue lists (and a private network's).
PRIVATE_URLS = [
    "http://127.0.0.1/photo.png",
    "http://localhost:7860/photo.png",
    "http://127.1/photo.png",
    "http://2130706433/photo.png",
    "http://0x7f000001/photo.png",
    "http://[::ffff:127.0.0.1]/photo.png",
    "https://10.0.0.1/photo.png",
]
REFUSED = (
    "was not fetched: this server refuses private and local addresses (such as 127.0.0.1, localhost or "
    "10.0.0.1) and names it cannot look up. Send a public https:// URL, or the file itself"
)


def app_error(client: Client, *args: object, api_name: str) -> str:
    with pytest.raises(AppError) as raised:
        client.predict(*args, api_name=api_name)
    return str(raised.value)


def test_nan_and_infinity_get_the_settings_message(client: Client, cat_png_64: Path) -> None:
    photo = handle_file(str(cat_png_64))
    settings = json.dumps(TINY).replace('"steps": 1', '"steps": NaN')
    assert app_error(client, photo, settings, None, None, api_name="/dream") == (
        "steps: must be a number from 1 to 100, got NaN"
    )
    motion = '{"frames": Infinity}'
    assert app_error(client, photo, json.dumps(TINY), motion, api_name="/animate") == (
        "frames: must be a number from 1 to 600, got Infinity"
    )
    sweep = '{"setting": "max_size", "values": [64, 1e309, -Infinity]}'
    assert app_error(client, photo, json.dumps(TINY), sweep, api_name="/sweep") == (
        "max_size: must be a number from 32 to 4096, got Infinity"
    )


def test_deep_json_is_refused_with_a_message(client: Client, cat_png_64: Path) -> None:
    photo = handle_file(str(cat_png_64))
    for args, api_name, argument in (
        ((photo, DEEP, None, None), "/dream", "settings"),
        ((photo, json.dumps(TINY), DEEP), "/sweep", "sweep"),
        ((photo, json.dumps(TINY), DEEP), "/animate", "motion"),
    ):
        message = app_error(client, *args, api_name=api_name)
        assert message.startswith(f"{argument}: the JSON nests deeper than {MAX_JSON_DEPTH} levels"), message


def test_a_request_body_nested_too_deep_is_refused_and_the_app_keeps_serving(
    client: Client, app_server, cat_png_64: Path
) -> None:
    # The whole body nested 10^5 deep, not one argument: Gradio's API and the MCP server parse it themselves.
    too_deep = f"request body: the JSON nests deeper than {MAX_JSON_DEPTH} levels, so it was not read; send "
    logged_before = app_server.log.stat().st_size
    json_body = {"content-type": "application/json"}
    mcp_headers = {**json_body, "accept": "application/json, text/event-stream"}
    # Also in UTF-16, which the parsers read too, with an escaped quote that hid the brackets from a UTF-8 scan.
    for body in (DEEP.encode(), HIDDEN_IN_UTF16):
        for route in ("call/dream", "queue/join"):
            answer = httpx.post(f"{app_server.url}gradio_api/{route}", content=body, headers=json_body, timeout=60)
            assert answer.status_code == 400, answer.text
            assert answer.json()["detail"].startswith(too_deep + "the settings as a JSON string"), answer.text
        answer = httpx.post(f"{app_server.url}gradio_api/mcp/", content=body, headers=mcp_headers, timeout=60)
        assert answer.status_code == 400, answer.text
        error = answer.json()
        assert error["jsonrpc"] == "2.0" and error["id"] is None and error["error"]["code"] == -32700, error
        assert error["error"]["message"].startswith(too_deep + "each tool argument as its schema says"), error
    # Then a normal request on each transport is served, and the log holds no traceback.
    png, status = client.predict(handle_file(str(cat_png_64)), json.dumps(TINY), None, None, api_name="/dream")
    assert Path(png).exists() and status.startswith("Done"), status
    tools = asyncio.run(session_run(app_server.url, lambda session: session.list_tools())).tools
    assert "dream" in {tool.name for tool in tools}
    with app_server.log.open("rb") as log:
        log.seek(logged_before)
        assert b"Traceback" not in log.read()


def test_a_share_link_with_nan_and_an_8_kb_model_opens_with_short_notes(app_server) -> None:
    query = httpx.QueryParams({"steps": "NaN", "octaves": "1e309", "model": LONG_NAME, "jitter": "5"})
    message = queue_call(app_server, "restore_link", [], query=str(query))
    assert message["success"] is True
    notes = [
        item["value"]
        for item in message["output"]["data"]
        if isinstance(item, dict) and "had values that were ignored" in str(item.get("value"))
    ]
    assert len(notes) == 1, message
    note = notes[0]
    assert "Steps per octave: must be a number from 1 to 100, got NaN" in note  # by the controls' labels
    assert "Octaves: must be a number from 1 to 8, got Infinity" in note
    assert "(8,192 characters)" in note and len(note) < 1000, len(note)  # it was 8,275 characters


def test_a_long_value_in_the_api_is_echoed_short(client: Client, cat_png_64: Path) -> None:
    message = app_error(client, handle_file(str(cat_png_64)), json.dumps({LONG_NAME: 1}), None, None, api_name="/dream")
    assert "(8,192 characters): unknown setting" in message and len(message) < 600


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_a_file_url_on_a_private_address_is_refused_saying_what_to_send(app_server, url: str) -> None:
    data = [{"path": url, "meta": {"_type": "gradio.FileData"}}, json.dumps(TINY), None, None]
    event, payload = api_call(app_server, "dream", data)
    assert event == "error" and payload["error"].startswith(f"photo: {url} {REFUSED}"), payload


def test_gradio_client_and_mcp_get_the_private_address_message(client: Client, app_server) -> None:
    guide_url = "http://127.0.0.1/guide.png"
    message = app_error(client, handle_file(PRIVATE_URLS[0]), "{}", handle_file(guide_url), None, api_name="/dream")
    assert message.startswith(f"photo: {PRIVATE_URLS[0]} {REFUSED}"), message
    arguments = {"photo": "http://localhost/photo.png", "settings_json": json.dumps(TINY)}
    result = asyncio.run(session_run(app_server.url, lambda session: session.call_tool("dream", arguments)))
    texts = " ".join(item.text for item in result.content if item.type == "text")
    assert result.isError and f"photo: http://localhost/photo.png {REFUSED}" in texts, texts


def test_mcp_gets_the_settings_messages(app_server, cat_png_64: Path) -> None:
    import base64

    photo = "data:image/png;base64," + base64.b64encode(cat_png_64.read_bytes()).decode()

    def call(settings: str):
        arguments = {"photo": photo, "settings_json": settings}
        return asyncio.run(session_run(app_server.url, lambda session: session.call_tool("dream", arguments)))

    for settings, expected in (
        ('{"octaves": NaN}', "octaves: must be a number from 1 to 8, got NaN"),
        (DEEP, f"settings: the JSON nests deeper than {MAX_JSON_DEPTH} levels"),
        (json.dumps({"model": LONG_NAME}), "(8,192 characters)"),
    ):
        result = call(settings)
        texts = " ".join(item.text for item in result.content if item.type == "text")
        assert result.isError and expected in texts and len(texts) < 1000, texts


def test_the_app_keeps_serving(client: Client, cat_png_64: Path) -> None:
    png, status = client.predict(handle_file(str(cat_png_64)), json.dumps(TINY), None, None, api_name="/dream")
    assert Path(png).exists() and status.startswith("Done")
