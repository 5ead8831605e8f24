"""The layer picker in the Photo tab: the atlas of what each layer draws, and the channels a photo stirs.

Clicking an atlas picture sets the layer dropdown (which stays, for typing any module path); clicking a channel
sets the Channels setting. A model whose atlas is not rendered yet (any but the bundled one, on first use) offers
to render it, with progress, into the cache folder; until then the dropdown works as always.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr
import spaces
from PIL import Image

from deepdream_core import get_spec
from deepdream_core.jobs.atlas import (
    CHANNEL_COUNT,
    CHANNEL_SIZE,
    AtlasPicture,
    channel_pictures,
    channel_settings,
    layer_atlas,
    picture_settings,
    render_layer_atlas,
)
from deepdream_core.jobs.estimate import estimate_dream, spaces_duration

from ..config import StudioConfig
from ..controls import SettingControls
from ..handlers import bind, by_component, user_errors
from ..uploads import load_upload

# The galleries grow to show every picture (no inner scrolling), and the captions wrap: they are the descriptions.
CSS = """
#atlas-gallery .grid-wrap, #channel-gallery .grid-wrap { min-height: 0 !important; max-height: none !important; }
#atlas-gallery .caption-label { white-space: normal; overflow: visible; text-overflow: clip; max-width: 95%; }
"""
ABOUT = "Click a picture to dream on that layer. Left: a photo dreamed there; right: the layer dreamed from noise."
CHANNELS_ABOUT = "The channels of this layer that respond most to your photo; click one to dream only that channel."


# -- handlers ---------------------------------------------------------------------------------------------


def atlas_items(pictures: Sequence[AtlasPicture]) -> list[tuple[str, str]]:
    """The gallery's pictures with their captions, for the layers whose picture is ready."""
    return [(str(p.path), f"{p.layer.path}: {p.layer.description}") for p in pictures if p.path is not None]


@user_errors
def atlas_shown(config: StudioConfig, model: str) -> dict[str, Any]:
    """The atlas of ``model`` as far as it is rendered, and a Render button when some of it is not."""
    pictures = layer_atlas(model, config.atlas_size)
    missing = sum(p.path is None for p in pictures)
    note = ABOUT
    if missing:
        download = "" if get_spec(model).weights.offline else " (the network's weights download first)"
        note = (
            f"The atlas of this network is not rendered yet ({missing} of {len(pictures)} layers): render it "
            f"once{download}, or pick a layer from the list above."
        )
    return {
        "atlas_gallery": gr.update(value=atlas_items(pictures), visible=missing < len(pictures)),
        "atlas_note": note,
        "atlas_render": gr.update(visible=bool(missing)),
    }


def render_seconds(model: str, size: int) -> int:
    """The GPU seconds to ask ZeroGPU for rendering an atlas (same arguments as :func:`_render`): two small dreams,
    the sample photo's square and noise, for each layer whose picture is not ready."""
    missing = [picture.layer.path for picture in layer_atlas(model, size) if picture.path is None]
    return spaces_duration(
        [
            estimate_dream(picture_settings(model, layer, size, noise), None if noise else (size, size))
            for layer in missing
            for noise in (False, True)
        ]
    )


@spaces.GPU(duration=render_seconds)
def _render(model: str, size: int) -> Iterator[AtlasPicture]:
    """The GPU work of rendering an atlas."""
    yield from render_layer_atlas(model, size)


@user_errors
def atlas_render_ui(config: StudioConfig, model: str, progress: gr.Progress = gr.Progress()) -> Iterator[dict]:
    """Render the missing pictures into the cache, showing each as it is done."""
    total, pictures = len(get_spec(model).layers), []
    progress((0, total), desc="Loading the network")
    for picture in _render(model, config.atlas_size):
        pictures.append(picture)
        progress((len(pictures), total), desc=f"Layer {len(pictures)} of {total}")
        yield {
            "atlas_gallery": gr.update(value=atlas_items(pictures), visible=True),
            "atlas_note": f"Rendering the atlas… {len(pictures)} of {total} layers done.",
        }
    yield atlas_shown(config, model)


def atlas_selected(config: StudioConfig, model: str, evt: gr.SelectData) -> dict[str, Any]:
    """A picture clicked: its layer in the dropdown; channels picked for another layer no longer apply."""
    ready = [p for p in layer_atlas(model, config.atlas_size) if p.path is not None]
    return {
        "layer": ready[evt.index].layer.path,
        "channels": "",
        "channel_gallery": gr.update(value=None, visible=False),
        "channel_list": [],
    }


def channels_seconds(image: Image.Image, model: str, layer: str) -> int:
    """The GPU seconds to ask for the channel atlas (same arguments as :func:`_channels`): one small dream per
    channel (ranking them is one forward pass, next to nothing)."""
    one = estimate_dream(channel_settings(model, layer, 0, CHANNEL_SIZE), image.size)
    return spaces_duration([one] * CHANNEL_COUNT)


@spaces.GPU(duration=channels_seconds)
def _channels(image: Image.Image, model: str, layer: str) -> Iterator[tuple[int, Image.Image]]:
    """The GPU work of the channel atlas."""
    yield from channel_pictures(image, model, layer)


@user_errors
def channels_ui(photo: str | None, model: str, layer: str | None) -> Iterator[dict]:
    """The channels of ``layer`` that respond most to the photo, each dreamed small, streamed as they finish."""
    if not layer:
        raise gr.Error("Pick a layer first (the list above, or a picture of the atlas).")
    image, _ = load_upload(photo, 512)
    cells: list[tuple[Image.Image, str]] = []
    channels: list[int] = []
    for channel, picture in _channels(image, model, layer):
        cells.append((picture, f"channel {channel}"))
        channels.append(channel)
        done = f"{len(cells)} of {CHANNEL_COUNT}" if len(cells) < CHANNEL_COUNT else "all"
        yield {
            "channel_gallery": gr.update(value=list(cells), visible=True),
            "channel_list": list(channels),
            "channel_note": f"{CHANNELS_ABOUT} ({done} shown)",
        }


def channel_selected(channels: list[int], evt: gr.SelectData) -> dict[str, Any]:
    """A channel clicked: it becomes the Channels setting of the layer."""
    return {"channels": str(channels[evt.index])}


# -- layout and wiring -------------------------------------------------------------------------------------


def layout(config: StudioConfig, model: str) -> dict[str, Any]:
    """The picker, under the layer dropdown: the atlas gallery, its note and Render button, the channel atlas."""
    shown = atlas_shown(config, model)
    with gr.Accordion("🔍 See what each layer draws", open=False, elem_id="layer-atlas"):
        atlas_note = gr.Markdown(shown["atlas_note"], elem_id="atlas-note")
        atlas_render = gr.Button(
            "Render this network's atlas", size="sm", elem_id="atlas-render", visible=shown["atlas_render"]["visible"]
        )
        atlas_gallery = gr.Gallery(
            shown["atlas_gallery"]["value"],
            label="Layers",
            columns=2,
            height="auto",
            allow_preview=False,
            object_fit="contain",
            buttons=[],
            elem_id="atlas-gallery",
        )
        channels_btn = gr.Button(
            "Which channels of this layer respond to my photo?", size="sm", elem_id="atlas-channels"
        )
        channel_note = gr.Markdown(CHANNELS_ABOUT, elem_id="channel-note")
        channel_gallery = gr.Gallery(
            label="Channels",
            columns=4,
            height="auto",
            allow_preview=False,
            object_fit="contain",
            buttons=[],
            visible=False,
            elem_id="channel-gallery",
        )
    return {
        "atlas_note": atlas_note,
        "atlas_render": atlas_render,
        "atlas_gallery": atlas_gallery,
        "channels_btn": channels_btn,
        "channel_note": channel_note,
        "channel_gallery": channel_gallery,
        "channel_list": gr.State([]),
    }


def wire(config: StudioConfig, parts: dict[str, Any], controls: SettingControls, photo: gr.Image) -> None:
    """The picker's events; called once every control exists (Channels lives in Advanced)."""
    model, layer = controls.by_name["model"], controls.by_name["layer"]
    named = {**parts, "layer": layer, "channels": controls.by_name["channels"]}
    atlas_outputs = [parts["atlas_gallery"], parts["atlas_note"], parts["atlas_render"]]
    # .change: a share link or a preset may switch the model too.
    model.change(
        by_component(bind(atlas_shown, config), named),
        model,
        atlas_outputs,
        concurrency_limit=None,
        api_visibility="private",
    )
    parts["atlas_render"].click(
        by_component(bind(atlas_render_ui, config), named),
        model,
        atlas_outputs,
        concurrency_id="dream",
        show_progress="minimal",
        api_visibility="private",
    )
    parts["atlas_gallery"].select(
        by_component(bind(atlas_selected, config), named),
        model,
        [layer, named["channels"], parts["channel_gallery"], parts["channel_list"]],
        concurrency_limit=None,
        api_visibility="private",
    )
    parts["channels_btn"].click(
        by_component(channels_ui, named),
        [photo, model, layer],
        [parts["channel_gallery"], parts["channel_list"], parts["channel_note"]],
        concurrency_id="dream",
        show_progress="minimal",
        api_visibility="private",
    )
    parts["channel_gallery"].select(
        by_component(channel_selected, named),
        parts["channel_list"],
        named["channels"],
        concurrency_limit=None,
        api_visibility="private",
    )
