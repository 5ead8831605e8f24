"""Fixtures the end-to-end tests share: Chromium, and Chelsea as a visitor's PNG."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.photos import skimage_photo


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Chromium for this module's pages (each test opens a context of its own)."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def cat_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Chelsea as a visitor's PNG, 128x85: each test sends it as an upload, so one file serves every test."""
    path = tmp_path_factory.mktemp("photos") / "chelsea.png"
    skimage_photo("chelsea", 128).save(path)
    return path


@pytest.fixture(scope="session")
def cat_png_64(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Chelsea at 64x43, the tiny dreams' own size: results keep its size (the motion tests assert 64x43)."""
    path = tmp_path_factory.mktemp("photos") / "chelsea-64.png"
    skimage_photo("chelsea", 64).save(path)
    return path
