"""Every zoo entry, plus any timm name with Hub weights: builds, lists its layers, dreams, loads weights.

Building needs no download (random weights). Loading goes through the real code paths with no
mock of any download function: Hub models through huggingface_hub against the local Hub stand-in
(tests/support/hub_standin.py, in a child process because huggingface_hub reads HF_ENDPOINT at import),
GoogLeNet through torchvision's weights API from a pre-populated TORCH_HOME, and the bundled model
with no network and empty caches.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as save_safetensors
from torch import nn

from deepdream_core import (
    BUNDLED_MODEL,
    ZOO,
    Dreamer,
    DreamSettings,
    SettingsError,
    UnknownModelError,
    get_dreamer,
    get_spec,
)
from deepdream_core.cli import main
from deepdream_core.dreaming import objectives
from deepdream_core.dreaming.cache import loaded_models
from deepdream_core.dreaming.transforms import pil_to_tensor
from deepdream_core.models import zoo
from deepdream_core.models.weights import HubStateDictWeights, HubWeights, TorchvisionWeights
from tests.support import REPO
from tests.support.checkpoints import random_checkpoint, state_dict_digest
from tests.support.hub_standin import HubStandIn
from tests.support.photos import skimage_photo

# Any timm model with Hub weights works by name; a small one keeps the test quick.
TIMM_NAME = "mobilenetv3_small_100.lamb_in1k"
MODELS = [*ZOO, TIMM_NAME]
# Hub models read from safetensors; the Caffe GoogLeNets' .pth ports have tests of their own (test_caffe_googlenet.py).
HUB_MODELS = [name for name in MODELS if type(get_spec(name).weights) is HubWeights]
# Unpadded stems and reductions (Inception v3's) need about 75 px on the short side: chelsea at 120x80.
MIN_SIDE = {"inception_v3": 120}
TABBY = 281


@functools.cache
def built(name: str) -> nn.Module:
    """The architecture with random weights, built once per test run."""
    return get_spec(name).build().eval()


# -- building, layers, a short dream -----------------------------------------------------------------


def test_the_timm_example_is_a_timm_model_with_hub_weights() -> None:
    from timm.models import get_pretrained_cfg

    assert get_pretrained_cfg(TIMM_NAME).hf_hub_id == f"timm/{TIMM_NAME}"
    assert TIMM_NAME not in ZOO
    assert set(HUB_MODELS) == {"inception_v3", "vgg16", "resnet50", TIMM_NAME}
    ported = {name for name in ZOO if isinstance(get_spec(name).weights, HubStateDictWeights)}
    assert ported == {"bvlc_googlenet", "googlenet_places365"}


@pytest.mark.parametrize("name", MODELS)
def test_every_listed_layer_exists_and_is_described(name: str) -> None:
    spec = get_spec(name)
    modules = dict(built(name).named_modules())
    assert spec.layers and len({layer.path for layer in spec.layers}) == len(spec.layers)
    for layer in spec.layers:
        assert layer.path in modules, f"{name}: no module {layer.path!r}"
        assert layer.description.strip()
    assert spec.default_layer in [layer.path for layer in spec.layers]


@pytest.mark.parametrize("name", MODELS)
def test_every_listed_layer_gives_activations_and_the_default_layer_dreams(name: str) -> None:
    spec = get_spec(name)
    side = MIN_SIDE.get(name, 64)
    photo = skimage_photo("chelsea", side)
    dreamer = Dreamer.from_spec(spec, built(name))
    with torch.no_grad():
        acts = dreamer.activations(pil_to_tensor(photo), frozenset(layer.path for layer in spec.layers))
    assert all(acts[layer.path].dim() == 4 and acts[layer.path].shape[0] == 1 for layer in spec.layers)
    result = dreamer.dream(photo, DreamSettings(max_size=side, steps=1, octaves=1, precision="fp32"))
    assert result.size == photo.size and result.tobytes() != photo.tobytes()


def test_inception_v3_on_too_small_an_image_says_what_to_do() -> None:
    spec = get_spec("inception_v3")
    dreamer = Dreamer.from_spec(spec, built("inception_v3"))
    with pytest.raises(SettingsError, match=r"cannot dream on an image this small .* use a larger image or max_size"):
        dreamer.dream(skimage_photo("chelsea", 48), DreamSettings(max_size=48, steps=1, octaves=1))


def test_inception_v3_skips_octaves_smaller_than_its_stem_takes() -> None:
    """A 100 px photo with the default 4 octaves: the 36-71 px octaves are skipped, not an error."""
    spec = get_spec("inception_v3")
    photo = skimage_photo("chelsea", 100)
    events = list(
        Dreamer.from_spec(spec, built("inception_v3")).dream_frames(
            photo, DreamSettings(max_size=100, steps=1, precision="fp32"), preview_every=0
        )
    )
    assert events[-1].octaves == 1 and events[-1].image.size == photo.size


@pytest.mark.parametrize("name", MODELS)
def test_class_names_are_the_models_classes_in_logit_order(name: str) -> None:
    spec = get_spec(name)
    if spec.class_names is None:  # vgg16 keeps only the convolutional features
        assert not hasattr(built(name), "fc") and name == "vgg16"
        return
    names = spec.class_names()
    side = MIN_SIDE.get(name, 64)
    with torch.no_grad():
        logits = built(name)(torch.zeros(1, 3, side, side))
    assert logits.shape == (1, len(names))
    if name == "googlenet_places365":  # scenes, not ImageNet (see test_caffe_googlenet.py)
        assert len(names) == 365
        return
    assert len(names) == 1000
    # The same class target means the same class on every model (presets and share links switch models).
    assert objectives.class_index(names, "tabby cat", name) == TABBY
    assert objectives.class_index(names, "goldfish", name) == 1


# -- weights through the real code paths ----------------------------------------------------------------

# Loads each named model through deepdream_core.models.zoo.load_model and prints a digest of its weights.
LOAD_CHILD = textwrap.dedent("""
    import hashlib, json, sys
    from deepdream_core.models.zoo import load_model
    report = {}
    for name in sys.argv[1:]:
        state = load_model(name).state_dict()
        report[name] = {k: hashlib.sha256(v.contiguous().numpy().tobytes()).hexdigest() for k, v in state.items()}
    print(json.dumps(report))
""")


def load_in_child(names: list[str], env: dict[str, str]) -> dict[str, dict[str, str]]:
    child = subprocess.run(
        [sys.executable, "-c", LOAD_CHILD, *names], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert child.returncode == 0, child.stderr[-3000:]
    return json.loads(child.stdout.strip().splitlines()[-1])


def hub_checkpoint(name: str, seed: int) -> dict[str, torch.Tensor]:
    """What the Hub repo holds for ``name``: timm's key names and shapes (the zoo builds timm models), random values."""
    checkpoint = random_checkpoint(built(name), seed)
    if name == "vgg16":
        # The zoo's VGG16 is timm's `features` alone. The real file also holds the classifier; its 500 MB
        # pre_logits.fc1/fc2 are left out to keep the suite fast, its head stays, so the file still has
        # tensors the model never asks for.
        checkpoint["head.fc.weight"], checkpoint["head.fc.bias"] = torch.rand(1000, 4096), torch.rand(1000)
    return checkpoint


def test_hub_models_load_the_hubs_weights_once_and_then_from_the_cache(tmp_path: Path) -> None:
    served = {name: hub_checkpoint(name, seed) for seed, name in enumerate(HUB_MODELS)}
    with HubStandIn() as hub:
        for name, checkpoint in served.items():
            hub.add(get_spec(name).weights.repo_id, "model.safetensors", save_safetensors(checkpoint))
        env = hub.env(tmp_path / "hf")
        loaded = load_in_child(HUB_MODELS, env)
        for name in HUB_MODELS:
            assert hub.downloads(get_spec(name).weights.repo_id, "model.safetensors") == 1, name
    for name in HUB_MODELS:
        expected = state_dict_digest(served[name])
        assert loaded[name] == {k: expected[k] for k in loaded[name]}, name  # every tensor the Hub's
        assert len(loaded[name]) == len(built(name).state_dict())
    assert "head.fc.weight" not in loaded["vgg16"]  # the classifier in the file was not needed
    # A fresh process with the stand-in gone and the Hub switched off reads the same weights from the cache
    # (one model: the cache is huggingface_hub's, the same for all of them).
    offline = dict(env, HF_HUB_OFFLINE="1")
    assert load_in_child([TIMM_NAME], offline) == {TIMM_NAME: loaded[TIMM_NAME]}


def test_googlenet_loads_torchvision_weights_from_torch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torchvision

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    source = get_spec("googlenet").weights
    assert isinstance(source, TorchvisionWeights)
    url = torchvision.models.get_weight(source.enum_name).url
    # torchvision's file holds the auxiliary classifiers too; the zoo's GoogLeNet leaves them out.
    checkpoint = random_checkpoint(torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=False), 7)
    cached = Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]
    cached.parent.mkdir(parents=True)
    torch.save(checkpoint, cached)  # torch.hub checks the hash only when it downloads

    module = zoo.load_model("googlenet")
    loaded = state_dict_digest(module.state_dict())
    expected = state_dict_digest(checkpoint)
    assert loaded == {k: expected[k] for k in loaded}
    assert any(k.startswith("aux1.") for k in checkpoint) and not any(k.startswith("aux1.") for k in loaded)
    assert zoo.load_model("googlenet") is not module  # load_model keeps nothing: get_dreamer is the cache


def test_get_dreamer_loads_a_model_once_and_shares_its_module_with_nothing_else() -> None:
    dreamer = get_dreamer(BUNDLED_MODEL, "cpu")
    assert get_dreamer(BUNDLED_MODEL, "cpu") is dreamer  # loaded once per process and device
    assert BUNDLED_MODEL in loaded_models()
    fresh = zoo.load_model(BUNDLED_MODEL)
    assert fresh is not dreamer.module
    # The Dreamer turned its own module to channels_last; a module from load_model is left as built.
    assert dreamer.module.conv_stem.weight.is_contiguous(memory_format=torch.channels_last)
    assert fresh.conv_stem.weight.is_contiguous() and not fresh.conv_stem.weight.is_contiguous(
        memory_format=torch.channels_last
    )
    assert state_dict_digest(fresh.state_dict()) == state_dict_digest(dreamer.module.state_dict())


BUNDLED_CHILD = textwrap.dedent("""
    from PIL import Image
    from deepdream_core import DreamSettings, dream
    result = dream(Image.new("RGB", (48, 40), "gray"), DreamSettings(max_size=48, steps=1, octaves=1))
    print(result.size)
""")


def test_bundled_model_needs_no_network_and_no_cache(tmp_path: Path) -> None:
    env = HubStandIn().env(tmp_path / "hf", endpoint="http://127.0.0.1:9")  # nothing listens there
    env.update(HF_HUB_OFFLINE="1", TORCH_HOME=str(tmp_path / "torch"))
    child = subprocess.run(
        [sys.executable, "-c", BUNDLED_CHILD], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert child.returncode == 0, child.stderr[-3000:]
    assert child.stdout.strip() == "(48, 40)"
    assert not (tmp_path / "hf").exists() and not (tmp_path / "torch").exists()  # nothing was cached


# -- listing from the command line ------------------------------------------------------------------------


def test_models_command_lists_every_zoo_entry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in ZOO:
        line = next(line for line in lines if line.split()[0] == name)
        assert get_spec(name).title in line
    assert "[bundled, offline]" in lines[0] and lines[0].startswith("efficientnet_lite0")
    assert "Any timm model name with Hub weights works too" in lines[-1]


@pytest.mark.parametrize("name", MODELS)
def test_layers_command_lists_every_layer_with_its_description(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["layers", name]) == 0
    lines = capsys.readouterr().out.splitlines()
    spec = get_spec(name)
    assert len(lines) == len(spec.layers) + 1
    for line, layer in zip(lines, spec.layers, strict=False):
        assert line[2:].split()[0] == layer.path and line.rstrip().endswith(layer.description)
        assert line.startswith("*") == (layer.path == spec.default_layer)


def test_layers_command_on_an_unknown_model_exits_2_with_the_models_hint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["layers", "no_such_model"]) == 2
    assert "python -m deepdream_core models" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["resnet50.nope", "resnet50.", "convnext_tiny.not_a_tag", "no_such_model"])
def test_a_bad_timm_name_is_an_unknown_model_that_says_how_to_list_models(name: str) -> None:
    """A tag the architecture lacks is timm's RuntimeError underneath; users get the same error as for any bad name."""
    with pytest.raises(UnknownModelError) as err:
        get_spec(name)
    assert f"Unknown model {name!r}" in str(err.value) and "python -m deepdream_core models" in str(err.value)


def test_a_bad_timm_tag_names_the_architectures_real_ones() -> None:
    with pytest.raises(UnknownModelError, match=r"\(resnet50 has resnet50\.\w+, "):
        get_spec("resnet50.nope")


def test_dream_with_a_bad_timm_name_exits_2_with_one_line_before_reading_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "x.png"
    # The input does not exist either: the model is checked first, so the message is about the model.
    assert main(["dream", str(tmp_path / "photo.jpg"), "--model", "resnet50.nope", "-o", str(output)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: Unknown model 'resnet50.nope'") and captured.err.count("\n") == 1
    assert "python -m deepdream_core models" in captured.err and captured.out == ""
    assert not output.exists()
