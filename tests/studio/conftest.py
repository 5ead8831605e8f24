"""Fixtures the studio's handler tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.photos import skimage_photo


@pytest.fixture
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Gradio's upload folder for this test: uploads and results land here, and the inputs must be in it."""
    folder = tmp_path / "gradio"
    folder.mkdir()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(folder))
    return folder


@pytest.fixture
def cat_png(uploads: Path) -> str:
    """Chelsea at 96x64 as an upload (in this test's upload folder), by the path a handler is given."""
    path = uploads / "cat.png"
    skimage_photo("chelsea", 96).save(path)
    return str(path)
