"""Helpers shared by the test layers, imported as ``tests.support.<module>``."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
