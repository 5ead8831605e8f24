"""Shared fixtures: real photos from scikit-image and a tiny CNN for fast checks of the loop."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import nn


def skimage_photo(name: str, max_side: int | None = None) -> Image.Image:
    from skimage import data

    image = Image.fromarray(getattr(data, name)()).convert("RGB")
    if max_side:
        image.thumbnail((max_side, max_side))
    return image


@pytest.fixture
def photo() -> Image.Image:
    """A small real photo (Chelsea the cat)."""
    return skimage_photo("chelsea", 160)


def make_tiny_cnn(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(OrderedDict(
        conv1=nn.Conv2d(3, 8, 3, padding=1), relu1=nn.ReLU(),
        conv2=nn.Conv2d(8, 16, 3, padding=1, stride=2), relu2=nn.ReLU(),
        conv3=nn.Conv2d(16, 16, 3, padding=1), relu3=nn.ReLU(),
    ))


@pytest.fixture
def tiny_cnn() -> nn.Module:
    return make_tiny_cnn()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory):
    """The real app (``python app.py``) with the shipped presets, shared by the API and browser tests."""
    from app_server import running_app

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
    """Every bad and unusual image file (tests/odd_images.py), written once for the module."""
    from tests.odd_images import write_odd_images

    return write_odd_images(tmp_path_factory.mktemp("odd"), cat)

