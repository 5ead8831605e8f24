"""DeepDream Studio's benchmark: how close the dream loop runs to the network's own cost.

    python bench/run.py                     # CPU, every figure, writes bench/results.json
    python bench/run.py --quick --only overhead stream_overhead
    python bench/run.py --device cuda       # fp32 and mixed precision, 1024 px and a 4K image, the GPU fast path
    python bench/run.py --only drift noise_parameterization   # the quality figures (issue 11)
    python bench/run.py --only live         # the live mirror's fps, latency and flicker (issue 25)

Everything goes through the public code paths (DreamSettings, get_dreamer, Dreamer.dream_frames).
Timing does not depend on weight values, so nothing is downloaded: the bundled EfficientNet-Lite0
has its real weights, VGG16 is built with random ones. Shared machines are noisy, so every ratio is
measured interleaved (A, B, A, B ...) in one process and reported as the median of the pairwise
ratios; absolute times are medians after a warm-up, with the spread (min, max) beside them.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import torch  # noqa: E402
from PIL import Image  # noqa: E402

from bench.gpu_figures import BENCHES as CUDA_BENCHES  # noqa: E402
from bench.gpu_figures import CUDA_TARGETS  # noqa: E402
from bench.live import bench_live  # noqa: E402
from bench.quality import bench_drift, bench_noise_parameterization  # noqa: E402
from bench.report import machine, print_table, value  # noqa: E402
from bench.timing import Clock, bare_step, interleaved, photo, run_dream, summary  # noqa: E402
from deepdream_core import Dreamer, DreamSettings, get_dreamer  # noqa: E402
from deepdream_core.dreaming.devices import resolve_precision  # noqa: E402
from deepdream_core.dreaming.transforms import pil_to_tensor  # noqa: E402
from deepdream_core.models.zoo import get_spec  # noqa: E402

RESULTS = REPO / "bench" / "results.json"
TARGETS = {  # figure: (limit, "max" means the figure must be at most the limit)
    "overhead_ratio": 1.10,
    "first_frame_s": 1.0,
    "peak_rss_4096_mb": 3000.0,
    "stream_overhead": 1.05,
    "estimate_error": 0.30,
    "live_latency_s_256": 0.4,
    "live_flicker_still": 1.5,
}


# -- the figures ----------------------------------------------------------------------------------


def bench_overhead(ctx: dict) -> dict:
    """Time of a dream step at the 512 px octave / time of the bare forward+backward at 512 px, fp32.

    The bare pass runs while the dream's generator is paused between two steps, so every dream
    step is paired with a bare pass taken under the same machine load.
    """
    dreamer, clock = ctx["lite0"], ctx["clock"]
    settings = ctx["base"].replace(max_size=512, precision="fp32", steps=ctx["repeats"] * 12 + 1)
    image = photo((512, 512))
    bare = bare_step(dreamer, dreamer.default_layer, pil_to_tensor(image, dreamer.device), None)
    bare()
    steps, bares = [], []
    frames = dreamer.dream_frames(image, settings, preview_every=0)
    event = next(frames)
    while not event.final:
        last_octave = event.octave == event.octaves and event.step >= 2  # step 1 also resizes the octave
        if last_octave:
            bares.append(clock.time(bare))
        start = clock.now()
        event = next(frames)
        if last_octave and not event.final:
            steps.append(clock.now() - start)
    ratios = [s / b for s, b in zip(steps, bares, strict=False)]
    return {"overhead_ratio": statistics.median(ratios), "step_512_s": summary(steps), "bare_512_s": summary(bares)}


def bench_default(ctx: dict, side: int) -> dict:
    dreamer, clock = ctx["lite0"], ctx["clock"]
    settings = ctx["base"].replace(max_size=side)
    image = photo((side, side))
    run_dream(dreamer, image, settings.replace(steps=1), preview_every=0)  # warm-up: same sizes, fewer steps
    times = [
        clock.time(lambda: run_dream(dreamer, image, settings, preview_every=0))
        for _ in range(max(2, ctx["repeats"] - (side > 512)))
    ]
    return {f"default_{side}_s": summary(times)}


def bench_first_frame(ctx: dict) -> dict:
    """From the call to dream_frames to the first streamed preview, the default preset at 512 px."""
    dreamer, clock = ctx["lite0"], ctx["clock"]
    settings = ctx["base"].replace(max_size=512)
    image = photo((512, 512))

    def first_frame() -> float:
        start = clock.now()
        frames = dreamer.dream_frames(image, settings, preview_every=1)
        event = next(frames)
        assert event.image is not None
        elapsed = clock.now() - start
        frames.close()
        return elapsed

    cold = first_frame()  # the first dream at this size in this process
    return {"first_frame_s": summary([first_frame() for _ in range(ctx["repeats"] * 2)]), "first_frame_cold_s": cold}


def bench_stream(ctx: dict) -> dict:
    """Run time with a full-size preview every step / run time with none, the default preset at 512 px."""
    dreamer, clock = ctx["lite0"], ctx["clock"]
    settings = ctx["base"].replace(max_size=512)
    image = photo((512, 512))
    result = interleaved(
        clock,
        lambda: run_dream(dreamer, image, settings, preview_every=1),
        lambda: run_dream(dreamer, image, settings, preview_every=0),
        ctx["repeats"],
    )
    return {"stream_overhead": result["ratio"], "stream_every_step_s": result["a"], "stream_none_s": result["b"]}


def bench_vgg16(ctx: dict) -> dict:
    """VGG16 to relu4_3, a 600x399 photo, 4 octaves x1.8, 10 steps, jitter 32: fp32 and precision=auto."""
    dreamer, clock = ctx.get("vgg16") or ctx.setdefault("vgg16", vgg16_dreamer(ctx)), ctx["clock"]
    settings = ctx["base"].replace(model="vgg16", octaves=4, octave_scale=1.8, steps=10, jitter=32, max_size=600)
    image = photo((600, 399))
    fp32, auto = settings.replace(precision="fp32"), settings.replace(precision="auto")
    for warm in (fp32, auto):
        run_dream(dreamer, image, warm.replace(steps=1), preview_every=0)
    result = interleaved(
        clock,
        lambda: run_dream(dreamer, image, fp32, preview_every=0),
        lambda: run_dream(dreamer, image, auto, preview_every=0),
        ctx["repeats"] - 2,
        warm_up=False,
    )
    auto_dtype = resolve_precision("auto", dreamer.device, dreamer.mixed_precision)
    return {
        "vgg16_equal_work_s": {"fp32": result["a"], "auto": result["b"]},
        "vgg16_auto_precision": str(auto_dtype or torch.float32).replace("torch.", ""),
        "vgg16_auto_speedup": result["ratio"],
    }  # fp32 time / auto time


def bench_precision(ctx: dict) -> dict:
    """The data behind ModelSpec.mixed_precision: is the device's low precision faithful, and faster?

    Fidelity: cosine between one step's fp32 and low-precision gradients on the same photo, and
    the loss difference. Speed: the bare forward+backward, fp32 / low precision, interleaved.
    """
    low = torch.bfloat16 if ctx["device"] == "cpu" else resolve_precision("auto", torch.device(ctx["device"]))
    figures = {}
    for key, layer_size in (("lite0", (512, 512)), ("vgg16", (600, 399))):
        dreamer = ctx.get(key) or ctx.setdefault(key, vgg16_dreamer(ctx))
        image = pil_to_tensor(photo(layer_size), dreamer.device)
        objective = dreamer.objective(ctx["base"])
        grad32, loss32 = dreamer.gradient(image, objective, 4096, None)
        grad_low, loss_low = dreamer.gradient(image, objective, 4096, low)
        speed = interleaved(
            ctx["clock"],
            bare_step(dreamer, dreamer.default_layer, image, None),
            bare_step(dreamer, dreamer.default_layer, image, low),
            ctx["repeats"],
        )
        figures[f"precision_{dreamer.name}"] = {
            "dtype": str(low).replace("torch.", ""),
            "gradient_cosine": float(torch.cosine_similarity(grad32.flatten(), grad_low.flatten(), dim=0)),
            "loss_relative_difference": abs(loss_low - loss32) / abs(loss32),
            "speedup": speed["ratio"],
            "auto_uses_it": resolve_precision("auto", dreamer.device, dreamer.mixed_precision) is not None,
        }
    return figures


def vgg16_dreamer(ctx: dict) -> Dreamer:
    """VGG16 features with random weights: timing does not depend on them, and nothing needs downloading."""
    spec = get_spec("vgg16")
    torch.manual_seed(0)
    return Dreamer.from_spec(spec, spec.build(), ctx["device"])


def preset_dreamer(ctx: dict, model: str) -> Dreamer:
    """A preset's network: the zoo's own where it needs no download, else built with random weights (as VGG16's
    above), so every shipped preset is timed here; one per model."""
    spec = get_spec(model)
    if spec.weights.offline:
        return get_dreamer(model, ctx["device"])
    if model not in ctx.setdefault("random_dreamers", {}):
        torch.manual_seed(0)
        ctx["random_dreamers"][model] = Dreamer.from_spec(spec, spec.build(), ctx["device"])
    return ctx["random_dreamers"][model]


def bench_peak_rss(ctx: dict) -> dict:
    """Peak resident memory of a tiled 4096x4096 dream, in a fresh process so nothing else counts."""
    command = [sys.executable, __file__, "--rss-child", "--device", ctx["device"], "--threads", str(ctx["threads"])]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def rss_child(device: str) -> None:
    """Run in the subprocess: one step per octave (memory peaks do not grow with steps), default tiles."""
    dreamer = get_dreamer("efficientnet_lite0", device)
    loaded_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    image = photo((4096, 4096))
    settings = DreamSettings(max_size=4096, steps=1, device=device)
    start = time.perf_counter()
    run_dream(dreamer, image, settings, preview_every=0)
    figures = {
        "peak_rss_4096_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_after_model_load_mb": loaded_mb,
        "dream_4096_one_step_per_octave_s": time.perf_counter() - start,
    }
    if dreamer.device.type == "cuda":
        figures["peak_cuda_4096_mb"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(figures))


def bench_cuda_sizes(ctx: dict) -> dict:
    """On a GPU: the default settings at 1024 px and on a 4K image, fp32 and mixed precision, and peak GPU memory."""
    dreamer, clock, figures = ctx["lite0"], ctx["clock"], {}
    for name, size in (("1024", (1024, 1024)), ("4k", (3840, 2160))):
        image = photo(size)
        settings = ctx["base"].replace(max_size=max(size))
        fp32, mixed = settings.replace(precision="fp32"), settings.replace(precision="auto")
        torch.cuda.reset_peak_memory_stats()
        result = interleaved(
            clock,
            lambda image=image, fp32=fp32: run_dream(dreamer, image, fp32, preview_every=0),
            lambda image=image, mixed=mixed: run_dream(dreamer, image, mixed, preview_every=0),
            ctx["repeats"],
        )
        figures[f"cuda_default_{name}_s"] = {"fp32": result["a"], "auto": result["b"]}
        figures[f"cuda_peak_{name}_mb"] = torch.cuda.max_memory_allocated() / 2**20  # the larger of the two
    return figures


class _Finishes:
    """A batch progress listener that notes when each image was finished."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def start(self, total: int, skipped: int) -> None:
        pass

    def finished(self, outcome: object) -> None:
        self.times.append(time.perf_counter())

    def note(self, text: str) -> None:
        pass


def bench_batch(ctx: dict) -> dict:
    """Images per minute of `batch`: this process (model loaded) vs a two-worker local Ray cluster (`--ray local`).

    The default look at 128 px on 8 photos. Ray's rate is taken between its first and last finished image, so it
    leaves out the cluster's start (reported apart); on 2 cores two 1-thread workers cannot beat one 2-thread
    process, so local/ray is Ray's overhead.
    """
    import tempfile

    from deepdream_core.jobs.batch import BatchJob, collect, run_local

    try:
        from deepdream_core.jobs.cluster import run_batch
    except ImportError:
        print("batch: Ray is not installed (pip install 'deepdream-studio[ray]'); skipped", file=sys.stderr)
        return {}
    count, side = 8, 128
    job = BatchJob(ctx["base"].replace(max_size=side))
    local, cluster = _Finishes(), _Finishes()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as name:
        folder = Path(name)
        for index in range(count):
            photo((side + 8 * index, side)).rotate(90 * (index % 4)).save(folder / f"{index}.png")
        start = time.perf_counter()
        run_local(collect([str(folder)], folder / "local"), job, local)
        local_rate = count / (local.times[-1] - start) * 60
        start = time.perf_counter()
        run_batch(collect([str(folder)], folder / "ray"), job, "local", cluster)
    ray_rate = (count - 1) / (cluster.times[-1] - cluster.times[0]) * 60
    return {
        "batch_images_per_min_local": local_rate,
        "batch_images_per_min_ray2": ray_rate,
        "batch_ray_overhead": local_rate / ray_rate,
        "batch_ray_start_s": cluster.times[0] - start,
    }


def bench_estimate_error(ctx: dict) -> dict:
    """|estimate / real time - 1| for every shipped preset at 256, 512 and 1024 px (--quick: 256 and 512).

    Three estimators, each with a table of its own, see the same runs: the app's (built-in costs, then
    refined by every finished run: ``estimate_error``), the same never refined (``_first_use``: what a
    user sees before a first dream), and one timed on this device on first use, never refined, as the
    Python API's is when given the dreamer (``_calibrated``).
    """
    from deepdream_core.files.presets import all_presets
    from deepdream_core.jobs.costs import CostTable
    from deepdream_core.jobs.estimate import estimate_dream

    tables = {"": CostTable(), "_first_use": CostTable(), "_calibrated": CostTable()}
    errors: dict[str, dict[str, float]] = {f"estimate_errors{suffix}": {} for suffix in tables}
    for side in (256, 512) if ctx["quick"] else (256, 512, 1024):
        for preset in all_presets():
            image = None if preset.start == "noise" else photo((side, side))  # as the app dreams it
            settings = preset.settings.replace(max_size=side, device=ctx["device"])
            dreamer = preset_dreamer(ctx, settings.model)
            guide = Image.open(preset.guide) if preset.guide else None
            size = image.size if image is not None else None
            estimates = {
                suffix: estimate_dream(
                    settings, size, dreamer=dreamer if suffix == "_calibrated" else None, costs=costs
                )
                for suffix, costs in tables.items()
            }
            run = functools.partial(run_dream, dreamer, image, settings, guide=guide, preview_every=0)
            # The real time: a median of three runs below a few seconds, where one run's own noise on a
            # shared CPU is a tenth of it and more (each estimate is still made before the first).
            real = statistics.median(ctx["clock"].time(run) for _ in range(3 if side <= 512 else 1))
            app = estimates[""]
            tables[""].record_run(app.model, app.device, app.megapixel_steps, real)
            for suffix, estimate in estimates.items():
                errors[f"estimate_errors{suffix}"][f"{preset.name}_{side}"] = estimate.seconds / real - 1
    figures = {}
    for suffix in tables:
        runs = errors[f"estimate_errors{suffix}"]
        figures[f"estimate_error{suffix}"] = max(abs(error) for error in runs.values())
        figures[f"estimate_error{suffix}_median"] = statistics.median(abs(error) for error in runs.values())
        for side in sorted({int(key.rsplit("_", 1)[1]) for key in runs}):
            figures[f"estimate_error{suffix}_{side}"] = max(abs(e) for k, e in runs.items() if k.endswith(f"_{side}"))
    return {**figures, **errors}  # each run's error is signed: above 0 the estimate was too long


BENCHES: dict[str, Callable[[dict], dict]] = {
    "overhead": bench_overhead,
    "default_512": lambda ctx: bench_default(ctx, 512),
    "default_1024": lambda ctx: bench_default(ctx, 1024),
    "first_frame": bench_first_frame,
    "stream_overhead": bench_stream,
    "vgg16": bench_vgg16,
    "precision": bench_precision,
    "peak_rss_4096": bench_peak_rss,
    "cuda_sizes": bench_cuda_sizes,
    "batch": bench_batch,
    "estimate_error": bench_estimate_error,
    "drift": bench_drift,
    "noise_parameterization": bench_noise_parameterization,
    "live": bench_live,
    **CUDA_BENCHES,  # GPU only: bench/gpu_figures.py
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2, as on a free Space)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats: a rough figure in a few minutes")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHES), help="run only these benchmarks")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    parser.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.rss_child:
        rss_child(args.device)
        return

    device = torch.device(args.device)
    base = DreamSettings(device=args.device)
    ctx = {
        "device": args.device,
        "threads": args.threads,
        "clock": Clock(device),
        "base": base,
        "quick": args.quick,
        "repeats": 3 if args.quick else 5,
        "lite0": get_dreamer(base.model, args.device),
    }
    names = args.only or [name for name in BENCHES if not name.startswith("cuda") or device.type == "cuda"]
    results = {"machine": machine(device, args.threads), "quick": args.quick, "figures": {}}
    for name in names:
        start = time.perf_counter()
        results["figures"].update(BENCHES[name](ctx))
        print(f"{name}: done in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    targets = {**TARGETS, **CUDA_TARGETS}
    results["targets"] = {
        name: {"limit": limit, "met": value(results["figures"][name]) <= limit}
        for name, limit in targets.items()
        if name in results["figures"]
    }
    print_table(results, targets)
    if args.out.exists() and args.only:  # a partial run updates the figures it took and keeps the rest
        previous = json.loads(args.out.read_text())
        previous["figures"].update(results["figures"])
        previous["targets"].update(results["targets"])
        previous["machine"] = results["machine"]
        results = previous
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
