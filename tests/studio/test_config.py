"""The studio's own options, read from the environment once, at its edge, and handed to the engine."""

from __future__ import annotations

import pytest

from deepdream_core.dreaming.cache import cuda_graphs_on, set_cuda_graphs
from deepdream_studio import StudioConfig, build_demo


def test_cuda_graphs_are_the_studios_choice_read_from_its_environment() -> None:
    assert StudioConfig.from_env({}).cuda_graphs is False  # off until a GPU run has verified them
    assert StudioConfig.from_env({"DEEPDREAM_CUDA_GRAPHS": "1"}).cuda_graphs is True
    assert StudioConfig.from_env({"DEEPDREAM_CUDA_GRAPHS": "0"}).cuda_graphs is False
    with pytest.raises(SystemExit, match=r"DEEPDREAM_CUDA_GRAPHS must be 1 or 0 .*got 'maybe'"):
        StudioConfig.from_env({"DEEPDREAM_CUDA_GRAPHS": "maybe"})


def test_building_the_page_hands_the_choice_to_the_engine() -> None:
    try:
        build_demo(StudioConfig(cuda_graphs=True))
        assert cuda_graphs_on()
    finally:
        set_cuda_graphs(False)
