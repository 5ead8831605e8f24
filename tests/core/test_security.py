"""Security: weights are never unpickled as code, names never reach the file system, uploads are bounded.

The threat model is in README.md, section Security.
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from deepdream_core import SettingsError, UnknownModelError, get_dreamer, settings_from_dict_lenient
from deepdream_core.cli import EXIT_BAD_INPUT, main
from deepdream_core.dreaming.images import MAX_FILE_BYTES, ImageInputError, load_image
from deepdream_core.files.presets import load_preset
from deepdream_core.models.weights import TorchvisionWeights, WeightsUnavailableError
from tests.support import REPO
from tests.support.checkpoints import malicious_checkpoint
from tests.support.hub_standin import HubStandIn


def test_payload_runs_when_fully_unpickled(tmp_path: Path) -> None:
    """The control: without weights_only, this file does run code, so the tests below mean something."""
    marker = tmp_path / "ran"
    torch.load(io.BytesIO(malicious_checkpoint(marker)), weights_only=False)
    assert marker.read_text() == "code ran"


def test_tampered_torchvision_cache_is_refused_not_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torchvision

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    source = TorchvisionWeights("GoogLeNet_Weights.IMAGENET1K_V1")
    url = torchvision.models.get_weight(source.enum_name).url
    cached = Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]
    cached.parent.mkdir(parents=True)
    marker = tmp_path / "ran"
    cached.write_bytes(malicious_checkpoint(marker))

    with pytest.raises(
        WeightsUnavailableError,
        match=r"could not be read as weights .* it was removed and is downloaded again next time",
    ):
        source.load("googlenet", [])
    assert not marker.exists()
    assert not cached.exists()  # the next run fetches a clean copy instead of failing forever


HUB_PICKLE_CHILD = textwrap.dedent("""
    from deepdream_core.models.weights import HubWeights, WeightsUnavailableError
    try:
        HubWeights("evil/model").load("evil", ["conv1.weight"])
    except WeightsUnavailableError as err:
        print(err)
""")


def test_pickle_served_as_safetensors_is_refused_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with HubStandIn() as hub:
        hub.add("evil/model", "model.safetensors", malicious_checkpoint(marker))
        child = subprocess.run(
            [sys.executable, "-c", HUB_PICKLE_CHILD],
            cwd=REPO,
            env=hub.env(tmp_path / "hf"),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert child.returncode == 0, child.stderr
        assert hub.downloads("evil/model", "model.safetensors") == 2  # fetched again once, in case it was damaged
    assert child.stdout.startswith(
        "Could not load weights for model 'evil': evil/model/model.safetensors is not a readable safetensors file"
    )
    assert not marker.exists()


def test_engine_loads_weights_only_safely() -> None:
    """Every torch.load / get_state_dict in the engine passes weights_only=True; nothing else unpickles."""
    checked = 0
    for path in (REPO / "deepdream_core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            owner = node.func.value.id if isinstance(node.func.value, ast.Name) else None
            name = node.func.attr
            assert not (owner == "pickle" and name in ("load", "loads")), f"{path.name}:{node.lineno} unpickles"
            assert not (owner == "torch" and name == "hub"), f"{path.name}:{node.lineno} runs hub code"
            if (owner, name) == ("torch", "load") or name in ("get_state_dict", "load_state_dict_from_url"):
                safe = any(k.arg == "weights_only" and getattr(k.value, "value", None) is True for k in node.keywords)
                assert safe, f"{path.name}:{node.lineno}: {name}() without weights_only=True"
                checked += 1
    assert checked >= 2  # the bundled loader and the torchvision loader


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "..", "../presets/x", "x\x00y", ""])
def test_preset_names_cannot_reach_other_files(name: str) -> None:
    with pytest.raises(SettingsError, match="unknown preset"):
        load_preset(name)


def test_preset_next_to_the_folder_is_not_readable(tmp_path: Path) -> None:
    folder = tmp_path / "presets"
    folder.mkdir()
    (folder / "calm.json").write_text('{"title": "Calm", "settings": {"steps": 5}}')
    (tmp_path / "secret.json").write_text('{"title": "secret", "settings": {}}')
    assert load_preset("calm", folder).settings.steps == 5
    with pytest.raises(SettingsError, match=re.escape("unknown preset '../secret'; choose one of calm")):
        load_preset("../secret", folder)


def test_cli_preset_path_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["dream", "noise", "-o", str(tmp_path / "o.png"), "--preset", "../../etc/passwd"])
    assert code == EXIT_BAD_INPUT
    assert "unknown preset '../../etc/passwd'" in capsys.readouterr().err


@pytest.mark.parametrize("model", ["../../etc/passwd", "local-dir:/etc", "hf-hub:attacker/model", "file:///etc/passwd"])
def test_model_names_from_share_links_cannot_load_files_or_other_repos(model: str) -> None:
    # timm itself would read a local folder for "local-dir:" and any Hub repo for "hf-hub:".
    settings, ignored = settings_from_dict_lenient({"model": model})
    assert ignored == []  # a name is just text until it is looked up...
    with pytest.raises(UnknownModelError, match="not in the zoo and not a timm model with Hub weights"):
        get_dreamer(settings.model, "cpu")  # ...and the lookup only knows the zoo and timm's registry


def test_upload_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "huge.jpg"
    with big.open("wb") as handle:  # sparse: no disk space used, but 50 MB + 1 byte long
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(ImageInputError, match="is 50 MB; the limit is 50 MB"):
        load_image(big)
    with pytest.raises(ImageInputError, match="the limit is 50 MB"):
        load_image(io.BytesIO(bytes(MAX_FILE_BYTES + 1)))  # a stream is read no further than the limit
