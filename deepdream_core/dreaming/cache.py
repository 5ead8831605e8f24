"""The process's dreamers: one per zoo model and device, built and loaded once and shared by every request.

:func:`dream` and :func:`dream_frames` dream with the zoo model a ``DreamSettings`` names.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from PIL import Image

from ..models.zoo import get_spec, load_model
from .devices import resolve_device
from .loop import Dreamer, DreamProgress
from .settings import DreamSettings

# The process's one model cache: each Dreamer owns its module (see load_model).
_dreamers: dict[tuple[str, str], Dreamer] = {}
_dreamers_lock = threading.Lock()


def get_dreamer(model: str, device: str = "auto") -> Dreamer:
    """The zoo model as a Dreamer, built and loaded once per process and device, reused by every request."""
    torch_device = resolve_device(device)
    key = (model, str(torch_device))
    with _dreamers_lock:
        if key not in _dreamers:
            _dreamers[key] = Dreamer.from_spec(get_spec(model), load_model(model, torch_device), torch_device)
        return _dreamers[key]


def loaded_models() -> list[str]:
    """Names of the models loaded so far in this process (the app starts with none)."""
    with _dreamers_lock:
        return sorted({name for name, _ in _dreamers})


def dream_frames(
    image: Image.Image | None,
    settings: DreamSettings,
    guide: Image.Image | None = None,
    mask: Image.Image | None = None,
    preview_every: int = 1,
    preview_size: int | None = None,
) -> Iterator[DreamProgress]:
    """Dream with the zoo model named in ``settings``, streaming progress; see :meth:`Dreamer.dream_frames`."""
    dreamer = get_dreamer(settings.model, settings.device)
    yield from dreamer.dream_frames(image, settings, guide, mask, preview_every, preview_size)


def dream(
    image: Image.Image | None,
    settings: DreamSettings | None = None,
    guide: Image.Image | None = None,
    mask: Image.Image | None = None,
) -> Image.Image:
    """Dream ``image`` (noise when None) with the zoo model named in ``settings``."""
    settings = settings or DreamSettings()
    return get_dreamer(settings.model, settings.device).dream(image, settings, guide, mask)
