"""The GPU fast path's figures (issue 24), for ``bench/run.py --device cuda``; and the networks' memory figures.

    python bench/run.py --device cuda --only cuda_floor cuda_steps cuda_vgg16_sizes cuda_default cuda_memory
    python bench/gpu_figures.py        # on the CPU: each zoo network's ModelSpec.pass_bytes_per_pixel, as counted there

Every dream goes through ``Dreamer.dream_frames``; "eager" is the default path, "graphs" the same dream with
the dreamer's ``cuda_graphs`` on (what ``DEEPDREAM_CUDA_GRAPHS=1`` or ``--cuda-graphs`` turn on). The floor
is one bare forward+backward of the network truncated at the dream layer (``bench.timing.bare_step``), NHWC,
replayed as a CUDA graph: what no step can beat.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import Clock, bare_step, photo, run_dream, summary
from deepdream_core import Dreamer, DreamSettings, get_spec
from deepdream_core.dreaming.objectives import LOGITS, class_logit, layer
from deepdream_core.dreaming.tiles import PASS_MEMORY_MARGIN
from deepdream_core.dreaming.transforms import pil_to_tensor
from deepdream_core.models.zoo import ZOO

# Issue 24's targets, on one H100 or H200: 2x the classic PyTorch port, and steps close to the graphed floor.
CUDA_TARGETS = {
    "cuda_vgg16_600_graphs_s": 0.060,
    "cuda_vgg16_1024_graphs_s": 0.095,
    "cuda_vgg16_2048_graphs_s": 0.28,
    "cuda_default_1024_graphs_s": 0.15,
    "cuda_default_4k_graphs_s": 1.5,
    "cuda_step_over_floor_512": 1.15,
    "cuda_step_over_floor_1024": 1.15,
    "cuda_graphs_vs_eager_grey_levels": 1.0,
}
VGG16_EQUAL_WORK = {"octaves": 4, "octave_scale": 1.8, "steps": 10, "jitter": 32}


@contextmanager
def cuda_graphs(dreamer: Dreamer, on: bool) -> Iterator[None]:
    """``dreamer``'s dreams inside replay their passes as CUDA graphs (on) or run eagerly, as the app would."""
    before = dreamer.cuda_graphs
    dreamer.cuda_graphs = on
    try:
        yield
    finally:
        dreamer.cuda_graphs = before


def graphed(step: Callable[[], None]) -> Callable[[], None]:
    """``step`` (fixed shapes, no host sync) captured as a CUDA graph, after warm-up on a side stream."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    return graph.replay


def per_call(clock: Clock, fn: Callable[[], object], calls: int, repeats: int) -> dict[str, float]:
    """Seconds per call of ``fn``, timed over ``calls`` calls in a row (one device sync each way), ``repeats`` times."""
    fn()
    return summary([clock.time(lambda: [fn() for _ in range(calls)]) / calls for _ in range(repeats)])


def floor(ctx: dict, dreamer: Dreamer, layer_name: str, size: tuple[int, int], dtype: torch.dtype | None) -> dict:
    image = pil_to_tensor(photo(size), dreamer.device)
    replay = graphed(bare_step(dreamer, layer_name, image, dtype, cache=False))
    return per_call(ctx["clock"], replay, 20, ctx["repeats"])


def bench_cuda_floor(ctx: dict) -> dict:
    """The bare pass as a graph, NHWC, fp32 and bf16: VGG16 to relu4_3 at 600x399 and 2048x1362, Lite0 to blocks.4."""
    figures = {}
    for key, sizes in (("vgg16", ((600, 399), (2048, 1362))), ("lite0", ((512, 512), (1024, 1024)))):
        dreamer = ctx.get(key) or ctx.setdefault(key, _vgg16(ctx))
        for size in sizes:
            for name, dtype in (("fp32", None), ("bf16", torch.bfloat16)):
                figures[f"cuda_floor_{dreamer.name}_{size[0]}_{name}_s"] = floor(
                    ctx, dreamer, dreamer.default_layer or "", size, dtype
                )
    return figures


def bench_cuda_steps(ctx: dict) -> dict:
    """A dream step of the default settings (Lite0, fp32) at 512 and 1024 px, graphs on, over the graphed floor.

    The step is the time of 40 steps less that of 10, over 30, in one octave: what a dream adds per step.
    """
    dreamer, clock, figures = ctx["lite0"], ctx["clock"], {}
    for side in (512, 1024):
        image = photo((side, side))
        settings = ctx["base"].replace(max_size=side, octaves=1, precision="fp32")

        def run(steps: int) -> float:
            return clock.time(lambda: run_dream(dreamer, image, settings.replace(steps=steps), preview_every=0))  # noqa: B023

        with cuda_graphs(dreamer, True):
            run(3)  # the capture
            steps = [(run(40) - run(10)) / 30 for _ in range(ctx["repeats"])]
        bare = floor(ctx, dreamer, dreamer.default_layer or "", (side, side), None)
        figures[f"cuda_step_graphs_{side}_s"] = summary(steps)
        figures[f"cuda_floor_graph_{side}_s"] = bare
        figures[f"cuda_step_over_floor_{side}"] = statistics.median(steps) / bare["median"]
    return figures


def _dreams(ctx: dict, dreamer: Dreamer, image, settings: DreamSettings, name: str) -> dict:
    """One dream timed eager and with graphs (each warmed up), and how far apart their pictures are."""
    figures, pictures = {}, {}
    for mode in ("eager", "graphs"):
        with cuda_graphs(dreamer, mode == "graphs"):
            run_dream(dreamer, image, settings, preview_every=0)  # warm-up and capture
            figures[f"{name}_{mode}_s"] = summary(
                [ctx["clock"].time(lambda: run_dream(dreamer, image, settings, preview_every=0)) for _ in range(3)]
            )
            pictures[mode] = np.asarray(dreamer.dream(image, settings), dtype=np.float32)
    figures[f"{name}_graphs_vs_eager_grey_levels"] = float(np.abs(pictures["graphs"] - pictures["eager"]).mean())
    return figures


def bench_cuda_vgg16_sizes(ctx: dict) -> dict:
    """VGG16's equal-work dream (relu4_3, 4 octaves x1.8, 10 steps, jitter 32), precision auto, 600/1024/2048 px."""
    dreamer = ctx.get("vgg16") or ctx.setdefault("vgg16", _vgg16(ctx))
    figures = {}
    for width, height in ((600, 399), (1024, 681), (2048, 1362)):
        settings = ctx["base"].replace(model="vgg16", max_size=width, **VGG16_EQUAL_WORK)
        figures.update(_dreams(ctx, dreamer, photo((width, height)), settings, f"cuda_vgg16_{width}"))
    return figures


def bench_cuda_default(ctx: dict) -> dict:
    """DreamSettings() (tile_size auto) on a 1024x1024 and a 3840x2160 photo, eager and graphs; pictures in fp32."""
    figures = {}
    for name, size in (("1024", (1024, 1024)), ("4k", (3840, 2160))):
        settings = ctx["base"].replace(max_size=max(size))
        figures.update(_dreams(ctx, ctx["lite0"], photo(size), settings, f"cuda_default_{name}"))
        figures[f"cuda_default_{name}_tile"] = ctx["lite0"].tile_size(settings)
    fp32 = ctx["base"].replace(max_size=512, precision="fp32")
    fp32_figures = _dreams(ctx, ctx["lite0"], photo((512, 512)), fp32, "cuda_fp32_512")
    figures["cuda_graphs_vs_eager_grey_levels"] = fp32_figures["cuda_fp32_512_graphs_vs_eager_grey_levels"]
    return figures


def bench_cuda_memory(ctx: dict) -> dict:
    """Peak GPU memory of one fp32 pass per input pixel (1024 px, to the deepest layer) against the figure that
    sizes tile_size "auto" (ModelSpec.pass_bytes_per_pixel times tiles.PASS_MEMORY_MARGIN)."""
    figures = {}
    for key in ("lite0", "vgg16"):
        dreamer = ctx.get(key) or ctx.setdefault(key, _vgg16(ctx))
        spec = get_spec(dreamer.name)
        objective = class_logit(0) if spec.class_names else layer(spec.layers[-1].path)
        image = pil_to_tensor(photo((1024, 1024)), dreamer.device)
        dreamer.gradient(image, objective, 2048)  # warm-up: cuDNN's workspaces and algorithms
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        dreamer.gradient(image, objective, 2048)
        measured = (torch.cuda.max_memory_allocated() - before) / image[0, 0].numel()
        figures[f"cuda_pass_bytes_per_pixel_{dreamer.name}"] = {
            "measured": measured,
            "planned": spec.pass_bytes_per_pixel * PASS_MEMORY_MARGIN,
            "auto_tile": dreamer.tile_size(ctx["base"]),
        }
    return figures


def _vgg16(ctx: dict) -> Dreamer:
    spec = get_spec("vgg16")
    torch.manual_seed(0)
    return Dreamer.from_spec(spec, spec.build(), ctx["device"])


BENCHES = {
    "cuda_floor": bench_cuda_floor,
    "cuda_steps": bench_cuda_steps,
    "cuda_vgg16_sizes": bench_cuda_vgg16_sizes,
    "cuda_default": bench_cuda_default,
    "cuda_memory": bench_cuda_memory,
}


# -- the memory figures, counted on the CPU -------------------------------------------------------------


def saved_bytes_per_pixel(dreamer: Dreamer, layer_name: str, side: int) -> float:
    """Bytes of the tensors autograd saves in one fp32 pass to ``layer_name`` (or LOGITS) on a side x side input,
    per pixel; each storage counted once."""
    objective = class_logit(0) if layer_name == LOGITS else layer(layer_name)
    storages: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    image = torch.rand(1, 3, side, side, device=dreamer.device, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        loss = objective(dreamer.activations(image, objective.layers))
    torch.autograd.grad(loss, image)
    return sum(storages.values()) / side**2


def pass_bytes_per_pixel(dreamer: Dreamer, deepest: str) -> float:
    """The slope of :func:`saved_bytes_per_pixel` from 256 to 512 px, so the weights (saved too) do not count."""
    small, large = (saved_bytes_per_pixel(dreamer, deepest, side) * side**2 for side in (256, 512))
    return (large - small) / (512**2 - 256**2)


def main() -> None:
    torch.set_num_threads(2)
    for name, spec in ZOO.items():
        torch.manual_seed(0)
        dreamer = Dreamer.from_spec(spec, spec.build(), "cpu")  # random weights: memory does not depend on them
        deepest = LOGITS if spec.class_names else spec.layers[-1].path
        counted = pass_bytes_per_pixel(dreamer, deepest)
        print(f"{name}: {counted:.0f} bytes per pixel (ModelSpec: {spec.pass_bytes_per_pixel})")


if __name__ == "__main__":
    main()
