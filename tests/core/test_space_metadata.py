"""The Space's metadata (README.md front matter) and the weights its ``preload_from_hub`` leaves behind.

The keys are the ones Hugging Face documents: the Spaces configuration reference
(https://huggingface.co/docs/hub/spaces-config-reference) plus ``license`` from the repository card
metadata (https://huggingface.co/docs/hub/repositories-licenses). The preload test lays the weights
out in huggingface_hub's cache as the Space build does, turns the network off and dreams with each
preloaded model in a child process (real weights cannot be downloaded here: random ones, saved as
safetensors like the Hub's files).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from safetensors.torch import save as save_safetensors

from deepdream_core import ZOO, get_spec
from deepdream_core.models.weights import HubStateDictWeights, HubWeights
from tests.support import REPO
from tests.support.caffe_googlenet import ported_state_dict, pth_bytes
from tests.support.checkpoints import random_checkpoint, state_dict_digest
from tests.support.hub_standin import HubStandIn, closed_endpoint, write_hub_cache
from tests.support.space import front_matter, preloads

tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11's tomllib")

DOCUMENTED_KEYS = {
    "title",
    "emoji",
    "colorFrom",
    "colorTo",
    "sdk",
    "python_version",
    "sdk_version",
    "suggested_hardware",
    "suggested_storage",
    "app_file",
    "app_build_command",
    "app_port",
    "base_path",
    "fullWidth",
    "header",
    "short_description",
    "models",
    "datasets",
    "tags",
    "thumbnail",
    "pinned",
    "hf_oauth",
    "hf_oauth_scopes",
    "hf_oauth_expiration_minutes",
    "hf_oauth_authorized_org",
    "disable_embedding",
    "startup_duration_timeout",
    "custom_headers",
    "preload_from_hub",
    "license",  # repository card metadata, shown on every repo (licenses doc)
}
# The Hub repositories the zoo reads, and the files the loader fetches from each (one per model; the two
# Caffe GoogLeNets share a repository).
HUB_WEIGHTS = {name: spec.weights for name, spec in ZOO.items() if isinstance(spec.weights, HubWeights)}
HUB_FILES = {
    repo: sorted(w.filename for w in HUB_WEIGHTS.values() if w.repo_id == repo)
    for repo in {w.repo_id for w in HUB_WEIGHTS.values()}
}
HUB_MODELS = {(weights.repo_id, weights.filename): name for name, weights in HUB_WEIGHTS.items()}


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_front_matter_is_yaml_with_documented_keys_only() -> None:
    meta = front_matter()
    assert set(meta) <= DOCUMENTED_KEYS, set(meta) - DOCUMENTED_KEYS
    assert meta["sdk"] == "gradio" and (REPO / meta["app_file"]).is_file()
    assert isinstance(meta["short_description"], str) and 0 < len(meta["short_description"]) <= 60
    assert meta["license"] == pyproject()["project"]["license"]["text"].lower() == "mit"


def test_sdk_version_is_the_gradio_the_tests_run_and_the_one_pinned() -> None:
    sdk_version = front_matter()["sdk_version"]
    assert isinstance(sdk_version, str) and sdk_version == version("gradio")
    app_extra = pyproject()["project"]["optional-dependencies"]["app"]
    requirements = [line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    for source, lines in (("pyproject.toml [app]", app_extra), ("requirements.txt", requirements)):
        gradio = [Requirement(line) for line in lines if line and Requirement(line).name == "gradio"]
        assert [str(r.specifier) for r in gradio] == [f"=={sdk_version}"], source


def test_python_version_is_one_the_project_supports() -> None:
    python_version = front_matter()["python_version"]
    assert isinstance(python_version, str) and re.fullmatch(r"3\.\d+(\.\d+)?", python_version)
    assert python_version in SpecifierSet(pyproject()["project"]["requires-python"])


def test_models_are_the_hub_repositories_the_zoo_reads() -> None:
    assert sorted(front_matter()["models"]) == sorted(HUB_FILES)


def test_preloads_are_the_files_the_loader_reads_for_every_hub_model() -> None:
    """The Network picker offers every zoo model, so each Hub model's weights file is fetched at build time."""
    entries = preloads()
    assert sorted(repo for repo, _ in entries) == sorted(HUB_FILES)
    for repo, files in entries:
        assert sorted(files) == HUB_FILES[repo], repo


# -- the preloaded cache, offline -------------------------------------------------------------------------

# Loads and dreams with each named model (name=side pairs); prints each model's weight digests.
DREAM_CHILD = textwrap.dedent("""
    import hashlib, json, sys
    from PIL import Image
    from deepdream_core import DreamSettings, dream
    from deepdream_core.models.zoo import load_model
    report = {}
    for arg in sys.argv[1:]:
        name, side = arg.split("=")
        side = int(side)
        result = dream(Image.new("RGB", (side, side), "gray"),
                       DreamSettings(model=name, max_size=side, octaves=1, steps=1, device="cpu"))
        assert result.size == (side, side), result.size
        state = load_model(name).state_dict()
        report[name] = {k: hashlib.sha256(v.contiguous().numpy().tobytes()).hexdigest() for k, v in state.items()}
    print(json.dumps(report))
""")


def preloaded_file(name: str, seed: int) -> tuple[bytes, dict[str, str]]:
    """A model's Hub file as the Hub holds it (safetensors; the Caffe ports' .pth with their own names), with
    random values, and a digest of each tensor by the model's own names."""
    spec = get_spec(name)
    weights = spec.weights
    if isinstance(weights, HubStateDictWeights):
        ported = ported_state_dict(len(spec.class_names()), seed)  # values a 0-255 input stays finite through
        ours = {key: weights.file_key(key) for key in spec.build().state_dict()}
        return pth_bytes(ported), state_dict_digest({key: ported[theirs] for key, theirs in ours.items()})
    checkpoint = random_checkpoint(spec.build(), seed)
    return save_safetensors(checkpoint), state_dict_digest(checkpoint)


# Inception v3's stem leaves nothing of a 64 px image; 80 px is the smallest round size it takes.
DREAM_SIDE = {"inception_v3": 80}


def test_each_preloaded_model_dreams_from_the_preloaded_cache_with_the_network_off(tmp_path: Path) -> None:
    home = tmp_path / "hf"
    written = {}
    for repo, files in preloads():
        contents = {}
        for filename in files:
            name = HUB_MODELS[(repo, filename)]
            contents[filename], written[name] = preloaded_file(name, seed=len(written))
        write_hub_cache(home, repo, contents)
    env = HubStandIn().env(home, endpoint=closed_endpoint())  # nothing listens there
    env.update(HF_HUB_OFFLINE="1", TORCH_HOME=str(tmp_path / "torch"))
    args = [f"{name}={DREAM_SIDE.get(name, 64)}" for name in written]
    child = subprocess.run(
        [sys.executable, "-c", DREAM_CHILD, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert child.returncode == 0, child.stderr[-3000:]
    loaded = json.loads(child.stdout.strip().splitlines()[-1])
    assert loaded == written  # every model read the preloaded file, every tensor of it


def test_the_preload_layout_is_the_one_huggingface_hub_writes(tmp_path: Path) -> None:
    """The same file downloaded by huggingface_hub (from the Hub stand-in) lands where write_hub_cache puts it."""
    data = b"weights"
    written = write_hub_cache(tmp_path / "ours", "timm/some_model", {"model.safetensors": data})
    with HubStandIn() as hub:
        hub.add("timm/some_model", "model.safetensors", data)
        download = "import huggingface_hub; huggingface_hub.hf_hub_download('timm/some_model', 'model.safetensors')"
        child = subprocess.run(
            [sys.executable, "-c", download],
            env=hub.env(tmp_path / "theirs"),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert child.returncode == 0, child.stderr[-3000:]
    theirs = tmp_path / "theirs" / written.relative_to(tmp_path / "ours")

    def tree(root: Path) -> dict[str, str]:
        return {
            str(p.relative_to(root)): (f"-> {p.readlink()}" if p.is_symlink() else p.read_text())
            for p in sorted(root.rglob("*"))
            if not p.is_dir()
        }

    assert tree(theirs) == tree(written)
