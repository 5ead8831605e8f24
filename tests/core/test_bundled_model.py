"""The bundled efficientnet_lite0 (real ImageNet weights, offline) on a small real photo.

These are the behavioural checks that a dream does what it says: the target layer's activations
grow, a class objective makes the picture more of that class, a guide pulls features towards the
guide image. Everything is measured with the Dreamer's own ``activations()``. Runs use fp32 and no
jitter so the measured factors are the same on every CPU (jitter itself is checked exactly in
test_dreamer.py); 96 px and a few steps keep each run to a few seconds.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from deepdream_core import Dreamer, DreamSettings, LayerTarget
from deepdream_core.dreaming.objectives import class_index
from deepdream_core.dreaming.transforms import pil_to_tensor
from tests.support.photos import skimage_photo

MEASURED = DreamSettings(max_size=96, steps=6, octaves=1, step_size=4.0, jitter=0, precision="fp32", device="cpu")
CAT_CLASSES = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat


@pytest.fixture(scope="module")
def cat_96() -> Image.Image:
    return skimage_photo("chelsea", 96)  # 96x64


def activation(dreamer: Dreamer, image: Image.Image, layer: str) -> torch.Tensor:
    with torch.no_grad():
        return dreamer.activations(pil_to_tensor(image), frozenset([layer]))[layer]


def mean_square(dreamer: Dreamer, image: Image.Image, layer: str) -> float:
    return activation(dreamer, image, layer).pow(2).mean().item()


def class_probabilities(dreamer: Dreamer, image: Image.Image) -> torch.Tensor:
    return activation(dreamer, image, "logits").softmax(dim=1)[0]


def feature_similarity(dreamer: Dreamer, a: Image.Image, b: Image.Image, layer: str) -> float:
    """Cosine similarity of the two images' mean-pooled features at ``layer``."""
    pooled_a, pooled_b = (activation(dreamer, x, layer).mean(dim=(2, 3)) for x in (a, b))
    return torch.nn.functional.cosine_similarity(pooled_a, pooled_b).item()


def test_bundled_weights_are_pretrained_imagenet_weights(dreamer: Dreamer) -> None:
    """A random or mis-mapped network would not call Chelsea a cat: this checks the key mapping too."""
    probabilities = class_probabilities(dreamer, skimage_photo("chelsea", 160))
    top5 = probabilities.topk(5).indices.tolist()
    assert top5[0] in CAT_CLASSES
    assert probabilities[list(CAT_CLASSES)].sum() > 0.5
    assert "cat" in dreamer.class_names()[top5[0]]


def test_dream_grows_the_default_layer(dreamer: Dreamer, cat_96: Image.Image) -> None:
    assert dreamer.default_layer == "blocks.4"
    result = dreamer.dream(cat_96, MEASURED)
    before, after = mean_square(dreamer, cat_96, "blocks.4"), mean_square(dreamer, result, "blocks.4")
    # Measured ~2x after 6 steps (the photo of a cat already excites this layer strongly).
    assert after > 1.5 * before
    # The control: a change of the same size in random directions does not grow it.
    noise = np.random.default_rng(0).choice([-1.0, 1.0], size=np.asarray(cat_96).shape)
    change = np.abs(np.asarray(result, float) - np.asarray(cat_96, float)).mean()
    shaken = Image.fromarray(np.clip(np.asarray(cat_96, float) + change * noise, 0, 255).round().astype(np.uint8))
    assert mean_square(dreamer, shaken, "blocks.4") < 1.2 * before


def test_class_objective_makes_the_picture_that_class(dreamer: Dreamer, cat_96: Image.Image) -> None:
    goldfish = class_index(dreamer.class_names(), "goldfish", dreamer.name)
    before = class_probabilities(dreamer, cat_96)
    assert before[goldfish] < 1e-6  # a cat photo is not a goldfish...
    # Class alone (the layer's weight 0), so the rise is the class objective's doing.
    settings = MEASURED.replace(steps=3, class_target="goldfish", layers=(LayerTarget("blocks.4", 0.0),))
    after = class_probabilities(dreamer, dreamer.dream(cat_96, settings))
    # ...until it is dreamed: measured 7e-17 -> 0.99999 in 3 steps, the top class.
    assert after[goldfish] > 0.5 and after.argmax().item() == goldfish


def test_guided_dream_pulls_features_towards_the_guide(dreamer: Dreamer, cat_96: Image.Image) -> None:
    guide = skimage_photo("coffee", 96)
    settings = MEASURED.replace(layers=(LayerTarget("blocks.6"),))
    before = feature_similarity(dreamer, cat_96, guide, "blocks.6")
    guided = feature_similarity(dreamer, dreamer.dream(cat_96, settings, guide=guide), guide, "blocks.6")
    unguided = feature_similarity(dreamer, dreamer.dream(cat_96, settings), guide, "blocks.6")
    # Measured: 0.16 before, 0.66 guided, 0.02 for the same dream without the guide.
    assert guided > before + 0.25
    assert guided > unguided + 0.25
