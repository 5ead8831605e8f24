"""Models a server cannot or will not dream with: a failed load gives its memory back, and
``DEEPDREAM_SPACE_MODELS`` refuses every other model on every path before anything of it is built or fetched.

Each app here runs against a local stand-in for the Hugging Face Hub that holds no files, with a cache of
its own, so a timm model's weights are "not found" (404) and never come from the network or this machine.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from deepdream_core import DreamSettings
from deepdream_core.files.records import dream_record, png_bytes
from tests.support.app_server import AppServer, queue_call, rss_mb, running_app
from tests.support.clips import make_clip
from tests.support.hub_standin import HubStandIn
from tests.support.mcp import session_run
from tests.support.photos import skimage_photo

# 304 M parameters: built for real, 1.2 GB. A failed load of it kept all of that, per request.
LARGE = "vit_large_patch16_224.augreg_in21k_ft_in1k"
TINY = {"max_size": 64, "steps": 1, "octaves": 1, "seed": 5}
NOT_OFFERED = f"model: this app offers efficientnet_lite0; '{LARGE}' is not one of them"
# What a visitor reads for the same model in a link or a dropped file: the control by its label, the page's networks
# by title.
NOT_ON_THE_PAGE = f"Network: there is no network called '{LARGE}' here; this page offers EfficientNet-Lite0"


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandIn]:
    with HubStandIn() as standin:
        yield standin


def app_env(hub: HubStandIn, workdir: Path, **extra: str) -> dict[str, str]:
    return {**hub.env(workdir / "hf-home"), "DEEPDREAM_CACHE": str(workdir / "cache"), **extra}


def dream_with(client: Client, photo: Path, model: str) -> None:
    client.predict(handle_file(str(photo)), json.dumps({**TINY, "model": model}), None, None, api_name="/dream")


def test_failing_large_model_requests_give_their_memory_back(
    tmp_path_factory: pytest.TempPathFactory, hub: HubStandIn, cat_png: Path
) -> None:
    workdir = tmp_path_factory.mktemp("no-weights")
    with running_app(workdir, app_env(hub, workdir)) as server:
        client = Client(server.url, verbose=False)
        failure = f"Could not load weights for model '{LARGE}': .* was not found on the Hugging Face Hub"
        with pytest.raises(AppError, match=failure):
            dream_with(client, cat_png, LARGE)  # the first also imports what any model load needs
        before = rss_mb(server)
        for _ in range(10):
            with pytest.raises(AppError, match=failure):
                dream_with(client, cat_png, LARGE)
        after = rss_mb(server)
        assert after - before < 100, f"resident memory {before:.0f} -> {after:.0f} MB over 10 failed loads"
        assert hub.downloads(f"timm/{LARGE}", "model.safetensors") == 0  # asked for, found missing
        assert any(LARGE in path for _, path in hub.requests)
        dream_with(client, cat_png, "efficientnet_lite0")  # and the server still dreams


@pytest.fixture(scope="module")
def one_model_app(tmp_path_factory: pytest.TempPathFactory, hub: HubStandIn) -> Iterator[AppServer]:
    """The app as a public demo runs it: only the bundled model offered."""
    workdir = tmp_path_factory.mktemp("one-model")
    with running_app(workdir, app_env(hub, workdir, DEEPDREAM_SPACE_MODELS="efficientnet_lite0")) as server:
        yield server


def test_a_model_the_demo_does_not_offer_is_refused_on_every_api_path(
    one_model_app: AppServer, hub: HubStandIn, cat_png: Path, tmp_path: Path
) -> None:
    client = Client(one_model_app.url, verbose=False)
    settings = json.dumps({**TINY, "model": LARGE})
    calls = {
        "/dream": (handle_file(str(cat_png)), settings, None, None),
        "/dream_stream": (handle_file(str(cat_png)), settings, None, None),
        "/animate": (handle_file(str(cat_png)), settings, '{"frames": 2}'),
        "/dream_video": (handle_file(str(make_clip(tmp_path / "clip.mp4", frames=2))), settings, "{}"),
        "/sweep": (handle_file(str(cat_png)), settings, '{"setting": "steps", "values": [1, 2, 3]}'),
    }
    before, asked = rss_mb(one_model_app), len(hub.requests)
    for api_name, args in calls.items():
        with pytest.raises(AppError, match=re.escape(NOT_OFFERED)):
            client.predict(*args, api_name=api_name)
    # An assistant's tool call (MCP) takes the same path.
    png = io.BytesIO()
    skimage_photo("chelsea", 64).save(png, format="PNG")
    arguments = {
        "photo": "data:image/png;base64," + base64.b64encode(png.getvalue()).decode(),
        "settings_json": settings,
    }
    result = asyncio.run(session_run(one_model_app.url, lambda session: session.call_tool("dream", arguments)))
    assert result.isError and any(NOT_OFFERED in item.text for item in result.content if item.type == "text")
    assert not any(LARGE in path for _, path in hub.requests[asked:])  # no weights were even looked for
    assert rss_mb(one_model_app) - before < 100


def test_a_link_or_a_file_naming_a_model_the_demo_does_not_offer_is_noted_and_skipped(
    one_model_app: AppServer, hub: HubStandIn, tmp_path: Path
) -> None:
    asked = len(hub.requests)
    link = queue_call(one_model_app, "restore_link", [], query=str(httpx.QueryParams({"model": LARGE, "steps": 7})))
    record = tmp_path / "dream.png"
    record.write_bytes(png_bytes(skimage_photo("chelsea", 32), dream_record(DreamSettings(model=LARGE, steps=7))))
    with record.open("rb") as handle:
        uploaded = httpx.post(f"{one_model_app.url}gradio_api/upload", files={"files": handle}, timeout=30).json()[0]
    dropped = queue_call(one_model_app, "file_updates", [{"path": uploaded, "meta": {"_type": "gradio.FileData"}}])
    for message in (link, dropped):
        assert message["success"] is True, message
        note = message["output"]["data"][-1]
        assert note["visible"] is True and NOT_ON_THE_PAGE in note["value"]
        assert 7 in message["output"]["data"]  # the rest of the settings still restored
    assert not any(LARGE in path for _, path in hub.requests[asked:])
