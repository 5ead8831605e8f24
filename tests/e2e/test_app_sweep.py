"""/sweep through gradio_client: one labelled sheet of the photo dreamed several ways, streamed cell by cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from tests.support.app_server import api_call, page_inputs, queue_call
from tests.support.photos import skimage_photo

SMALL = {"max_size": 64, "octaves": 1}


def test_a_setting_sweep_streams_cells_then_one_png_sheet(client: Client, cat_png: Path) -> None:
    job = client.submit(
        handle_file(str(cat_png)),
        json.dumps(SMALL),
        json.dumps({"setting": "steps", "values": [1, 2, 4]}),
        api_name="/sweep",
    )
    sheet, status = job.result(timeout=300)
    statuses = [text for _, text in job.outputs()]
    assert statuses[:2] == ["Dreaming… 1 of 3 done (steps = 1)", "Dreaming… 2 of 3 done (steps = 2)"]
    assert status.startswith("Done in") and "3 dreams" in status
    image = Image.open(sheet)
    assert image.format == "PNG" and image.width == 3 * (64 + 6) + 6, "three 64 px cells in a row"


def test_a_preset_sweep_applies_the_settings_to_each_preset(client: Client, cat_png: Path) -> None:
    sheet, status = client.predict(
        handle_file(str(cat_png)),
        json.dumps({**SMALL, "steps": 1}),
        json.dumps({"presets": ["gentle", "galaxies"]}),
        api_name="/sweep",
    )
    assert "2 dreams" in status and Image.open(sheet).width == 2 * (64 + 6) + 6


@pytest.mark.parametrize(
    "settings, sweep, message",
    [
        (SMALL, {"setting": "steps", "values": [5, 10, 1000]}, "steps: must be from 1 to 100, got 1000"),
        (SMALL, {"setting": "steps", "values": [5]}, "steps: a sheet compares 2 to 6 values, got 1"),
        (SMALL, {"presets": ["gentle", "no-such-look"]}, "unknown preset 'no-such-look'"),
        (SMALL, {}, "sweep: name a setting or presets to compare"),
    ],
)
def test_a_bad_sweep_gets_the_usual_message(
    client: Client, cat_png: Path, settings: dict, sweep: dict, message: str
) -> None:
    with pytest.raises(AppError, match=message.replace("(", r"\(")):
        client.predict(handle_file(str(cat_png)), json.dumps(settings), json.dumps(sweep), api_name="/sweep")


def test_the_sweep_and_the_new_handlers_never_read_a_server_path(app_server, tmp_path: Path) -> None:
    """/sweep, Compare and the channel atlas take uploads only, like every other photo input."""
    secret = tmp_path / "private.png"
    skimage_photo("astronaut", 64).save(secret)
    server_file = {"path": str(secret)}
    event, payload = api_call(app_server, "sweep", [server_file, json.dumps(SMALL), '{"presets": ["eyes", "gentle"]}'])
    assert event == "error" and payload["error"].startswith("photo: not an uploaded file"), payload
    for handler, photo in (("compare_ui", "compare-photo"), ("channels_ui", "photo")):
        message = queue_call(app_server, handler, page_inputs(app_server, handler, {photo: server_file}))
        assert message["success"] is False and "not an uploaded file" in message["output"]["error"], message
