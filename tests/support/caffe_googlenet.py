"""What the ported Caffe GoogLeNet files hold: every tensor's name and shape, and random files like them.

The names and shapes are those of ProGamerGov's PyTorch definitions of the ports, which load the files
strictly: ``BVLC_GOOGLENET`` in pytorch-old-caffemodels' ``GoogleNet_ModelClasses.py`` (and neural-dream's
``bvlc_googlenet.py``, the same), and ``GoogLeNetPlaces365`` in pytorch-places' ``googlenet_places365.py`` (the
same but for the classifiers' 365 outputs). The table was read off those definitions' layers, in their order,
not from our module: the tests check our module against it. The real files cannot be downloaded here.
"""

from __future__ import annotations

import io

import torch

# (name, output channels or features, input channels or features, kernel size; 0 for a fully connected layer).
# The classifiers' 1000 outputs are ImageNet's; the Places365 file has 365.
# fmt: off
PORTED_LAYERS = (
    ("conv1_7x7_s2", 64, 3, 7), ("conv2_3x3_reduce", 64, 64, 1), ("conv2_3x3", 192, 64, 3),
    ("inception_3a_1x1", 64, 192, 1), ("inception_3a_5x5_reduce", 16, 192, 1),
    ("inception_3a_3x3_reduce", 96, 192, 1), ("inception_3a_pool_proj", 32, 192, 1),
    ("inception_3a_5x5", 32, 16, 5), ("inception_3a_3x3", 128, 96, 3), ("inception_3b_3x3_reduce", 128, 256, 1),
    ("inception_3b_1x1", 128, 256, 1), ("inception_3b_5x5_reduce", 32, 256, 1),
    ("inception_3b_pool_proj", 64, 256, 1), ("inception_3b_3x3", 192, 128, 3), ("inception_3b_5x5", 96, 32, 5),
    ("inception_4a_1x1", 192, 480, 1), ("inception_4a_3x3_reduce", 96, 480, 1),
    ("inception_4a_5x5_reduce", 16, 480, 1), ("inception_4a_pool_proj", 64, 480, 1),
    ("inception_4a_3x3", 208, 96, 3), ("inception_4a_5x5", 48, 16, 5), ("inception_4b_5x5_reduce", 24, 512, 1),
    ("inception_4b_1x1", 160, 512, 1), ("inception_4b_3x3_reduce", 112, 512, 1),
    ("inception_4b_pool_proj", 64, 512, 1), ("loss1_conv", 128, 512, 1), ("inception_4b_5x5", 64, 24, 5),
    ("inception_4b_3x3", 224, 112, 3), ("loss1_fc_1", 1024, 2048, 0), ("inception_4c_5x5_reduce", 24, 512, 1),
    ("inception_4c_1x1", 128, 512, 1), ("inception_4c_3x3_reduce", 128, 512, 1),
    ("inception_4c_pool_proj", 64, 512, 1), ("inception_4c_5x5", 64, 24, 5), ("inception_4c_3x3", 256, 128, 3),
    ("loss1_classifier_1", 1000, 1024, 0), ("inception_4d_3x3_reduce", 144, 512, 1),
    ("inception_4d_1x1", 112, 512, 1), ("inception_4d_5x5_reduce", 32, 512, 1),
    ("inception_4d_pool_proj", 64, 512, 1), ("inception_4d_3x3", 288, 144, 3), ("inception_4d_5x5", 64, 32, 5),
    ("inception_4e_1x1", 256, 528, 1), ("inception_4e_5x5_reduce", 32, 528, 1),
    ("inception_4e_3x3_reduce", 160, 528, 1), ("loss2_conv", 128, 528, 1), ("inception_4e_pool_proj", 128, 528, 1),
    ("inception_4e_5x5", 128, 32, 5), ("inception_4e_3x3", 320, 160, 3), ("loss2_fc_1", 1024, 2048, 0),
    ("inception_5a_1x1", 256, 832, 1), ("inception_5a_5x5_reduce", 32, 832, 1),
    ("inception_5a_3x3_reduce", 160, 832, 1), ("inception_5a_pool_proj", 128, 832, 1),
    ("loss2_classifier_1", 1000, 1024, 0), ("inception_5a_5x5", 128, 32, 5), ("inception_5a_3x3", 320, 160, 3),
    ("inception_5b_3x3_reduce", 192, 832, 1), ("inception_5b_5x5_reduce", 48, 832, 1),
    ("inception_5b_1x1", 384, 832, 1), ("inception_5b_pool_proj", 128, 832, 1), ("inception_5b_3x3", 384, 192, 3),
    ("inception_5b_5x5", 128, 48, 5),
)
# fmt: on


def ported_shapes(classes: int) -> dict[str, tuple[int, ...]]:
    """Every tensor's name and shape in the ported file of a GoogLeNet with ``classes`` outputs."""
    shapes: dict[str, tuple[int, ...]] = {}
    for name, out, inputs, kernel in PORTED_LAYERS:
        out = classes if name.endswith("_classifier_1") else out
        shapes[f"{name}.weight"] = (out, inputs, kernel, kernel) if kernel else (out, inputs)
        shapes[f"{name}.bias"] = (out,)
    return shapes


def ported_state_dict(classes: int, seed: int) -> dict[str, torch.Tensor]:
    """A state dict with the ported file's names and shapes and random values.

    Uniform within +-sqrt(3 / fan-in), as a trained layer's are about, so a 0-255 input's activations stay
    finite through all 22 layers (values in [0, 1] everywhere grow a hundredfold per layer).
    """
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in ported_shapes(classes).items():
        fan_in = shape[1] * (shape[2] * shape[3] if len(shape) == 4 else 1) if len(shape) > 1 else shape[0]
        state[name] = (torch.rand(shape, generator=generator) * 2 - 1) * (3 / fan_in) ** 0.5
    return state


def pth_bytes(state: object, legacy: bool = False) -> bytes:
    """``state`` as ``torch.save`` writes it: the bytes of a ``.pth`` file; ``legacy``, in the format torch wrote
    before 1.6 (the ports date from 2020, when either was in use)."""
    buffer = io.BytesIO()
    torch.save(state, buffer, _use_new_zipfile_serialization=not legacy)
    return buffer.getvalue()
