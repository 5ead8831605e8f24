"""File inputs keep their upload checks when Gradio rebuilds them (issue 29.5): uploads only, handed over undecoded.

Gradio rebuilds a control from its constructor's arguments whenever a handler updates it in a session (a gr.skip()
too, which fills every output a handler's dict leaves out). The checks were replaced on the first instance, so the
rebuilt photo box decoded the next upload with Pillow itself (a 12000x12000 PNG: two DecompressionBombWarnings)
and took a bare server path again.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import gradio as gr
import pytest
from gradio.data_classes import FileData

from deepdream_studio import build_demo
from deepdream_studio.config import StudioConfig
from tests.support.odd_images import png_claiming

pytestmark = pytest.mark.usefixtures("uploads")  # Gradio's upload folder: tests/studio/conftest.py


def test_every_upload_input_keeps_its_checks_when_rebuilt(uploads: Path, tmp_path: Path) -> None:
    demo = build_demo(StudioConfig())
    inputs = {
        block.elem_id: block
        for block in demo.blocks.values()
        if getattr(block, "elem_id", None)
        in ("photo", "guide", "anim-start", "compare-photo", "dream-result", "video-clip", "settings-from")
    }
    assert len(inputs) == 7
    bomb = uploads / "huge.png"  # an upload: undecoded, so no Pillow warning and no 430 MB of pixels
    bomb.write_bytes(png_claiming(12000, 12000))
    secret = tmp_path / "secret.png"  # on the server, outside the upload folder
    secret.write_bytes(png_claiming(64, 64))
    for name, block in inputs.items():
        rebuilt = block.__class__(**{**block.constructor_args, "render": False})
        for control in (block, rebuilt):
            with pytest.raises(gr.Error, match="not an uploaded file"):
                control.preprocess(FileData(path=str(secret)))
            if isinstance(control, (gr.Image, gr.Video)):
                with warnings.catch_warnings():
                    warnings.simplefilter("error")  # Pillow's DecompressionBombWarning among them
                    assert control.preprocess(FileData(path=str(bomb))) == str(bomb), name
