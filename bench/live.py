"""Live figures (issues 25, 30): how fast the live mirror runs, how long a frame takes, how much it flickers and
how visibly it dreams.

Targets (issue 30): at default settings, >= 5 frames/s dreamed at 256 px on two CPU cores (``live_fps_256``),
>= 8 grey levels between the dream and the camera on a still scene and a pan (``live_change_still`` /
``_pan``), also at the cheapest budget a busy machine falls to (``..._1x1``), and the still scene's flicker
<= 1.5 (``live_flicker_still``). The change figures do not depend on the machine at a fixed budget
(tests/core/test_live.py asserts them); the frame rate does: measure it on a quiet machine.

A camera is played from a generated scene (bench/scenes.py: a photo with sensor noise, still or
panning 3 px a frame) at 30 frames/s through :func:`deepdream_core.motion.live.play`, exactly as the ``live``
CLI plays a clip: frames the session cannot keep up with are dropped. The default live look, the adaptive budget.
"""

from __future__ import annotations

import statistics

import torch
from PIL import Image

from bench.scenes import dream_change, mean_change, panning_scene, still_scene
from deepdream_core import LiveSession, LiveSettings
from deepdream_core.dreaming.transforms import pil_to_tensor
from deepdream_core.files.presets import load_preset
from deepdream_core.motion.live import BUDGETS, LIVE_LOOK, play

CAMERA_FPS = 30


def bench_live(ctx: dict) -> dict:
    """``live_fps_<size>`` (frames dreamed per second of camera time) and ``live_latency_s_<size>`` (median, from a
    frame's arrival to its dream) on a panning camera: 256 and 384 px on the CPU, 512 px on CUDA. Then on the
    first size, every frame dreamed: ``live_flicker_still`` / ``_pan``, the output's mean frame-to-frame change
    over the camera's (frames 10 to 40, once the dream has settled), ``live_change_still`` / ``_pan``, the mean
    grey levels between each dream and its camera frame (frames 10 to 40), and ``live_strength_gain_30``, the
    mean squared activation at the dreamed layer after 30 frames of a still scene over the camera frame's, beside
    ``live_one_shot_gain``, one dream of that frame at the budget the session had reached. Then
    ``live_change_still_1x1`` / ``_pan_1x1``: the same change at the cheapest budget (1 octave x 1 step).
    """
    look = load_preset(LIVE_LOOK).settings.replace(device=ctx["device"])
    sizes = (512,) if ctx["device"] == "cuda" else (256, 384)
    seconds = 4 if ctx["quick"] else 10
    figures: dict = {}
    for size in sizes:
        scene = panning_scene(seconds * CAMERA_FPS, (size, size * 3 // 4))
        session = LiveSession(look, LiveSettings(size=size))
        session.warm_up(scene[0])
        played = list(play(session, scene, CAMERA_FPS))
        latencies = [p.latency_s for p in played if p.latency_s is not None]
        figures[f"live_fps_{size}"] = len(latencies) / (len(scene) / CAMERA_FPS)
        figures[f"live_latency_s_{size}"] = statistics.median(latencies)
        figures[f"live_budget_{size}"] = f"{session.stats.octaves} octave(s) x {session.stats.steps} step(s)"

    size = sizes[0]
    frame_size = (size, size * 3 // 4)
    for name, scene in (("still", still_scene(40, frame_size)), ("pan", panning_scene(40, frame_size))):
        session = LiveSession(look, LiveSettings(size=size))
        session.warm_up(scene[0])
        out = [session.frame(frame) for frame in scene]
        figures[f"live_flicker_{name}"] = mean_change(out[10:]) / mean_change(scene[10:])
        figures[f"live_change_{name}"] = dream_change(out[10:], scene[10:])
        cheapest = LiveSession(look, LiveSettings(size=size), budget=BUDGETS[0])
        figures[f"live_change_{name}_1x1"] = dream_change([cheapest.frame(f) for f in scene][10:], scene[10:])
        if name == "still":
            budget = look.replace(max_size=size, octaves=session.stats.octaves, steps=session.stats.steps)
            one_shot = session.dreamer.dream(scene[29], budget)
            layer = look.layers[0].layer
            figures["live_strength_gain_30"] = _energy(session, out[29], layer) / _energy(session, scene[29], layer)
            figures["live_one_shot_gain"] = _energy(session, one_shot, layer) / _energy(session, scene[29], layer)
    return figures


def _energy(session: LiveSession, image: Image.Image, layer: str) -> float:
    dreamer = session.dreamer
    with torch.no_grad():
        acts = dreamer.activations(pil_to_tensor(image, dreamer.device), frozenset([layer]))
    return float(acts[layer].float().pow(2).mean())
