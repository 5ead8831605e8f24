"""The studio's settings from the environment, read once when the page is built.

``DEEPDREAM_CONCURRENCY`` (dreams run at once, default 1), ``DEEPDREAM_QUEUE_SIZE`` (dreams waiting before new
ones are told the queue is full, default 16), ``DEEPDREAM_PREVIEW_INTERVAL_MS`` (least time between two live
previews), ``DEEPDREAM_MOTION_MAX_FRAMES`` / ``DEEPDREAM_MOTION_MAX_SIDE`` (the motion tabs' caps),
``DEEPDREAM_ATLAS_SIZE`` (pixels of a layer atlas rendered on request);
``DEEPDREAM_MAX_SECONDS`` (longest photo dream allowed, by estimate),
``DEEPDREAM_MCP`` (0 turns the MCP server off), ``DEEPDREAM_SPACE_MODELS`` (the models offered, see
:mod:`deepdream_studio.gpu`), ``DEEPDREAM_CUDA_GRAPHS`` (1 replays the dream's passes as CUDA graphs);
``DEEPDREAM_PRESETS`` (the presets folder) is read by the engine, and Gradio reads its own
``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT``.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass

from deepdream_core.jobs.atlas import ON_DEMAND_SIZE
from deepdream_core.motion.animation import MOTION_RANGES

from .gpu import offered_models

# Live previews: at most this many pixels on the long side; the final frame is always sent at full working size.
PREVIEW_SIZE = 512


class ConfigError(SystemExit):
    """An environment variable has a value the studio cannot start with; the message names it."""


def env_int(environ: Mapping[str, str], name: str, default: int, low: int) -> int:
    """A whole number of at least ``low`` from ``environ[name]``, or ``default`` when unset or empty."""
    text = environ.get(name, "")
    if not text:
        return default
    if not text.isdigit() or int(text) < low:
        raise ConfigError(f"{name} must be a whole number of at least {low}, got {text!r}")
    return int(text)


def env_flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    """``1``/``true``/``yes`` or ``0``/``false``/``no`` from ``environ[name]``, or ``default`` when unset or empty."""
    text = environ.get(name, "").strip().lower()
    if not text:
        return default
    if text not in ("1", "true", "yes", "0", "false", "no"):
        raise ConfigError(f"{name} must be 1 or 0 (true or false), got {text!r}")
    return text in ("1", "true", "yes")


@dataclass(frozen=True)
class StudioConfig:
    """What a deployment may tune; every handler that needs one of these gets this object as an argument."""

    concurrency: int = 1  # dreams that run at once; the rest wait in the queue
    queue_size: int = 16  # dreams that may wait; beyond that a new one is told the queue is full
    # At least this long between two live previews, so a fast GPU does not flood the browser.
    preview_interval_s: float = 0.25
    # Caps for the motion tabs, lower than the CLI's: a CPU Space dreams a 384 px frame in seconds, so these keep
    # one run to minutes. Longer clips are cut and larger ones scaled down, with a notice.
    motion_max_frames: int = 48
    motion_max_side: int = 384
    # Models the page and the API offer (None: every model); on a Space, the ones it preloads.
    models: tuple[str, ...] | None = None
    # A photo dream estimated to take longer than this on this machine is refused (0: no limit); for public demos.
    max_seconds: int = 0
    # The API endpoints as Model Context Protocol tools too (at /gradio_api/mcp/), so an assistant can dream;
    # on wherever the mcp package (the app extra) is installed.
    mcp_server: bool = importlib.util.find_spec("mcp") is not None
    # Side of each half of a layer's atlas picture when a network's atlas is rendered on request.
    atlas_size: int = ON_DEMAND_SIZE
    # The Live tab: seconds of dreaming each visitor gets per start (Gradio's time_limit), and visitors dreamed
    # at once (its concurrency_limit; the rest wait in the queue). One per two CPU cores keeps 5 frames/s at 256 px.
    live_seconds: int = 60
    live_visitors: int = 1
    # Replay each step's network pass as a CUDA graph on a CUDA GPU (deepdream_core.dreaming.graphs); off until a
    # GPU run has verified it (bench/gpu.sh). It also makes a dream's loss read only with a preview.
    cuda_graphs: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> StudioConfig:
        return cls(
            concurrency=env_int(environ, "DEEPDREAM_CONCURRENCY", cls.concurrency, 1),
            queue_size=env_int(environ, "DEEPDREAM_QUEUE_SIZE", cls.queue_size, 1),
            preview_interval_s=env_int(environ, "DEEPDREAM_PREVIEW_INTERVAL_MS", 250, 0) / 1000,
            motion_max_frames=min(
                env_int(environ, "DEEPDREAM_MOTION_MAX_FRAMES", cls.motion_max_frames, 1),
                int(MOTION_RANGES["frames"].high),
            ),
            motion_max_side=min(
                env_int(environ, "DEEPDREAM_MOTION_MAX_SIDE", cls.motion_max_side, 32),
                int(MOTION_RANGES["max_side"].high),
            ),
            models=offered_models(environ),
            max_seconds=env_int(environ, "DEEPDREAM_MAX_SECONDS", cls.max_seconds, 0),
            mcp_server=env_flag(environ, "DEEPDREAM_MCP", cls.mcp_server),
            atlas_size=min(env_int(environ, "DEEPDREAM_ATLAS_SIZE", cls.atlas_size, 32), 512),
            live_seconds=env_int(environ, "DEEPDREAM_LIVE_SECONDS", cls.live_seconds, 1),
            live_visitors=env_int(environ, "DEEPDREAM_LIVE_VISITORS", cls.live_visitors, 1),
            cuda_graphs=env_flag(environ, "DEEPDREAM_CUDA_GRAPHS", cls.cuda_graphs),
        )
