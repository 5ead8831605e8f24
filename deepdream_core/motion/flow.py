"""Optical flow between video frames, warping along it, and where it can be trusted (OpenCV).

Images here are (H, W, 3) uint8 or float arrays; flows are (H, W, 2) float32 arrays in pixels.
"""

from __future__ import annotations

import cv2
import numpy as np


def optical_flow(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """For each pixel of ``source``, how far it moved to reach ``target``: source(p) ~ target(p + flow(p)).

    DIS (dense inverse search) is OpenCV's fast dense flow; its medium preset is accurate enough for
    video dreaming at a fraction of a dream step's cost.
    """
    dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    # OpenCV's stubs type the output argument as required; None asks OpenCV to allocate it (an array
    # given there would be taken as DIS's initial guess), so the ignore is the stubs' gap, not ours.
    return dis.calc(_grey(source), _grey(target), None)  # type: ignore[call-overload]


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` resampled at p + flow(p): with the flow from frame B to frame A, frame A moved onto frame B."""
    height, width = flow.shape[:2]
    map_x = np.arange(width, dtype=np.float32)[None, :] + flow[..., 0]
    map_y = np.arange(height, dtype=np.float32)[:, None] + flow[..., 1]
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def reliable(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Where the flow can be trusted, as an (H, W) float mask in [0, 1].

    ``backward`` runs from the new frame to the previous one, ``forward`` the other way. Following
    one and then the other should come back to the start; where it does not, the pixel was hidden
    in one of the frames (occlusion) or the flow is wrong (Sundaram et al. 2010's check, as used by
    Ruder et al. 2016 for video style transfer). Pixels whose flow leaves the frame are new too.
    """
    height, width = backward.shape[:2]
    forward_there = warp(forward, backward)
    error = np.sum((backward + forward_there) ** 2, axis=-1)
    bound = 0.01 * (np.sum(backward**2, axis=-1) + np.sum(forward_there**2, axis=-1)) + 0.5
    x = np.arange(width)[None, :] + backward[..., 0]
    y = np.arange(height)[:, None] + backward[..., 1]
    inside = (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
    mask = ((error <= bound) & inside).astype(np.float32)
    # A soft edge, so a disoccluded area does not show a hard seam between old and new dream.
    return cv2.GaussianBlur(mask, (5, 5), 0)


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(image, dtype=np.uint8), cv2.COLOR_RGB2GRAY)
