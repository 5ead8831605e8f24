"""Recording a network's activations with forward hooks, for one thread's passes, removed when done.

The model is shared by concurrent requests, so a hook records only the passes of the thread that set it,
and ``capture`` removes its hooks when the block ends (a run stopped mid-way leaves none behind).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from .objectives import Activations


class StopForward(Exception):
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
        def hook(_module: nn.Module, _inputs: object, output: torch.Tensor | tuple[torch.Tensor, ...]) -> None:
            if threading.get_ident() != owner:
                return
            acts[name] = output[0] if isinstance(output, (tuple, list)) else output
            if stop_early and len(acts) == len(names):
                raise StopForward

        return hook

    handles = [modules[name].register_forward_hook(make_hook(name)) for name in names]
    try:
        yield acts
    finally:
        for handle in handles:
            handle.remove()
