"""An assistant's side of the app's MCP server: one session, for the tests that call its tools."""

from __future__ import annotations

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client


async def session_run(url: str, work):
    """An MCP session with the app at ``url``, initialized: returns what ``work(session)`` returns."""
    async with (
        streamable_http_client(url + "gradio_api/mcp/") as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        return await work(session)
