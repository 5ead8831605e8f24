"""The launched app's motion endpoints through gradio_client: /animate and /dream_video.

The shared app server caps clips at 6 frames (DEEPDREAM_MOTION_MAX_FRAMES, see conftest), so the
8-frame test clip shows the cut and its notice. Dreams are tiny: 64 px, one octave, one step.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from tests.support.clips import FPS, FRAMES, SIZE, make_clip

TINY = json.dumps({"max_size": 64, "octaves": 1, "steps": 1, "step_size": 3})
APP_MAX_FRAMES = 6


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {"long": make_clip(folder / "pan.mp4"), "short": make_clip(folder / "short.mp4", frames=4)}


def read_mp4(path: str) -> tuple[int, tuple[int, int], Fraction, list[str]]:
    """Frames decoded, their size, the average frame rate, and the codecs of the audio tracks."""
    with av.open(path) as result:
        video = result.streams.video[0]
        frames = [frame.to_image() for frame in result.decode(video)]
        return len(frames), frames[0].size, video.average_rate, [a.codec_context.name for a in result.streams.audio]


def test_animate_streams_every_frame_then_an_mp4_and_a_gif(client: Client, cat_png_64: Path) -> None:
    motion = json.dumps({"frames": 4, "zoom": 1.1, "rotate": 2, "fps": 6})
    job = client.submit(handle_file(str(cat_png_64)), TINY, motion, api_name="/animate")
    frame, mp4, gif, status = job.result(timeout=300)
    streamed = job.outputs()[:-1]
    assert [text.split(" done")[0] for _, _, _, text in streamed] == [f"Dreaming… Frame {i} of 4" for i in range(1, 5)]
    assert all(Image.open(image).size == (64, 43) for image, _, _, _ in streamed)
    assert status.startswith("Done in") and "4 frames · 64×43 px · 6 fps" in status
    count, size, fps, audio = read_mp4(mp4)
    assert (count, size, fps, audio) == (4, (64, 42), 6, [])  # H.264's 4:2:0 needs even sides
    with Image.open(gif) as animation:
        assert (animation.n_frames, animation.size, animation.info["loop"]) == (4, (64, 43), 0)
    assert Image.open(frame).size == (64, 43)


def test_animate_from_noise_with_the_size_capped(client: Client) -> None:
    """No photo: a dream grows out of noise. A size over the app's cap is brought down to it, with a notice."""
    settings = json.dumps({"max_size": 2048, "octaves": 1, "steps": 1})
    _, mp4, _, status = client.predict(None, settings, json.dumps({"frames": 2}), api_name="/animate")
    assert "animations are dreamed at most 384 px on the long side here" in status
    assert read_mp4(mp4)[:2] == (2, (384, 384))


def test_dream_video_keeps_the_clips_frames_fps_and_sound(client: Client, clips: dict[str, Path]) -> None:
    job = client.submit(handle_file(str(clips["short"])), TINY, json.dumps({"blend": 0.5}), api_name="/dream_video")
    _, mp4, status = job.result(timeout=300)
    assert [text.split(" done")[0] for _, _, text in job.outputs()[:-1]] == [
        f"Dreaming… Frame {i} of 4" for i in range(1, 5)
    ]
    assert f"4 frames · 64×48 px · {FPS} fps · with the clip's sound" in status
    assert read_mp4(mp4) == (4, SIZE, FPS, ["aac"])


def test_a_clip_over_the_apps_cap_is_cut_with_a_notice(client: Client, clips: dict[str, Path]) -> None:
    _, mp4, status = client.predict(handle_file(str(clips["long"])), TINY, "{}", api_name="/dream_video")
    assert (
        f"the clip is longer than {APP_MAX_FRAMES} frames; only the first {APP_MAX_FRAMES} frames "
        f"(0.8 s of {FRAMES / FPS:.1f} s) are dreamed"
    ) in status
    assert read_mp4(mp4) == (APP_MAX_FRAMES, SIZE, FPS, ["aac"])
    # Asking for more than the app allows does not lift its cap.
    _, mp4, _ = client.predict(
        handle_file(str(clips["long"])), TINY, json.dumps({"max_frames": 900}), api_name="/dream_video"
    )
    assert read_mp4(mp4)[0] == APP_MAX_FRAMES


def test_a_text_file_named_mp4_gets_the_video_message_and_the_app_keeps_serving(
    client: Client, tmp_path: Path, cat_png_64: Path, app_server
) -> None:
    text = tmp_path / "holiday.mp4"
    text.write_text("not a video, just notes\n")
    with pytest.raises(AppError, match=r"this is a text file, not a video; upload an MP4, MOV, WebM"):
        client.predict(handle_file(str(text)), TINY, "{}", api_name="/dream_video")
    with pytest.raises(AppError, match=r"^zoom: must be from 0\.5 to 2, got 5$"):
        client.predict(handle_file(str(cat_png_64)), TINY, json.dumps({"zoom": 5}), api_name="/animate")
    with pytest.raises(AppError, match=r"^video: not valid JSON"):
        client.predict(handle_file(str(text)), TINY, "{blend: 1", api_name="/dream_video")
    _, mp4, _, status = client.predict(
        handle_file(str(cat_png_64)), TINY, json.dumps({"frames": 2}), api_name="/animate"
    )
    assert status.startswith("Done") and read_mp4(mp4)[0] == 2 and app_server.alive()
