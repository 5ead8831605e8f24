"""Fixtures the engine's tests share: a photo file as a user passes it, and the bundled network."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepdream_core import BUNDLED_MODEL, Dreamer, get_dreamer
from tests.support.photos import skimage_photo


@pytest.fixture(scope="module")
def photo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Chelsea the cat as a 160x106 PNG on disk, as a user would pass it."""
    path = tmp_path_factory.mktemp("photos") / "chelsea.png"
    skimage_photo("chelsea", 160).save(path)
    return path


@pytest.fixture(scope="module")
def dreamer() -> Dreamer:
    """The bundled EfficientNet-Lite0 with its real weights, on the CPU (get_dreamer loads it once a process)."""
    return get_dreamer(BUNDLED_MODEL, "cpu")
