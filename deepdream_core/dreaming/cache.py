"""The process's dreamers: one per zoo model and device, built and loaded once and shared by every request.

A model is loaded outside the cache's lock, which is held only to look a model up or to note that it is
loading: a model loaded earlier is served at once while another downloads (VGG16's 528 MB from the Hub
took a request for the bundled model down with it before), two requests for one model share its one
load, and a load that fails leaves nothing behind, so the next request tries again.

:func:`dream` and :func:`dream_frames` dream with the zoo model a ``DreamSettings`` names.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
from PIL import Image

from ..models.zoo import get_spec, load_model
from .devices import resolve_device
from .dreamer import Dreamer
from .loop import DreamProgress
from .settings import DreamSettings


@dataclass
class _Load:
    """One model's load in progress: the requests that find it wait for its end, then share its outcome."""

    done: threading.Event = field(default_factory=threading.Event)
    dreamer: Dreamer | None = None
    error: Exception | None = None


# The process's one model cache: each Dreamer owns its module (see load_model).
_dreamers: dict[tuple[str, str], Dreamer] = {}
_loading: dict[tuple[str, str], _Load] = {}
_lock = threading.Lock()  # held only to read or change what is above and below, never while a model loads
# Whether the zoo's dreamers replay their passes as CUDA graphs: the process's choice, made at its edge.
_cuda_graphs = False


def get_dreamer(model: str, device: str = "auto") -> Dreamer:
    """The zoo model as a Dreamer, built and loaded once per process and device, reused by every request.

    A request for a model that another request is loading waits for that load and shares its outcome,
    its error too; requests for other models are served meanwhile.
    """
    torch_device = resolve_device(device)
    key = (model, str(torch_device))
    return _cached_or_shared(key) or _load(key, model, torch_device)


def _cached_or_shared(key: tuple[str, str]) -> Dreamer | None:
    """The cached dreamer, or the outcome of the load under way (its error raised here); None: the caller loads it.

    No frame that an error passes through keeps the load (which keeps the error): that cycle would hold a
    failed load's tensors until the garbage collector's next full pass.
    """
    while True:
        with _lock:
            if key in _dreamers:
                return _dreamers[key]
            load = _loading.get(key)
            if load is None:
                _loading[key] = _Load()
                return None
        load.done.wait()
        dreamer, error = load.dreamer, load.error
        del load
        if error is not None:
            try:
                raise error
            finally:
                del error
        if dreamer is not None:
            return dreamer
        # The load was interrupted (Ctrl-C, a cancelled job), with no error of its own: the next round loads it.


def _load(key: tuple[str, str], model: str, device: torch.device) -> Dreamer:
    """Build and load ``model`` outside the lock, then hand the outcome to the requests waiting for it."""
    dreamer, error = None, None
    try:
        dreamer = Dreamer.from_spec(get_spec(model), load_model(model, device), device)
        return dreamer
    except Exception as err:
        error = err
        raise
    finally:
        with _lock:
            load = _loading.pop(key)  # failed or not, the next request finds the dreamer or loads afresh
            if dreamer is not None:
                dreamer.cuda_graphs = _cuda_graphs  # as set now, even if set_cuda_graphs ran while it loaded
                _dreamers[key] = dreamer
        load.dreamer, load.error = dreamer, error
        load.done.set()
        del load, error  # see _cached_or_shared


def set_cuda_graphs(on: bool) -> None:
    """Whether the zoo's dreamers, loaded already and later, replay their passes as CUDA graphs on CUDA.

    Off by default until a GPU run has verified it (see :mod:`.graphs`): the studio sets it from
    ``DEEPDREAM_CUDA_GRAPHS``, the CLI from ``--cuda-graphs``. A dream already running keeps how it started.
    """
    global _cuda_graphs
    with _lock:
        _cuda_graphs = on
        for dreamer in _dreamers.values():
            dreamer.cuda_graphs = on


def cuda_graphs_on() -> bool:
    """What :func:`set_cuda_graphs` last set (off by default)."""
    return _cuda_graphs


def loaded_models() -> list[str]:
    """Names of the models loaded so far in this process (the app starts with none)."""
    with _lock:
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
