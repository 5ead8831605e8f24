"""DeepDream Studio's engine: models, weights, objectives, the dream loop, and what is made with dreams.

The public API::

    from deepdream_core import DreamSettings, dream
    result = dream(Image.open("photo.jpg"), DreamSettings(steps=12))

The subpackages, each importing only those before it: ``models`` (the zoo and its weights),
``dreaming`` (settings, objectives, transforms, the loop), ``files`` (records, presets, links, clips),
``motion`` (animation, video, live), ``jobs`` (batch, Ray, sheets, atlas, estimate) and ``cli``.
"""

from .dreaming.cache import get_dreamer, set_cuda_graphs
from .dreaming.devices import DeviceError
from .dreaming.dreamer import Dreamer
from .dreaming.images import fit_image
from .dreaming.loop import DreamProgress
from .dreaming.objectives import Objective
from .dreaming.settings import DreamSettings, LayerTarget, SettingsError, settings_from_dict_lenient
from .files.records import dream_record, read_record, save_png, save_video, settings_from_file
from .jobs.costs import record_run
from .jobs.estimate import Estimate, estimate_animation, estimate_dream, estimate_video, spaces_duration
from .jobs.timing import dream, dream_frames
from .models.weights import BUNDLED_MODEL, WeightsUnavailableError
from .models.zoo import ZOO, DreamLayer, ModelSpec, UnknownModelError, get_spec, load_model, model_names
from .motion.animation import AnimationSettings, FrameProgress, animate
from .motion.live import LiveSession, LiveSettings
from .motion.video import VideoSettings, dream_video, load_clip

__all__ = [
    "BUNDLED_MODEL",
    "ZOO",
    "AnimationSettings",
    "DeviceError",
    "DreamLayer",
    "DreamProgress",
    "DreamSettings",
    "Dreamer",
    "Estimate",
    "FrameProgress",
    "LayerTarget",
    "LiveSession",
    "LiveSettings",
    "ModelSpec",
    "Objective",
    "SettingsError",
    "UnknownModelError",
    "VideoSettings",
    "WeightsUnavailableError",
    "animate",
    "dream",
    "dream_frames",
    "dream_record",
    "dream_video",
    "estimate_animation",
    "estimate_dream",
    "estimate_video",
    "fit_image",
    "get_dreamer",
    "get_spec",
    "load_clip",
    "load_model",
    "model_names",
    "read_record",
    "record_run",
    "save_png",
    "save_video",
    "set_cuda_graphs",
    "settings_from_dict_lenient",
    "settings_from_file",
    "spaces_duration",
]
