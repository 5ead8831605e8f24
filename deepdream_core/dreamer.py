"""The dream loop: gradient ascent on the pixels of an image, octave by octave.

A :class:`Dreamer` works on any ``torch.nn.Module`` plus its input normalization, so a user can
bring their own network; :func:`dream` and :func:`dream_frames` use the zoo's models.
"""

from __future__ import annotations

import math
import random
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import torch
from PIL import Image, ImageOps
from torch import nn

from . import objectives
from .devices import DeviceError, autocast, resolve_device, resolve_precision
from .objectives import LOGITS, Activations, Objective
from .settings import RANGES, DreamSettings, LayerTarget, SettingsError
from .transforms import (fitted_size, gaussian_blur, octave_sizes, pil_to_tensor, resize, roll, tensor_to_pil,
                         tile_slices)
from .zoo import ModelSpec, UnknownModelError, class_index, dream_layers, get_spec, load_model


@dataclass(frozen=True)
class DreamProgress:
    """One step of a dream, for progress bars and live previews."""

    octave: int  # 1-based
    octaves: int
    step: int  # 1-based, within the octave
    steps: int
    done: int  # steps done in the whole run
    total: int
    loss: float
    image: Image.Image | None  # a preview when one was due; the full-size result when ``final``
    final: bool = False


# Out-of-memory fallback stops halving tiles here: the smallest tile a user may set.
_MIN_TILE = int(RANGES["tile_size"].low)
# What torch says when an input is smaller than a network's kernels and pools can take.
_TOO_SMALL = ("can't be greater than actual input size", "Output size is too small")


class _StopForward(Exception):
    """Raised by a capture hook once every wanted layer has run: the rest of the network is skipped."""


@contextmanager
def capture(module: nn.Module, names: Sequence[str], stop_early: bool) -> Iterator[Activations]:
    """Record the outputs of the named submodules during forward passes made by this thread.

    The model is shared by concurrent requests, so hooks ignore other threads' passes, and
    they are removed when the block ends.
    """
    acts: Activations = {}
    owner = threading.get_ident()
    modules = dict(module.named_modules())

    def make_hook(name: str) -> Callable:
        def hook(_module: nn.Module, _inputs: object, output: object) -> None:
            if threading.get_ident() != owner:
                return
            acts[name] = output[0] if isinstance(output, (tuple, list)) else output
            if stop_early and len(acts) == len(names):
                raise _StopForward

        return hook

    handles = [modules[name].register_forward_hook(make_hook(name)) for name in names]
    try:
        yield acts
    finally:
        for handle in handles:
            handle.remove()


class Dreamer:
    """DeepDream on any network: ``module`` takes a normalized (N, 3, H, W) batch."""

    def __init__(
        self,
        module: nn.Module,
        mean: Sequence[float] = (0.485, 0.456, 0.406),
        std: Sequence[float] = (0.229, 0.224, 0.225),
        device: torch.device | str = "cpu",
        default_layer: str | None = None,
        class_names: Callable[[], list[str]] | None = None,
        name: str = "custom",
        channels_last: bool | None = None,
        mixed_precision: bool = True,
        min_side: int = 32,
    ) -> None:
        self.device = torch.device(device)
        # channels_last lets oneDNN run every convolution (1x1 ones included) in its fast layout:
        # measured 14% faster for EfficientNet-Lite0 and 7% for VGG16 forward+backward on the CPU.
        # None picks it on the CPU only; on CUDA it is untested here, so it is the caller's choice.
        self.channels_last = self.device.type == "cpu" if channels_last is None else channels_last
        memory_format = torch.channels_last if self.channels_last else torch.preserve_format
        self.module = module.eval().requires_grad_(False).to(self.device, memory_format=memory_format)
        self._input_format = torch.channels_last if self.channels_last else torch.contiguous_format
        # False when precision="auto" should stay in fp32 for this network (see ModelSpec.mixed_precision).
        self.mixed_precision = mixed_precision
        self.min_side = min_side  # octaves smaller than this are skipped
        self.mean = torch.tensor(mean, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(std, device=self.device).view(1, 3, 1, 1)
        self.layer_names = {name for name, _ in module.named_modules() if name}
        self.default_layer = default_layer
        self.class_names = class_names
        self.name = name

    @classmethod
    def from_spec(cls, spec: ModelSpec, module: nn.Module, device: torch.device | str = "cpu") -> "Dreamer":
        """A zoo model's network (``module``, with whatever weights it holds) with its spec's metadata."""
        return cls(module, spec.mean, spec.std, device, spec.default_layer, spec.class_names, spec.name,
                   mixed_precision=spec.mixed_precision, min_side=spec.min_side)

    # -- network ---------------------------------------------------------------------------------

    def activations(self, image: torch.Tensor, layers: frozenset[str]) -> Activations:
        """Activations of ``layers`` for an image in [0, 1]; stops at the last layer needed."""
        wanted = sorted(layers - {LOGITS})
        with capture(self.module, wanted, stop_early=LOGITS not in layers) as acts:
            try:
                output = self.module(((image - self.mean) / self.std).contiguous(memory_format=self._input_format))
                acts[LOGITS] = output
            except _StopForward:
                pass
            return dict(acts)

    def gradient(
        self, image: torch.Tensor, objective: Objective, tile_size: int, dtype: torch.dtype | None = None
    ) -> tuple[torch.Tensor, float]:
        """d(objective)/d(pixels), tile by tile so memory stays bounded on any image size.

        Each tile's gradient is weighted by its share of the image, so tiles add up to the
        gradient of the whole-image mean.
        """
        height, width = image.shape[-2:]
        row_tiles, col_tiles = tile_slices(height, tile_size), tile_slices(width, tile_size)
        if len(row_tiles) == len(col_tiles) == 1:  # the common case: no tile bookkeeping, no extra copy
            grad, loss = self._tile_gradient(image, objective, dtype)
            # Back from the network's channels_last to the loop's layout, which roll and blur are tuned for.
            return grad.contiguous(), float(loss)
        grad = torch.empty_like(image)
        total = image.new_zeros((), dtype=torch.float32)
        for rows in row_tiles:
            for cols in col_tiles:
                tile_grad, loss = self._tile_gradient(image[..., rows, cols], objective, dtype)
                share = tile_grad.shape[-2] * tile_grad.shape[-1] / (height * width)
                torch.mul(tile_grad, share, out=grad[..., rows, cols])
                total += loss * share
        return grad, float(total)  # one device sync per step, not one per tile

    def _tile_gradient(self, tile: torch.Tensor, objective: Objective,
                       dtype: torch.dtype | None) -> tuple[torch.Tensor, torch.Tensor]:
        tile = tile.detach().requires_grad_(True)
        with autocast(self.device, dtype):
            loss = objective(self.activations(tile, objective.layers))
        (tile_grad,) = torch.autograd.grad(loss, tile)
        return tile_grad, loss.detach().float()

    def _gradient_in_memory(
        self, image: torch.Tensor, objective: Objective, tile_size: int, dtype: torch.dtype | None
    ) -> tuple[torch.Tensor, float, int]:
        """:meth:`gradient`, halving the tiles whenever the device runs out of memory.

        Returns the tile size that fitted too, so the following steps start from it.
        """
        while True:
            try:
                return (*self.gradient(image, objective, tile_size, dtype), tile_size)
            except torch.OutOfMemoryError as err:
                if tile_size <= _MIN_TILE:
                    raise DeviceError(f"{self.device} ran out of memory even with {_MIN_TILE}-pixel tiles; "
                                      f"lower max_size or use another device") from err
            except RuntimeError as err:
                # Unpadded convolutions and pools (Inception v3's stem) need a minimum input size.
                if not any(text in str(err) for text in _TOO_SMALL):
                    raise
                height, width = image.shape[-2:]
                raise SettingsError(
                    "max_size", f"model {self.name!r} cannot dream on an image this small ({width}x{height} pixels "
                                f"at this octave); use a larger image or max_size, or fewer octaves") from err
            # Retried outside the except block, so the failed attempt's tensors are already freed.
            tile_size = max(_MIN_TILE, min(tile_size, max(image.shape[-2:])) // 2)
            if self.device.type == "cuda":
                torch.cuda.empty_cache()

    # -- objectives ------------------------------------------------------------------------------

    def objective(self, settings: DreamSettings, guide: Image.Image | None = None) -> Objective:
        """The settings' objective: the chosen layers (or channels, or a guide), plus a class if asked."""
        targets = settings.layers or (LayerTarget(self._default_layer()),)
        for target in targets:
            if target.layer not in self.layer_names:
                raise SettingsError("layers", f"model {self.name!r} has no layer {target.layer!r}; "
                                              f"{self._how_to_list_layers()}")
        guide_acts = self._guide_activations(guide, settings, frozenset(t.layer for t in targets)) if guide else {}
        terms: list[Objective] = []
        for target in targets:
            if guide is not None:
                term = objectives.guide(target.layer, guide_acts[target.layer]) * settings.guide_weight
            elif target.channels:
                term = objectives.channels(target.layer, target.channels)
            else:
                term = objectives.layer(target.layer)
            terms.append(term * target.weight)
        if settings.class_target is not None:
            names = self.class_names() if self.class_names else None
            index = class_index(names, settings.class_target, self.name)
            terms.append(objectives.class_logit(index) * settings.class_weight)
        objective = terms[0]
        for term in terms[1:]:
            objective = objective + term
        return objective

    def _how_to_list_layers(self) -> str:
        try:
            get_spec(self.name)
        except UnknownModelError:
            # A network of one's own: the CLI cannot list it, so name some of its modules instead.
            first = ", ".join(repr(name) for name in dream_layers(self.module)[:6])
            return (f"its layers are its module names ({first}, ...); "
                    f"list them with `deepdream_core.zoo.dream_layers(module)`")
        return f"list them with `python -m deepdream_core layers {self.name}`"

    def _default_layer(self) -> str:
        if self.default_layer is None:
            raise SettingsError("layers", f"choose a layer; model {self.name!r} has no default layer")
        return self.default_layer

    def _guide_activations(self, guide: Image.Image, settings: DreamSettings, layers: frozenset[str]) -> Activations:
        guide = ImageOps.exif_transpose(guide).convert("RGB")
        guide.thumbnail((min(settings.max_size, 512),) * 2)
        with torch.no_grad():
            return self.activations(pil_to_tensor(guide, self.device), layers)

    # -- the loop --------------------------------------------------------------------------------

    def dream_frames(
        self,
        image: Image.Image | None,
        settings: DreamSettings,
        guide: Image.Image | None = None,
        mask: Image.Image | None = None,
        preview_every: int = 1,
        preview_size: int | None = None,
    ) -> Iterator[DreamProgress]:
        """Dream ``image`` (noise when None), yielding progress after every step and the result last.

        ``mask`` (greyscale, white = dream) limits the dream to part of the image. A preview image
        rides along every ``preview_every`` steps (0: none), shrunk to ``preview_size`` if given.
        """
        objective = self.objective(settings, guide)
        dtype = resolve_precision(settings.precision, self.device, self.mixed_precision)
        seed = settings.seed if settings.seed is not None else random.randrange(2**31)
        shifts = random.Random(seed)
        base = self._start_image(image, settings, seed)
        mask_full = pil_to_tensor(mask.convert("RGB"), self.device)[:, :1] if mask is not None else None
        sizes = octave_sizes(tuple(base.shape[-2:]), settings.octaves, settings.octave_scale, self.min_side)
        total, done = len(sizes) * settings.steps, 0
        detail = torch.zeros_like(resize(base, sizes[0]))
        tile_size = settings.tile_size  # shrinks for good if the device runs out of memory
        for octave, size in enumerate(sizes, start=1):
            octave_base = resize(base, size)
            # Carry the dreamed detail up to this size; the sum can leave [0, 1] (bilinear overshoot), so clamp.
            img = (octave_base + resize(detail, size)).clamp(0, 1)
            octave_mask = resize(mask_full, size) if mask_full is not None else None
            jitter = min(settings.jitter, size[0] - 1, size[1] - 1)
            for step in range(1, settings.steps + 1):
                # Random roll, undone after: strided convolutions' grid and tile seams never stay put.
                shift = (shifts.randint(-jitter, jitter), shifts.randint(-jitter, jitter))
                rolled = roll(img, shift)
                grad, loss, tile_size = self._gradient_in_memory(rolled, objective, tile_size, dtype)
                if dtype is not None and not _usable(grad, loss):
                    # fp16/bf16 overflowed or underflowed on this network: redo the step in fp32 and
                    # stay there, so a user never gets a black or frozen image for asking "auto".
                    dtype = None
                    grad, loss, tile_size = self._gradient_in_memory(rolled, objective, tile_size, dtype)
                del rolled
                grad = roll(grad, (-shift[0], -shift[1]))
                # Smoothing grows with the steps: early steps find detail, later ones keep it soft.
                grad = gaussian_blur(grad, settings.smoothing * (1 + 2 * step / settings.steps))
                if octave_mask is not None:
                    grad = grad * octave_mask
                # Normalized step: every step changes pixels by step_size grey levels on average. The floor
                # only guards a zero gradient: a fixed +1e-8 stalled networks whose gradients are tiny.
                # In place (img and grad are this run's own): no full-size temporaries on large images.
                mean_magnitude = grad.abs().mean().clamp_min(1e-30)
                img.add_(grad.mul_(settings.step_size / 255).div_(mean_magnitude)).clamp_(0, 1)
                done += 1
                preview = None
                if preview_every and done % preview_every == 0 and done < total:
                    preview = _preview(img, preview_size)
                yield DreamProgress(octave, len(sizes), step, settings.steps, done, total, loss, preview)
            detail = img - octave_base
        yield DreamProgress(len(sizes), len(sizes), settings.steps, settings.steps, total, total, loss,
                            tensor_to_pil(img), final=True)

    def dream(self, image: Image.Image | None, settings: DreamSettings, guide: Image.Image | None = None,
              mask: Image.Image | None = None) -> Image.Image:
        """The dreamed image at working size."""
        for event in self.dream_frames(image, settings, guide, mask, preview_every=0):
            if event.final:
                return event.image
        raise AssertionError("dream_frames ended without a final frame")

    def _start_image(self, image: Image.Image | None, settings: DreamSettings, seed: int) -> torch.Tensor:
        if image is None:
            generator = torch.Generator().manual_seed(seed)
            side = settings.max_size
            noise = 0.5 + 0.1 * torch.randn(1, 3, side, side, generator=generator)
            return noise.clamp(0, 1).to(self.device)
        return pil_to_tensor(fit_image(image, settings.max_size), self.device)


def fit_image(image: Image.Image, max_size: int) -> Image.Image:
    """Upright RGB no larger than ``max_size`` on its long side."""
    image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":
        image = image.convert("RGB")
    if max(image.size) > max_size:
        image = image.resize(fitted_size(image.size, max_size), Image.Resampling.LANCZOS)
    return image


def _usable(grad: torch.Tensor, loss: float) -> bool:
    """A low-precision step is usable when its loss is finite and its gradient finite and not all zero."""
    magnitude = float(grad.abs().mean())
    return math.isfinite(loss) and math.isfinite(magnitude) and magnitude > 0


def _preview(img: torch.Tensor, preview_size: int | None) -> Image.Image:
    if preview_size and max(img.shape[-2:]) > preview_size:
        scale = preview_size / max(img.shape[-2:])
        img = resize(img, (max(1, round(img.shape[-2] * scale)), max(1, round(img.shape[-1] * scale))))
    return tensor_to_pil(img)


_dreamers: dict[tuple[str, str], Dreamer] = {}
_dreamers_lock = threading.Lock()


def get_dreamer(model: str, device: str = "auto") -> Dreamer:
    """The zoo model as a Dreamer, built once per process and device and reused by every request."""
    torch_device = resolve_device(device)
    key = (model, str(torch_device))
    with _dreamers_lock:
        if key not in _dreamers:
            _dreamers[key] = Dreamer.from_spec(get_spec(model), load_model(model, torch_device), torch_device)
        return _dreamers[key]


def dream_frames(image: Image.Image | None, settings: DreamSettings, guide: Image.Image | None = None,
                 mask: Image.Image | None = None, preview_every: int = 1,
                 preview_size: int | None = None) -> Iterator[DreamProgress]:
    """Dream with the zoo model named in ``settings``, streaming progress; see :meth:`Dreamer.dream_frames`."""
    dreamer = get_dreamer(settings.model, settings.device)
    yield from dreamer.dream_frames(image, settings, guide, mask, preview_every, preview_size)


def dream(image: Image.Image | None, settings: DreamSettings | None = None, guide: Image.Image | None = None,
          mask: Image.Image | None = None) -> Image.Image:
    """Dream ``image`` (noise when None) with the zoo model named in ``settings``."""
    settings = settings or DreamSettings()
    return get_dreamer(settings.model, settings.device).dream(image, settings, guide, mask)
