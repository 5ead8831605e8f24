"""The page's setting controls as the browser hands them back, for the studio's handler tests."""

from __future__ import annotations

from deepdream_core import DreamSettings
from deepdream_studio.controls import values_from_settings


def control_values(settings: DreamSettings) -> dict:
    """What the browser would send back, by control name, after the page filled its controls with ``settings``."""
    values = {}
    for name, update in values_from_settings(settings).items():
        if isinstance(update, dict):
            update = update.get("value", 0)  # gr.skip() leaves the seed box as it was
        values[name] = update
    return values
