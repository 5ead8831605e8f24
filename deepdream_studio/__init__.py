"""DeepDream Studio: the Gradio app (UI only; the engine is ``deepdream_core``).

``build_demo()`` makes the page: a tab per module in :mod:`deepdream_studio.tabs`, each with its layout, handlers
and wiring, and the API endpoints (:mod:`deepdream_studio.api`). Data flows one way: a control or an API argument
becomes one validated ``DreamSettings``, a run path (:mod:`deepdream_studio.runs`) dreams with it, frames come back.
No user image is kept at module level: each request's images live in its own handler call.
"""

from __future__ import annotations

import gradio as gr
from starlette.middleware import Middleware

from deepdream_core import set_cuda_graphs
from deepdream_core.dreaming.images import MAX_FILE_BYTES
from deepdream_core.files.presets import PRESETS_DIR, SAMPLES_DIR, all_presets
from deepdream_core.jobs.atlas import atlas_cache

from . import api, cache_files, numbers, phone, sharing, uploads
from .config import StudioConfig
from .gpu import offered_looks, preload
from .json_guard import DeepJsonGuard
from .tabs import compare, dreaming, layers, live, photo, video, zoom

__all__ = ["StudioConfig", "build_demo", "launch", "main"]

CSS = (
    """
#dream-result img { object-fit: contain; }
#preset-gallery .caption-label {  /* look names whole, on two lines if need be */
  font-size: 0.8rem; white-space: normal; text-overflow: clip; overflow: visible; line-height: 1.15;
  max-width: calc(100% - 8px); text-align: center;
}
#preset-gallery .grid-wrap { min-height: 0 !important; max-height: none !important; }  /* no empty rows */
#title { margin-bottom: 0; }
.secondary-wrap > input { padding-right: var(--size-6); }  /* a dropdown's text stops before its arrow */
"""
    + layers.CSS
    + sharing.CSS
    + dreaming.CSS
    + phone.CSS
    + live.CSS
)
THEME = gr.themes.Soft(primary_hue="violet", secondary_hue="pink")


def build_demo(config: StudioConfig | None = None) -> gr.Blocks:
    """The whole page and its API, with the queue set; nothing is dreamed or loaded until someone asks."""
    config = config or StudioConfig.from_env()
    set_cuda_graphs(config.cuda_graphs)  # for every model, before any is built
    cache_files.install()  # pictures are served whole, never while they are rewritten
    numbers.install()  # numeric controls hand over what was typed; our checks answer
    uploads.install()  # file inputs take uploads only, handed over undecoded
    preload(config.models)  # on ZeroGPU only: models built and moved to CUDA at module scope
    presets = offered_looks(all_presets(), config.models) if PRESETS_DIR.is_dir() else []
    samples = sorted(str(p) for p in SAMPLES_DIR.glob("*.jpg")) if SAMPLES_DIR.is_dir() else []
    with gr.Blocks(title="DeepDream Studio", delete_cache=(1800, 3600)) as demo:
        gr.Markdown(
            "# 🌀 DeepDream Studio\nTurn a photo into a dream: a neural network paints what it *sees* into "
            "your picture — eyes, fur, dog faces, swirls. **1** add a photo, **2** pick a look, "
            "**3** press Dream.",
            elem_id="title",
        )
        link_note = sharing.note_layout()
        with gr.Tabs(overflow_behavior="wrap"):  # on a phone, every tab in view: none behind "•••"
            with gr.Tab("Photo", id="photo"):
                photo_tab = photo.build(demo, config, presets, samples, link_note)
            with gr.Tab("Zoom animation", id="zoom"):
                zoom.build(config, presets, photo_tab)
            with gr.Tab("Video", id="video"):
                video.build(config, presets, photo_tab)
            with gr.Tab("Compare", id="compare"):
                compare.build(config, presets, photo_tab)
            with gr.Tab("Live", id="live", visible=live.offered()) as live_tab:
                live.build(config, presets, live_tab, demo)
        api.build(config)
    demo.queue(default_concurrency_limit=config.concurrency, max_size=config.queue_size)
    return demo


def launch(demo: gr.Blocks, config: StudioConfig, **options: object) -> None:
    """Serve ``demo`` with the studio's limits (the upload cap; presets, samples and the atlas cache the only
    folders served; JSON request bodies within the JSON depth limit), its theme and its MCP server."""
    demo.launch(
        max_file_size=MAX_FILE_BYTES,
        # Gradio adds its own middleware (CORS, compression) around the ones given here, so refusals get them too.
        app_kwargs={"middleware": [Middleware(DeepJsonGuard)]},
        allowed_paths=[str(PRESETS_DIR), str(SAMPLES_DIR), str(atlas_cache())],
        theme=THEME,
        css=CSS,
        head=numbers.HEAD,
        mcp_server=config.mcp_server,
        **options,
    )  # type: ignore[arg-type]


def main() -> None:
    """The ``deepdream-studio`` command: build the page and serve it (GRADIO_SERVER_NAME / _PORT apply)."""
    config = StudioConfig.from_env()
    launch(build_demo(config), config)
