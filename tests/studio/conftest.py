"""Fixtures the studio's handler tests share."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Gradio's upload folder for this test: uploads and results land here, and the inputs must be in it."""
    folder = tmp_path / "gradio"
    folder.mkdir()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(folder))
    return folder
