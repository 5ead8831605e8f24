"""Bad and unusual images, and out-of-range settings, through the running app's /dream API.

The same files as the engine and CLI tests (tests/support/odd_images.py), uploaded with gradio_client to
one shared server: each gets its specific message or a correct dream, and the server keeps serving.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from deepdream_core.dreaming.images import load_image
from deepdream_core.dreaming.settings import RANGES
from tests.support.app_server import config
from tests.support.limits import OVER
from tests.support.odd_images import BAD, UNUSUAL, colour_distance

TINY = {"max_size": 64, "steps": 1, "octaves": 1, "seed": 0}


def dream(
    client: Client, photo: Path, settings: dict | None = None, guide: Path | None = None, mask: Path | None = None
) -> tuple[str, str]:
    upload = [handle_file(str(path)) if path else None for path in (photo, guide, mask)]
    return client.predict(upload[0], json.dumps(settings or TINY), upload[1], upload[2], api_name="/dream")


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_file_gets_its_message_through_the_app(client: Client, files: dict[str, Path], name: str) -> None:
    with pytest.raises(AppError, match=re.escape(BAD[name])):
        dream(client, files[name])


def mean_rgb(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), np.float32).reshape(-1, 3).mean(axis=0)


@pytest.mark.parametrize("name", UNUSUAL)
def test_an_unusual_file_is_dreamed_through_the_app(
    client: Client, files: dict[str, Path], cat: Image.Image, name: str
) -> None:
    expected = load_image(files[name], max_size=64)  # what the engine makes of it: upright RGB, with notices
    result, status = dream(client, files[name])
    dreamed = Image.open(result)
    assert dreamed.format == "PNG" and dreamed.mode == "RGB" and dreamed.size == expected.image.size
    assert status.startswith("Done")
    for notice in expected.notices:  # said in the status, not silently changed
        assert notice in status
    # The dream of the right picture: close to the photo as a viewer shows it, far from a misreading of it.
    upright = cat.transpose(Image.Transpose.ROTATE_270) if name == "sideways.jpg" else cat
    if name == "animated.gif":
        red, green, blue = mean_rgb(dreamed)
        assert red > green + 100 and red > blue + 100  # the first frame is red; the others lime and blue
    elif name == "grey16.png":
        assert 100 < mean_rgb(dreamed).mean() < 156  # mid-grey, not clipped to white
    elif name == "rgba.png":
        assert mean_rgb(dreamed.crop((0, 0, dreamed.width, 3))).min() > 200  # transparent top: white, not black
    elif name == "grey.png":
        assert colour_distance(dreamed, upright.convert("L").convert("RGB")) < 25
    else:
        wrong = (
            upright.transpose(Image.Transpose.ROTATE_180)
            if name == "sideways.jpg"
            else Image.eval(upright, lambda v: 255 - v)
        )  # upside down, or inverted as a misread CMYK is
        assert colour_distance(dreamed, upright) < 25 < colour_distance(dreamed, wrong)
    if name == "sideways.jpg":
        assert dreamed.size == (42, 64)  # dreamed upright: the rotated size


@pytest.mark.parametrize("slot", ["guide", "mask"])
@pytest.mark.parametrize("name", ["empty.jpg", "bomb.png", "drawing.svg"])
def test_a_bad_guide_or_mask_gets_a_message_naming_it(
    client: Client, files: dict[str, Path], slot: str, name: str
) -> None:
    what = "guide image" if slot == "guide" else "mask"
    with pytest.raises(AppError, match=f"^{what}: .*{re.escape(BAD[name])}"):
        dream(client, files["photo.jpg"], **{slot: files[name]})


def test_the_app_serves_normally_after_every_odd_file(client: Client, files: dict[str, Path], app_server) -> None:
    """Runs after the tests above (file order): all those files left the server working."""
    assert app_server.alive()
    result, status = dream(client, files["photo.jpg"], guide=files["palette.png"], mask=files["grey.png"])
    assert status.startswith("Done") and Image.open(result).size == (64, 42)


# -- limits -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "message"), OVER)
def test_an_out_of_range_setting_gets_the_settings_message(
    client: Client, files: dict[str, Path], field: str, value: float, message: str
) -> None:
    with pytest.raises(AppError, match=f"^{re.escape(message)}$"):
        dream(client, files["photo.jpg"], {**TINY, field: value})


def test_a_photo_over_max_size_is_downscaled_with_a_notice_in_the_status(
    client: Client, files: dict[str, Path]
) -> None:
    result, status = dream(client, files["photo.jpg"], {**TINY, "max_size": 96})
    assert Image.open(result).size == (96, 64)
    assert status.endswith(
        "; the image is 160x106 pixels; it was scaled down to 96x64 (the maximum working size is 96)"
    )
    _, status = dream(client, files["photo.jpg"], {**TINY, "max_size": 160})
    assert "scaled down" not in status


def test_sliders_take_their_bounds_from_ranges(app_server) -> None:
    """The page's sliders (from the app's /config) offer exactly what DreamSettings accepts, and the
    motion and live tabs' sliders stay inside what the motion and live settings accept."""
    from deepdream_core.motion.animation import MOTION_RANGES
    from deepdream_core.motion.live import LIVE_RANGES

    components = config(app_server)["components"]
    sliders = {c["props"]["elem_id"].replace("-", "_"): c["props"] for c in components if c["type"] == "slider"}
    photo = {name: props for name, props in sliders.items() if name in RANGES}
    from deepdream_studio.controls import SLIDERS

    assert set(photo) == {*SLIDERS, "layer_weight"}  # every slider the studio declares, and no other
    for name, props in photo.items():
        assert (props["minimum"], props["maximum"]) == (RANGES[name].low, RANGES[name].high), name
    live = {name.removeprefix("live_"): props for name, props in sliders.items() if name.startswith("live_")}
    assert set(live) == {"strength", "size"}
    for name, props in live.items():  # the Live tab's inside what a live session accepts
        assert LIVE_RANGES[name].low <= props["minimum"] < props["maximum"] <= LIVE_RANGES[name].high, name
    motion = {
        name.split("_", 1)[1]: props
        for name, props in sliders.items()
        if name not in RANGES and not name.startswith("live_")
    }
    assert set(motion) == {"frames", "fps", "zoom", "rotate", "translate_x", "translate_y", "blend", "size"}
    motion["max_side"] = motion.pop("size")
    for name, props in motion.items():
        assert MOTION_RANGES[name].low <= props["minimum"] < props["maximum"] <= MOTION_RANGES[name].high, name
    seed = next(c["props"] for c in components if c["props"].get("elem_id") == "seed")
    assert (seed["minimum"], seed["maximum"]) == (RANGES["seed"].low, RANGES["seed"].high)
