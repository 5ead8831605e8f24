"""The Live tab's stream as any client may speak it (tests/support/live_stream.py), not only a browser.

Every bad frame, sent first or mid-stream, gets its one sentence, nothing on the server's disk is read, the
memory stays flat and the app goes on serving; a minute of streaming leaves no file behind.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from bench.scenes import panning_scene
from tests.support.app_server import AppServer, rss_mb, running_app
from tests.support.live_stream import bytes_url, data_url, stream
from tests.support.odd_images import png_claiming

SECRET = "a visitor's photo"  # lies in the app's own upload folder, as other visitors' photos do on a Space


@pytest.fixture(scope="module")
def good() -> list[dict[str, str]]:
    return [data_url(frame) for frame in panning_scene(8, (128, 96))]


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory, good: list[dict[str, str]]) -> Iterator[AppServer]:
    # As the README asks of a server: otherwise each new worker thread's malloc arena adds ~100 MB, which is not
    # what the memory checks below look for.
    with running_app(tmp_path_factory.mktemp("live-stream-app"), {"MALLOC_ARENA_MAX": "2"}) as server:
        # Two streams dreamed first: the model's load (about 170 MB) would otherwise count in whichever test runs
        # first (alone, say).
        for _ in range(2):
            assert len(stream(server, frames_then(good[0], good[1])).outputs) == 2
        yield server


def frames_then(first: object, then: object | None = None):
    """A frame source: ``first``, then ``then`` (if given), then the stream is closed."""
    return lambda index: first if index == 0 else then if index == 1 and then is not None else None


def server_photo(server: AppServer) -> Path:
    """A photo in the app's own upload folder, where Gradio keeps every visitor's uploads and results."""
    folder = server.log.parent / "gradio-cache" / "someone-else"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "photo.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(path)
    return path


BAD = {
    "malformed base64": ({"url": "data:image/jpeg;base64,@@not base64@@"}, "its data is not valid base64"),
    "text sent as image/png": (bytes_url(b"this is not a picture"), "this is not an image format we read"),
    "an SVG": (bytes_url(b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"), "an SVG"),
    "a web URL": ({"url": "http://127.0.0.1:1/frame.png"}, "the URL http://127.0.0.1:1/frame.png was sent"),
    "not an object": (["a", "list"], "was sent; a frame is read only from the request itself"),
    "0x0": (bytes_url(png_claiming(0, 0)), "this is not an image format we read"),
    "claims 100000x100000": (
        bytes_url(png_claiming(100_000, 100_000)),
        "is 100000x100000 pixels; the limit is 16 megapixels",
    ),
    "9000x9000": (bytes_url(png_claiming(9000, 9000)), "is 9000x9000 pixels; the limit is 16 megapixels"),
    "2000x16": (data_url(Image.new("RGB", (2000, 16)), "PNG"), "is 2000x16 pixels, too long and thin"),
    "2000x100": (data_url(Image.new("RGB", (2000, 100)), "PNG"), "at the live size (128 px long) it would be 128x6"),
}


@pytest.mark.parametrize("case", BAD)
def test_every_bad_frame_gets_its_sentence_first_or_mid_stream(
    live_app: AppServer, good: list[dict[str, str]], case: str
) -> None:
    frame, said = BAD[case]
    before = rss_mb(live_app)
    first = stream(live_app, frames_then(frame))
    assert first.error is not None and said in first.error and not first.outputs, first.final
    mid = stream(live_app, frames_then(good[0], frame))
    assert len(mid.outputs) == 1 and mid.error is not None and said in mid.error, mid.final
    assert rss_mb(live_app) - before < 150  # nothing was decoded: a decoded 9000x9000 frame took 1.2 GB


def test_strength_sent_as_text_gets_its_sentence(live_app: AppServer, good: list[dict[str, str]]) -> None:
    run = stream(live_app, frames_then(good[0]), strength="very")
    assert run.error == "strength: must be a number from 0 to 1, got 'very'"


def test_a_frame_given_as_a_path_on_the_server_is_never_read(live_app: AppServer) -> None:
    photo = server_photo(live_app)
    fifo = photo.with_name("frame.png.fifo")
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo)  # opened, it would block the worker and the Live slot until someone wrote to it
    for path in (str(photo), str(fifo), "/etc/hostname", "http://127.0.0.1:1/frame.png"):
        started = time.monotonic()
        for frame in ({"path": path}, {"path": path, "meta": {"_type": "gradio.FileData"}}):
            run = stream(live_app, frames_then(frame))
            assert not run.outputs and run.final["success"] is False, run.final
            if frame.get("meta") and path == "/etc/hostname":
                # Outside the upload folder, a path marked as a file is Gradio's own to refuse, before any code of
                # ours runs; it does not say why (as for the photo: tests/e2e/test_app_security.py).
                assert run.error is None
            else:
                assert "was sent; a frame is read only from the request itself" in (run.error or ""), run.final
        assert time.monotonic() - started < 60


def test_the_app_serves_on_after_them(live_app: AppServer, good: list[dict[str, str]]) -> None:
    run = stream(live_app, lambda index: good[index] if index < len(good) else None)
    assert run.error is None and len(run.outputs) == len(good)
    assert all(output[0]["url"].startswith("data:image/jpeg;base64,") for output in run.outputs)
    assert live_app.alive()


def test_a_minute_of_streaming_leaves_no_file_and_no_memory_behind(tmp_path: Path) -> None:
    """The default time limit (60 s) ends the stream; every dream went back inline, none into Gradio's cache."""
    frames = [data_url(frame) for frame in panning_scene(30, (256, 192))]
    with running_app(tmp_path) as server:
        cache = tmp_path / "gradio-cache"
        stream(server, lambda index: frames[0] if index == 0 else None)  # the model loads; the page's files land
        files_before = sorted(cache.rglob("*"))
        memory = {"start": rss_mb(server)}
        began = time.monotonic()

        def camera(index: int) -> dict[str, str]:
            if "middle" not in memory and time.monotonic() - began > 20:
                memory["middle"] = rss_mb(server)
            return frames[index % len(frames)]

        run = stream(server, camera, size=256)
        seconds = time.monotonic() - began
        assert run.error is None and seconds >= 55, (seconds, run.final)
        assert len(run.outputs) >= 60  # one a second even on a loaded machine; about 6 a second on a quiet one
        assert sorted(cache.rglob("*")) == files_before
        assert rss_mb(server) - memory["middle"] < 50, memory
