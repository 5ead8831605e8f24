"""Objectives are plain functions of a dict of activations: exact values on known tensors."""

from __future__ import annotations

import pytest
import torch

from deepdream_core import SettingsError
from deepdream_core.dreaming import objectives
from deepdream_core.dreaming.objectives import LOGITS


def features(*rows: list[float]) -> torch.Tensor:
    """A (1, C, 1, W) activation: one row of W positions per channel."""
    return torch.tensor(rows, dtype=torch.float32).view(1, len(rows), 1, -1)


# Channel 0 holds 1, 2; channel 1 holds 3, 4.
ACTS = {"a": features([1, 2], [3, 4]), "b": features([2, 2]), LOGITS: torch.tensor([[0.0, 1.0, 5.0]])}


def test_layer_is_the_mean_of_squared_activations() -> None:
    objective = objectives.layer("a")
    assert objective(ACTS).item() == pytest.approx((1 + 4 + 9 + 16) / 4)
    assert objective.layers == frozenset({"a"})


def test_channels_reads_only_the_chosen_channels() -> None:
    assert objectives.channels("a", (1,))(ACTS).item() == pytest.approx((9 + 16) / 2)
    assert objectives.channels("a", (0, 1))(ACTS).item() == pytest.approx(objectives.layer("a")(ACTS).item())
    assert objectives.channels("a", (0,)).layers == frozenset({"a"})


def test_channel_out_of_range_says_how_many_channels_there_are() -> None:
    with pytest.raises(SettingsError, match=r"layer 'a' has 2 channels \(0 to 1\), got 5") as err:
        objectives.channels("a", (0, 5))(ACTS)
    assert err.value.field == "layers"


def test_class_logit_is_that_class_output() -> None:
    objective = objectives.class_logit(2)
    assert objective(ACTS).item() == 5.0
    assert objective.layers == frozenset({LOGITS})


def test_guide_matches_each_position_to_its_best_guide_feature() -> None:
    guide_features = features([1, 0], [0, 1])  # guide positions (1, 0) and (0, 1)
    acts = {"a": features([3, 0], [1, 2])}  # positions (3, 1) and (0, 2)
    # (3, 1) matches (1, 0) with dot 3; (0, 2) matches (0, 1) with dot 2; the mean is 2.5.
    assert objectives.guide("a", guide_features)(acts).item() == pytest.approx(2.5)


def test_guide_works_with_a_guide_of_another_spatial_size() -> None:
    one_position = features([1], [1])  # a 1x1 guide against a 1x2 image
    acts = {"a": features([3, 0], [1, 2])}
    assert objectives.guide("a", one_position)(acts).item() == pytest.approx((4 + 2) / 2)


def test_guide_grows_with_agreement() -> None:
    guide_features = features([1, 0], [0, 1])
    objective = objectives.guide("a", guide_features)
    assert objective({"a": features([2, 0], [0, 2])}) > objective({"a": features([1, 0], [0, 1])})


def test_objectives_combine_with_plus_and_scalar_times() -> None:
    a, b, cls = objectives.layer("a"), objectives.layer("b"), objectives.class_logit(1)
    combined = a + 2 * b + cls * 0.5
    assert combined(ACTS).item() == pytest.approx(7.5 + 2 * 4 + 0.5 * 1)
    assert combined.layers == frozenset({"a", "b", LOGITS})
    assert (3 * a).layers == frozenset({"a"}) and (3 * a)(ACTS).item() == pytest.approx(22.5)
    assert repr(a + b) == "Objective(layer(a) + layer(b))"


def test_objectives_are_differentiable() -> None:
    act = features([1, 2], [3, 4]).requires_grad_(True)
    objectives.layer("a")({"a": act}).backward()
    assert torch.allclose(act.grad, 2 * act.detach() / 4)  # d/dx mean(x^2) = 2x/N
