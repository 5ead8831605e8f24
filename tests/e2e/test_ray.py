"""Batch dreams and video segments on a real Ray cluster: two workers on 127.0.0.1, started here and stopped after.

Every command runs as a user runs it (``python -m deepdream_core ... --ray ADDRESS``) in a subprocess with
a time limit; tiny images and one octave keep it light on a 2-core machine.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest
from PIL import Image

pytest.importorskip("ray")

from deepdream_core.files.records import read_record
from deepdream_core.motion.segments import SegmentSettings
from tests.support import REPO, finished_pngs
from tests.support.clips import boundary_ratio, make_clip
from tests.support.photos import skimage_photo
from tests.support.ray_cluster import LOOPBACK, RayCluster, running_cluster

PHOTOS = ("chelsea", "coffee", "astronaut", "rocket", "camera", "cat")
TINY = ["--max-size", "48", "--octaves", "1", "--steps", "1", "--quiet"]
RUN_TIMEOUT_S = 420  # cold workers import torch and load the model: up to a minute each on a busy machine


@pytest.fixture(scope="module")
def cluster() -> RayCluster:
    with running_cluster(cpus=2) as started:
        yield started


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six real photos and one broken file with an image's name."""
    folder = tmp_path_factory.mktemp("album")
    for name in PHOTOS:
        skimage_photo(name, 96).convert("RGB").save(folder / f"{name}.jpg", quality=90)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n then nothing useful")
    return folder


def deepdream(cluster_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deepdream_core", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        env={**cluster_env, "OMP_NUM_THREADS": "1"},
    )


def test_a_folder_through_ray_reports_the_broken_file_and_a_rerun_dreams_nothing(
    cluster: RayCluster, photos: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run = deepdream(cluster.env, "batch", str(photos), "-o", str(out), "--ray", cluster.address, *TINY)
    assert run.returncode == 4, run.stderr
    assert run.stdout == f"6 dreamed, 1 failed (of 7) -> {out}\n"
    assert f"failed: {photos / 'broken.png'}: this is not an image format we read" in run.stderr
    assert sorted(path.name for path in out.iterdir()) == sorted(f"{name}.png" for name in PHOTOS)
    for name in PHOTOS:
        record = read_record(out / f"{name}.png")
        assert (record["settings"]["max_size"], record["settings"]["steps"]) == (48, 1)
    stamps = {path: path.stat().st_mtime_ns for path in out.iterdir()}

    again = deepdream(cluster.env, "batch", str(photos), "-o", str(out), "--ray", cluster.address, *TINY)
    assert again.returncode == 4, again.stderr
    assert again.stdout == f"0 dreamed, 1 failed, 6 already done (of 7) -> {out}\n"
    assert {path: path.stat().st_mtime_ns for path in out.iterdir()} == stamps


def test_a_worker_killed_mid_image_is_replaced_and_the_run_completes(
    cluster: RayCluster, photos: Path, tmp_path: Path
) -> None:
    good = tmp_path / "good"
    good.mkdir()
    for name in PHOTOS:  # dreams of a few seconds each, so the worker is surely killed in the middle of one
        skimage_photo(name, 160).convert("RGB").save(good / f"{name}.jpg", quality=90)
    out = tmp_path / "out"
    args = [
        sys.executable,
        "-m",
        "deepdream_core",
        "batch",
        str(good),
        "-o",
        str(out),
        "--ray",
        cluster.address,
        "--max-size",
        "160",
        "--octaves",
        "2",
        "--steps",
        "20",
        "--quiet",
    ]
    run = subprocess.Popen(
        args,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**cluster.env, "OMP_NUM_THREADS": "1"},
    )
    try:
        deadline, victims = time.monotonic() + RUN_TIMEOUT_S, []
        while not victims and run.poll() is None and time.monotonic() < deadline:
            victims = cluster.processes("ray::DreamWorker.dream_image")
            time.sleep(0.02)
        assert victims, "no worker was seen dreaming an image"
        os.kill(victims[0], signal.SIGKILL)
        stdout, stderr = run.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        run.kill()
    assert run.returncode == 0, stderr
    # Ray itself prints its raylet's notice of the death on stdout, before our summary.
    assert stdout.splitlines()[-1] == f"6 dreamed, 0 failed (of 6) -> {out}"
    assert "a worker died while dreaming" in stderr and "it is dreamed again" in stderr
    for path in out.iterdir():
        with Image.open(path) as image:
            image.verify()


def test_ctrl_c_cancels_the_clusters_work(cluster: RayCluster, tmp_path: Path) -> None:
    many = tmp_path / "many"
    many.mkdir()
    for index in range(16):
        skimage_photo(PHOTOS[index % 6], 160).convert("RGB").rotate(90 * (index // 6)).save(many / f"{index}.png")
    out = tmp_path / "out"
    args = [
        sys.executable,
        "-m",
        "tests.support.foreground",  # Ctrl-C acts even when the suite was started in the background
        "deepdream_core",
        "batch",
        str(many),
        "-o",
        str(out),
        "--ray",
        cluster.address,
        "--max-size",
        "160",
        "--octaves",
        "2",
        "--steps",
        "10",
        "--quiet",
    ]
    run = subprocess.Popen(
        args,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**cluster.env, "OMP_NUM_THREADS": "1"},
    )
    try:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while not finished_pngs(out) and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=120)
    finally:
        run.kill()
    assert run.returncode == 130, stderr
    assert "stopped: " in stderr
    # The workers were killed with the run, so the cluster's slots are free again.
    deadline = time.monotonic() + 60
    while cluster.processes("ray::DreamWorker") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert cluster.processes("ray::DreamWorker") == []
    done = list(out.glob("*.png"))
    assert 1 <= len(done) < 16 and not [path for path in out.iterdir() if not path.name.endswith(".png")]


def test_a_two_segment_video_on_ray_has_a_smooth_cut(cluster: RayCluster, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "pan16.mp4", frames=16)
    output = tmp_path / "dream.mp4"
    run = deepdream(
        cluster.env,
        "video",
        str(clip),
        "-o",
        str(output),
        "--segments",
        "2",
        "--overlap",
        "4",
        "--ray",
        cluster.address,
        "--max-size",
        "64",
        "--octaves",
        "1",
        "--steps",
        "6",
        "--step-size",
        "4",
        "--quiet",
    )
    assert run.returncode == 0, run.stderr
    with av.open(str(output)) as result:
        frames = [frame.to_image() for frame in result.decode(video=0)]
        assert len(result.streams.audio) == 1
    assert len(frames) == 16
    ratio = boundary_ratio(frames, SegmentSettings(2, 4).split(16))
    print(f"boundary change / median inside: {ratio:.2f}")
    assert ratio <= 1.5


def test_ray_local_starts_and_stops_its_own_cluster(photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, **LOOPBACK, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    run = deepdream(
        env, "batch", str(photos / "coffee.jpg"), str(photos / "cat.jpg"), "-o", str(out), "--ray", "local", *TINY
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"2 dreamed, 0 failed (of 2) -> {out}\n"
