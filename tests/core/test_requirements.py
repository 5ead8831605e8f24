"""requirements.txt (what Spaces installs) says exactly what pyproject.toml does, plus the torch pins."""

from __future__ import annotations

import importlib.util

from tests.support import REPO


def test_requirements_txt_is_made_from_pyproject() -> None:
    spec = importlib.util.spec_from_file_location("sync_requirements", REPO / "scripts" / "sync_requirements.py")
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)
    assert (REPO / "requirements.txt").read_text() == sync.requirements(), (
        "pyproject.toml changed: run python scripts/sync_requirements.py"
    )
    lines = [line for line in (REPO / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    assert lines[:2] == ["torch==2.14.1", "torchvision==0.29.1"] and not any(line.startswith("-") for line in lines)
