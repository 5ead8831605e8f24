"""The launched app through gradio_client: /dream, /dream_stream, cancelling, and the messages users get."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from tests.support import ABOUT


def dream(client: Client, photo: Path, settings: dict) -> tuple[str, str]:
    return client.predict(handle_file(str(photo)), json.dumps(settings), None, None, api_name="/dream")


def test_a_preset_dreams_the_photo_at_its_size(client: Client, cat_png: Path) -> None:
    result, status = dream(client, cat_png, {"preset": "eyes"})
    original = Image.open(cat_png).convert("RGB")
    dreamed = Image.open(result)
    assert dreamed.format == "PNG" and dreamed.size == original.size
    change = np.abs(np.asarray(dreamed.convert("RGB"), float) - np.asarray(original, float)).mean()
    assert change > 2, f"the dream should change the photo, mean change {change:.2f} grey levels"
    assert status.startswith("Done") and "seed 0" in status


def test_stream_yields_previews_then_the_full_size_result(client: Client, cat_png: Path) -> None:
    job = client.submit(
        handle_file(str(cat_png)),
        json.dumps({"preset": "eyes", "steps": 12, "octaves": 3}),
        None,
        None,
        api_name="/dream_stream",
    )
    final, status = job.result(timeout=300)
    outputs = job.outputs()
    assert len(outputs) >= 3, f"expected several frames, got {len(outputs)}"
    (_, first), *steps = outputs[:-1]
    assert re.fullmatch(rf"Dreaming… {ABOUT}", first), first  # the API's first status: the time estimate
    assert all(text.startswith("Dreaming… Octave") for _, text in steps)
    assert status.startswith("Done")
    assert Image.open(final).size == Image.open(cat_png).size


def test_cancel_ends_a_run_and_the_next_run_works(client: Client, cat_png: Path) -> None:
    slow = {"preset": "eyes", "steps": 100, "octaves": 4}
    job = client.submit(handle_file(str(cat_png)), json.dumps(slow), None, None, api_name="/dream_stream")
    for _frame, status in job:  # wait for the first preview: the run is under way
        assert status.startswith("Dreaming")
        break
    assert job.cancel()
    while not job.done():
        job.status()  # lets the client notice the end of the stream
    assert not any(status.startswith("Done") for _, status in job.outputs())
    result, status = dream(client, cat_png, {"preset": "eyes", "steps": 2})
    assert status.startswith("Done") and Image.open(result).size == Image.open(cat_png).size


def test_a_bad_setting_gets_the_settings_message(client: Client, cat_png: Path) -> None:
    with pytest.raises(AppError, match=r"steps: must be from 1 to 100, got 1000"):
        dream(client, cat_png, {"steps": 1000})
    with pytest.raises(AppError, match=r"unknown preset 'no-such-look'"):
        dream(client, cat_png, {"preset": "no-such-look"})
    with pytest.raises(AppError, match=r"settings: not valid JSON"):
        client.predict(handle_file(str(cat_png)), "{steps: 3", None, None, api_name="/dream")


def test_a_bad_file_gets_the_image_message_and_the_app_keeps_serving(
    client: Client, cat_png: Path, tmp_path: Path, app_server
) -> None:
    text = tmp_path / "notes.png"
    text.write_text("this is not a picture")
    with pytest.raises(AppError, match=r"not an image format we read; upload a JPEG, PNG"):
        dream(client, text, {"steps": 1, "octaves": 1})
    tiny = tmp_path / "dot.png"
    Image.new("RGB", (4, 4)).save(tiny)
    with pytest.raises(AppError, match=r"4x4 pixels; DeepDream needs at least 16"):
        dream(client, tiny, {"steps": 1, "octaves": 1})
    _result, status = dream(client, cat_png, {"steps": 1, "octaves": 1})
    assert status.startswith("Done") and app_server.alive()


def test_the_app_starts_without_loading_a_model_or_the_network(tmp_path: Path) -> None:
    """Spaces and `python app.py` build and launch the app before anyone dreams: no weights, no downloads."""
    from tests.support import REPO
    from tests.support.app_server import free_port

    script = (
        f"import app\n"
        f"app.demo.launch(server_name='127.0.0.1', server_port={free_port()}, prevent_thread_lock=True, quiet=True)\n"
        f"from deepdream_core.dreaming.cache import loaded_models\n"
        f"print('loaded:', loaded_models())\n"
        f"app.demo.close()\n"
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_TEMP_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "loaded: []" in done.stdout
