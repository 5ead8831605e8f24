"""The GoogLeNet of the 2015 DeepDream, as Caffe ran it: BVLC's (ImageNet) and MIT's (Places365) weights.

torchvision's ``googlenet`` is another network: retrained by the PyTorch team with batch normalization and
other preprocessing, it dreams other pictures. This is the architecture of Caffe's ``bvlc_googlenet``
``deploy.prototxt`` (the same for ``googlenet_places365``): no batch normalization, local response
normalization after the first two convolutions, a ReLU after every convolution, max pools that round
their output size up (Caffe's pooling does), and the inception branches concatenated 1x1, 3x3, 5x5,
pool_proj. Every module is named as the 2015 notebook names the blob it makes (``inception_4c/output``),
and a convolution's module returns its output after the ReLU, which Caffe runs in place: hooked, it gives
what the notebook read under that name.

Input: the loop hands a network ``(image - mean) / std`` of an RGB image in [0, 1]. A spec with ``mean``
the Caffe mean pixel / 255 in RGB order and ``std`` 1/255 makes that the 0-255 image minus the mean pixel,
as Caffe took it; :meth:`CaffeGoogLeNet.forward` then turns RGB into Caffe's BGR.

The weights are ProGamerGov's PyTorch ports of the Caffe models; :func:`ported_name` is how those files
name each tensor. They hold the two auxiliary classifiers (``loss1``, ``loss2``) but not the final one
(``loss3/classifier``), so the network's logits are those of ``loss2/classifier``, the classifier trained on
``inception_4d``'s output (see :meth:`CaffeGoogLeNet.forward`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# One inception block per row, in the order the network runs them: its name, the channels it takes, and the
# output channels of its 1x1, 3x3_reduce, 3x3, 5x5_reduce, 5x5 and pool_proj convolutions (the prototxt's).
INCEPTIONS = (
    ("inception_3a", 192, 64, 96, 128, 16, 32, 32),
    ("inception_3b", 256, 128, 128, 192, 32, 96, 64),
    ("inception_4a", 480, 192, 96, 208, 16, 48, 64),
    ("inception_4b", 512, 160, 112, 224, 24, 64, 64),
    ("inception_4c", 512, 128, 128, 256, 24, 64, 64),
    ("inception_4d", 512, 112, 144, 288, 32, 64, 64),
    ("inception_4e", 528, 256, 160, 320, 32, 128, 128),
    ("inception_5a", 832, 256, 160, 320, 32, 128, 128),
    ("inception_5b", 832, 384, 192, 384, 48, 128, 128),
)
# The layers before the first block, in order, and the stride-2 pools between blocks.
STEM = ("conv1/7x7_s2", "pool1/3x3_s2", "pool1/norm1", "conv2/3x3_reduce", "conv2/3x3", "conv2/norm2", "pool2/3x3_s2")
POOLED_AFTER = {"inception_3b": "pool3/3x3_s2", "inception_4e": "pool4/3x3_s2"}
INCEPTION_PARTS = ("1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool", "pool_proj", "output")
# Which block each auxiliary classifier reads, and the channels that block gives.
AUX_HEADS = (("loss1", "inception_4a", 512), ("loss2", "inception_4d", 528))
LOGITS_HEAD = "loss2"


class CaffeLRN(nn.Module):
    """Caffe's LRN across channels: x / (1 + alpha / 5 * the sum of x^2 over 5 neighbouring channels)^0.75.

    torch's ``LocalResponseNorm`` computes the same (it divides alpha by the size, as Caffe does), but slowly:
    forward and backward of a 192-channel 96x96 map took 0.141 s channels_last (0.085 s NCHW) on one CPU
    thread, 45 % of a pass to ``inception_4c``; the window's sum as a 1x1 convolution with a band of ones
    takes 0.041 s in either layout, equal to 2e-5 at activations of 100.
    """

    band: torch.Tensor

    def __init__(self, channels: int, size: int = 5, alpha: float = 1e-4, beta: float = 0.75) -> None:
        super().__init__()
        self.alpha, self.beta, self.size = alpha, beta, size
        index = torch.arange(channels)
        band = ((index[:, None] - index[None, :]).abs() <= size // 2).float().view(channels, channels, 1, 1)
        self.register_buffer("band", band, persistent=False)  # not a weight: no file holds it

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        window = F.conv2d(x * x, self.band.to(x.dtype))
        return x * (1 + self.alpha / self.size * window).pow(-self.beta)


class CaffeConv(nn.Conv2d):
    """A convolution and the ReLU Caffe applies to its output in place, so the module's output is Caffe's blob."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(super().forward(x))


class Concat(nn.Module):
    """An inception block's ``output``: its branches stacked along the channels."""

    def forward(self, branches: tuple[torch.Tensor, ...]) -> torch.Tensor:
        return torch.cat(branches, dim=1)


class AuxClassifier(nn.Module):
    """Caffe's auxiliary head (``lossN/ave_pool``, ``/conv``, ``/fc``, ``/classifier``), at any input size.

    Caffe's head averages 5x5 windows, 3 apart, of a 14x14 map (a 224 px input) into 4x4, which its fully
    connected layer needs. On another size the same pool gives another grid, so it is averaged onto 4x4
    afterwards (nothing changes at 224 px); below 5x5 the map goes straight to 4x4.
    """

    def __init__(self, channels: int, classes: int) -> None:
        super().__init__()
        self.conv = CaffeConv(channels, 128, 1)
        self.fc = nn.Linear(2048, 1024)
        self.classifier = nn.Linear(1024, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if min(x.shape[-2:]) >= 5:
            x = F.avg_pool2d(x, 5, stride=3, ceil_mode=True)
        x = self.conv(F.adaptive_avg_pool2d(x, 4))
        # Dropout (0.7 in training) does nothing at inference.
        return self.classifier(F.relu(self.fc(x.flatten(1))))


class CaffeGoogLeNet(nn.Module):
    """Caffe's GoogLeNet; its output is the logits of the ``loss2`` classifier (the files lack ``loss3``)."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self._add("conv1/7x7_s2", CaffeConv(3, 64, 7, stride=2, padding=3))
        self._add("pool1/3x3_s2", nn.MaxPool2d(3, stride=2, ceil_mode=True))
        self._add("pool1/norm1", CaffeLRN(64))
        self._add("conv2/3x3_reduce", CaffeConv(64, 64, 1))
        self._add("conv2/3x3", CaffeConv(64, 192, 3, padding=1))
        self._add("conv2/norm2", CaffeLRN(192))
        self._add("pool2/3x3_s2", nn.MaxPool2d(3, stride=2, ceil_mode=True))
        for name, channels, c1, c3r, c3, c5r, c5, proj in INCEPTIONS:
            self._add(f"{name}/1x1", CaffeConv(channels, c1, 1))
            self._add(f"{name}/3x3_reduce", CaffeConv(channels, c3r, 1))
            self._add(f"{name}/3x3", CaffeConv(c3r, c3, 3, padding=1))
            self._add(f"{name}/5x5_reduce", CaffeConv(channels, c5r, 1))
            self._add(f"{name}/5x5", CaffeConv(c5r, c5, 5, padding=2))
            self._add(f"{name}/pool", nn.MaxPool2d(3, stride=1, padding=1))
            self._add(f"{name}/pool_proj", CaffeConv(channels, proj, 1))
            self._add(f"{name}/output", Concat())
            if name in POOLED_AFTER:
                self._add(POOLED_AFTER[name], nn.MaxPool2d(3, stride=2, ceil_mode=True))
        for head, _, channels in AUX_HEADS:
            self._add(head, AuxClassifier(channels, classes))

    def _add(self, name: str, module: nn.Module) -> None:
        # Names with "/" are the notebook's; torch allows any name but one with a "." (a path separator).
        self.add_module(name, module)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of the ``loss2`` classifier for a batch in Caffe's input space, but with RGB channels.

        Every block runs, ``inception_4e`` to ``5b`` after the logits are known, so any layer can be hooked
        (a dream stops the pass at the last layer it needs).
        """
        x = x.flip(1)  # RGB -> BGR: the Caffe models were trained on images read by OpenCV
        for name in STEM:
            x = self.get_submodule(name)(x)
        logits = {}
        for name, *_ in INCEPTIONS:
            x = self._inception(name, x)
            for head, source, _ in AUX_HEADS:
                if source == name:
                    logits[head] = self.get_submodule(head)(x)
            if name in POOLED_AFTER:
                x = self.get_submodule(POOLED_AFTER[name])(x)
        return logits[LOGITS_HEAD]

    def _inception(self, name: str, x: torch.Tensor) -> torch.Tensor:
        part = {key: self.get_submodule(f"{name}/{key}") for key in INCEPTION_PARTS}
        branches = (
            part["1x1"](x),
            part["3x3"](part["3x3_reduce"](x)),
            part["5x5"](part["5x5_reduce"](x)),
            part["pool_proj"](part["pool"](x)),
        )
        return part["output"](branches)


def ported_name(key: str) -> str:
    """The name ProGamerGov's ported files give the tensor this module calls ``key``.

    Those names are Caffe's with "/" written "_" and the auxiliary heads' fully connected layers suffixed
    "_1": ``inception_4c/1x1.weight`` is ``inception_4c_1x1.weight``, ``loss2.fc.weight`` is ``loss2_fc_1.weight``.
    """
    module, _, tensor = key.rpartition(".")
    name = module.replace("/", "_").replace(".", "_")
    if module.startswith("loss") and module.endswith((".fc", ".classifier")):
        name += "_1"
    return f"{name}.{tensor}"
