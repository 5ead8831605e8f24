"""A picture the app serves is never rewritten in place while a response may be reading it (issue 29.5, h11's
"Too much data for declared Content-Length"): the same picture saved again leaves the file as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from deepdream_core import DreamSettings, dream_record
from deepdream_studio import build_demo
from deepdream_studio.config import StudioConfig
from deepdream_studio.runs import save_png
from tests.support.photos import skimage_photo

pytestmark = pytest.mark.usefixtures("uploads")  # Gradio's upload folder: tests/studio/conftest.py


def saved_twice(save: object, again: object) -> tuple[Path, Path]:
    """The paths of a first save and of the same picture saved again, with the first file aged in between, so a
    rewrite (which sets its mtime to now) shows."""
    first = Path(save())  # type: ignore[operator]
    os.utime(first, (0, 0))
    return first, Path(again())  # type: ignore[operator]


def test_the_page_serves_a_picture_saved_again_from_the_untouched_file(uploads: Path) -> None:
    demo = build_demo(StudioConfig())  # the page installs the whole-file writer
    result = next(block for block in demo.blocks.values() if getattr(block, "elem_id", None) == "dream-result")
    slider = next(block for block in demo.blocks.values() if getattr(block, "elem_id", None) == "compare")
    photo = skimage_photo("chelsea", 128)
    # The first frame of a 1-step dream is the photo at the working size; the before/after slider saves it again as
    # the dream ends. Gradio 6.31 truncated and rewrote that file while the browser was fetching it.
    first, again = saved_twice(
        lambda: result.postprocess(photo).path, lambda: slider.postprocess((photo.copy(), photo.copy())).root[0].path
    )
    assert again == first and first.stat().st_mtime == 0, "the file being served was rewritten"
    with Image.open(first) as image:
        assert image.size == photo.size
    assert [path.name for path in first.parent.iterdir()] == [first.name]  # no staging file left behind


def test_the_same_dream_saved_again_keeps_its_png(uploads: Path) -> None:
    photo, record = skimage_photo("coffee", 64), dream_record(DreamSettings(seed=1), None)
    first, again = saved_twice(lambda: save_png(photo, record), lambda: save_png(photo.copy(), dict(record)))
    assert again == first and first.stat().st_mtime == 0 and first.is_relative_to(uploads.resolve())
    other = Path(save_png(photo.rotate(90), record))
    assert other != first and other.name == "deepdream.png"  # another picture: its own file
