"""Write requirements.txt from pyproject.toml: the torch pins, then the app's dependencies, one per line.

pyproject.toml is the one list of dependencies. requirements.txt is what Hugging Face Spaces installs, and it
installs that file on its own before the repository is copied in, so it cannot say ``-e .[app]``: it is made
from pyproject instead, and tests/core/test_requirements.py fails when the two disagree.

    python scripts/sync_requirements.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parents[1]
# These releases install from local disk on our machines; any other downloads gigabytes.
TORCH_PINS = ("torch==2.14.1", "torchvision==0.29.1")
HEADER = """\
# Made by scripts/sync_requirements.py from pyproject.toml (the one list of dependencies): edit that, then run it.
# Hugging Face Spaces installs this file before the code is copied in, so the dependencies are spelled out here.
# torch and torchvision are pinned: these releases install from local disk on our machines.
"""


def requirements(pyproject: Path = REPO / "pyproject.toml") -> str:
    """The text requirements.txt must hold for ``pyproject``."""
    project = tomllib.loads(pyproject.read_text())["project"]
    pinned = {pin.split("==")[0] for pin in TORCH_PINS}
    others = [
        dep
        for dep in [*project["dependencies"], *project["optional-dependencies"]["app"]]
        if re.split(r"[\s<>=!~\[;]", dep, maxsplit=1)[0] not in pinned
    ]
    return HEADER + "\n".join([*TORCH_PINS, *others]) + "\n"


if __name__ == "__main__":
    (REPO / "requirements.txt").write_text(requirements())
    sys.stdout.write("wrote requirements.txt\n")
