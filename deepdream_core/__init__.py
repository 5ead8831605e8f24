"""DeepDream Studio's engine: models, weights, objectives, the dream loop.

The public API::

    from deepdream_core import DreamSettings, dream
    result = dream(Image.open("photo.jpg"), DreamSettings(steps=12))
"""

from .devices import DeviceError
from .dreamer import Dreamer, DreamProgress, fit_image
from .dreamers import dream, dream_frames, get_dreamer
from .metadata import dream_record, read_record, save_png, save_video, settings_from_file
from .estimate import Estimate, estimate_animation, estimate_dream, estimate_video, record_run, spaces_duration
from .motion import AnimationSettings, FrameProgress, VideoSettings, animate, dream_video, load_clip
from .objectives import Objective
from .settings import DreamSettings, LayerTarget, SettingsError, settings_from_dict_lenient
from .weights import BUNDLED_MODEL, WeightsUnavailableError
from .zoo import ZOO, DreamLayer, ModelSpec, UnknownModelError, get_spec, load_model, model_names

__all__ = [
    "AnimationSettings", "FrameProgress", "VideoSettings", "animate", "dream_video", "load_clip",
    "Estimate", "estimate_animation", "estimate_dream", "estimate_video", "record_run", "spaces_duration",
    "BUNDLED_MODEL", "DeviceError", "DreamLayer", "DreamProgress", "DreamSettings", "Dreamer", "LayerTarget",
    "ModelSpec", "Objective", "SettingsError", "UnknownModelError", "WeightsUnavailableError", "ZOO", "dream",
    "dream_frames", "fit_image", "get_dreamer", "get_spec", "load_model", "model_names", "settings_from_dict_lenient",
    "dream_record", "read_record", "save_png", "save_video", "settings_from_file",
]
