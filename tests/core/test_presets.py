"""The shipped presets: each loads, runs offline on layers its model has, and has a fresh thumbnail."""

from __future__ import annotations

import importlib.util
import urllib.parse
from pathlib import Path
from types import ModuleType

import pytest
import torch
from PIL import Image

from deepdream_core import ZOO, get_spec
from deepdream_core.dreaming.objectives import class_index
from deepdream_core.files.links import from_query, to_query
from deepdream_core.files.presets import PRESETS_DIR, all_presets, fingerprint, load_preset, preset_names
from tests.support import REPO
from tests.support.space import preloads

NAMES = preset_names()
# What users look for in the gallery (issue 3); every one needs at least one preset.
REQUIRED_FAMILIES = {
    "textures",
    "eyes",
    "fur and feathers",
    "dog faces",
    "creatures",
    "architecture",
    "class-guided",
    "guide image",
    "gentle",
    "intense",
}


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_thumbnails", REPO / "scripts" / "render_thumbnails.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return _load_script()


def test_there_are_enough_presets() -> None:
    assert len(NAMES) >= 10, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_preset_runs_on_layers_its_model_has_with_weights_a_space_preloads(name: str) -> None:
    preset = load_preset(name)
    spec = get_spec(preset.settings.model)
    assert preset.title and preset.description and preset.family, f"{name}: title, description and family are shown"
    if not spec.weights.offline:
        # The network must be downloaded: a zoo model whose file a Space fetches while it is built, never a
        # download at a visitor's first click.
        preloaded = {(repo, file) for repo, files in preloads() for file in files}
        assert spec.name in ZOO and (spec.weights.repo_id, spec.weights.filename) in preloaded, name
    with torch.device("meta"):  # the architecture's module names; no weights needed
        layers = {path for path, _ in spec.build().named_modules()}
    missing = [t.layer for t in preset.settings.layers if t.layer not in layers]
    assert not missing, f"{name}: model {spec.name!r} has no layer {missing}"
    if preset.settings.class_target is not None:
        class_index(spec.class_names(), preset.settings.class_target, spec.name)  # raises if not one class


@pytest.mark.parametrize("name", NAMES)
def test_preset_has_a_fresh_thumbnail(name: str, script: ModuleType) -> None:
    preset = load_preset(name)
    spec = get_spec(preset.settings.model)
    if preset.thumbnail is None and not spec.weights.offline:
        # Its network must be downloaded. Where it cannot be, no other network's picture may stand in: the look
        # says so. Where its weights are, the picture can be made.
        assert spec.weights.local_file() is None, (
            f"{name}: the weights are here: run `python scripts/render_thumbnails.py {name}`, then take "
            f"{script.NO_PREVIEW!r} out of its description"
        )
        assert preset.description.endswith(script.NO_PREVIEW), f"{name}: say {script.NO_PREVIEW!r} in its description"
        return
    assert script.NO_PREVIEW not in preset.description, f"{name}: it has its picture now; take that sentence out"
    expected = script.thumbnail_path(name)
    assert preset.thumbnail == expected, (
        f"{name}: thumbnail must be {expected.name!r}; run `python scripts/render_thumbnails.py {name}`"
    )
    with Image.open(preset.thumbnail) as image:
        assert image.format == "JPEG" and max(image.size) == script.THUMB_SIZE, (image.format, image.size)
    current = fingerprint(script.render_settings(preset), preset.guide, script.render_source(preset))
    assert script.stamped_fingerprint(preset.thumbnail) == current, (
        f"{name}: thumbnail is stale (the preset, its guide or the sample photo changed); "
        f"run `python scripts/render_thumbnails.py {name}`"
    )


@pytest.mark.parametrize("name", NAMES)
def test_share_link_restores_the_preset(name: str) -> None:
    preset = load_preset(name)
    query = to_query(preset.settings, preset=name)
    assert query == f"preset={name}"
    changed = preset.settings.replace(steps=preset.settings.steps % 100 + 1)
    for settings in (preset.settings, changed):
        link = from_query(dict(urllib.parse.parse_qsl(to_query(settings, preset=name))))
        assert (link.settings, link.preset, link.ignored) == (settings, name, [])


def test_guide_presets_ship_their_guide_image() -> None:
    guided = [p for p in all_presets() if p.family == "guide image"]
    assert guided and all(p.guide is not None and p.guide.parent == PRESETS_DIR / "guides" for p in guided)
    for preset in guided:
        with Image.open(preset.guide) as image:
            image.verify()


def test_gallery_order_and_families() -> None:
    presets = all_presets()
    assert [p.name for p in presets] == sorted(NAMES, key=lambda n: (load_preset(n).order, n))
    assert len({p.order for p in presets}) == len(presets), "two presets share a gallery position"
    missing = REQUIRED_FAMILIES - {p.family for p in presets}
    assert not missing, f"no preset in families {sorted(missing)}"


def test_render_script_writes_a_stamped_thumbnail(tmp_path: Path, script: ModuleType) -> None:
    preset = load_preset(NAMES[0])
    out = script.render_thumbnail(preset, tmp_path / "thumb.jpg", work_size=64, thumb_size=48)
    with Image.open(out) as image:
        assert image.format == "JPEG" and max(image.size) == 48
        pixels = image.convert("RGB")
    with Image.open(script.SAMPLE) as sample:
        photo = sample.convert("RGB").resize(pixels.size)
    assert pixels.tobytes() != photo.tobytes(), "the thumbnail should be dreamed, not the photo"
    settings = script.render_settings(preset, work_size=64)
    assert settings.max_size == 64
    assert script.stamped_fingerprint(out) == fingerprint(settings, preset.guide, script.SAMPLE)
    assert script.stamped_fingerprint(out) != fingerprint(
        preset.settings.replace(max_size=65), preset.guide, script.SAMPLE
    )


def test_cli_uses_a_guide_presets_own_guide_image(tmp_path: Path) -> None:
    """`--preset galaxies` without --guide dreams towards the preset's guide, as the app does."""
    import numpy as np

    from deepdream_core.cli import main
    from tests.support.photos import skimage_photo

    photo = tmp_path / "cat.png"
    skimage_photo("chelsea", 64).save(photo)
    small = ["--max-size", "64", "--steps", "2", "--octaves", "1", "--quiet"]
    guide = load_preset("galaxies").guide
    runs = {"preset": [], "explicit": ["--guide", str(guide)], "other": ["--guide", str(photo)]}
    for name, extra in runs.items():
        assert (
            main(["dream", str(photo), "-o", str(tmp_path / f"{name}.png"), "--preset", "galaxies", *small, *extra])
            == 0
        )
    pixels = {name: np.asarray(Image.open(tmp_path / f"{name}.png")) for name in runs}
    assert np.array_equal(pixels["preset"], pixels["explicit"])
    assert not np.array_equal(pixels["preset"], pixels["other"])  # a guide that changes the dream
