"""The built wheel works away from the source tree: it holds the presets and samples, and its CLI dreams a preset.

The wheel is built from a copy of the tree (so no ``build/`` or ``*.egg-info`` is left in the checkout, and no
stale file from an earlier build can slip in), installed with ``pip --target`` into a folder of its own, and run
from another temporary folder with only that folder added to the path; its dependencies come from this
environment. ``--no-build-isolation`` builds with the setuptools installed here, so no network is needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from tests.support import REPO
from tests.support.photos import skimage_photo

# Where setup.py puts the top-level data folders inside the package.
SHIPPED = {"presets": "deepdream_core/_presets", "samples": "deepdream_core/_samples"}
NOT_SHIPPED = (".git", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache", "tests", "bench")
# The command, small and short.
DREAM_EYES = ["-m", "deepdream_core", "dream", "photo.jpg", "--preset", "eyes", "-o", "out.png"]
QUICK = ["--max-size", "64", "--steps", "1", "--octaves", "1"]
SHOW_FOLDERS = (
    "from deepdream_core.files import presets as p; print(p.__file__, p.PRESETS_DIR, p.SAMPLES_DIR, sep='\\n')"
)


def pip(*args: str) -> None:
    run = subprocess.run([sys.executable, "-m", "pip", "-q", *args], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(REPO, source, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
    out = tmp_path_factory.mktemp("wheels")
    pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(source))
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    pip("install", "--no-deps", "--target", str(target), str(wheel))
    return target


def away_from_the_tree(installed: Path, folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` in ``folder`` with only the installed wheel on the path (and no presets override)."""
    env = {k: v for k, v in os.environ.items() if k != "DEEPDREAM_PRESETS"}
    env["PYTHONPATH"] = str(installed)
    return subprocess.run([sys.executable, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=600)


def test_wheel_holds_the_presets_samples_and_both_commands(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = archive.read(entry_points).decode()
    for folder, packaged in SHIPPED.items():
        data = [p for p in (REPO / folder).rglob("*") if p.suffix in {".json", ".jpg"}]
        files = [p.relative_to(REPO / folder).as_posix() for p in data]
        assert files
        missing = sorted(f for f in files if f"{packaged}/{f}" not in names)
        assert not missing, f"not in the wheel: {folder}/{missing}"
    for shipped in ("_presets/eyes.json", "_presets/eyes.jpg", "_presets/guides/galaxies.jpg", "_samples/chelsea.jpg"):
        assert f"deepdream_core/{shipped}" in names
    assert "deepdream = deepdream_core.cli:main" in scripts
    assert "deepdream-studio = deepdream_studio:main" in scripts


def test_installed_package_finds_its_presets_and_samples(installed: Path, tmp_path: Path) -> None:
    run = away_from_the_tree(installed, tmp_path, "-c", SHOW_FOLDERS)
    assert run.returncode == 0, run.stderr
    module, presets, samples = (Path(line) for line in run.stdout.splitlines())
    assert module.is_relative_to(installed), f"imported {module}, not the installed wheel"
    assert presets == installed / SHIPPED["presets"] and (presets / "eyes.json").is_file()
    assert samples == installed / SHIPPED["samples"] and (samples / "chelsea.jpg").is_file()


def test_installed_cli_dreams_a_preset_away_from_the_source_tree(installed: Path, tmp_path: Path) -> None:
    skimage_photo("chelsea", 160).save(tmp_path / "photo.jpg")
    run = away_from_the_tree(installed, tmp_path, *DREAM_EYES, *QUICK)
    assert run.returncode == 0, run.stderr
    with Image.open(tmp_path / "out.png") as out:
        assert out.format == "PNG" and max(out.size) == 64, (out.format, out.size)


STUDIO_PAGE = """
import deepdream_studio
page = deepdream_studio.build_demo().config
props = {c["props"].get("elem_id"): c["props"] for c in page["components"] if c.get("props", {}).get("elem_id")}
print(deepdream_studio.__file__)
print(len(props["preset-gallery"]["value"]))
"""


def test_installed_studio_builds_its_page_with_the_presets_gallery(installed: Path, tmp_path: Path) -> None:
    """What the deepdream-studio command serves, built from the wheel in a folder with no presets of its own."""
    run = away_from_the_tree(installed, tmp_path, "-c", STUDIO_PAGE)
    assert run.returncode == 0, run.stderr
    module, thumbnails = run.stdout.split()[-2:]
    assert Path(module).is_relative_to(installed)
    assert int(thumbnails) == len(list((REPO / "presets").glob("*.json")))
