"""ZeroGPU: which models a Space offers, and that what crosses into a GPU worker is plain, picklable data."""

from __future__ import annotations

import ast
import io
import pickle
from pathlib import Path

import pytest
import torch

from deepdream_core import AnimationSettings, DreamSettings, SettingsError, UnknownModelError, VideoSettings
from deepdream_core.files.clips import read_clip
from deepdream_core.jobs.atlas import layer_atlas
from deepdream_core.jobs.sheets import preset_variants, setting_variants
from deepdream_studio.gpu import check_offered, offered_models
from deepdream_studio.runs import (
    animation_events,
    animation_seconds,
    photo_events,
    photo_seconds,
    video_events,
    video_seconds,
)
from deepdream_studio.sweeps import sheet_seconds
from deepdream_studio.tabs.layers import channels_seconds, render_seconds
from tests.support import REPO
from tests.support.clips import make_clip
from tests.support.photos import skimage_photo

TINY = DreamSettings(max_size=48, steps=2, octaves=1, seed=1)


def test_a_zero_gpu_space_offers_the_bundled_model_and_the_2015_networks_unless_told_otherwise() -> None:
    assert offered_models({}, zero_gpu=False) is None  # one's own machine: every model
    assert offered_models({}, zero_gpu=True) == ("efficientnet_lite0", "bvlc_googlenet", "googlenet_places365")
    assert offered_models({"DEEPDREAM_SPACE_MODELS": "googlenet, efficientnet_lite0"}, zero_gpu=True) == (
        "googlenet",
        "efficientnet_lite0",
    )
    with pytest.raises(UnknownModelError, match="'nope'"):
        offered_models({"DEEPDREAM_SPACE_MODELS": "nope"})


def test_the_gpu_time_asked_for_grows_with_the_work() -> None:
    photo = skimage_photo("astronaut", 512)
    small = photo_seconds(photo, DreamSettings(max_size=256, steps=5), None, None, 1)
    large = photo_seconds(photo, DreamSettings(max_size=1024, steps=40, octaves=6), None, None, 1)
    long_clip = animation_seconds(photo, DreamSettings(max_size=512), AnimationSettings(frames=600), None)
    assert 15 <= small < large <= 120 and long_clip == 120  # a huge animation asks for the cap, not more


def gpu_decorators(path: Path) -> list[ast.expr]:
    """Every ``@spaces.GPU`` / ``@spaces.GPU(...)`` / ``@GPU(...)`` decorator in a source file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if ast.unparse(target) in ("spaces.GPU", "GPU"):
                    found.append(decorator)
    return found


def test_no_gpu_call_in_the_product_asks_for_a_fixed_duration() -> None:
    """ZeroGPU weighs each call's asked duration against the visitor's quota (2 min a day when anonymous): a fixed
    300 s made sheets impossible for them, and a bare ``@spaces.GPU`` asks for a fixed 60 s."""
    sources = [REPO / "app.py", *sorted((REPO / "deepdream_studio").rglob("*.py"))]
    decorators = {f"{path.relative_to(REPO)}:{d.lineno}": d for path in sources for d in gpu_decorators(path)}
    assert len(decorators) >= 6  # photo, animation, video, sheet, atlas, channels
    for where, decorator in decorators.items():
        duration = next(
            (k.value for k in decorator.keywords if k.arg == "duration") if isinstance(decorator, ast.Call) else (),
            None,
        )
        assert duration is not None, f"{where}: @spaces.GPU without a duration asks for a fixed 60 s"
        assert isinstance(duration, ast.Name), f"{where}: duration={ast.unparse(duration)} is fixed; pass a function"


def test_sheets_and_atlases_ask_for_the_gpu_time_their_dreams_need(tmp_path: Path, monkeypatch) -> None:
    photo = skimage_photo("astronaut", 512)
    few = sheet_seconds(photo, setting_variants(DreamSettings(max_size=128), "steps", [2, 3, 4]))
    many = sheet_seconds(photo, setting_variants(DreamSettings(max_size=512), "steps", [20, 30, 40, 50]))
    assert 15 <= few < many <= 120
    assert sheet_seconds(photo, preset_variants(["eyes", "gentle"], {"max_size": 128})) < 120

    monkeypatch.setenv("DEEPDREAM_CACHE", str(tmp_path))  # nothing rendered on request yet
    shipped = render_seconds("efficientnet_lite0", 96)  # every picture ships: nothing to dream
    missing = sum(p.path is None for p in layer_atlas("resnet50", 96))
    small, large = render_seconds("resnet50", 96), render_seconds("resnet50", 256)  # no weights needed to ask
    assert missing == 6 and shipped == 15 < small < large <= 120
    assert 15 <= channels_seconds(photo, "efficientnet_lite0", "blocks.4") < 120


def test_a_model_the_app_does_not_offer_is_refused_by_name() -> None:
    check_offered("vgg16", None)
    with pytest.raises(SettingsError, match="model: this app offers efficientnet_lite0; 'vgg16' is not one of them"):
        check_offered("vgg16", ("efficientnet_lite0",))


class NoTensors(pickle.Pickler):
    """Pickles like ZeroGPU does, but refuses a torch tensor anywhere (a CUDA one cannot cross processes)."""

    def reducer_override(self, obj: object) -> object:
        if isinstance(obj, torch.Tensor):
            raise AssertionError(f"a tensor would cross the process boundary: {obj.shape}")
        return NotImplemented


def crosses(value: object) -> object:
    buffer = io.BytesIO()
    NoTensors(buffer).dump(value)
    return pickle.loads(buffer.getvalue())


def test_every_gpu_call_takes_and_yields_plain_data(tmp_path: Path) -> None:
    photo = skimage_photo("chelsea", 64)
    mask = photo.convert("L")
    calls = {
        photo_events: (photo, TINY, photo, mask, 0),  # a preview every step, with its full-size picture
        animation_events: (photo, TINY, AnimationSettings(frames=2), None),
        video_events: (read_clip(make_clip(tmp_path / "clip.mp4", frames=2), 2, 48), TINY, VideoSettings(), None),
    }
    durations = {photo_events: photo_seconds, animation_events: animation_seconds, video_events: video_seconds}
    for gpu_call, args in calls.items():
        crosses(args)
        assert 15 <= durations[gpu_call](*args) <= 120  # what ZeroGPU is asked for: from the work, capped
        events = [crosses(event) for event in gpu_call(*args)]
        assert events and events[-1].image.size[0] <= 48  # each event arrived whole, images included
        if gpu_call is photo_events:  # what a Stop keeps arrived as a picture, taken in the GPU worker
            previews = [event for event in events[:-1] if event.image is not None]
            assert previews and all(event.snapshot().size == events[-1].image.size for event in previews)
