"""Dream quality (issue 11): each technique does what it promises, measured on real photos with the bundled model.

Laplacian gradient normalization, the decorrelated Fourier parameterization for dreams from noise,
transformation robustness, keeping a photo's colours, the colour lock for animations, seamless wrap,
looping animations and channel auto-pick; then the settings, links and flags that reach them. The
measures are the issue's; each test also shows the measure fails without the option, so it can fail.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
import urllib.parse
from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from deepdream_core import (
    AnimationSettings,
    DreamSettings,
    LayerTarget,
    SettingsError,
    animate,
    settings_from_dict_lenient,
)
from deepdream_core.cli import EXIT_BAD_INPUT, main
from deepdream_core.cli.args import SettingsInput, build_parser
from deepdream_core.dreaming.color import color_stats, hold_saturation, match_colors, mean_saturation, ycbcr
from deepdream_core.dreaming.images import fit_image
from deepdream_core.dreaming.objectives import class_index
from deepdream_core.dreaming.transforms import laplacian_normalize, pil_to_tensor, random_view, scale_rotate
from deepdream_core.dreaming.wrap import wrapped_network
from deepdream_core.files.links import from_query, to_query
from deepdream_core.files.presets import load_preset
from deepdream_core.models.zoo import get_spec
from deepdream_core.motion.animation import transform_frame
from tests.support.networks import make_tiny_cnn
from tests.support.photos import skimage_photo

MODEL = "efficientnet_lite0"


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float64)


def high_frequency_share(image: np.ndarray) -> float:
    """Share of an (H, W, 3) image's energy (mean removed) above a quarter cycle per pixel."""
    centred = image - image.mean(axis=(0, 1))
    power = np.abs(np.fft.fft2(centred, axes=(0, 1))) ** 2
    fy, fx = np.fft.fftfreq(image.shape[0])[:, None], np.fft.fftfreq(image.shape[1])[None]
    return float(power[np.hypot(fx, fy) > 0.25].sum() / power.sum())


def seam_ratio(image: Image.Image, axis: int) -> float:
    """Mean colour step across the wrap edge (last column to first; rows for axis 0) / mean step between neighbours."""
    array = pixels(image) if axis == 1 else pixels(image).transpose(1, 0, 2)
    return float(np.abs(array[:, -1] - array[:, 0]).mean() / np.abs(np.diff(array, axis=1)).mean())


def mean_change(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(pixels(a) - pixels(b)).mean())


def layer_energy(dreamer, image: Image.Image | torch.Tensor, layers: list[str]) -> np.ndarray:
    """Mean squared activation of each layer: the DeepDream objective, measured outside the loop."""
    tensor = image if isinstance(image, torch.Tensor) else pil_to_tensor(image)
    with torch.no_grad():
        acts = dreamer.activations(tensor, frozenset(layers))
    return np.array([acts[layer].pow(2).mean().item() for layer in layers])


# -- 1. Laplacian-pyramid gradient normalization ---------------------------------------------------------


def test_laplacian_normalize_gives_a_faint_band_the_weight_of_a_strong_one() -> None:
    torch.manual_seed(0)
    ramp = torch.arange(64.0) * 2 * math.pi / 64
    coarse = (torch.sin(ramp).view(1, 1, 1, 64) + torch.cos(ramp).view(1, 1, 64, 1)).expand(1, 3, 64, 64)
    fine = torch.randn(1, 3, 64, 64)
    mixed = 100 * coarse + fine

    def fine_share(x: torch.Tensor) -> float:
        return high_frequency_share(x[0].permute(1, 2, 0).numpy())

    print(f"fine share before {fine_share(mixed):.4f}, after {fine_share(laplacian_normalize(mixed)):.4f}")
    assert fine_share(mixed) < 0.001  # the fine noise is lost under the coarse field
    # Each band normalized: the finest (half of it above a quarter cycle per pixel) is one of five equals again.
    assert fine_share(laplacian_normalize(mixed)) > 0.05  # measured 0.088


def test_laplacian_dream_has_less_fine_speckle(dreamer) -> None:
    photo = skimage_photo("chelsea")
    source = pixels(fit_image(photo, 256))
    shares = {}
    for norm in ("mean", "laplacian"):
        change = pixels(dreamer.dream(photo, DreamSettings(max_size=256, gradient_norm=norm))) - source
        shares[norm] = high_frequency_share(change)
        assert np.abs(change).mean() > 8  # a real dream either way
    print(f"high-frequency share of the change: mean {shares['mean']:.3f}, laplacian {shares['laplacian']:.3f}")
    # Measured: 0.040 and 0.013.
    assert shares["laplacian"] < 0.6 * shares["mean"]


# -- 2. Decorrelated Fourier parameterization, from noise ------------------------------------------------


@pytest.mark.parametrize("target", ["jellyfish", "tabby cat"])
def test_fourier_class_from_noise_is_as_convincing_and_far_less_speckled(dreamer, target: str) -> None:
    index = class_index(get_spec(MODEL).class_names(), target, MODEL)
    results = {}
    for parameterization in ("pixels", "fourier"):
        settings = DreamSettings(
            max_size=128,
            steps=20,
            step_size=3,
            class_target=target,
            layers=(LayerTarget("blocks.4", 0.0),),
            parameterization=parameterization,
        )
        image = dreamer.dream(None, settings)
        with torch.no_grad():
            logits = dreamer.module((pil_to_tensor(image) - dreamer.mean) / dreamer.std)
        results[parameterization] = (logits.softmax(-1)[0, index].item(), high_frequency_share(pixels(image)))
    print(target, results)
    (p_pixels, hf_pixels), (p_fourier, hf_fourier) = results["pixels"], results["fourier"]
    assert p_fourier > 0.8 and p_fourier >= p_pixels - 0.05  # measured 1.000 / 0.85 (pixels 0.994 / 0.85)
    assert hf_fourier < 0.4 * hf_pixels  # measured 0.06-0.09 against 0.29


def test_fourier_applies_to_noise_only(dreamer) -> None:
    photo = skimage_photo("chelsea", 64)
    quick = DreamSettings(max_size=64, octaves=1, steps=2)
    assert (
        pixels(dreamer.dream(photo, quick.replace(parameterization="fourier"))).tolist()
        == pixels(dreamer.dream(photo, quick)).tolist()
    )
    assert mean_change(dreamer.dream(None, quick.replace(parameterization="fourier")), dreamer.dream(None, quick)) > 5


# -- 3. Transformation robustness ------------------------------------------------------------------------


def test_random_view_at_zero_is_the_image_and_draws_nothing() -> None:
    image = torch.rand(1, 3, 16, 16)
    rng = random.Random(3)
    view = random_view(image, rng, 0.0)
    assert view.image is image and view.undo(image) is image
    assert rng.random() == random.Random(3).random()


def test_a_views_gradient_is_the_adjoint_of_its_transform() -> None:
    """<T x, y> == <x, T^T y>: what undo does to a gradient is exactly the transform's transpose."""
    torch.manual_seed(0)
    x, y = torch.rand(1, 3, 24, 40), torch.rand(1, 3, 24, 40)
    for wrap in ("none", "xy"):
        view = random_view(x, random.Random(1), 1.0, wrap)
        assert not torch.equal(view.image, x)
        forward = float((view.image.detach() * y).sum())
        assert forward == pytest.approx(float((x * view.undo(y)).sum()), rel=1e-5)


def test_scale_rotate_turns_about_the_centre() -> None:
    image = torch.zeros(1, 1, 21, 21)
    image[..., 10, 16] = 1  # 6 px right of the centre
    turned = scale_rotate(image, 1.0, math.radians(90))
    assert divmod(int(turned.argmax()), 21) in ((4, 10), (16, 10))  # 6 px above or below it
    assert torch.allclose(scale_rotate(image, 1.0, 0.0), image, atol=1e-6)


def test_robust_dream_keeps_its_patterns_under_new_views(dreamer) -> None:
    rng = random.Random(5)
    views = [(1 + rng.uniform(-0.15, 0.15), math.radians(rng.uniform(-15, 15))) for _ in range(12)]
    kept = {}
    for amount in (0.0, 1.0):
        dreamed = pil_to_tensor(
            dreamer.dream(skimage_photo("chelsea"), DreamSettings(max_size=160, transform_robustness=amount))
        )
        energy = layer_energy(dreamer, dreamed, ["blocks.4"])[0]
        kept[amount] = (
            np.mean([layer_energy(dreamer, scale_rotate(dreamed, s, a), ["blocks.4"])[0] for s, a in views]) / energy
        )
    print(f"objective kept under 12 new views: {kept}")
    assert kept[1.0] > kept[0.0] + 0.02  # measured 0.905 -> 0.940


# -- 4. Keep the photo's colours -------------------------------------------------------------------------


@pytest.mark.parametrize("preset", [None, "true-colours"])
def test_keep_colors_changes_luminance_only(dreamer, preset: str | None) -> None:
    photo = skimage_photo("chelsea")
    settings = (load_preset(preset).settings if preset else DreamSettings()).replace(max_size=256)
    source = ycbcr(fit_image(photo, 256))
    kept = np.abs(ycbcr(dreamer.dream(photo, settings.replace(keep_colors=True))) - source).mean(axis=(0, 1))
    free = np.abs(ycbcr(dreamer.dream(photo, settings.replace(keep_colors=False))) - source).mean(axis=(0, 1))
    print(f"mean |dY|, |dCb|, |dCr|: kept {kept.round(2)}, free {free.round(2)}")
    assert kept[0] >= 8 and kept[1] <= 2 and kept[2] <= 2  # measured 11.1, 0.05, 0.01 with the defaults
    assert free[1] > 2 or free[2] > 2  # without it, the dream does paint colours


# -- 5. Colour lock for animations -----------------------------------------------------------------------

DRIFT_LAYERS = ["blocks.2", "blocks.3", "blocks.4", "blocks.5.0"]


@pytest.fixture(scope="module")
def zooms() -> dict[bool, tuple[AnimationSettings, list[Image.Image]]]:
    """120 frames of the default zoom from a photo with the default settings (96 px), with and without the lock."""
    photo = skimage_photo("chelsea")
    runs = {}
    for lock in (True, False):
        motion = AnimationSettings(frames=120, color_lock=lock)
        runs[lock] = motion, [event.image for event in animate(photo, DreamSettings(max_size=96), motion)]
    return runs


def drift(frames: list[Image.Image]) -> tuple[float, float, float]:
    """Largest departure from frame 1: brightness, any channel's mean (grey levels), mean saturation (share)."""
    first = pixels(frames[0])
    saturation = [cv2.cvtColor(np.asarray(frame), cv2.COLOR_RGB2HSV)[..., 1].mean() for frame in frames]
    brightness = max(abs(pixels(frame).mean() - first.mean()) for frame in frames)
    channel = max(np.abs(pixels(frame).mean(axis=(0, 1)) - first.mean(axis=(0, 1))).max() for frame in frames)
    return brightness, channel, max(abs(s / saturation[0] - 1) for s in saturation)


def test_color_lock_holds_a_long_zoom_to_the_first_frames_colours(zooms) -> None:
    locked, free = drift(zooms[True][1]), drift(zooms[False][1])
    print(f"drift (brightness, channel, saturation): locked {np.round(locked, 3)}, free {np.round(free, 3)}")
    assert locked[0] <= 5 and locked[1] <= 5 and locked[2] <= 0.05  # measured 0.3, 1.1, 0.038 (at 128 px)
    assert free[0] > 5 and free[2] > 0.05  # without it: 115 -> 174 brightness


def test_color_lock_dreams_as_strongly(zooms, dreamer) -> None:
    """The activation gain of each dreamed frame over the frame it was dreamed from, lock or not."""
    gains = {}
    for lock, (motion, frames) in zooms.items():
        first = color_stats(frames[0])
        per_frame = []
        for before, after in itertools.pairwise(frames):
            start = transform_frame(before, motion)
            start = match_colors(start, first) if lock else start
            per_frame.append(layer_energy(dreamer, after, DRIFT_LAYERS) / layer_energy(dreamer, start, DRIFT_LAYERS))
        gains[lock] = np.mean(per_frame, axis=0)
    print(f"activation gain per frame at {DRIFT_LAYERS}: locked {gains[True].round(3)}, free {gains[False].round(3)}")
    assert (gains[True] >= gains[False]).all()  # measured 1.03-1.07 locked, 1.01-1.04 free


def test_color_transfer_matches_mean_covariance_and_saturation() -> None:
    photo, other = skimage_photo("chelsea", 96), skimage_photo("coffee", 96)
    matched = color_stats(match_colors(other, color_stats(photo)))
    target = color_stats(photo)
    assert np.abs(matched.mean - target.mean).max() < 1.5
    assert np.abs(matched.covariance - target.covariance).max() < 0.05 * np.abs(target.covariance).max()
    assert abs(matched.saturation / target.saturation - 1) < 0.01
    assert abs(color_stats(other).saturation / target.saturation - 1) > 0.1  # so there was something to hold


def test_holding_the_saturation_leaves_luminance_alone() -> None:
    pixels = np.asarray(skimage_photo("coffee", 96), np.float64)
    for wanted in (0.5, 0.65):  # from 0.72
        held = hold_saturation(pixels, wanted)
        assert abs(mean_saturation(held) - wanted) < 0.01
        assert np.abs(ycbcr(held)[..., 0] - ycbcr(pixels)[..., 0]).mean() < 1.0  # clipping moves only a few
    grey = ycbcr(pixels)[..., :1]
    half = hold_saturation(pixels, 0.01)  # far below: the chroma is halved, no more
    assert np.allclose(half - grey, (pixels - grey) / 2)


# -- 6. Seamless tiles and panoramas ---------------------------------------------------------------------


def test_wrapped_network_is_the_network_with_circular_padding() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(3, 8, 3, padding=1),
            relu=nn.ReLU(),
            pool=nn.MaxPool2d(3, stride=2, padding=1),
            conv2=nn.Conv2d(8, 4, 5, padding=2),
        )
    )
    reference = nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(3, 8, 3, padding=1, padding_mode="circular"),
            relu=nn.ReLU(),
            pad=nn.CircularPad2d(1),
            pool=nn.MaxPool2d(3, stride=2),
            conv2=nn.Conv2d(8, 4, 5, padding=2, padding_mode="circular"),
        )
    )
    reference.load_state_dict(net.state_dict())
    x = torch.rand(1, 3, 20, 28)
    wrapped = wrapped_network(net, "xy")
    assert torch.allclose(wrapped(x), reference(x), atol=1e-6)
    # The original is untouched (other requests use it at the same time) and shares its weights.
    assert net.conv1.padding == (1, 1) and net.pool.padding == 1
    assert wrapped.conv1.layer.weight is net.conv1.weight
    # Along x only, a shift along x commutes with the network; along y it does not.
    only_x = wrapped_network(make_tiny_cnn(), "x")
    tiny_x = torch.rand(1, 3, 16, 16)
    out = only_x(tiny_x)
    assert torch.allclose(only_x(torch.roll(tiny_x, 4, dims=-1)), torch.roll(out, 2, dims=-1), atol=1e-5)
    assert not torch.allclose(only_x(torch.roll(tiny_x, 4, dims=-2)), torch.roll(out, 2, dims=-2), atol=1e-3)


def test_wrapped_runs_leave_no_hooks_and_keep_the_shared_model(dreamer) -> None:
    dreamer.dream(skimage_photo("chelsea", 64), DreamSettings(max_size=64, octaves=1, steps=1, wrap="xy"))
    for module in (dreamer.module, dreamer._network("xy")):
        assert sum(len(m._forward_hooks) for m in module.modules()) == 0
    assert dreamer.module.conv_stem.padding == (1, 1)


def test_seamless_texture_from_noise_tiles_with_no_seam(dreamer) -> None:
    settings = load_preset("seamless-texture").settings.replace(max_size=160)
    seamless = dreamer.dream(None, settings)
    plain = dreamer.dream(None, settings.replace(wrap="none"))
    ratios = [seam_ratio(seamless, 1), seam_ratio(seamless, 0)]
    print(
        f"seam ratio (x, y): wrapped {np.round(ratios, 2)}, plain {seam_ratio(plain, 1):.2f}, "
        f"{seam_ratio(plain, 0):.2f}"
    )
    assert max(ratios) <= 1.3
    assert min(seam_ratio(plain, 1), seam_ratio(plain, 0)) > 1.3  # the measure sees a seam when there is one


def seamless_in_x(photo: Image.Image, share: float = 0.25) -> Image.Image:
    """A photo made to wrap left-right (as a 360-degree panorama does): its right end cross-faded into its start."""
    array = pixels(photo)
    overlap = round(array.shape[1] * share)
    ramp = (np.arange(overlap) / overlap)[None, :, None]
    out = array[:, : array.shape[1] - overlap].copy()
    out[:, :overlap] = ramp * array[:, :overlap] + (1 - ramp) * array[:, array.shape[1] - overlap :]
    return Image.fromarray(out.round().astype(np.uint8))


def test_panorama_stays_seamless_across_its_wrap(dreamer) -> None:
    panorama = seamless_in_x(skimage_photo("chelsea", 200))
    settings = load_preset("panorama").settings.replace(max_size=200)
    wrapped, plain = dreamer.dream(panorama, settings), dreamer.dream(panorama, settings.replace(wrap="none"))
    print(
        f"seam ratio: source {seam_ratio(panorama, 1):.2f}, wrapped {seam_ratio(wrapped, 1):.2f}, "
        f"plain {seam_ratio(plain, 1):.2f}"
    )
    assert seam_ratio(wrapped, 1) <= 1.3
    assert seam_ratio(plain, 1) > 1.3


# -- 7. Animations that loop -----------------------------------------------------------------------------


def test_loop_ends_where_it_starts() -> None:
    photo = skimage_photo("chelsea")
    jumps = {}
    for loop in (False, True):
        events = list(animate(photo, DreamSettings(max_size=96), AnimationSettings(frames=16, loop=loop)))
        assert [(e.index, e.total) for e in events] == [(i, 16) for i in range(1, 17)]
        frames = [event.image for event in events]
        steps = [mean_change(a, b) for a, b in itertools.pairwise(frames)]
        jumps[loop] = mean_change(frames[-1], frames[0]) / float(np.median(steps))
        if loop:
            assert max(steps) <= 1.5 * np.median(steps)  # the fade itself does not jump either
    print(f"last-to-first change / median change: {jumps}")
    assert jumps[True] <= 1.5 and jumps[False] > 1.5  # measured 1.2 and 3.6 (24 frames)


# -- 8. Channel auto-pick ------------------------------------------------------------------------------


@pytest.mark.parametrize("pick", ["strongest", "weakest"])
def test_channel_pick_dreams_the_channels_this_photo_moves_most_or_least(dreamer, pick: str) -> None:
    photo = fit_image(skimage_photo("chelsea"), 128)
    with torch.no_grad():
        response = dreamer.activations(pil_to_tensor(photo), frozenset(["blocks.4"]))["blocks.4"].pow(2)
    response = response.mean(dim=(0, 2, 3)).numpy()
    order = np.argsort(response)
    expected = sorted((order[-8:] if pick == "strongest" else order[:8]).tolist())
    settings = DreamSettings(max_size=128, layers=(LayerTarget("blocks.4"),), channel_pick=pick, channel_count=8)
    assert list(dreamer.pick_channels(pil_to_tensor(photo), settings, settings.layers)["blocks.4"]) == expected
    dreamed = pil_to_tensor(dreamer.dream(photo, settings))
    with torch.no_grad():
        after = dreamer.activations(dreamed, frozenset(["blocks.4"]))["blocks.4"].pow(2).mean(dim=(0, 2, 3))
    gain = after.numpy() / response
    others = np.setdiff1d(np.arange(len(response)), expected)
    print(f"{pick}: gain of the picked channels {gain[expected].mean():.2f}, of the others {gain[others].mean():.2f}")
    assert gain[expected].mean() > 1.3 * gain[others].mean()  # measured 1.8 vs 1.26, 2.7 vs 1.2


def test_channels_named_by_a_layer_win_over_the_pick(dreamer) -> None:
    settings = DreamSettings(
        layers=(LayerTarget("blocks.4", channels=(3,)), LayerTarget("blocks.3")),
        channel_pick="weakest",
        channel_count=500,
    )
    picked = dreamer.pick_channels(torch.rand(1, 3, 64, 64), settings, settings.layers)
    assert set(picked) == {"blocks.3"} and len(picked["blocks.3"]) == 80  # all its 80 channels: count is capped
    assert "blocks.4, [3]" in dreamer.objective(settings, image=torch.rand(1, 3, 64, 64)).name


# -- the settings, links and flags that reach them ------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"gradient_norm": "lap"}, "gradient_norm: must be one of mean, laplacian, got 'lap'"),
        ({"parameterization": "fft"}, "parameterization: must be one of pixels, fourier, got 'fft'"),
        ({"wrap": "y"}, "wrap: must be one of none, x, xy, got 'y'"),
        ({"channel_pick": "top"}, "channel_pick: must be one of all, strongest, weakest, got 'top'"),
        ({"transform_robustness": 2}, "transform_robustness: must be from 0 to 1, got 2"),
        ({"channel_count": 0}, "channel_count: must be from 1 to 1024, got 0"),
        ({"keep_colors": "maybe"}, "keep_colors: must be true or false, got 'maybe'"),
    ],
)
def test_quality_settings_are_validated_everywhere(changes: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=f"^{re.escape(message)}$"):
        DreamSettings.from_dict(changes)
    settings, ignored = settings_from_dict_lenient({**changes, "steps": "3"})
    assert ignored == [message] and settings == DreamSettings(steps=3)


def test_quality_settings_round_trip_through_links_and_json() -> None:
    settings = DreamSettings(
        gradient_norm="laplacian",
        parameterization="fourier",
        transform_robustness=0.5,
        keep_colors=True,
        wrap="xy",
        channel_pick="weakest",
        channel_count=12,
    )
    query = to_query(settings)
    assert "keep_colors=True" in query and "wrap=xy" in query
    assert from_query(dict(urllib.parse.parse_qsl(query))).settings == settings
    assert DreamSettings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings
    assert DreamSettings.from_dict({"keep_colors": "false"}).keep_colors is False
    motion = AnimationSettings.from_dict({"loop": "true", "color_lock": "off"})
    assert (motion.loop, motion.color_lock) == (True, False)
    with pytest.raises(SettingsError, match=r"^loop: must be true or false, got 2$"):
        AnimationSettings(loop=2)


def test_cli_flags_set_the_quality_settings() -> None:
    args = build_parser().parse_args(
        [
            "dream",
            "noise",
            "-o",
            "x.png",
            "--gradient-norm",
            "laplacian",
            "--parameterization",
            "fourier",
            "--transform-robustness",
            "0.3",
            "--wrap",
            "x",
            "--keep-colors",
            "--channels",
            "strongest:5",
        ]
    )
    assert SettingsInput.from_args(args).settings()[0] == DreamSettings(
        gradient_norm="laplacian",
        parameterization="fourier",
        transform_robustness=0.3,
        wrap="x",
        keep_colors=True,
        channel_pick="strongest",
        channel_count=5,
    )
    plain = build_parser().parse_args(["dream", "noise", "-o", "x.png", "--preset", "true-colours"])
    assert SettingsInput.from_args(plain).settings()[0].keep_colors is True  # no flag: the preset's value stands


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--channels", "strongest"], "error: channels: write strongest:N, weakest:N or all, got 'strongest'\n"),
        (["--channels", "weakest:0"], "error: channel_count: must be from 1 to 1024, got 0\n"),
        (["--wrap", "yes"], "error: wrap: must be one of none, x, xy, got 'yes'\n"),
    ],
)
def test_cli_bad_quality_flags_exit_2(
    flags: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dream", "noise", "-o", str(tmp_path / "o.png"), *flags]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == message


def test_cli_animate_loops_without_the_lock(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "loop.gif"
    assert (
        main(
            [
                "animate",
                "noise",
                "-o",
                str(output),
                "--frames",
                "4",
                "--loop",
                "--no-color-lock",
                "--max-size",
                "48",
                "--octaves",
                "1",
                "--steps",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == f"wrote {output} (4 frames, 48x48, 12 fps)\n"
    args = build_parser().parse_args(["video", "clip.mp4", "-o", "x.mp4", "--no-color-lock"])
    assert args.color_lock is False
    assert build_parser().parse_args(["animate", "noise", "-o", "x.gif"]).color_lock is None  # the default (on)
