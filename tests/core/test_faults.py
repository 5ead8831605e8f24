"""Faults: the Hub unreachable, a 404, a corrupted cache entry, a cancelled run, running out of memory.

Hub clients run in a subprocess pointed at a local stand-in with HF_ENDPOINT (huggingface_hub
reads it at import), so nothing here touches the network.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save as save_safetensors
from torch import nn

from deepdream_core import DeviceError, Dreamer, DreamSettings, LayerTarget, get_dreamer
from deepdream_core.cli import EXIT_NO_WEIGHTS
from tests.support import REPO
from tests.support.hub_standin import HubStandIn, closed_endpoint
from tests.support.networks import make_tiny_cnn

# Runs in a child process with HF_ENDPOINT set: load a tiny CNN's weights from the Hub twice, with
# the cache entry corrupted in between; then fail on a model the Hub lacks; then dream with the
# bundled model in the same process. Prints one JSON object.
HUB_CHILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from huggingface_hub import hf_hub_download
    from PIL import Image
    from deepdream_core import DreamSettings, WeightsUnavailableError, dream
    from deepdream_core.models.weights import HubWeights, load_state_dict
    from deepdream_core.models.zoo import load_model
    from tests.support.networks import make_tiny_cnn

    report = {}
    source = HubWeights("test/tiny-cnn")
    module = make_tiny_cnn(seed=0)
    load_state_dict("tiny", source, module)
    report["first"] = float(module.conv1.weight.sum())
    blob = Path(hf_hub_download("test/tiny-cnn", "model.safetensors", local_files_only=True)).resolve()
    blob.write_bytes(b"not safetensors: a download cut short" * 10)
    module = make_tiny_cnn(seed=0)
    load_state_dict("tiny", source, module)
    report["after_corruption"] = float(module.conv1.weight.sum())
    report["blob_size"] = blob.stat().st_size
    try:
        load_model("resnet50")
    except WeightsUnavailableError as err:
        report["missing"] = str(err)
    result = dream(Image.new("RGB", (64, 48), "gray"), DreamSettings(max_size=64, steps=1, octaves=1))
    report["bundled_result"] = list(result.size)
    print(json.dumps(report))
""")


def tiny_cnn_safetensors(seed: int) -> bytes:
    return save_safetensors({k: v.contiguous() for k, v in make_tiny_cnn(seed).state_dict().items()})


@pytest.fixture(scope="module")
def unreachable_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[subprocess.Popen[str]]:
    """The CLI asked for a Hub model with the Hub unreachable, started once and early.

    huggingface_hub retries a refused connection with backoff (~25 s of waiting) before giving up;
    both Hub tests ask for this fixture so that wait overlaps the other test's work.
    """
    folder = tmp_path_factory.mktemp("unreachable")
    photo = folder / "photo.png"
    Image.new("RGB", (64, 48), "gray").save(photo)
    with HubStandIn() as hub:
        env = hub.env(folder / "hf", endpoint=closed_endpoint())
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "deepdream_core",
            "dream",
            str(photo),
            "-o",
            str(folder / "o.png"),
            "--model",
            "resnet50",
            "--max-size",
            "64",
            "--steps",
            "1",
            "--octaves",
            "1",
            "--quiet",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield process
    if process.poll() is None:  # a failed test left it running
        process.kill()
        process.communicate()


def test_hub_404_and_corrupted_cache(tmp_path: Path, unreachable_cli: subprocess.Popen[str]) -> None:
    served = make_tiny_cnn(seed=1)  # different from the child's seed-0 starting weights
    with HubStandIn() as hub:
        hub.add("test/tiny-cnn", "model.safetensors", tiny_cnn_safetensors(seed=1))
        child = subprocess.run(
            [sys.executable, "-c", HUB_CHILD],
            cwd=REPO,
            env=hub.env(tmp_path),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert child.returncode == 0, child.stderr
        report = json.loads(child.stdout.strip().splitlines()[-1])
        # The corrupted cache entry was downloaded again, and the weights are the Hub's.
        assert hub.downloads("test/tiny-cnn", "model.safetensors") == 2
    expected = float(served.conv1.weight.detach().sum())
    assert report["first"] == pytest.approx(expected) and report["after_corruption"] == pytest.approx(expected)
    assert report["blob_size"] == len(tiny_cnn_safetensors(seed=1))
    assert report["missing"] == (
        "Could not load weights for model 'resnet50': timm/resnet50.tv_in1k/model.safetensors was not found on the "
        "Hugging Face Hub (404). The bundled model 'efficientnet_lite0' works offline."
    )
    assert report["bundled_result"] == [64, 48]


def test_cli_hub_unreachable_exits_3_with_a_clear_message(unreachable_cli: subprocess.Popen[str]) -> None:
    _, stderr = unreachable_cli.communicate(timeout=300)
    assert unreachable_cli.returncode == EXIT_NO_WEIGHTS, stderr
    # Above it, huggingface_hub's own log lines about each retry.
    assert stderr.strip().splitlines()[-1] == (
        "error: Could not load weights for model 'resnet50': the Hugging Face Hub could not be reached to download "
        "timm/resnet50.tv_in1k and it is not in the local cache (An error happened while trying to locate the file "
        "on the Hub and we cannot find the requested files in the local cache). The bundled model "
        "'efficientnet_lite0' works offline."
    )
    assert "Traceback" not in stderr


# -- a cancelled run ------------------------------------------------------------------------------


def hook_count(module: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in module.modules())


def test_cancelled_run_frees_its_hold_and_the_next_run_works(photo: Image.Image) -> None:
    dreamer = get_dreamer("efficientnet_lite0", "cpu")
    settings = DreamSettings(max_size=64, steps=2, octaves=2, seed=5, device="cpu")
    reference = dreamer.dream(photo, settings)
    hooks_before = hook_count(dreamer.module)

    run = dreamer.dream_frames(photo, settings, preview_every=1)
    next(run), next(run)  # two steps in, a preview held
    run.close()  # what Gradio does when the user presses Stop or leaves
    assert run.gi_frame is None  # its working images, gradients and previews are released
    assert hook_count(dreamer.module) == hooks_before == 0

    again = dreamer.dream(photo, settings)
    assert np.array_equal(np.asarray(again), np.asarray(reference))


def test_concurrent_runs_on_the_shared_model_keep_their_own_images() -> None:
    """Engine half of the load test: four threads, four photos, one model; each gets a dream of its own photo."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.support.photos import skimage_photo

    dreamer = get_dreamer("efficientnet_lite0", "cpu")
    settings = DreamSettings(max_size=64, steps=1, octaves=1, seed=3, device="cpu")
    photos = [skimage_photo(name, 64) for name in ("chelsea", "astronaut", "coffee", "rocket")]
    alone = [np.asarray(dreamer.dream(p, settings)) for p in photos]
    with ThreadPoolExecutor(4) as pool:
        together = [np.asarray(r) for r in pool.map(lambda p: dreamer.dream(p, settings), photos)]
    for mine, theirs in zip(alone, together, strict=False):
        assert np.array_equal(mine, theirs)
    assert hook_count(dreamer.module) == 0


class FailsOnCall(nn.Module):
    """A real network that fails on its n-th forward pass, as a driver error or a bug would."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.body, self.calls, self.n = make_tiny_cnn(), 0, n

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls == self.n:
            raise RuntimeError("simulated failure mid-run")
        return self.body(x)


def test_a_run_that_fails_mid_way_leaves_no_hooks(photo: Image.Image) -> None:
    net = FailsOnCall(n=3)
    dreamer = Dreamer(net, default_layer="body.relu2")
    settings = DreamSettings(max_size=64, steps=4, octaves=1)
    with pytest.raises(RuntimeError, match="simulated failure"):
        dreamer.dream(photo, settings)
    assert hook_count(net) == 0
    assert dreamer.dream(photo, settings).size == (64, 42)


# -- out of memory: smaller tiles instead of failing -----------------------------------------------


class SmallMemoryNet(nn.Module):
    """A real network on a device with little memory: inputs over ``limit`` pixels do not fit."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.body, self.limit, self.sizes = make_tiny_cnn(), limit, []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.sizes.append(tuple(x.shape[-2:]))
        if x.shape[-2] * x.shape[-1] > self.limit:
            raise torch.OutOfMemoryError(f"out of memory: a {x.shape[-2]}x{x.shape[-1]} input needs more")
        return self.body(x)


def test_out_of_memory_falls_back_to_smaller_tiles(photo: Image.Image) -> None:
    settings = DreamSettings(max_size=128, steps=2, octaves=1, tile_size=512, layers=(LayerTarget("body.relu3"),))
    net = SmallMemoryNet(limit=64 * 64)
    result = Dreamer(net).dream(photo, settings)

    # The whole 128x85 image did not fit; 64-pixel tiles (42 or 43 rows) did, and later steps went straight to them.
    assert net.sizes[:2] == [(85, 128), (42, 64)]
    assert sum(h * w > 64 * 64 for h, w in net.sizes) == 1
    # Same pixels as a run asked for 64-pixel tiles from the start: the fallback changes memory, not the dream.
    planned = Dreamer(SmallMemoryNet(limit=64 * 64)).dream(photo, settings.replace(tile_size=64))
    assert np.array_equal(np.asarray(result), np.asarray(planned))


def test_out_of_memory_at_the_smallest_tiles_says_what_to_do(photo: Image.Image) -> None:
    settings = DreamSettings(max_size=128, steps=1, octaves=1, layers=(LayerTarget("body.relu3"),))
    with pytest.raises(DeviceError, match="ran out of memory even with 64-pixel tiles; lower max_size"):
        Dreamer(SmallMemoryNet(limit=100)).dream(photo, settings)


def test_stand_in_serves_like_the_hub(tmp_path: Path) -> None:
    """The helper itself: bytes and headers that huggingface_hub accepts, 404 codes it understands."""
    import urllib.request

    with HubStandIn() as hub:
        hub.add("org/repo", "f.bin", b"hello")
        with urllib.request.urlopen(f"{hub.endpoint}/org/repo/resolve/main/f.bin") as response:
            assert response.read() == b"hello" and response.headers["X-Repo-Commit"]
        for path, code in [
            ("org/repo/resolve/main/missing.bin", "EntryNotFound"),
            ("other/repo/resolve/main/f.bin", "RepoNotFound"),
        ]:
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(f"{hub.endpoint}/{path}")
            assert err.value.code == 404 and err.value.headers["X-Error-Code"] == code
        assert hub.downloads("org/repo", "f.bin") == 1
