"""The layer atlas: a small picture of what each dream layer draws, and the channels of one layer a photo stirs.

A layer's picture is two squares side by side: the neutral sample photo (``samples/coffee.jpg``, a cup on a
table) dreamed at that layer, and the layer dreamed from noise. The bundled model's pictures ship in
``presets/atlas/<model>/`` (``scripts/render_atlas.py`` renders them); any other model's are rendered on first
request, at a smaller size, into the cache folder (:func:`cache_dir`), never into the source tree. Each JPEG's
comment holds the fingerprint of what it was rendered from, so a stale picture is never shown (and a test
catches a stale shipped one).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from ..dreaming.settings import DreamSettings, LayerTarget, SettingsError
from ..files.presets import PRESETS_DIR, SAMPLES_DIR, fingerprint
from ..models.echo import echo
from ..models.zoo import DreamLayer, get_spec

SAMPLE = SAMPLES_DIR / "coffee.jpg"
SHIPPED_DIR = PRESETS_DIR / "atlas"  # goes wherever the presets go
SHIPPED_SIZE = 160  # pixels on a side of each half of a shipped picture
# Pictures rendered on request: small, so a model's whole atlas takes about a minute on a CPU.
ON_DEMAND_SIZE = 96
# The channel atlas: the photo at this size, one octave of a few strong steps per channel, so the
# first cell comes within about a second on the bundled model (bench/atlas.py measures it).
CHANNEL_SIZE = 96
CHANNEL_STEPS = 8
CHANNEL_COUNT = 12
_RANK_SIZE = 224  # channels are ranked on the photo at the network's usual input size


@dataclass(frozen=True)
class AtlasPicture:
    """One layer of a model's atlas; ``path`` is None while its picture is not rendered (or is stale)."""

    layer: DreamLayer
    path: Path | None


def cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where rendered atlases are kept: ``DEEPDREAM_CACHE``, else ``$XDG_CACHE_HOME/deepdream`` or ``~/.cache``."""
    if environ.get("DEEPDREAM_CACHE"):
        return Path(environ["DEEPDREAM_CACHE"])
    return Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "deepdream"


def atlas_cache() -> Path:
    """Where atlases rendered on request go: ``atlas/`` in :func:`cache_dir`, one folder per model."""
    return cache_dir() / "atlas"


def picture_settings(model: str, layer: str, size: int, from_noise: bool) -> DreamSettings:
    """How a layer's picture is dreamed: noise needs more and stronger steps before shapes appear."""
    return DreamSettings(
        model=model,
        layers=(LayerTarget(layer),),
        max_size=size,
        octaves=4,
        seed=0,
        steps=14 if from_noise else 10,
        step_size=3.0 if from_noise else 2.5,
    )


def picture_fingerprint(model: str, layer: str, size: int) -> str:
    """A short hash of everything a layer's picture depends on: both dreams' settings and the sample photo."""
    parts = [fingerprint(picture_settings(model, layer, size, noise), None, SAMPLE) for noise in (False, True)]
    return hashlib.sha256("".join(parts).encode()).hexdigest()[:16]


def stamped_fingerprint(path: Path) -> str:
    """The fingerprint a picture was stamped with ("" if none)."""
    with Image.open(path) as image:
        return image.info.get("comment", b"").decode(errors="replace")


def model_folder(root: Path, model: str) -> Path:
    """``root/<model>``; model names come from the zoo or timm, and must stay a single folder name."""
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", model):
        raise SettingsError("model", f"{echo(model)} cannot name an atlas folder")
    return root / model


def layer_atlas(model: str, size: int = ON_DEMAND_SIZE) -> list[AtlasPicture]:
    """Every dream layer of ``model`` with its picture where one is ready: shipped, or rendered at ``size``."""
    spec = get_spec(model)
    return [AtlasPicture(layer, _ready(spec.name, layer.path, size)) for layer in spec.layers]


def _ready(model: str, layer: str, size: int) -> Path | None:
    for root, at in ((SHIPPED_DIR, SHIPPED_SIZE), (atlas_cache(), size)):
        path = model_folder(root, model) / f"{layer}.jpg"
        if path.is_file() and stamped_fingerprint(path) == picture_fingerprint(model, layer, at):
            return path
    return None


def render_layer_atlas(model: str, size: int = ON_DEMAND_SIZE) -> Iterator[AtlasPicture]:
    """Every layer's picture, rendering into the cache the ones not ready; each is yielded when it is ready."""
    folder = model_folder(atlas_cache(), get_spec(model).name)
    for picture in layer_atlas(model, size):
        if picture.path is None:
            picture = AtlasPicture(
                picture.layer, render_picture(model, picture.layer.path, folder / f"{picture.layer.path}.jpg", size)
            )
        yield picture


def render_picture(model: str, layer: str, out: Path, size: int) -> Path:
    """Dream the sample photo and noise at ``layer``, side by side, into the JPEG ``out``, stamped."""
    from ..dreaming.cache import dream

    with Image.open(SAMPLE) as sample:
        photo = ImageOps.fit(sample.convert("RGB"), (min(sample.size),) * 2, Image.Resampling.LANCZOS)
    picture = Image.new("RGB", (2 * size, size))
    picture.paste(dream(photo, picture_settings(model, layer, size, False)).resize((size, size)), (0, 0))
    picture.paste(dream(None, picture_settings(model, layer, size, True)).resize((size, size)), (size, 0))
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed into place, so a page never shows a half-written picture.
    with tempfile.NamedTemporaryFile(dir=out.parent, suffix=".jpg", delete=False) as tmp:
        picture.save(tmp, format="JPEG", quality=85, optimize=True, comment=picture_fingerprint(model, layer, size))
    os.replace(tmp.name, out)
    return out


# -- the channels of one layer -----------------------------------------------------------------------


def top_channels(
    image: Image.Image, model: str, layer: str, count: int = CHANNEL_COUNT, device: str = "auto"
) -> list[int]:
    """The ``count`` channels of ``layer`` that respond most to ``image`` (mean squared activation)."""
    import torch

    from ..dreaming.cache import get_dreamer
    from ..dreaming.images import fit_image
    from ..dreaming.transforms import pil_to_tensor

    dreamer = get_dreamer(model, device)
    dreamer.objective(DreamSettings(model=model, layers=(LayerTarget(layer),)))  # an unknown layer says so here
    with torch.no_grad():
        acts = dreamer.activations(pil_to_tensor(fit_image(image, _RANK_SIZE), dreamer.device), frozenset([layer]))
    act = acts[layer].float()
    scores = act.pow(2).reshape(act.shape[0], act.shape[1], -1).mean(dim=(0, 2))
    return scores.argsort(descending=True)[:count].tolist()


def channel_settings(model: str, layer: str, channel: int, size: int = CHANNEL_SIZE) -> DreamSettings:
    """A quick dream of one channel: one octave of a few strong steps, little jitter at this size."""
    return DreamSettings(
        model=model,
        layers=(LayerTarget(layer, 1.0, (channel,)),),
        octaves=1,
        steps=CHANNEL_STEPS,
        step_size=6.0,
        jitter=8,
        max_size=size,
        seed=0,
    )


def channel_pictures(
    image: Image.Image,
    model: str,
    layer: str,
    count: int = CHANNEL_COUNT,
    size: int = CHANNEL_SIZE,
    device: str = "auto",
) -> Iterator[tuple[int, Image.Image]]:
    """The channels that respond most to ``image``, each with ``image`` dreamed at it, as each finishes."""
    from ..dreaming.cache import get_dreamer
    from ..dreaming.images import fit_image

    dreamer = get_dreamer(model, device)
    small = fit_image(image, size)
    for channel in top_channels(image, model, layer, count, device):
        yield channel, dreamer.dream(small, channel_settings(model, layer, channel, size).replace(device=device))
