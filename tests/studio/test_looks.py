"""The gallery of looks: every look shown in order, one whose picture is not made yet, and the looks a Space offers."""

from __future__ import annotations

import gradio as gr
from PIL import Image

from deepdream_core import get_spec
from deepdream_core.files.presets import all_presets, load_preset
from deepdream_studio.gpu import ZERO_GPU_MODELS, offered_looks, offered_models
from deepdream_studio.tabs import photo
from tests.support.space import preloads

CLASSIC = ("classic-2015", "pagodas")


def test_the_gallery_shows_every_look_in_order_and_a_click_picks_that_look() -> None:
    presets = all_presets()
    items = photo.gallery_items(presets)
    assert [title for _, title in items] == [p.title for p in presets]
    for index, preset in enumerate(presets):
        assert (
            photo.gallery_selected(presets, None, gr.SelectData(None, {"index": index, "value": None}))["preset"]
            == preset.name
        )


def test_a_look_whose_picture_is_not_made_shows_a_card_saying_so_not_another_picture() -> None:
    presets = all_presets()
    items = dict((title, picture) for picture, title in photo.gallery_items(presets))
    missing = [p for p in presets if p.thumbnail is None]
    assert {p.name for p in missing} == set(CLASSIC)  # their networks cannot be downloaded here
    for preset in missing:
        card = items[preset.title]
        assert isinstance(card, Image.Image) and card is photo.no_preview()
        counts = card.convert("RGB").getcolors(maxcolors=card.width * card.height)
        assert max(counts)[0] > 0.8 * card.width * card.height  # words on one colour, not a photo or a dream
    shown = photo.gallery_selected(
        presets, None, gr.SelectData(None, {"index": presets.index(missing[0]), "value": None})
    )
    assert "No preview yet" in shown["preset_about"] and shown["model"]["value"] == missing[0].settings.model


def test_a_space_shows_only_the_looks_whose_network_it_offers() -> None:
    presets = all_presets()
    assert offered_looks(presets, None) == presets
    bundled_only = offered_looks(presets, ("efficientnet_lite0",))
    assert bundled_only and not {p.name for p in bundled_only} & set(CLASSIC)
    assert {p.name for p in offered_looks(presets, offered_models({}, zero_gpu=True))} == {p.name for p in presets}


def test_the_networks_a_zero_gpu_space_offers_by_default_are_preloaded_when_it_is_built() -> None:
    preloaded = {(repo, file) for repo, files in preloads() for file in files}
    for name in ZERO_GPU_MODELS:
        weights = get_spec(name).weights
        assert weights.offline or (weights.repo_id, weights.filename) in preloaded, name
    assert {load_preset(name).settings.model for name in CLASSIC} <= set(ZERO_GPU_MODELS)
