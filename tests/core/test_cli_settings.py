"""How the command line turns flags into settings: every setting has its flag (derived from the settings
dataclasses, so a new setting has one too), options the process decides once (CUDA graphs), and one input
object built in ``main()`` that says where a command's settings come from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from deepdream_core.cli import main
from deepdream_core.dreaming.cache import cuda_graphs_on, set_cuda_graphs

QUICK = ["--max-size", "48", "--steps", "1", "--octaves", "1", "--quiet"]


def test_cuda_graphs_are_a_flag_the_cli_hands_to_the_engine(tmp_path: Path) -> None:
    try:
        assert main(["dream", "noise", "-o", str(tmp_path / "graphs.png"), *QUICK, "--cuda-graphs"]) == 0
        assert cuda_graphs_on()
        # On the CPU there is nothing to replay: the same dream as without the flag.
        assert main(["dream", "noise", "-o", str(tmp_path / "eager.png"), *QUICK, "--seed", "0"]) == 0
        assert not cuda_graphs_on()
        main(["dream", "noise", "-o", str(tmp_path / "graphs.png"), *QUICK, "--seed", "0", "--cuda-graphs"])
        assert np.array_equal(
            np.asarray(Image.open(tmp_path / "graphs.png")), np.asarray(Image.open(tmp_path / "eager.png"))
        )
    finally:
        set_cuda_graphs(False)
