"""Bad and unusual images through the Python API (load_image + dream) and the CLI.

Every file is made by tests/support/odd_images.py, from a real photo where the content matters. The CLI runs in-process
through ``cli.main`` for the whole matrix (same code path, no 3 s interpreter start per case)
and as a real subprocess for a few end-to-end cases.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deepdream_core import DreamSettings, dream, fit_image
from deepdream_core.cli import EXIT_BAD_INPUT, main
from deepdream_core.dreaming.images import (
    MAX_PIXELS,
    MIN_SIDE,
    ImageInputError,
    LoadedImage,
    fitted_size,
    load_image,
    open_image,
)
from tests.support import REPO
from tests.support.odd_images import BAD, UNUSUAL, colour_distance, header_claiming, png_claiming

SMALL = DreamSettings(max_size=64, steps=1, octaves=1)


# -- bad files: a specific message, through the API and the CLI ----------------------------------


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_gets_a_specific_message(files: dict[str, Path], name: str) -> None:
    with pytest.raises(ImageInputError, match=re.escape(BAD[name])):
        load_image(files[name])
    # bytes and open files take the same checks as paths
    with pytest.raises(ImageInputError, match=re.escape(BAD[name])):
        load_image(files[name].read_bytes())
    with files[name].open("rb") as handle, pytest.raises(ImageInputError):
        load_image(handle)


@pytest.mark.parametrize("name", sorted(BAD))
def test_cli_reports_a_bad_file_and_exits_2(
    files: dict[str, Path], name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.png"
    code = main(
        ["dream", str(files[name]), "-o", str(out), "--max-size", "64", "--steps", "1", "--octaves", "1", "--quiet"]
    )
    assert code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("error: input: ") and BAD[name] in err
    assert not out.exists()


def test_bomb_is_a_real_png_tiny_on_disk(files: dict[str, Path]) -> None:
    # The same construction at a size Pillow may decode gives a correct all-zero image...
    small = Image.open(io.BytesIO(png_claiming(300, 130)))
    small.load()
    assert small.size == (300, 130) and small.getextrema() == (0, 0)
    # ...and the bomb is 900 million pixels in under 1.5 MB: 2.7 GB once decoded as RGB.
    assert files["bomb.png"].stat().st_size < 1_500_000
    assert MAX_PIXELS < 8000 * 8000


@pytest.mark.filterwarnings("error")  # Pillow's DecompressionBombWarning (past 89 megapixels) fails the test
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "GIF", "TIFF"])
def test_too_many_pixels_are_refused_before_pillow_checks_or_decodes(fmt: str) -> None:
    # 144 megapixels: over our limit and Pillow's warning, under its error. Image.open warned (in the server
    # log, twice per upload) before our check refused the file; our check must be the first to see the size.
    data = png_claiming(12000, 12000) if fmt == "PNG" else header_claiming(fmt, 12000, 12000)
    with pytest.raises(ImageInputError) as refused:
        load_image(data)
    assert str(refused.value) == (
        "the image is 12000x12000 pixels; the limit is 50 megapixels. Scale it down and try again"
    )


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ImageInputError, match="does not exist"):
        load_image(tmp_path / "nope.jpg")


# -- unusual but valid files: a correct result ---------------------------------------------------


def test_animated_gif_uses_the_first_frame_and_says_so(files: dict[str, Path]) -> None:
    loaded = load_image(files["animated.gif"])
    assert loaded.image.getpixel((32, 32))[0] > 200 and loaded.image.getpixel((32, 32))[2] < 50  # red, frame 1
    assert any("only the first frame" in notice for notice in loaded.notices)
    assert load_image(files["photo.jpg"]).notices == ()  # plain photos have nothing to report


def test_cmyk_jpeg_keeps_its_colours(files: dict[str, Path], cat: Image.Image) -> None:
    image = open_image(files["cmyk.jpg"])
    assert image.mode == "RGB" and image.size == cat.size
    assert colour_distance(image, cat) < 12  # inverted or misread CMYK is off by ~100


def test_16_bit_png_keeps_its_brightness(files: dict[str, Path], tmp_path: Path) -> None:
    grey = np.asarray(open_image(files["grey16.png"]))
    assert grey.shape == (48, 64, 3) and abs(int(grey.mean()) - 128) <= 1  # not clipped to white

    import cv2

    colour = np.zeros((32, 32, 3), np.uint16)
    colour[..., 2], colour[..., 1], colour[..., 0] = 65535, 32768, 1000  # OpenCV writes BGR
    cv2.imwrite(str(tmp_path / "rgb16.png"), colour)
    assert open_image(tmp_path / "rgb16.png").getpixel((5, 5)) == (255, 128, 3)  # the high byte of each 16-bit value


def test_grey_and_palette_become_rgb(files: dict[str, Path], cat: Image.Image) -> None:
    grey = open_image(files["grey.png"])
    assert grey.mode == "RGB"
    r, g, b = (np.asarray(grey)[..., i] for i in range(3))
    assert (r == g).all() and (g == b).all()
    assert colour_distance(open_image(files["palette.png"]), cat) < 12


def test_transparency_is_composited_onto_white_with_a_notice(files: dict[str, Path], cat: Image.Image) -> None:
    loaded = load_image(files["rgba.png"])
    assert min(loaded.image.getpixel((80, 0))) >= 250  # the (almost) transparent top row: white, not black
    assert colour_distance(loaded.image.crop((0, 100, 160, 106)), cat.crop((0, 100, 160, 106))) < 10
    assert any("filled with white" in notice for notice in loaded.notices)
    assert load_image(cat.convert("RGBA")).notices == ()  # an alpha channel with nothing transparent


def test_exif_rotated_photo_is_dreamed_upright(files: dict[str, Path], cat: Image.Image) -> None:
    upright = cat.transpose(Image.Transpose.ROTATE_270)  # what a viewer shows: 106x160
    loaded = load_image(files["sideways.jpg"], max_size=64)
    assert loaded.image.size == (42, 64)
    assert loaded.upright_size == (106, 160) and loaded.original_size == (160, 106)  # what a dream fits from
    result = dream(loaded.image, SMALL)
    assert result.size == (42, 64)
    assert colour_distance(result, upright) < colour_distance(result, upright.transpose(Image.Transpose.ROTATE_180))


def test_large_image_is_downscaled_with_a_notice(files: dict[str, Path]) -> None:
    loaded = load_image(files["photo.jpg"], max_size=64)
    assert isinstance(loaded, LoadedImage)
    assert loaded.image.size == (64, 42) and loaded.original_size == (160, 106)
    assert loaded.notices == (
        "the image is 160x106 pixels; it was scaled down to 64x42 (the maximum working size is 64)",
    )
    assert load_image(files["photo.jpg"], max_size=160).notices == ()


def test_fitted_size_shrinks_the_long_side_only_when_it_is_over() -> None:
    assert fitted_size((160, 106), 64) == (64, 42)
    assert fitted_size((106, 160), 64) == (42, 64)  # (height, width) as tensors have it: the same rule
    assert fitted_size((160, 106), 160) == (160, 106)
    assert fitted_size((4096, 2), 64) == (64, 1)  # never a side of 0


def test_images_passed_to_the_python_api_are_made_upright_rgb_like_uploads(files: dict[str, Path]) -> None:
    """fit_image (what dream() does to an image object) reads transparency and EXIF the way load_image does."""
    for name in ("rgba.png", "sideways.jpg"):
        with Image.open(files[name]) as raw:
            assert fit_image(raw, 64).tobytes() == load_image(files[name], max_size=64).image.tobytes()


def test_a_photo_already_upright_and_fitted_is_not_copied_again(files: dict[str, Path]) -> None:
    """The app loads a photo at its working size; the loop's own fit then keeps that very picture (no copy)."""
    loaded = load_image(files["photo.jpg"], max_size=64).image
    assert fit_image(loaded, 64) is loaded


@pytest.mark.parametrize("name", UNUSUAL)
def test_unusual_file_dreams_through_api_and_cli(
    files: dict[str, Path], name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loaded = load_image(files[name], max_size=64)
    result = dream(loaded.image, SMALL)
    assert result.mode == "RGB" and result.size == loaded.image.size
    assert 20 < np.asarray(result).mean() < 235  # neither blown out nor black

    out = tmp_path / "out.png"
    code = main(
        ["dream", str(files[name]), "-o", str(out), "--max-size", "64", "--steps", "1", "--octaves", "1", "--quiet"]
    )
    assert code == 0, capsys.readouterr().err
    assert Image.open(out).size == loaded.image.size
    err = capsys.readouterr().err
    for notice in loaded.notices:
        assert f"note: input: {notice}" in err


def test_engine_handles_the_smallest_and_thinnest_accepted_images() -> None:
    """Images at the loader's limits (and below, for API users who skip it) dream without error."""
    for size in [(MIN_SIDE, MIN_SIDE), (64, 2), (1, 1)]:
        assert dream(Image.new("RGB", size, "grey"), SMALL).size == size


def test_network_with_a_minimum_input_size_gets_a_specific_message() -> None:
    """Like Inception v3's unpadded stem: 5x5 convolutions without padding need about 29 px."""
    from collections import OrderedDict

    from torch import nn

    from deepdream_core import Dreamer, SettingsError

    net = nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(3, 8, 5, stride=2),
            relu1=nn.ReLU(),
            conv2=nn.Conv2d(8, 8, 5, stride=2),
            relu2=nn.ReLU(),
            conv3=nn.Conv2d(8, 8, 5),
            relu3=nn.ReLU(),
        )
    )
    dreamer = Dreamer(net, default_layer="relu3", name="unpadded")
    assert dreamer.dream(Image.new("RGB", (40, 40), "grey"), SMALL).size == (40, 40)
    with pytest.raises(SettingsError, match=r"model 'unpadded' cannot dream on an image this small \(20x20 pixels"):
        dreamer.dream(Image.new("RGB", (20, 20), "grey"), SMALL)


# -- end to end: the real command ----------------------------------------------------------------


def start_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "deepdream_core", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cli_process_refuses_a_bomb_and_notes_a_gif(files: dict[str, Path], tmp_path: Path) -> None:
    small = ("--max-size", "64", "--steps", "1", "--octaves", "1", "--quiet")
    bomb = start_cli("dream", str(files["bomb.png"]), "-o", str(tmp_path / "bomb.png"), *small)
    gif = start_cli("dream", str(files["animated.gif"]), "-o", str(tmp_path / "gif.png"), *small)
    _, bomb_err = bomb.communicate(timeout=300)
    _, gif_err = gif.communicate(timeout=300)
    assert bomb.returncode == EXIT_BAD_INPUT
    assert bomb_err.startswith("error: input: the image is 30000x30000 pixels; the limit is 50 megapixels")
    assert gif.returncode == 0, gif_err
    assert "note: input: the file holds several frames" in gif_err
    assert Image.open(tmp_path / "gif.png").size == (64, 64)
