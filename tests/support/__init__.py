"""Helpers shared by the test layers, imported as ``tests.support.<module>``."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# What deepdream_core.jobs.estimate.about says: "under a second", "about 6 s", "about 3 min".
ABOUT = r"(under a second|about \d+ (s|min))"


def said_seconds(text: str) -> float:
    """The seconds in a text that says a duration as ``about`` does (under a second counts as 0.5)."""
    found = re.search(ABOUT, text.lower())
    assert found, f"no duration in {text!r}"
    if found[0] == "under a second":
        return 0.5
    number = int(found[0].split()[1])
    return number * 60 if found[0].endswith("min") else number


def finished_pngs(folder: Path) -> list[Path]:
    """Outputs under their final names: pathlib's ``*`` also matches the hidden ``.NAME.partial-*.png`` written."""
    return [path for path in folder.glob("*.png") if not path.name.startswith(".")]
