"""How soon the channel atlas shows its first cell: the bound the Photo tab's layer picker promises.

    python bench/atlas.py                 # CPU, 2 threads, writes bench/atlas.json
    taskset -c 0,1 python bench/atlas.py  # pin cores for figures you publish

``first_cell_s``: from calling ``channel_pictures`` (a 512x512 photo, the bundled model, warm) to the first
channel's picture, per dream layer of the bundled model; the median over repeats, with min and max, and the
slowest layer's median as ``first_cell_worst_s`` (target: about a second). ``first_cell_cold_s`` is the first
call in the process, loading the model too (the app's first use). ``all_cells_s``: all 12 cells of the default
layer. Everything goes through the public ``deepdream_core.jobs.atlas`` functions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import torch  # noqa: E402
from PIL import Image  # noqa: E402

from deepdream_core import BUNDLED_MODEL, get_spec  # noqa: E402
from deepdream_core.jobs.atlas import CHANNEL_COUNT, channel_pictures  # noqa: E402

RESULTS = REPO / "bench" / "atlas.json"
TARGET_S = 1.0


def photo() -> Image.Image:
    """A real photo (scikit-image's astronaut, 512x512), as bench/run.py uses."""
    from skimage import data

    return Image.fromarray(data.astronaut()).convert("RGB")


def first_cell(image: Image.Image, layer: str, device: str) -> float:
    started = time.perf_counter()
    cells = channel_pictures(image, BUNDLED_MODEL, layer, device=device)
    next(cells)
    seconds = time.perf_counter() - started
    cells.close()
    return seconds


def summary(samples: list[float]) -> dict[str, float]:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2, as on a free Space)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    image, spec = photo(), get_spec(BUNDLED_MODEL)
    figures: dict[str, object] = {"first_cell_cold_s": first_cell(image, spec.default_layer, args.device)}
    per_layer = {}
    for layer in (layer.path for layer in spec.layers):
        per_layer[layer] = summary([first_cell(image, layer, args.device) for _ in range(args.repeats)])
        print(f"{layer:12} first cell {per_layer[layer]['median']:.3f} s", file=sys.stderr)
    figures["first_cell_s"] = per_layer
    figures["first_cell_worst_s"] = max(figure["median"] for figure in per_layer.values())
    started = time.perf_counter()
    count = sum(1 for _ in channel_pictures(image, BUNDLED_MODEL, spec.default_layer, device=args.device))
    figures["all_cells_s"] = {"seconds": time.perf_counter() - started, "cells": count, "of": CHANNEL_COUNT}
    results = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "threads": args.threads,
            "torch": torch.__version__,
            "device": args.device,
            "load_average": os.getloadavg(),
        },
        "target_s": TARGET_S,
        "met": figures["first_cell_worst_s"] <= TARGET_S,
        "figures": figures,
    }
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
