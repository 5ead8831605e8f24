"""What every file-writing command does with its output path: never over one of its inputs, one line when it cannot.

Each refusal comes before anything is read or dreamed, and leaves the input's bytes as they were.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from bench.scenes import still_scene
from deepdream_core.cli import EXIT_BAD_INPUT, main
from deepdream_core.files.clips import write_mp4
from tests.support import REPO
from tests.support.photos import skimage_photo

QUICK = ["--max-size", "64", "--steps", "1", "--octaves", "1", "--quiet"]


@pytest.fixture
def user_files(tmp_path: Path) -> dict[str, Path]:
    """A photo (PNG and GIF), a guide and a clip, as a user's files."""
    cat = skimage_photo("chelsea", 96)
    made = {"photo": tmp_path / "chelsea.png", "gif": tmp_path / "chelsea.gif", "guide": tmp_path / "guide.png"}
    cat.save(made["photo"])
    cat.save(made["gif"])
    skimage_photo("coffee", 96).save(made["guide"])
    made["clip"] = tmp_path / "clip.mp4"
    write_mp4(still_scene(3, (96, 72)), made["clip"], 12)
    return made


OVERWRITES = {
    "dream over its photo": (["dream", "{photo}", "-o", "{photo}"], "input"),
    "dream over its guide": (["dream", "{photo}", "--guide", "{guide}", "-o", "{guide}"], "guide"),
    "dream over its settings file": (
        ["dream", "{photo}", "--settings-from", "{guide}", "-o", "{guide}"],
        "settings-from",
    ),
    "animate over its photo": (["animate", "{gif}", "-o", "{gif}", "--frames", "2"], "input"),
    "video over its clip": (["video", "{clip}", "-o", "{clip}"], "input"),
    "live over its clip": (["live", "{clip}", "-o", "{clip}"], "source"),
    "sweep over its photo": (["sweep", "{photo}", "--set", "steps=1,2", "-o", "{photo}"], "input"),
    "atlas over its photo": (
        ["atlas", "efficientnet_lite0", "--layer", "blocks.4", "--photo", "{photo}", "-o", "{photo}"],
        "photo",
    ),
}


@pytest.mark.parametrize("case", OVERWRITES)
def test_no_command_writes_over_its_input(
    case: str, user_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    argv, what = OVERWRITES[case]
    before = {name: path.read_bytes() for name, path in user_files.items()}
    args = [part.format(**user_files) for part in argv]
    assert main([*args, *(QUICK if args[0] in ("dream", "sweep") else ["--quiet"])]) == EXIT_BAD_INPUT
    said = capsys.readouterr().err
    assert f"is the {what} file this command reads; writing the dream there would replace it" in said, said
    assert {name: path.read_bytes() for name, path in user_files.items()} == before


@pytest.mark.parametrize("link", [os.link, os.symlink])
def test_the_same_file_under_another_name_is_refused_too(
    link, user_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other-name.png"
    link(user_files["photo"], other)
    before = user_files["photo"].read_bytes()
    assert main(["dream", str(user_files["photo"]), "-o", str(other), *QUICK]) == EXIT_BAD_INPUT
    assert "is the input file this command reads" in capsys.readouterr().err
    assert user_files["photo"].read_bytes() == before


def test_a_batch_never_writes_over_its_guide(user_files: dict[str, Path], tmp_path: Path, capsys) -> None:
    """The guide sits in the output folder under the name the photo's dream would take."""
    out = tmp_path / "dreams"
    out.mkdir()
    guide = out / "chelsea.png"
    guide.write_bytes(user_files["guide"].read_bytes())
    assert main(["batch", str(user_files["photo"]), "-o", str(out), "--guide", str(guide), *QUICK]) == EXIT_BAD_INPUT
    assert "is the guide file this command reads" in capsys.readouterr().err
    assert guide.read_bytes() == user_files["guide"].read_bytes()


@pytest.mark.parametrize(
    "argv",
    [
        ["dream", "{photo}"],
        ["animate", "{photo}"],
        ["video", "{clip}"],
        ["live", "{clip}"],
        ["sweep", "{photo}", "--set", "steps=1,2"],
        ["atlas", "efficientnet_lite0"],
    ],
)
def test_an_output_that_is_a_folder_gets_one_line(
    argv: list[str], user_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "a-folder.png"  # named like a file, as a typo would be
    folder.mkdir()
    assert main([*(part.format(**user_files) for part in argv), "-o", str(folder)]) == EXIT_BAD_INPUT
    said = capsys.readouterr().err
    assert said.startswith(f"error: output: {folder} is a folder; give a file name in it, such as {folder}/dream.")
    assert said.count("\n") == 1


def test_an_output_folder_that_cannot_be_written_gets_one_line(user_files: dict[str, Path], tmp_path: Path) -> None:
    """A folder without write permission (refused before dreaming; root may write in any, so not for root) and one
    no file can be made in (``/proc``, refused when written): one line each, no traceback, nothing written."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    outputs = {Path("/proc/dream.png"): "error: /proc/dream.png: "}
    if os.geteuid() != 0:
        said = f"error: output: cannot write in the folder {locked} (permission denied); choose another folder"
        outputs[locked / "dream.png"] = said
    for output, said in outputs.items():
        done = subprocess.run(
            [sys.executable, "-m", "deepdream_core", "dream", str(user_files["photo"]), "-o", str(output), *QUICK],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
        )
        lines = [line for line in done.stderr.splitlines() if not line.startswith("note:")]
        assert done.returncode in (1, EXIT_BAD_INPUT) and "Traceback" not in done.stderr, done.stderr
        assert len(lines) == 1 and lines[0].startswith(said), done.stderr
        assert not output.exists()


def test_a_camera_index_past_any_camera_gets_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for index in ("99999999999999999999", "7"):
        assert main(["live", index, "-o", str(tmp_path / "live.mp4"), "--seconds", "1"]) == EXIT_BAD_INPUT
        assert capsys.readouterr().err == (
            f"error: no camera at index {index}; plug one in, or give a clip (MP4, WebM...) instead\n"
        )


def test_a_url_is_quoted_as_given_and_told_to_download_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = "http://127.0.0.1:1/clip.mp4"
    for command, output in (("live", "live.mp4"), ("video", "video.mp4"), ("dream", "dream.png")):
        assert main([command, url, "-o", str(tmp_path / output), *QUICK]) == EXIT_BAD_INPUT
        said = capsys.readouterr().err
        assert f"{url} is a URL; only files on this computer are read. Download it first" in said, said


def test_a_clip_that_claims_a_frame_per_ten_minutes_plays_at_a_cameras_pace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = tmp_path / "slow.mp4"
    write_mp4(still_scene(3, (96, 72)), clip, Fraction(1, 600))
    out = tmp_path / "live.mp4"
    assert main(["live", str(clip), "-o", str(out), "--size", "96", "--quiet"]) == 0  # 3 s, not 20 minutes
    said = capsys.readouterr()
    assert "note: input: the clip claims 0.00167 frames/s; it is played (and written) at 1 frames/s" in said.err
    assert "(3 frames, 96x72, 1 fps)" in said.out


def test_the_frame_rate_is_frames_dreamed_over_time_spent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A one-frame clip: one dream, taking its latency, not the clip's 12 frames/s."""
    clip = tmp_path / "one.mp4"
    write_mp4(still_scene(1, (96, 72)), clip, 12)
    assert main(["live", str(clip), "-o", str(tmp_path / "live.mp4"), "--size", "96", "--quiet"]) == 0
    said = capsys.readouterr().out
    found = re.search(r"live: ([\d.]+) frames/s dreamed \(1 of 1, 0 dropped\), latency ([\d.]+) s median", said)
    assert found, said
    rate, latency = float(found[1]), float(found[2])
    assert rate == pytest.approx(1 / latency, rel=0.15, abs=0.1)
