"""Fixtures for every layer, and the layers themselves.

``tests/core``: the engine; ``tests/studio``: the app's handlers and controls, without a server;
``tests/e2e``: the real app in a subprocess (API, load, security, the browser), marked ``e2e``.
The fast layers alone: ``python -m pytest -m "not e2e"``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from torch import nn

from tests.support.networks import make_tiny_cnn
from tests.support.photos import skimage_photo

E2E = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(E2E):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def photo() -> Image.Image:
    """A small real photo (Chelsea the cat)."""
    return skimage_photo("chelsea", 160)


@pytest.fixture
def tiny_cnn() -> nn.Module:
    return make_tiny_cnn()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory):
    """The real app (``python app.py``) with the shipped presets, shared by the API and browser tests."""
    from tests.support.app_server import running_app

    workdir = tmp_path_factory.mktemp("app")
    # A low frame cap, so a short generated clip is over it (the app's default is 48 frames).
    # Every preview streamed: how many arrive must not depend on how fast this machine dreams.
    env = {"DEEPDREAM_MOTION_MAX_FRAMES": "6", "DEEPDREAM_PREVIEW_INTERVAL_MS": "0"}
    with running_app(workdir, env) as server:
        yield server


@pytest.fixture(scope="module")
def client(app_server):
    """A gradio_client session with the shared app server."""
    from gradio_client import Client

    return Client(app_server.url, verbose=False)


@pytest.fixture(scope="module")
def cat() -> Image.Image:
    """Chelsea at 160x106: the picture every odd image file is made from."""
    return skimage_photo("chelsea", 160)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, cat: Image.Image) -> dict[str, Path]:
    """Every bad and unusual image file (tests/support/odd_images.py), written once for the module."""
    from tests.support.odd_images import write_odd_images

    return write_odd_images(tmp_path_factory.mktemp("odd"), cat)
