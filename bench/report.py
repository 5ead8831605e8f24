"""The benchmark's report: the machine it ran on, and the figures as a table against their targets."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import torch


def machine(device: torch.device, threads: int) -> dict:
    cpu = platform.processor() or platform.machine()
    flags = ""
    try:
        info = Path("/proc/cpuinfo").read_text()
        cpu = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), cpu)
        flags = next((line for line in info.splitlines() if line.startswith("flags")), "")
    except OSError:
        pass
    description = {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "bf16_instructions": [f for f in ("avx512_bf16", "amx_bf16") if f in flags.split()],
        "torch": torch.__version__,
        "device": str(device),
        "threads": threads,
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
    }
    if device.type == "cuda":
        description["gpu"] = torch.cuda.get_device_name(device)
    return description


def value(figure: object) -> float | None:
    if isinstance(figure, dict):
        return figure.get("median")
    return figure if isinstance(figure, (int, float)) else None


def table_rows(name: str, figure: object) -> list[tuple[str, object]]:
    """A figure as table rows: variants (fp32 / auto, locked / free, per layer) each on its own row."""
    if isinstance(figure, dict) and "median" not in figure:
        return [row for variant, inner in figure.items() for row in table_rows(f"{name} [{variant}]", inner)]
    return [(name, figure)]


def print_table(results: dict, targets: dict[str, float]) -> None:
    rows = [row for name, figure in results["figures"].items() for row in table_rows(name, figure)]
    print(f"\n{'figure':38} {'median':>10} {'min':>10} {'max':>10}  target")
    for name, figure in rows:
        target = targets.get(name)
        verdict = (
            ""
            if target is None or value(figure) is None
            else f"<= {target:g} {'met' if value(figure) <= target else 'NOT met'}"
        )
        if isinstance(figure, dict):
            print(f"{name:38} {figure['median']:10.3f} {figure['min']:10.3f} {figure['max']:10.3f}  {verdict}")
        elif isinstance(figure, (int, float)):
            print(f"{name:38} {figure:10.3f} {'':>10} {'':>10}  {verdict}")
        else:
            print(f"{name:38} {figure!s:>10}")
