"""The dream loop on tiny CNNs built here: fast, exact checks of what issue 2 asks of the algorithm.

Each test builds a :class:`Dreamer` around a small random network (bring-your-own-network is the
same code path the zoo uses), dreams on a 64-128 px real photo for a few steps, and checks one
behaviour: the objective rises, octaves, jitter, clamping, seeds, tiling, noise, masks, progress
events, several layers, channels, classes, guides, layer names, and that hooks are removed.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from deepdream_core import Dreamer, DreamSettings, LayerTarget, SettingsError
from deepdream_core.dreaming.transforms import pil_to_tensor
from tests.support.networks import make_tiny_cnn
from tests.support.photos import skimage_photo

# Few steps and small images keep each test well under a second or two on a shared 2-core machine.
QUICK = DreamSettings(max_size=64, steps=4, octaves=1, step_size=8.0, smoothing=0.5)


@pytest.fixture(scope="module")
def cat_128() -> Image.Image:
    """Chelsea the cat, 128x85."""
    return skimage_photo("chelsea", 128)


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image).astype(np.float64)


def mean_square(dreamer: Dreamer, image: Image.Image, layer: str) -> float:
    """The DeepDream objective of ``layer`` on ``image``, measured with the Dreamer's own activations."""
    with torch.no_grad():
        return dreamer.activations(pil_to_tensor(image), frozenset([layer]))[layer].pow(2).mean().item()


def hook_count(module: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in module.modules())


class InputRecorder(nn.Module):
    """Wraps a network and records every batch it sees, in [0, 1] pixel units (normalization undone)."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor((0.485, 0.456, 0.406)).view(1, 3, 1, 1)
        std = torch.tensor((0.229, 0.224, 0.225)).view(1, 3, 1, 1)
        self.seen.append((x * std + mean).detach().clone())
        return self.body(x)


def circular_cnn() -> nn.Module:
    """Stride-1 convolutions with circular padding: exactly shift-equivariant under torch.roll."""
    torch.manual_seed(0)
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(3, 8, 3, padding=1, padding_mode="circular"),
            relu1=nn.ReLU(),
            conv2=nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular"),
            relu2=nn.ReLU(),
        )
    )


def classifier_cnn() -> nn.Module:
    """The tiny CNN with a 3-class head, for class objectives."""
    return nn.Sequential(
        OrderedDict(
            features=make_tiny_cnn(),
            pool=nn.AdaptiveAvgPool2d(1),
            flatten=nn.Flatten(),
            fc=nn.Linear(16, 3),
        )
    )


# -- the core behaviour -----------------------------------------------------------------------------


def test_objective_rises_by_a_clear_factor(cat_128: Image.Image) -> None:
    dreamer = Dreamer(make_tiny_cnn(), default_layer="relu3")
    result = dreamer.dream(cat_128, QUICK)
    before = mean_square(dreamer, cat_128.resize(result.size), "relu3")
    after = mean_square(dreamer, result, "relu3")
    assert after > 2 * before  # measured: 3.5x after 4 steps of 8 grey levels


def test_losses_reported_by_the_events_rise(cat_128: Image.Image) -> None:
    events = list(Dreamer(make_tiny_cnn(), default_layer="relu3").dream_frames(cat_128, QUICK, preview_every=0))
    losses = [e.loss for e in events if not e.final]
    assert losses == sorted(losses) and losses[-1] > 1.5 * losses[0]


def test_octaves_run_small_to_large_and_end_at_the_input_size(cat_128: Image.Image) -> None:
    settings = QUICK.replace(max_size=128, octaves=3, steps=2, octave_scale=1.4)
    events = list(Dreamer(make_tiny_cnn(), default_layer="relu3").dream_frames(cat_128, settings, preview_every=1))
    assert len(events) == 3 * 2 + 1  # every step, and the result
    assert [(e.octave, e.step, e.done) for e in events[:-1]] == [
        (1, 1, 1),
        (1, 2, 2),
        (2, 1, 3),
        (2, 2, 4),
        (3, 1, 5),
        (3, 2, 6),
    ]
    assert all(e.total == 6 and e.octaves == 3 for e in events)
    # Previews show the working size of each octave: 128x85 / 1.4^2, / 1.4, then full size.
    assert [e.image.size for e in events[:-1] if e.image is not None] == [
        (65, 43),
        (65, 43),
        (91, 61),
        (91, 61),
        (128, 85),
    ]
    final = events[-1]
    assert final.final and final.image.size == cat_128.size == (128, 85)


def test_dream_keeps_the_input_size_and_changes_the_picture(cat_128: Image.Image) -> None:
    result = Dreamer(make_tiny_cnn(), default_layer="relu3").dream(cat_128, QUICK.replace(max_size=128, octaves=2))
    assert result.size == cat_128.size and result.mode == "RGB"
    assert np.abs(pixels(result) - pixels(cat_128)).mean() > 2


def test_jitter_is_undone_after_each_step(cat_128: Image.Image) -> None:
    """On a shift-equivariant network, rolling and rolling back leaves the gradient unchanged.

    So a run with jitter must give the run without jitter, even though the network saw shifted
    images; had the roll not been undone, the dream would drift by the shifts.
    """
    settings = QUICK.replace(octaves=1, steps=4)
    jittered_net, still_net = InputRecorder(circular_cnn()), InputRecorder(circular_cnn())
    jittered = Dreamer(jittered_net, default_layer="body.relu2").dream(cat_128, settings.replace(jitter=16))
    still = Dreamer(still_net, default_layer="body.relu2").dream(cat_128, settings.replace(jitter=0))
    # The network really saw rolled images...
    assert any(not torch.allclose(a, b) for a, b in zip(jittered_net.seen, still_net.seen, strict=False))
    # ...but the dreams are the same up to float rounding (measured: 0.015 grey levels apart on average,
    # one value off by 2), where a 3-pixel drift would put them ~35 apart; and both differ from the photo.
    difference = np.abs(pixels(jittered) - pixels(still))
    assert difference.mean() < 0.1 and difference.max() <= 4
    assert np.abs(pixels(still) - pixels(cat_128.resize(still.size))).mean() > 2


def test_pixels_stay_in_range_even_with_a_huge_step(cat_128: Image.Image) -> None:
    net = InputRecorder(make_tiny_cnn())
    settings = QUICK.replace(max_size=96, octaves=2, steps=3, step_size=20.0)
    result = Dreamer(net, default_layer="body.relu3").dream(cat_128, settings)
    seen = torch.cat([x.flatten() for x in net.seen])
    # The network never sees a pixel outside [0, 1], in any step of any octave.
    assert seen.min().item() >= -1e-5 and seen.max().item() <= 1 + 1e-5
    values = pixels(result)
    assert values.min() == 0 and values.max() == 255  # the steps were large enough to hit both bounds


def test_same_seed_same_dream_different_seed_different_dream(cat_128: Image.Image) -> None:
    dreamer = Dreamer(make_tiny_cnn(), default_layer="relu3")
    settings = QUICK.replace(jitter=16, seed=7)
    first, again = dreamer.dream(cat_128, settings), dreamer.dream(cat_128, settings)
    other = dreamer.dream(cat_128, settings.replace(seed=8))
    assert np.array_equal(pixels(first), pixels(again))
    assert np.abs(pixels(first) - pixels(other)).mean() > 0.1


def test_tile_size_makes_no_difference_when_the_image_fits_in_one_tile(cat_128: Image.Image) -> None:
    dreamer = Dreamer(make_tiny_cnn(), default_layer="relu3")
    settings = QUICK.replace(max_size=128)
    assert np.array_equal(
        pixels(dreamer.dream(cat_128, settings.replace(tile_size=512))),
        pixels(dreamer.dream(cat_128, settings.replace(tile_size=128))),
    )


def test_tiles_smaller_than_the_image_give_a_close_result(cat_128: Image.Image) -> None:
    dreamer = Dreamer(make_tiny_cnn(), default_layer="relu3")
    settings = QUICK.replace(max_size=128, steps=4)
    whole = pixels(dreamer.dream(cat_128, settings.replace(tile_size=512)))
    tiled = pixels(dreamer.dream(cat_128, settings.replace(tile_size=64)))  # 2x3 tiles of about 43x43
    change = np.abs(whole - pixels(cat_128)).mean()
    # Only pixels near tile borders see different padding; measured: 0.4 grey levels apart vs a 5.9 change.
    assert np.abs(tiled - whole).mean() < 0.15 * change


# -- inputs: noise and masks --------------------------------------------------------------------------


def test_no_image_starts_from_noise_of_the_working_size() -> None:
    dreamer = Dreamer(make_tiny_cnn(), default_layer="relu3")
    settings = QUICK.replace(max_size=48, steps=1)
    result = dreamer.dream(None, settings)
    assert result.size == (48, 48)
    assert pixels(result).std() > 5  # noise, not a flat grey
    assert np.array_equal(pixels(dreamer.dream(None, settings)), pixels(result))  # the seed picks the noise
    assert not np.array_equal(pixels(dreamer.dream(None, settings.replace(seed=1))), pixels(result))


def test_mask_limits_the_change_to_its_white_part(cat_128: Image.Image) -> None:
    dreamer = Dreamer(make_tiny_cnn(), default_layer="relu3")
    settings = QUICK.replace(max_size=128, octaves=2)
    mask = Image.new("L", cat_128.size, 0)
    mask.paste(255, (0, 0, 64, cat_128.height))  # dream on the left half only
    change = np.abs(pixels(dreamer.dream(cat_128, settings, mask=mask)) - pixels(cat_128)).mean(axis=2)
    inside, outside = change[:, :60], change[:, 68:]  # a few pixels of slack where the octaves blur the edge
    assert inside.mean() > 3
    assert outside.max() <= 1  # only rounding to 8 bits


# -- progress events -----------------------------------------------------------------------------------


def test_previews_come_every_n_steps_at_the_preview_size_then_the_final_result(cat_128: Image.Image) -> None:
    dreamer = Dreamer(make_tiny_cnn(), default_layer="relu3")
    settings = QUICK.replace(max_size=128, octaves=2, steps=4)
    events = list(dreamer.dream_frames(cat_128, settings, preview_every=3, preview_size=32))
    assert len(events) == 2 * 4 + 1
    assert [e.done for e in events if e.image is not None and not e.final] == [3, 6]
    assert all(max(e.image.size) == 32 for e in events if e.image is not None and not e.final)
    final = events[-1]
    assert final.final and final.done == final.total == 8 and final.image.size == cat_128.size
    assert sum(e.final for e in events) == 1
    # preview_every=0: no previews, only the result.
    quiet = list(dreamer.dream_frames(cat_128, settings, preview_every=0))
    assert [e.image is not None for e in quiet] == [False] * 8 + [True]


def test_a_snapshot_is_the_dream_so_far_at_full_size_and_the_last_one_is_the_result(cat_128: Image.Image) -> None:
    """What Stop keeps: at every step the full working size, changing as the dream goes, ending at the result."""
    dreamer = Dreamer(make_tiny_cnn(), default_layer="relu3")
    settings = QUICK.replace(max_size=128, octaves=2, steps=3, seed=5)
    snapshots, final = [], None
    for event in dreamer.dream_frames(cat_128, settings, preview_every=0):
        if event.final:
            final = event.image
        else:
            assert event.snapshot is not None
            snapshots.append(event.snapshot())  # taken before asking for the next event, as documented
    assert final is not None and len(snapshots) == 6
    assert all(snapshot.size == cat_128.size for snapshot in snapshots)
    assert np.abs(pixels(snapshots[0]) - pixels(cat_128)).mean() > 0.5, "the first octave's detail is carried up"
    assert np.abs(pixels(snapshots[2]) - pixels(snapshots[4])).mean() > 0.5, "later steps change it"
    assert np.array_equal(pixels(snapshots[-1]), pixels(final))


# -- objectives chosen by the settings -----------------------------------------------------------------


def test_several_layers_are_a_weighted_sum(cat_128: Image.Image) -> None:
    dreamer = Dreamer(make_tiny_cnn(), default_layer="relu3")
    settings = QUICK.replace(layers=(LayerTarget("relu2", 1.0), LayerTarget("relu3", 0.5)))
    objective = dreamer.objective(settings)
    assert objective.layers == frozenset({"relu2", "relu3"})
    with torch.no_grad():
        acts = dreamer.activations(pil_to_tensor(cat_128), objective.layers)
    expected = acts["relu2"].pow(2).mean() + 0.5 * acts["relu3"].pow(2).mean()
    assert objective(acts).item() == pytest.approx(expected.item(), rel=1e-6)
    # A layer with weight 0 changes nothing: the same dream as the other layer alone.
    alone = dreamer.dream(cat_128, QUICK.replace(layers=(LayerTarget("relu2"),)))
    with_zero = dreamer.dream(cat_128, QUICK.replace(layers=(LayerTarget("relu2"), LayerTarget("relu3", 0.0))))
    assert np.array_equal(pixels(alone), pixels(with_zero))


def test_channel_objective_grows_the_chosen_channel_most(cat_128: Image.Image) -> None:
    dreamer = Dreamer(make_tiny_cnn(), default_layer="relu3")
    start = cat_128.resize((64, 42))
    result = dreamer.dream(cat_128, QUICK.replace(layers=(LayerTarget("relu3", channels=(5,)),)))
    with torch.no_grad():
        before = dreamer.activations(pil_to_tensor(start), frozenset(["relu3"]))["relu3"].pow(2).mean((0, 2, 3))
        after = dreamer.activations(pil_to_tensor(result), frozenset(["relu3"]))["relu3"].pow(2).mean((0, 2, 3))
    # Measured: channel 5 grows 10x, and its share of the layer's energy from 1.2% to 4.7%.
    assert after[5] > 4 * before[5]
    assert after[5] / after.sum() > 2 * before[5] / before.sum()


def test_channel_out_of_range_is_a_settings_error(cat_128: Image.Image) -> None:
    net = make_tiny_cnn()
    with pytest.raises(SettingsError, match=r"layer 'relu3' has 16 channels \(0 to 15\), got 99"):
        Dreamer(net).dream(cat_128, QUICK.replace(layers=(LayerTarget("relu3", channels=(99,)),)))
    assert hook_count(net) == 0


def test_class_target_by_name_and_by_index_raises_that_logit(cat_128: Image.Image) -> None:
    net = classifier_cnn()
    dreamer = Dreamer(net, default_layer="features.relu3", class_names=lambda: ["cat", "dog", "goldfish"])
    start = pil_to_tensor(cat_128.resize((64, 42)))
    for target, index in [("goldfish", 2), ("1", 1)]:
        settings = QUICK.replace(layers=(LayerTarget("features.relu3", 0.0),), class_target=target, class_weight=1.0)
        result = pil_to_tensor(dreamer.dream(cat_128, settings))
        with torch.no_grad():
            gain = net((result - dreamer.mean) / dreamer.std) - net((start - dreamer.mean) / dreamer.std)
        assert gain[0, index] > 0 and gain[0, index] == gain[0].max()


def test_class_target_on_a_network_without_class_names_says_so(cat_128: Image.Image) -> None:
    with pytest.raises(SettingsError, match="has no ImageNet classifier"):
        Dreamer(make_tiny_cnn(), default_layer="relu3").dream(cat_128, QUICK.replace(class_target="cat"))


def test_guide_of_another_size_pulls_features_towards_the_guide(cat_128: Image.Image) -> None:
    dreamer = Dreamer(make_tiny_cnn(), default_layer="relu3")
    guide = skimage_photo("coffee", 96)  # 96x72: another size and aspect than the 64x42 working image
    settings = QUICK.replace(layers=(LayerTarget("relu3"),))
    objective = dreamer.objective(settings, guide=guide)
    result = dreamer.dream(cat_128, settings, guide=guide)
    with torch.no_grad():
        before = objective(dreamer.activations(pil_to_tensor(cat_128.resize(result.size)), objective.layers)).item()
        after = objective(dreamer.activations(pil_to_tensor(result), objective.layers)).item()
    assert after > 1.5 * before


# -- bring your own network ----------------------------------------------------------------------------


def test_any_torchvision_network_dreams_by_module_name(cat_128: Image.Image) -> None:
    import torchvision

    net = torchvision.models.resnet18(weights=None)
    dreamer = Dreamer(net, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))
    settings = QUICK.replace(steps=2, layers=(LayerTarget("layer2.1.conv1"), LayerTarget("layer1", 0.5)))
    result = dreamer.dream(cat_128, settings)
    assert result.size == (64, 42) and not np.array_equal(pixels(result), pixels(cat_128.resize(result.size)))
    assert hook_count(net) == 0


def test_unknown_layer_names_the_layer_and_how_to_list_layers(cat_128: Image.Image) -> None:
    dreamer = Dreamer(make_tiny_cnn(), name="tiny")
    with pytest.raises(SettingsError, match=r"model 'tiny' has no layer 'relu9'") as err:
        dreamer.dream(cat_128, QUICK.replace(layers=(LayerTarget("relu9"),)))
    assert err.value.field == "layers"
    # A network of one's own is not in the CLI's zoo: the hint must work for it too.
    assert "dream_layers(module)" in str(err.value) and "'relu3'" in str(err.value)


def test_no_layer_and_no_default_layer_asks_for_a_layer(cat_128: Image.Image) -> None:
    with pytest.raises(SettingsError, match="choose a layer"):
        Dreamer(make_tiny_cnn()).dream(cat_128, QUICK)


def test_hooks_are_removed_after_every_kind_of_run(cat_128: Image.Image) -> None:
    net = classifier_cnn()
    dreamer = Dreamer(net, default_layer="features.relu3", class_names=lambda: ["cat", "dog", "goldfish"])
    dreamer.dream(cat_128, QUICK.replace(steps=1))
    dreamer.dream(cat_128, QUICK.replace(steps=1, class_target="dog"))
    dreamer.dream(cat_128, QUICK.replace(steps=1), guide=cat_128)
    run = dreamer.dream_frames(cat_128, QUICK, preview_every=1)
    next(run)
    run.close()  # stopped half-way
    assert hook_count(net) == 0
