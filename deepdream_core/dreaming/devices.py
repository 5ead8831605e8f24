"""Where a dream runs, and at which precision."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import torch


class DeviceError(RuntimeError):
    """The asked-for device is not available on this machine."""


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then Apple's MPS, then the CPU."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise DeviceError("device 'cuda' was asked for, but no CUDA GPU is available; use --device cpu or auto")
    if name == "mps" and not torch.backends.mps.is_available():
        raise DeviceError("device 'mps' was asked for, but Apple's MPS is not available; use --device cpu or auto")
    return torch.device(name)


@lru_cache(maxsize=1)
def cpu_has_fast_bf16() -> bool:
    """True on CPUs with native bf16 matrix instructions (AVX512-BF16 or AMX), where bf16 autocast pays off."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str, device: torch.device, mixed_ok: bool = True) -> torch.dtype | None:
    """The autocast dtype for ``precision`` on ``device``; None means plain fp32.

    ``auto`` takes mixed precision only where the hardware runs it natively: bf16 on recent
    CUDA GPUs (fp16 on older ones), bf16 on CPUs with bf16 instructions, fp32 elsewhere; and
    only when ``mixed_ok``, which a network sets False when it does not dream faithfully or
    faster in low precision (see ``ModelSpec.mixed_precision``).
    """
    if precision == "fp32" or (precision == "auto" and not mixed_ok):
        return None
    if precision == "bf16":
        return torch.bfloat16
    if precision == "fp16":
        return torch.float16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu" and cpu_has_fast_bf16():
        return torch.bfloat16
    return None


def autocast(device: torch.device, dtype: torch.dtype | None, cache: bool = True) -> contextlib.AbstractContextManager:
    """Autocast to ``dtype`` on ``device``, or nothing for fp32.

    ``cache=False`` for a pass captured as a CUDA graph: PyTorch's CUDA Graphs notes ask for autocast
    without its cache of cast weights there.
    """
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype, cache_enabled=cache)


# tf32_matmuls' bookkeeping: how many passes are inside it, and the caller's setting to give back.
_tf32_lock = threading.Lock()
_tf32_passes = 0
_tf32_callers_setting = "highest"


@contextlib.contextmanager
def tf32_matmuls(device: torch.device) -> Iterator[None]:
    """On CUDA, fp32 matrix products in TF32 for the block (a network pass), then the caller's setting again.

    cuDNN's convolutions, nearly all of a dream's work, already run in TF32 by torch's default
    (``torch.backends.cudnn.conv.fp32_precision`` "tf32"), and that switch is left as the caller set it.
    Matrix products (the classifier of a class target) default to full fp32; torch's documented switch
    for them, :func:`torch.set_float32_matmul_precision`, is process-wide, so it is set to "high" only
    while a pass runs, and the caller's value is put back when the last concurrent pass ends. A caller
    who changes it from another thread while a dream runs may find it reset at the pass's end.
    """
    global _tf32_passes, _tf32_callers_setting
    if device.type != "cuda":
        yield
        return
    with _tf32_lock:
        if _tf32_passes == 0:
            _tf32_callers_setting = torch.get_float32_matmul_precision()
            torch.set_float32_matmul_precision("high")
        _tf32_passes += 1
    try:
        yield
    finally:
        with _tf32_lock:
            _tf32_passes -= 1
            if _tf32_passes == 0:
                torch.set_float32_matmul_precision(_tf32_callers_setting)
