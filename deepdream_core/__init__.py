"""DeepDream Studio's engine: models, weights, objectives, the dream loop.

The public API::

    from deepdream_core import DreamSettings, dream
    result = dream(Image.open("photo.jpg"), DreamSettings(steps=12))
"""

from .devices import DeviceError
from .dreamer import Dreamer, DreamProgress, fit_image
from .dreamers import dream, dream_frames, get_dreamer
from .estimate import Estimate, estimate_animation, estimate_dream, estimate_video, record_run, spaces_duration
from .metadata import dream_record, read_record, save_png, save_video, settings_from_file
from .motion import AnimationSettings, FrameProgress, VideoSettings, animate, dream_video, load_clip
from .objectives import Objective
from .settings import DreamSettings, LayerTarget, SettingsError, settings_from_dict_lenient
from .weights import BUNDLED_MODEL, WeightsUnavailableError
from .zoo import ZOO, DreamLayer, ModelSpec, UnknownModelError, get_spec, load_model, model_names

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
    "settings_from_dict_lenient",
    "settings_from_file",
    "spaces_duration",
]
