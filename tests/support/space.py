"""The Space's metadata: README.md's front matter, and the weights its ``preload_from_hub`` names."""

from __future__ import annotations

import re

import yaml

from tests.support import REPO


def front_matter() -> dict:
    """README.md's YAML front matter: the Space's configuration."""
    text = (REPO / "README.md").read_text()
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    assert match, "README.md must start with a YAML block between --- lines"
    return yaml.safe_load(match.group(1))


def preloads() -> list[tuple[str, list[str]]]:
    """``preload_from_hub`` entries as (repository, files); the documented form is ``repo file1,file2 [commit]``."""
    entries = []
    for entry in front_matter()["preload_from_hub"]:
        repo, files, *revision = entry.split()
        assert not revision, f"{entry!r}: a pinned commit would fetch other weights than the loader's 'main'"
        entries.append((repo, files.split(",")))
    return entries
