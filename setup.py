"""Only what pyproject.toml cannot say: the packages the wheel holds.

``presets/`` and ``samples/`` stay at the top of the checkout, where people edit them and the docs point;
the wheel carries them as ``deepdream_core/_presets`` and ``deepdream_core/_samples``, so an installed CLI,
Python API and app find them from any folder (``deepdream_core.files.presets.PRESETS_DIR`` and ``SAMPLES_DIR``).
pyproject's ``packages.find`` names a package after its folder, so it cannot put a folder under another
name: the list is made here, the code packages found plus the two data folders mapped onto their names.
"""

from setuptools import find_packages, setup

DATA_PACKAGES = {"deepdream_core._presets": "presets", "deepdream_core._samples": "samples"}

setup(
    packages=find_packages(include=["deepdream_core*", "deepdream_studio*"]) + list(DATA_PACKAGES),
    package_dir=DATA_PACKAGES,
    # The READMEs go along: the presets' file format, and the sample photos' credits and licenses.
    package_data={
        "deepdream_core._presets": ["*.json", "*.jpg", "guides/*", "atlas/*/*.jpg", "README.md"],
        "deepdream_core._samples": ["*.jpg", "README.md"],
    },
)
