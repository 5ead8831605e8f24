"""The layer atlas: the shipped pictures are fresh, others render on request into the cache, channels rank right."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from PIL import Image

from deepdream_core import BUNDLED_MODEL, SettingsError, get_dreamer, get_spec
from deepdream_core.dreaming.images import fit_image
from deepdream_core.dreaming.objectives import channels
from deepdream_core.dreaming.transforms import pil_to_tensor
from deepdream_core.jobs import atlas
from deepdream_core.jobs.atlas import (
    SHIPPED_DIR,
    SHIPPED_SIZE,
    cache_dir,
    channel_pictures,
    layer_atlas,
    model_folder,
    picture_fingerprint,
    render_layer_atlas,
    stamped_fingerprint,
    top_channels,
)

LAYERS = [layer.path for layer in get_spec(BUNDLED_MODEL).layers]
TINY = 40  # pictures rendered in tests: one octave, enough to tell a render from none


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder, and no shipped atlas, so the bundled model takes the on-demand path."""
    monkeypatch.setenv("DEEPDREAM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(atlas, "SHIPPED_DIR", tmp_path / "nothing-shipped")
    return tmp_path / "cache"


@pytest.mark.parametrize("layer", LAYERS)
def test_every_dream_layer_of_the_bundled_model_has_a_fresh_picture(layer: str) -> None:
    path = model_folder(SHIPPED_DIR, BUNDLED_MODEL) / f"{layer}.jpg"
    assert path.is_file(), f"no atlas picture for {layer}; run `python scripts/render_atlas.py {layer}`"
    with Image.open(path) as image:
        assert image.format == "JPEG" and image.size == (2 * SHIPPED_SIZE, SHIPPED_SIZE), (image.format, image.size)
    assert stamped_fingerprint(path) == picture_fingerprint(BUNDLED_MODEL, layer, SHIPPED_SIZE), (
        f"{path.name} is stale (its settings or the sample photo changed); run `python scripts/render_atlas.py {layer}`"
    )


def test_the_bundled_atlas_is_ready_without_rendering_and_in_layer_order() -> None:
    pictures = layer_atlas(BUNDLED_MODEL)
    assert [p.layer.path for p in pictures] == LAYERS
    assert all(p.path is not None and p.path.is_relative_to(SHIPPED_DIR) for p in pictures)
    assert all(p.layer.description for p in pictures)


def test_the_fingerprint_follows_what_a_picture_depends_on() -> None:
    base = picture_fingerprint(BUNDLED_MODEL, "blocks.3", 96)
    assert base == picture_fingerprint(BUNDLED_MODEL, "blocks.3", 96)
    others = {
        picture_fingerprint(BUNDLED_MODEL, "blocks.4", 96),
        picture_fingerprint(BUNDLED_MODEL, "blocks.3", 97),
        picture_fingerprint("googlenet", "blocks.3", 96),
    }
    assert base not in others and len(others) == 3


def test_an_atlas_renders_on_request_into_the_cache_and_only_what_is_missing(empty_cache: Path) -> None:
    assert all(p.path is None for p in layer_atlas(BUNDLED_MODEL, TINY))  # not ready: the dropdown still works
    rendered = list(render_layer_atlas(BUNDLED_MODEL, TINY))
    folder = empty_cache / "atlas" / BUNDLED_MODEL
    assert [p.path for p in rendered] == [folder / f"{layer}.jpg" for layer in LAYERS]
    for picture in rendered:
        with Image.open(picture.path) as image:
            assert image.size == (2 * TINY, TINY)
            left, right = image.crop((0, 0, TINY, TINY)), image.crop((TINY, 0, 2 * TINY, TINY))
            assert left.tobytes() != right.tobytes()  # the photo's dream and noise's dream
        assert stamped_fingerprint(picture.path) == picture_fingerprint(BUNDLED_MODEL, picture.layer.path, TINY)
    assert [p.path for p in layer_atlas(BUNDLED_MODEL, TINY)] == [p.path for p in rendered]
    assert sorted(os.listdir(folder)) == sorted(f"{x}.jpg" for x in LAYERS)

    # A stale picture (another recipe's fingerprint) is not shown, and only it is rendered again.
    stale = rendered[2].path
    Image.open(stale).save(stale, comment="0000000000000000")
    before = {p.path: p.path.stat().st_mtime_ns for p in rendered}
    assert layer_atlas(BUNDLED_MODEL, TINY)[2].path is None
    again = list(render_layer_atlas(BUNDLED_MODEL, TINY))
    changed = [path for path in before if path.stat().st_mtime_ns != before[path]]
    assert changed == [stale] and all(p.path is not None for p in again)


def test_the_cache_folder_comes_from_the_environment() -> None:
    assert cache_dir({"DEEPDREAM_CACHE": "/x/dd"}) == Path("/x/dd")
    assert cache_dir({"XDG_CACHE_HOME": "/x/cache"}) == Path("/x/cache/deepdream")
    assert cache_dir({}) == Path.home() / ".cache" / "deepdream"


@pytest.mark.parametrize("name", ["../etc", "a/b", ".hidden", ""])
def test_a_model_name_cannot_leave_the_atlas_folder(name: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot name an atlas folder"):
        model_folder(tmp_path, name)


def test_top_channels_are_those_the_photo_stirs_most(photo: Image.Image) -> None:
    layer = "blocks.3"
    ranked = top_channels(photo, BUNDLED_MODEL, layer, count=5, device="cpu")
    dreamer = get_dreamer(BUNDLED_MODEL, "cpu")
    with torch.no_grad():
        acts = dreamer.activations(pil_to_tensor(fit_image(photo, 224)), frozenset([layer]))
    energy = [float(channels(layer, (c,))(acts)) for c in range(acts[layer].shape[1])]
    assert len(ranked) == 5 and ranked == sorted(range(len(energy)), key=lambda c: -energy[c])[:5]
    with pytest.raises(SettingsError, match=r"has no layer 'blocks\.99'"):
        top_channels(photo, BUNDLED_MODEL, "blocks.99")


def test_channel_pictures_dream_each_top_channel_small(photo: Image.Image) -> None:
    cells = list(channel_pictures(photo, BUNDLED_MODEL, "blocks.2", count=3, size=48, device="cpu"))
    assert [c for c, _ in cells] == top_channels(photo, BUNDLED_MODEL, "blocks.2", count=3, device="cpu")
    small = fit_image(photo, 48)
    assert all(picture.size == small.size for _, picture in cells)
    pixels = {picture.tobytes() for _, picture in cells} | {small.tobytes()}
    assert len(pixels) == 4, "each channel dreams something of its own, and not the photo unchanged"
