"""The Caffe GoogLeNets of the 2015 DeepDream (bvlc_googlenet, googlenet_places365): network, input, weights.

The real weights cannot be downloaded here. The Hub stand-in (tests/support/hub_standin.py, in a child process
because huggingface_hub reads HF_ENDPOINT at import) serves ``.pth`` files with the ported files' names and
shapes (tests/support/caffe_googlenet.py, read off the ports' own definitions) and random values, under the
real repository and file names; the zoo loads them through its real code path, strictly, and dreams.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import subprocess
import sys
import textwrap
import urllib.parse
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import nn

from deepdream_core import Dreamer, DreamSettings, LayerTarget, SettingsError, get_spec
from deepdream_core.dreaming import objectives
from deepdream_core.dreaming.settings import parse_layer
from deepdream_core.dreaming.transforms import pil_to_tensor
from deepdream_core.files.links import from_query, to_query
from deepdream_core.models.caffe_googlenet import CaffeGoogLeNet, CaffeLRN, ported_name
from deepdream_core.models.weights import HubStateDictWeights
from tests.support import REPO
from tests.support.caffe_googlenet import ported_shapes, ported_state_dict, pth_bytes
from tests.support.checkpoints import malicious_checkpoint, state_dict_digest
from tests.support.hub_standin import HubStandIn
from tests.support.photos import skimage_photo

CAFFE = {"bvlc_googlenet": 1000, "googlenet_places365": 365}  # each network and its classes
REPO_ID = "mediasynthesismuseum/deepdream-googlenet"
FILES = {"bvlc_googlenet": "bvlc_googlenet.pth", "googlenet_places365": "googlenet_places365.pth"}
# The mean pixel both take off, (B, G, R) in 0-255 (issue 32).
MEAN_BGR = {"bvlc_googlenet": (104, 117, 123), "googlenet_places365": (104, 117, 123)}


def network(name: str, seed: int = 0) -> CaffeGoogLeNet:
    torch.manual_seed(seed)
    module = get_spec(name).build()
    assert isinstance(module, CaffeGoogLeNet)
    return module.eval()


# -- the network ---------------------------------------------------------------------------------------------


def test_the_weights_come_from_the_hub_repository_and_file_named_in_the_spec() -> None:
    for name in CAFFE:
        source = get_spec(name).weights
        assert isinstance(source, HubStateDictWeights) and not source.offline
        assert (source.repo_id, source.filename) == (REPO_ID, FILES[name])
        assert source.where == f"Hugging Face Hub: {REPO_ID}, file {FILES[name]}"


@pytest.mark.parametrize("name", CAFFE)
def test_the_network_has_exactly_the_ported_files_tensors(name: str) -> None:
    module = network(name)
    assert {ported_name(k): tuple(v.shape) for k, v in module.state_dict().items()} == ported_shapes(CAFFE[name])
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())  # Caffe's had none


def test_ported_names_are_caffes_with_underscores() -> None:
    assert ported_name("conv1/7x7_s2.weight") == "conv1_7x7_s2.weight"
    assert ported_name("inception_4c/5x5_reduce.bias") == "inception_4c_5x5_reduce.bias"
    assert ported_name("loss1.conv.weight") == "loss1_conv.weight"
    assert ported_name("loss2.fc.weight") == "loss2_fc_1.weight"
    assert ported_name("loss2.classifier.bias") == "loss2_classifier_1.bias"


def caffe_pooled(side: int) -> int:
    """Caffe's pooled size for a 3x3 stride-2 max pool without padding: rounded up."""
    return math.ceil((side - 3) / 2) + 1


@pytest.mark.parametrize("name", CAFFE)
def test_layers_are_named_as_in_the_2015_notebook_and_have_caffes_shapes(name: str) -> None:
    spec = get_spec(name)
    dreamer = Dreamer.from_spec(spec, network(name))
    wanted = {
        "conv2/3x3": (192, 56),
        "inception_3a/output": (256, 28),
        "inception_3b/output": (480, 28),
        "inception_4a/output": (512, 14),
        "inception_4b/output": (512, 14),
        "inception_4c/output": (512, 14),
        "inception_4d/output": (528, 14),
        "inception_4e/output": (832, 14),
        "inception_5a/output": (832, 7),
        "inception_5b/output": (1024, 7),
    }
    assert set(wanted) <= {layer.path for layer in spec.layers} and spec.default_layer == "inception_4c/output"
    with torch.no_grad():
        acts = dreamer.activations(torch.rand(1, 3, 224, 224), frozenset([*wanted, objectives.LOGITS]))
    for layer, (channels, side) in wanted.items():
        assert tuple(acts[layer].shape) == (1, channels, side, side), layer
    assert tuple(acts[objectives.LOGITS].shape) == (1, CAFFE[name])
    # Max pools round their output size up, as Caffe's do: a 114 px map pools to 57, not torch's default 56.
    with torch.no_grad():
        acts = dreamer.activations(torch.rand(1, 3, 228, 228), frozenset(["conv1/7x7_s2", "pool1/3x3_s2"]))
    assert acts["conv1/7x7_s2"].shape[-1] == 114 and acts["pool1/3x3_s2"].shape[-1] == caffe_pooled(114) == 57


@pytest.mark.parametrize("name", CAFFE)
def test_the_network_takes_bgr_0_to_255_minus_the_mean_pixel(name: str) -> None:
    """What reaches the first convolution, for an RGB image in [0, 1] given to the Dreamer as every image is."""
    dreamer = Dreamer.from_spec(get_spec(name), network(name))
    seen = []
    first = dreamer.module.get_submodule("conv1/7x7_s2")
    handle = first.register_forward_pre_hook(lambda _module, inputs: seen.append(inputs[0].detach().clone()))
    image = pil_to_tensor(skimage_photo("chelsea", 64))
    try:
        with torch.no_grad():
            dreamer.activations(image, frozenset(["conv1/7x7_s2"]))
    finally:
        handle.remove()
    blue, green, red = (image[:, i] * 255 - MEAN_BGR[name][j] for i, j in ((2, 0), (1, 1), (0, 2)))
    torch.testing.assert_close(seen[0], torch.stack([blue, green, red], dim=1), rtol=0, atol=1e-3)


def test_lrn_is_caffes_across_channels_normalization() -> None:
    """x / (1 + alpha / 5 * sum of x^2 over 5 neighbouring channels)^0.75, alpha 1e-4, as Caffe's prototxt says,
    which torch's LocalResponseNorm computes too (more slowly), gradient included, in either memory layout."""
    module = network("bvlc_googlenet")
    assert [m.band.shape[0] for m in module.modules() if isinstance(m, CaffeLRN)] == [64, 192]
    lrn = CaffeLRN(7)
    x = torch.rand(1, 7, 3, 3) * 300
    padded = torch.nn.functional.pad(x.pow(2), (0, 0, 0, 0, 2, 2))
    window = torch.stack([padded[:, c : c + 5].sum(1) for c in range(7)], dim=1)
    torch.testing.assert_close(lrn(x), x / (1 + 1e-4 / 5 * window).pow(0.75))
    reference = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)
    for layout in (torch.contiguous_format, torch.channels_last):
        ours, theirs = (x.clone(memory_format=layout).requires_grad_(True) for _ in range(2))
        torch.testing.assert_close(lrn(ours), reference(theirs))
        lrn(ours).pow(2).sum().backward()
        reference(theirs).pow(2).sum().backward()
        assert ours.grad is not None and ours.grad.abs().sum() > 0
        torch.testing.assert_close(ours.grad, theirs.grad)


def test_an_inception_block_concatenates_its_branches_after_their_relus() -> None:
    """Caffe's order (1x1, 3x3, 5x5, pool_proj), each branch after the ReLU Caffe runs on it in place."""
    dreamer = Dreamer.from_spec(get_spec("bvlc_googlenet"), network("bvlc_googlenet"))
    parts = [f"inception_4c/{part}" for part in ("1x1", "3x3", "5x5", "pool_proj", "output")]
    with torch.no_grad():
        acts = dreamer.activations(torch.rand(1, 3, 224, 224), frozenset(parts))
    branches = [acts[part] for part in parts[:-1]]
    assert [b.shape[1] for b in branches] == [128, 256, 64, 64]
    assert all(b.min() >= 0 and (b == 0).any() and (b > 0).any() for b in branches)
    assert torch.equal(acts["inception_4c/output"], torch.cat(branches, dim=1))


def test_layer_names_with_a_slash_survive_a_share_link_and_the_cli_syntax() -> None:
    settings = DreamSettings(
        model="bvlc_googlenet",
        layers=(LayerTarget("inception_4c/output", 0.5, (3, 7)), LayerTarget("inception_3b/5x5_reduce")),
    )
    link = from_query(dict(urllib.parse.parse_qsl(to_query(settings))))
    assert (link.settings, link.ignored) == (settings, [])
    assert parse_layer("inception_4c/output:0.5:3,7") == settings.layers[0]


def test_places365_has_its_own_classes_and_a_class_target_uses_them() -> None:
    spec = get_spec("googlenet_places365")
    names = spec.class_names()
    assert len(names) == 365 and names[0] == "airfield" and names[-1] == "zen garden"
    assert objectives.class_index(names, "pagoda", spec.name) == 251
    assert objectives.class_index(names, "apartment building (outdoor)", spec.name) == 8
    with pytest.raises(SettingsError, match=r"'tabby cat' is not one of the 365 classes of 'googlenet_places365'"):
        objectives.class_index(names, "tabby cat", spec.name)
    dreamer = Dreamer.from_spec(spec, network("googlenet_places365"))
    photo = skimage_photo("chelsea", 64)
    plain, pagoda = (
        dreamer.dream(photo, DreamSettings(max_size=64, octaves=1, steps=2, seed=0, class_target=target))
        for target in (None, "pagoda")
    )
    assert pagoda.tobytes() != plain.tobytes()  # the class's logit pulls the dream somewhere else


# -- the ported weights from the Hub -----------------------------------------------------------------------------

# Loads each named model through deepdream_core.models.zoo.load_model, dreams a small grey picture with it,
# and prints a digest of its weights.
LOAD_CHILD = textwrap.dedent("""
    import hashlib, json, sys
    from PIL import Image
    from deepdream_core import DreamSettings, dream
    from deepdream_core.models.zoo import load_model
    report = {}
    for name in sys.argv[1:]:
        result = dream(Image.new("RGB", (64, 48), "gray"), DreamSettings(model=name, max_size=64, steps=1, octaves=2))
        state = load_model(name).state_dict()
        report[name] = {
            "size": list(result.size),
            "tensors": {k: hashlib.sha256(v.contiguous().numpy().tobytes()).hexdigest() for k, v in state.items()},
        }
    print(json.dumps(report))
""")


def run_child(script: str, args: list[str], env: dict[str, str]) -> str:
    child = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert child.returncode == 0, child.stderr[-3000:]
    return child.stdout.strip().splitlines()[-1]


def test_both_networks_load_the_ported_files_from_the_hub_once_and_then_from_the_cache(tmp_path: Path) -> None:
    served = {name: ported_state_dict(classes, seed) for seed, (name, classes) in enumerate(CAFFE.items())}
    with HubStandIn() as hub:
        for name, state in served.items():  # one file in each of torch's two formats
            hub.add(REPO_ID, FILES[name], pth_bytes(state, legacy=name == "googlenet_places365"))
        env = hub.env(tmp_path / "hf")
        loaded = json.loads(run_child(LOAD_CHILD, list(CAFFE), env))
        assert [hub.downloads(REPO_ID, FILES[name]) for name in CAFFE] == [1, 1]
    for name, state in served.items():
        expected = state_dict_digest(state)
        assert {ported_name(k): digest for k, digest in loaded[name]["tensors"].items()} == expected
        assert loaded[name]["size"] == [64, 48]
    # The stand-in gone and the Hub switched off: the same weights, from huggingface_hub's cache.
    assert json.loads(run_child(LOAD_CHILD, list(CAFFE), dict(env, HF_HUB_OFFLINE="1"))) == loaded


# Renders bvlc_googlenet's layer atlas (small) into DEEPDREAM_CACHE and prints where each picture went.
ATLAS_CHILD = textwrap.dedent("""
    import json
    from deepdream_core.jobs.atlas import layer_atlas, render_layer_atlas
    rendered = [str(picture.path) for picture in render_layer_atlas("bvlc_googlenet", 32)]
    ready = [str(picture.path) for picture in layer_atlas("bvlc_googlenet", 32)]
    print(json.dumps({"rendered": rendered, "ready": ready}))
""")


def test_the_layer_atlas_of_the_2015_network_renders_a_picture_per_layer(tmp_path: Path) -> None:
    """Its layer names hold a "/": each block's pictures go in a folder of the block, inside the model's folder."""
    with HubStandIn() as hub:
        hub.add(REPO_ID, FILES["bvlc_googlenet"], pth_bytes(ported_state_dict(1000, 0)))
        env = dict(hub.env(tmp_path / "hf"), DEEPDREAM_CACHE=str(tmp_path / "cache"))
        atlas = json.loads(run_child(ATLAS_CHILD, [], env))
    folder = tmp_path / "cache" / "atlas" / "bvlc_googlenet"
    expected = [str(folder / f"{layer.path}.jpg") for layer in get_spec("bvlc_googlenet").layers]
    assert atlas == {"rendered": expected, "ready": expected}
    assert (folder / "inception_4c" / "output.jpg").is_file() and (folder / "conv2" / "3x3.jpg").is_file()
    with Image.open(folder / "inception_4c" / "output.jpg") as picture:
        assert picture.size == (64, 32)


# Reads bvlc_googlenet's weights from each file named on the command line (served by the stand-in as
# bvlc_googlenet.pth in turn) and prints the error each gives.
READ_CHILD = textwrap.dedent("""
    import json, sys
    import torch
    from deepdream_core import get_spec
    from deepdream_core.models.weights import HubStateDictWeights, WeightsUnavailableError, read_state_dict
    spec = get_spec("bvlc_googlenet")
    with torch.device("meta"):
        expected = {k: v.shape for k, v in spec.build().state_dict().items()}
    errors = {}
    for filename in sys.argv[1:]:
        source = HubStateDictWeights(spec.weights.repo_id, filename, file_key=spec.weights.file_key)
        try:
            read_state_dict(spec.name, source, expected)
            errors[filename] = None
        except WeightsUnavailableError as err:
            errors[filename] = str(err)
    print(json.dumps(errors))
""")


def test_a_file_that_is_not_the_networks_is_refused_naming_the_repository_and_file(tmp_path: Path) -> None:
    good = ported_state_dict(1000, 0)
    renamed = dict(good)
    renamed["inception_4c_1x1.weights"] = renamed.pop("inception_4c_1x1.weight")
    other = {**good, "loss2_classifier_1.weight": torch.rand(365, 1024)}
    marker = tmp_path / "ran"
    files = {
        "good.pth": pth_bytes(good),
        "renamed.pth": pth_bytes(renamed),
        "shape.pth": pth_bytes(other),
        "object.pth": pth_bytes({**good, "conv1_7x7_s2.weight": argparse.Namespace(evil=True)}),
        "text.pth": pth_bytes({**good, "conv1_7x7_s2.weight": "not a tensor"}),
        "list.pth": pth_bytes(list(good.values())),
        "code.pth": malicious_checkpoint(marker),
    }
    with HubStandIn() as hub:
        for filename, data in files.items():
            hub.add(REPO_ID, filename, data)
        errors = json.loads(run_child(READ_CHILD, list(files), hub.env(tmp_path / "hf")))
        # A file read but not the network's is not fetched again; one that cannot be read is, once.
        assert {name: hub.downloads(REPO_ID, name) for name in files} == {
            "good.pth": 1,
            "renamed.pth": 1,
            "shape.pth": 1,
            "object.pth": 2,
            "text.pth": 2,
            "list.pth": 2,
            "code.pth": 2,
        }
    prefix = f"Could not load weights for model 'bvlc_googlenet': {REPO_ID}/"
    offline = " The bundled model 'efficientnet_lite0' works offline."
    assert errors == {
        "good.pth": None,
        "renamed.pth": f"{prefix}renamed.pth does not match the network: it lacks 1 of the network's tensors, first "
        "'inception_4c_1x1.weight'; it holds 1 tensors the network does not have, first 'inception_4c_1x1.weights'."
        + offline,
        "shape.pth": "Could not load weights for model 'bvlc_googlenet': tensor 'loss2.classifier.weight' has shape "
        f"(365, 1024) in Hugging Face Hub: {REPO_ID}, file shape.pth, the model expects (1000, 1024)." + offline,
        "object.pth": f"{prefix}object.pth is not a readable PyTorch state dict (it holds objects other than tensors, "
        "and such a file is never unpickled here)." + offline,
        "text.pth": f"{prefix}text.pth is not a readable PyTorch state dict (its entry 'conv1_7x7_s2.weight' is a "
        "str, not a tensor)." + offline,
        "list.pth": f"{prefix}list.pth is not a readable PyTorch state dict (it holds a list, not a dict of named "
        "tensors)." + offline,
        "code.pth": f"{prefix}code.pth is not a readable PyTorch state dict (it holds objects other than tensors, "
        "and such a file is never unpickled here)." + offline,
    }
    assert not marker.exists()  # torch.load(weights_only=True) refused the pickle that runs code


def test_the_state_dict_is_read_with_weights_only() -> None:
    """The control for the refusals above: the same object is read back when a file is fully unpickled."""
    data = pth_bytes({"x": argparse.Namespace(evil=True)})
    assert torch.load(io.BytesIO(data), weights_only=False)["x"].evil is True
    with pytest.raises(Exception, match="Weights only load failed"):
        torch.load(io.BytesIO(data), weights_only=True)


def test_nothing_is_downloaded_until_a_dream_asks(tmp_path: Path) -> None:
    """Importing the engine and listing the zoo and the networks' layers download nothing."""
    script = textwrap.dedent("""
        from deepdream_core import get_spec, model_names
        from deepdream_core.cli import main
        for name in model_names():
            get_spec(name).layers
        main(["models"]); main(["layers", "bvlc_googlenet"]); main(["layers", "googlenet_places365"])
    """)
    with HubStandIn() as hub:
        out = subprocess.run(
            [sys.executable, "-c", script],
            cwd=REPO,
            env=hub.env(tmp_path / "hf"),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        assert hub.requests == []
    assert "inception_4c/output" in out.stdout and "downloads ~50 MB on first use" in out.stdout
    assert not (tmp_path / "hf").exists()


def test_the_network_dreams_down_to_its_smallest_side() -> None:
    """32 px is the smallest side the network takes (the spec's min_side): inception_5b is then 1x1."""
    spec = get_spec("bvlc_googlenet")
    dreamer = Dreamer.from_spec(spec, network("bvlc_googlenet"))
    result = dreamer.dream(Image.new("RGB", (48, 32), "gray"), DreamSettings(max_size=48, octaves=2, steps=1))
    assert result.size == (48, 32) and spec.min_side == 32
