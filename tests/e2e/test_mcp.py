"""The app as an MCP server: an assistant lists the tools and dreams a small photo through one."""

from __future__ import annotations

import asyncio
import base64
import io
import json

from tests.support.mcp import session_run
from tests.support.photos import skimage_photo

TINY = json.dumps({"max_size": 64, "steps": 1, "octaves": 1, "seed": 5})


def test_the_endpoints_are_tools_with_descriptions_and_typed_parameters(app_server) -> None:
    tools = asyncio.run(session_run(app_server.url, lambda session: session.list_tools())).tools
    by_name = {tool.name: tool for tool in tools}
    assert set(by_name) == {
        "dream",
        "dream_stream",
        "animate",
        "dream_video",
        "sweep",
    }  # the page's own handlers are not
    dream = by_name["dream"]
    assert dream.description.startswith("Dream a photo with DeepDream")
    properties = dream.inputSchema["properties"]
    assert properties["settings_json"]["type"] == "string" and "preset" in properties["settings_json"]["description"]
    assert "url" in properties["photo"]["format"]


def test_an_assistant_dreams_a_photo(app_server) -> None:
    # MCP clients send a file as a URL or inline as base64; the server will not fetch from its own address
    # (Gradio's SSRF guard refuses 127.0.0.1), so the photo goes inline, as a client holding a local file does.
    png = io.BytesIO()
    skimage_photo("chelsea", 96).save(png, format="PNG")
    arguments = {"photo": "data:image/png;base64," + base64.b64encode(png.getvalue()).decode(), "settings_json": TINY}
    result = asyncio.run(session_run(app_server.url, lambda session: session.call_tool("dream", arguments)))
    assert not result.isError, result.content
    texts = [item.text for item in result.content if item.type == "text"]
    images = [item for item in result.content if item.type == "image"]
    assert any("Done in" in text and "seed 5" in text for text in texts), texts
    assert images or any(".png" in text for text in texts), result.content
