"""Limits a user meets: the same caps and the same message through the API, share links, presets and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deepdream_core import DreamSettings, SettingsError, settings_from_dict_lenient
from deepdream_core.cli import EXIT_BAD_INPUT, main
from deepdream_core.dreaming.settings import RANGES
from deepdream_core.files.presets import load_preset
from tests.support.limits import OVER


@pytest.mark.parametrize(("field", "value", "message"), OVER)
def test_api_and_share_links_give_the_same_message(field: str, value: float, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace(".", r"\.")) as direct:
        DreamSettings(**{field: value})
    assert direct.value.field == field
    with pytest.raises(SettingsError, match=message.replace(".", r"\.")):
        DreamSettings.from_dict({field: value})
    # Share links open anyway: the bad value is skipped, and the message says which and why.
    settings, ignored = settings_from_dict_lenient({field: str(value), "steps" if field != "steps" else "seed": 3})
    assert ignored == [message] and getattr(settings, field) == getattr(DreamSettings(), field)


@pytest.mark.parametrize(("field", "value", "message"), OVER)
def test_presets_give_the_same_message(field: str, value: float, message: str, tmp_path: Path) -> None:
    (tmp_path / "big.json").write_text(json.dumps({"title": "Big", "settings": {field: value}}))
    with pytest.raises(SettingsError, match=f"in preset 'big': {message}".replace(".", r"\.")):
        load_preset("big", tmp_path)


@pytest.mark.parametrize(("field", "value", "message"), OVER)
def test_cli_gives_the_same_message(
    field: str, value: float, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["dream", "noise", "-o", str(tmp_path / "o.png"), f"--{field.replace('_', '-')}", str(value)])
    assert code == EXIT_BAD_INPUT
    assert capsys.readouterr().err == f"error: {message}\n"
    assert not (tmp_path / "o.png").exists()


def test_caps_are_data_the_ui_can_read() -> None:
    assert (RANGES["steps"].high, RANGES["octaves"].high, RANGES["max_size"].high) == (100, 8, 4096)
