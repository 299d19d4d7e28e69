"""The U-Net: shapes for odd sizes, both presets, the paper's layer table, the skip stack."""

import pytest
import torch

from n2n_lib.errors import InputError
from n2n_lib.model import UNet, UNetConfig, count_parameters, layer_table

# Lehtinen et al. 2018, appendix A.1, table 2: (layer, input channels, output channels) for a 3-channel image.
PAPER_TABLE = [
    ("enc_conv0", 3, 48), ("enc_conv1", 48, 48), ("enc_conv2", 48, 48), ("enc_conv3", 48, 48),
    ("enc_conv4", 48, 48), ("enc_conv5", 48, 48), ("enc_conv6", 48, 48),
    ("dec_conv5a", 96, 96), ("dec_conv5b", 96, 96), ("dec_conv4a", 144, 96), ("dec_conv4b", 96, 96),
    ("dec_conv3a", 144, 96), ("dec_conv3b", 96, 96), ("dec_conv2a", 144, 96), ("dec_conv2b", 96, 96),
    ("dec_conv1a", 99, 64), ("dec_conv1b", 64, 32), ("dec_conv1c", 32, 3),
]  # fmt: skip


@pytest.mark.parametrize("preset", ["small", "paper"])
@pytest.mark.parametrize("size", [(32, 32), (37, 53), (5, 7), (64, 1)])
def test_output_has_input_shape_for_any_size(preset, size):
    torch.manual_seed(0)
    model = UNet(UNetConfig.preset(preset)).eval()
    with torch.no_grad():
        y = model(torch.rand(2, 3, *size))
    assert y.shape == (2, 3, *size)
    assert torch.isfinite(y).all()


def test_paper_preset_matches_the_papers_layer_table():
    rows = layer_table(UNet(UNetConfig.preset("paper")), 32, 32)
    assert [(r["layer"], r["in_channels"], r["out_channels"]) for r in rows] == PAPER_TABLE
    # five poolings: the bottleneck of a 32×32 input is 1×1, the output is full size
    assert next(r for r in rows if r["layer"] == "enc_conv6")["output_shape"] == (48, 1, 1)
    assert rows[-1]["output_shape"] == (3, 32, 32)


def test_small_preset_is_lighter_than_paper():
    small, paper = UNet(UNetConfig.preset("small")), UNet(UNetConfig.preset("paper"))
    assert count_parameters(small) * 4 < count_parameters(paper)
    assert count_parameters(paper) == sum(r["parameters"] for r in layer_table(paper))


def test_skip_stack_pushes_and_pops_in_reverse_order():
    trace = []
    UNet(UNetConfig.preset("paper"))(torch.rand(1, 3, 32, 32), trace=trace)
    pushed = [name for op, name, _ in trace if op == "push"]
    popped = [name for op, name, _ in trace if op == "pop"]
    assert pushed == ["input", "pool1", "pool2", "pool3", "pool4"]
    assert popped == pushed[::-1]


def test_batch_norm_and_relu_options_change_the_layers():
    model = UNet(UNetConfig(activation="relu", batch_norm=True))
    kinds = {type(m).__name__ for m in model.modules()}
    assert {"ReLU", "BatchNorm2d"} <= kinds
    assert "LeakyReLU" not in kinds


def test_bad_config_names_the_field():
    with pytest.raises(InputError, match="activation 'gelu'"):
        UNetConfig(activation="gelu")
    with pytest.raises(InputError, match="preset 'huge'"):
        UNetConfig.preset("huge")


def test_config_round_trips_through_a_dict():
    config = UNetConfig.preset("paper", batch_norm=True)
    assert UNetConfig.from_dict(config.to_dict()) == config
