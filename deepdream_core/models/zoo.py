"""The model zoo: each model is a spec (builder, weight source, normalization, named dream layers).

The zoo is a dict of specs. Any other timm model name with Hub weights works too: its spec is
made from timm's own pretrained config, and its layers are listed from its modules.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from . import caffe_googlenet
from .echo import echo
from .places365 import places365_class_names
from .weights import (
    BUNDLED_MODEL,
    BundledLite0Weights,
    HubStateDictWeights,
    HubWeights,
    TorchvisionWeights,
    WeightSource,
)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# The Caffe GoogLeNets take 0-255 BGR minus a mean pixel. The loop feeds a network (image - mean) / std of an
# RGB image in [0, 1]: with mean = the mean pixel / 255 in RGB order and std = 1/255, that is the 0-255 image
# minus the mean pixel, and the network flips it to BGR itself (models/caffe_googlenet.py). One mean pixel for
# both, (B, G, R) = (104, 117, 123), as the issue that added them asks and the DeepDream tools feed them: it is
# Caffe's ilsvrc_2012_mean averaged (104.0, 116.7, 122.7; the 2015 notebook rounds it to 104, 116, 122). The
# Places365 release's own mean image averages (104.1, 112.5, 116.7), at most 6.3 grey levels from it: a shift
# of the input's colour that the dream's own changes (tens of levels) dwarf.
CAFFE_STD = (1 / 255, 1 / 255, 1 / 255)
CAFFE_MEAN = (123 / 255, 117 / 255, 104 / 255)
# Where ported copies of both Caffe GoogLeNets are served (PyTorch .pth files; ProGamerGov's conversions).
CAFFE_GOOGLENET_REPO = "mediasynthesismuseum/deepdream-googlenet"
# The memory of one dream pass (forward + backward, fp32) per input pixel, for a network not measured here
# (any other timm model): the zoo's largest figure (ResNet-50's 1712, below) rounded up.
UNMEASURED_PASS_BYTES_PER_PIXEL = 2048


class UnknownModelError(ValueError):
    """No zoo entry and no timm model with Hub weights has this name."""


@dataclass(frozen=True)
class DreamLayer:
    """A module path worth dreaming on, with what it tends to draw."""

    path: str
    description: str


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    build: Callable[[], nn.Module]  # architecture only, random weights, no download
    weights: WeightSource
    mean: tuple[float, ...]  # per RGB channel
    std: tuple[float, ...]
    layers: tuple[DreamLayer, ...]
    default_layer: str
    # Names of the classes, in logit order (ImageNet's 1000 for every zoo model but googlenet_places365's
    # 365 scenes); None when the model has no classifier.
    class_names: Callable[[], list[str]] | None
    download_mb: int = 0  # 0: nothing to download
    # Whether precision="auto" may run this network in bf16/fp16. bench/run.py's "precision" check
    # measures, per network, how closely a low-precision dream tracks fp32 and whether it is faster.
    mixed_precision: bool = True
    # Smallest image side the network takes (unpadded stems need more than 32 px); smaller octaves are skipped.
    min_side: int = 32
    # Bytes one fp32 pass (forward to the logits or the deepest dream layer, and backward) keeps per input
    # pixel; tile_size "auto" sizes a GPU's tiles by it. An estimate, not yet checked on a GPU: the tensors
    # autograd saves, counted on the CPU (bench/gpu_figures.py saved_bytes_per_pixel, the slope from 256 to 512 px
    # so the weights do not count). bench/gpu_figures.py measures the GPU's own peak per pixel to verify it.
    pass_bytes_per_pixel: int = UNMEASURED_PASS_BYTES_PER_PIXEL

    def layer_description(self, path: str) -> str:
        return next((layer.description for layer in self.layers if layer.path == path), "")


def _timm_class_names() -> list[str]:
    import timm.data

    info = timm.data.ImageNetInfo()
    return [info.index_to_description(i) for i in range(info.num_classes())]


def _timm_builder(arch: str) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        import timm

        return timm.create_model(arch, pretrained=False)

    return build


def _googlenet() -> nn.Module:
    import torchvision

    # transform_input=True is how the IMAGENET1K_V1 weights were trained: the model takes
    # ImageNet-normalized input and re-normalizes internally.
    return torchvision.models.googlenet(weights=None, aux_logits=False, transform_input=True, init_weights=False)


def _vgg16_features() -> nn.Module:
    import timm

    # Only the convolutional part dreams; skipping the 400 MB classifier keeps memory and downloads small.
    return nn.Sequential(OrderedDict(features=timm.create_model("vgg16", pretrained=False).get_submodule("features")))


def _caffe_googlenet(
    name: str,
    title: str,
    mean: tuple[float, ...],
    layers: tuple[DreamLayer, ...],
    class_names: Callable[[], list[str]],
    classes: int,
    download_mb: int,
) -> ModelSpec:
    """One of the Caffe GoogLeNets (models/caffe_googlenet.py), with ``classes`` outputs: ``{name}.pth`` in the
    ports' repository."""
    return ModelSpec(
        name=name,
        title=title,
        build=functools.partial(caffe_googlenet.CaffeGoogLeNet, classes),
        weights=HubStateDictWeights(CAFFE_GOOGLENET_REPO, f"{name}.pth", file_key=caffe_googlenet.ported_name),
        mean=mean,
        std=CAFFE_STD,
        layers=layers,
        default_layer="inception_4c/output",
        # The logits are the classifier on inception_4d's (loss2): the ported files hold no final classifier.
        class_names=class_names,
        download_mb=download_mb,
        # Activations of a 0-255 input, squared by the LRN layers, overflow fp16; and the look should be fp32's.
        # Unmeasured in bf16 (bench/run.py "precision" has not run on these weights).
        mixed_precision=False,
        # Counted as the others' (bench/gpu_figures.py, a pass to the logits), the same for both (the classifiers'
        # 1000 or 365 outputs hardly count); torchvision's GoogLeNet counts 960 that way.
        pass_bytes_per_pixel=962,
    )


ZOO: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in [
        ModelSpec(
            name=BUNDLED_MODEL,
            title="EfficientNet-Lite0 (bundled, works offline)",
            build=_timm_builder("efficientnet_lite0"),
            weights=BundledLite0Weights(),
            mean=IMAGENET_MEAN,
            std=IMAGENET_STD,
            layers=(
                DreamLayer("blocks.1", "fine strokes and brush-like textures"),
                DreamLayer("blocks.2", "swirls, scales and repeating patterns"),
                DreamLayer("blocks.3.0", "dense ornaments and small eyes"),
                DreamLayer("blocks.3", "eyes, fur and feather textures"),
                DreamLayer("blocks.4", "eyes, snouts and animal parts"),
                DreamLayer("blocks.5.0", "dog faces, birds and creatures"),
                DreamLayer("blocks.5", "whole animals, buildings and objects"),
                DreamLayer("blocks.6", "abstract object parts, strong and busy"),
            ),
            default_layer="blocks.4",
            class_names=_timm_class_names,
            # bf16 is 1.1-1.5x faster here (bench/run.py "precision"), far less than VGG16's 2x, and
            # less faithful: one step's gradient has cosine 0.84-0.91 to fp32's, and the pixels drift
            # as far apart over a few steps as the dream moved them. fp32 also keeps a share link's
            # picture the same on CPUs with and without bf16 instructions.
            mixed_precision=False,
            pass_bytes_per_pixel=1572,
        ),
        ModelSpec(
            name="googlenet",
            # Not the 2015 network (that is bvlc_googlenet): torchvision's, retrained with batch normalization.
            title="GoogLeNet (torchvision's, retrained with batch norm; not the 2015 network)",
            build=_googlenet,
            weights=TorchvisionWeights("GoogLeNet_Weights.IMAGENET1K_V1"),
            mean=IMAGENET_MEAN,
            std=IMAGENET_STD,
            layers=(
                DreamLayer("conv3", "strokes and simple textures"),
                DreamLayer("inception3a", "curls and lines"),
                DreamLayer("inception3b", "spirals and patterns"),
                DreamLayer("inception4a", "eyes and simple shapes"),
                DreamLayer("inception4b", "eyes, fur and scales"),
                DreamLayer("inception4c", "dog faces, eyes and creatures"),
                DreamLayer("inception4d", "dogs, birds and insects"),
                DreamLayer("inception4e", "animals and objects"),
                DreamLayer("inception5a", "pagodas, vehicles and whole objects"),
                DreamLayer("inception5b", "abstract objects and scenes"),
            ),
            default_layer="inception4c",
            # Same ImageNet-1k order as torchvision's categories, but with every synonym ("tabby, tabby cat"),
            # so a class target that works on one zoo model works on all of them.
            class_names=_timm_class_names,
            download_mb=27,
            pass_bytes_per_pixel=959,
        ),
        _caffe_googlenet(
            "bvlc_googlenet",
            "BVLC GoogLeNet (the 2015 DeepDream network, Caffe, ImageNet)",
            CAFFE_MEAN,
            # What each layer tends to draw, as the 2015 notebook and the galleries made with it show (not
            # checked here: the weights cannot be downloaded on the machine this was written on).
            (
                DreamLayer("conv2/3x3", "fine strokes and grain"),
                DreamLayer("inception_3a/output", "lines, curls and simple textures"),
                DreamLayer("inception_3b/5x5_reduce", "swirls and wavy lines (the notebook's first example)"),
                DreamLayer("inception_3b/output", "spirals and repeating patterns"),
                DreamLayer("inception_4a/output", "eyes and intricate ornaments"),
                DreamLayer("inception_4b/output", "eyes, scales and fur"),
                DreamLayer("inception_4c/output", "the 2015 look: dog faces, eyes and puppy-slugs"),
                DreamLayer("inception_4d/output", "dogs, birds, insects and slugs"),
                DreamLayer("inception_4e/output", "whole animals, pagodas and vehicles"),
                DreamLayer("inception_5a/output", "objects and strange scenes"),
                DreamLayer("inception_5b/output", "abstract objects, strong and busy"),
            ),
            _timm_class_names,  # ImageNet-1k, in the same order as the other zoo models'
            classes=1000,
            download_mb=50,
        ),
        _caffe_googlenet(
            "googlenet_places365",
            "GoogLeNet Places365 (Caffe, trained on scenes: buildings and places)",
            CAFFE_MEAN,
            # From the galleries of Places-trained DeepDreams (not checked here, as above).
            (
                DreamLayer("conv2/3x3", "fine strokes and grain"),
                DreamLayer("inception_3a/output", "lines and grid-like textures"),
                DreamLayer("inception_3b/output", "windows, bricks and tiles"),
                DreamLayer("inception_4a/output", "arches, windows and ornaments"),
                DreamLayer("inception_4b/output", "arcades, columns and towers"),
                DreamLayer("inception_4c/output", "buildings, arches and rooftops"),
                DreamLayer("inception_4d/output", "pagodas, temples and domes"),
                DreamLayer("inception_4e/output", "whole buildings and landscapes"),
                DreamLayer("inception_5a/output", "streets, rooms and landscapes"),
                DreamLayer("inception_5b/output", "abstract scenes"),
            ),
            places365_class_names,  # Places365's scenes
            classes=365,
            download_mb=45,
        ),
        ModelSpec(
            name="inception_v3",
            title="Inception v3",
            build=_timm_builder("inception_v3"),
            weights=HubWeights("timm/inception_v3.tv_in1k"),
            mean=(0.5, 0.5, 0.5),  # this checkpoint expects [-1, 1] input, unlike the others
            std=(0.5, 0.5, 0.5),
            layers=(
                DreamLayer("Conv2d_4a_3x3", "strokes and grain"),
                DreamLayer("Mixed_5b", "swirls and fine patterns"),
                DreamLayer("Mixed_5d", "patterns and small eyes"),
                DreamLayer("Mixed_6a", "eyes and fur"),
                DreamLayer("Mixed_6c", "animal faces"),
                DreamLayer("Mixed_6e", "creatures and objects"),
                DreamLayer("Mixed_7b", "whole objects and scenes"),
            ),
            default_layer="Mixed_6c",
            class_names=_timm_class_names,
            download_mb=95,
            pass_bytes_per_pixel=1171,
            min_side=75,  # its 3x3 stride-2 stem and pools leave nothing below 75 px
        ),
        ModelSpec(
            name="vgg16",
            title="VGG16 (features only)",
            build=_vgg16_features,
            weights=HubWeights("timm/vgg16.tv_in1k"),
            mean=IMAGENET_MEAN,
            std=IMAGENET_STD,
            layers=(
                DreamLayer("features.8", "relu2_2: brush strokes"),
                DreamLayer("features.15", "relu3_3: textures and patterns"),
                DreamLayer("features.22", "relu4_3: eyes, fur and faces"),
                DreamLayer("features.29", "relu5_3: objects and animals"),
            ),
            default_layer="features.22",
            class_names=None,
            download_mb=528,
            pass_bytes_per_pixel=1451,
        ),
        ModelSpec(
            name="resnet50",
            title="ResNet-50",
            build=_timm_builder("resnet50"),
            weights=HubWeights("timm/resnet50.tv_in1k"),
            mean=IMAGENET_MEAN,
            std=IMAGENET_STD,
            layers=(
                DreamLayer("layer1", "fine textures"),
                DreamLayer("layer2", "patterns and grids"),
                DreamLayer("layer3.2", "eyes and fur"),
                DreamLayer("layer3", "animal parts and faces"),
                DreamLayer("layer4.0", "objects and animals"),
                DreamLayer("layer4", "abstract objects"),
            ),
            default_layer="layer3",
            class_names=_timm_class_names,
            download_mb=102,
            pass_bytes_per_pixel=1712,
        ),
    ]
}


def model_names() -> list[str]:
    """The curated zoo, bundled default first."""
    return list(ZOO)


@functools.lru_cache(maxsize=64)
def get_spec(name: str) -> ModelSpec:
    """The zoo's spec, or one made from timm's pretrained config for any timm model with Hub weights."""
    if name in ZOO:
        return ZOO[name]
    return _timm_spec(name)


def _timm_spec(name: str) -> ModelSpec:
    import timm
    from timm.models import get_pretrained_cfg

    arch = name.split(".")[0]
    try:
        cfg = get_pretrained_cfg(name) if timm.is_model(arch) else None
    except RuntimeError:  # timm's documented answer to a tag the architecture lacks ("resnet50.nope")
        cfg = None
    if cfg is None or not cfg.hf_hub_id:
        tags = timm.list_pretrained(f"{arch}.*") if timm.is_model(arch) else []
        known = f" ({arch} has {', '.join(tags[:3])}{', ...' if len(tags) > 3 else ''})" if tags else ""
        raise UnknownModelError(
            f"Unknown model {echo(name)}: not in the zoo and not a timm model with Hub weights{known}. "
            f"List the zoo with `python -m deepdream_core models`; any name from timm.list_pretrained() works too."
        )
    layers = tuple(_layers_from_modules(arch))
    return ModelSpec(
        name=name,
        title=f"{name} (timm)",
        build=_timm_builder(arch),
        weights=HubWeights(cfg.hf_hub_id),
        mean=tuple(cfg.mean),
        std=tuple(cfg.std),
        layers=layers,
        default_layer=layers[len(layers) * 2 // 3].path,
        class_names=_timm_class_names if cfg.num_classes == 1000 else None,
    )


def _layers_from_modules(arch: str) -> list[DreamLayer]:
    """Stage outputs from timm's feature_info: low stages draw textures, high ones objects."""
    import timm

    # On the meta device: modules and shapes, no memory and no weights (a ViT-L built for real takes 1.2 GB).
    with torch.device("meta"):
        model = timm.create_model(arch, pretrained=False)
    stages = [info["module"] for info in getattr(model, "feature_info", []) if info.get("module")]
    if not stages:
        stages = [name for name, _ in model.named_children()][1:-1] or [name for name, _ in model.named_children()]
    words = ["strokes and textures", "patterns", "eyes and fur", "animal parts and faces", "objects and animals"]
    return [
        DreamLayer(path, words[min(len(words) - 1, i * len(words) // max(1, len(stages)))])
        for i, path in enumerate(stages)
    ]


def dream_layers(module: nn.Module) -> list[str]:
    """Every named submodule of a model, for users who bring their own network."""
    return [name for name, _ in module.named_modules() if name]


def has_layer(model: str, path: str) -> bool:
    """Whether ``model`` has a module at ``path``, known without its weights: its dream layers are looked up, any
    other module path in its architecture, built once per model on the meta device (no weights, no memory).

    Raises :class:`UnknownModelError` for a model that is neither in the zoo nor timm's.
    """
    spec = get_spec(model)
    return any(layer.path == path for layer in spec.layers) or path in _module_paths(model)


@functools.lru_cache(maxsize=16)
def _module_paths(model: str) -> frozenset[str]:
    # Built on the meta device: EfficientNet-Lite0 in 0.05 s here once timm is imported (3 s the first time).
    with torch.device("meta"):
        module = get_spec(model).build()
    return frozenset(dream_layers(module))


def load_model(name: str, device: torch.device | str = "cpu") -> nn.Module:
    """A new instance of the model with its weights, on ``device``, in eval mode with gradients off.

    Builds and loads on every call, with no cache: requests get their model through
    :func:`~deepdream_core.dreaming.cache.get_dreamer`, which loads each model once per process and
    device and keeps it, so a module is never shared between a Dreamer and anything else.
    """
    from .weights import read_state_dict

    spec = get_spec(name)
    # The weights first, for the names and shapes of a skeleton on the meta device (it takes no memory), and
    # only then the real module: a model whose weights cannot be had allocates nothing. Built first, a ViT-L
    # kept 1.2 GB per failed request, held by the error's traceback and then by the allocator.
    with torch.device("meta"):
        expected = {key: tensor.shape for key, tensor in spec.build().state_dict().items()}
    state = read_state_dict(name, spec.weights, expected)
    module = spec.build()
    module.load_state_dict(state, strict=True)
    return module.eval().requires_grad_(False).to(device)
