"""The Noise2Noise U-Net, built from ConvLeakyReLU blocks around an explicit stack of skip connections.

Taught in notebook ``02_architecture``. The encoder *pushes* the input and each pooled feature map onto a stack; the
decoder *pops* them in reverse order, upsamples, concatenates and convolves. The ``paper`` preset is the network of
Lehtinen et al. (2018), appendix A.1, table 2: 48-channel encoder with five 2×2 max-poolings, 96-channel decoder with
nearest-neighbour upsampling, and a 64 → 32 → C head whose last convolution is linear. Layer names follow that table
(``enc_conv0`` … ``dec_conv1c``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from n2n_lib.errors import InputError

ACTIVATIONS = ("leaky_relu", "relu")


@dataclass(frozen=True)
class UNetConfig:
    """Shape of the U-Net. Defaults are the ``small`` preset; ``UNetConfig.preset("paper")`` gives the paper's."""

    in_channels: int = 3
    out_channels: int = 3
    width: int = 24  # encoder channels (paper: 48); the decoder uses twice as many
    depth: int = 3  # number of 2×2 poolings (paper: 5); inputs are padded to a multiple of 2**depth
    head: tuple[int, int] = (32, 16)  # the two last non-linear convolutions (paper: 64, 32)
    activation: str = "leaky_relu"  # "leaky_relu" (slope 0.1, as in the paper) or "relu"
    batch_norm: bool = False  # BatchNorm after each convolution (not in the paper; the report tried it)
    name: str = field(default="small", compare=False)

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise InputError(f"activation {self.activation!r} is unknown; use one of {', '.join(ACTIVATIONS)}.")
        if self.depth < 1 or self.width < 1 or min(self.head) < 1:
            raise InputError(
                f"UNetConfig needs depth ≥ 1 and positive widths, got depth={self.depth}, "
                f"width={self.width}, head={self.head}."
            )

    @staticmethod
    def preset(name: str, **overrides) -> UNetConfig:
        """The named preset (``paper`` or ``small``), with any field overridden."""
        if name not in PRESETS:
            raise InputError(f"preset {name!r} is unknown; use one of {', '.join(PRESETS)}.")
        return replace(PRESETS[name], **overrides)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["head"] = list(self.head)
        return d

    @staticmethod
    def from_dict(d: dict) -> UNetConfig:
        d = dict(d)
        d["head"] = tuple(d["head"])
        return UNetConfig(**d)


PRESETS: dict[str, UNetConfig] = {
    "small": UNetConfig(),
    "paper": UNetConfig(width=48, depth=5, head=(64, 32), name="paper"),
    # The paper's five poolings (its receptive field) with two-thirds of its width: the shipped pretrained models'
    # network, which denoises a 256×256 image in under 40 ms on 2 CPU cores (checkpoints/README.md).
    "medium": UNetConfig(width=32, depth=5, head=(48, 24), name="medium"),
}


class ConvLeakyReLU(nn.Sequential):
    """3×3 convolution (same padding) + optional BatchNorm + LeakyReLU(0.1) (or ReLU)."""

    def __init__(self, in_ch: int, out_ch: int, activation: str = "leaky_relu", batch_norm: bool = False):
        layers: list[nn.Module] = [nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=not batch_norm)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_ch))
        layers.append(nn.LeakyReLU(0.1, inplace=True) if activation == "leaky_relu" else nn.ReLU(inplace=True))
        super().__init__(*layers)


class UNet(nn.Module):
    """U-Net denoiser: (B, in_channels, H, W) → (B, out_channels, H, W), any H and W.

    Images whose sides are not multiples of ``2**depth`` are reflect-padded and the output cropped back. The output is
    not clamped: the network predicts pixel values directly (as in the paper), which keeps the loss unbiased.
    """

    def __init__(self, config: UNetConfig | None = None):
        super().__init__()
        self.config = c = config or UNetConfig()
        block = lambda i, o: ConvLeakyReLU(i, o, c.activation, c.batch_norm)  # noqa: E731
        w, d = c.width, c.depth
        # Encoder: enc_conv0, enc_conv1, then one conv per further level and one at the bottom.
        self.encoder = nn.ModuleDict({"enc_conv0": block(c.in_channels, w), "enc_conv1": block(w, w)})
        for level in range(2, d + 2):
            self.encoder[f"enc_conv{level}"] = block(w, w)
        self.pool = nn.MaxPool2d(2)
        # Decoder: level d … 2 take (upsampled + skip) channels to 2w; level 1 ends in the head.
        self.decoder = nn.ModuleDict()
        for level in range(d, 1, -1):
            up_ch = w if level == d else 2 * w
            self.decoder[f"dec_conv{level}a"] = block(up_ch + w, 2 * w)
            self.decoder[f"dec_conv{level}b"] = block(2 * w, 2 * w)
        up_ch = w if d == 1 else 2 * w
        self.decoder["dec_conv1a"] = block(up_ch + c.in_channels, c.head[0])
        self.decoder["dec_conv1b"] = block(c.head[0], c.head[1])
        self.decoder["dec_conv1c"] = nn.Conv2d(c.head[1], c.out_channels, 3, padding=1)  # linear output
        self._init_weights()

    def _init_weights(self) -> None:
        # He initialisation for the LeakyReLU convolutions, as in the paper's reference implementation.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, a=0.1, nonlinearity="leaky_relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: Tensor, trace: list | None = None) -> Tensor:
        """Denoise `x`. If `trace` is a list, ("push"|"pop"|"conv", layer, shape) events are appended to it."""
        log = trace.append if trace is not None else (lambda event: None)
        h_in, w_in = x.shape[-2:]
        x = _pad_to_multiple(x, 2**self.config.depth)
        enc, dec, d = self.encoder, self.decoder, self.config.depth

        skips: list[Tensor] = [x]  # the skip stack: push while encoding …
        log(("push", "input", tuple(x.shape)))
        h = enc["enc_conv1"](enc["enc_conv0"](x))
        for level in range(1, d + 1):
            if level > 1:
                h = enc[f"enc_conv{level}"](h)
            h = self.pool(h)  # (B, w, H / 2**level, W / 2**level)
            if level < d:
                skips.append(h)
                log(("push", f"pool{level}", tuple(h.shape)))
        h = enc[f"enc_conv{d + 1}"](h)
        log(("conv", f"enc_conv{d + 1}", tuple(h.shape)))

        for level in range(d, 0, -1):  # … pop while decoding
            h = F.interpolate(h, scale_factor=2.0, mode="nearest")
            skip = skips.pop()
            log(("pop", "input" if level == 1 else f"pool{level - 1}", tuple(skip.shape)))
            h = torch.cat([h, skip], dim=1)
            h = dec[f"dec_conv{level}b"](dec[f"dec_conv{level}a"](h))
            log(("conv", f"dec_conv{level}b", tuple(h.shape)))
        assert not skips, "every pushed skip must be popped"
        h = dec["dec_conv1c"](h)
        return h[..., :h_in, :w_in]


def _pad_to_multiple(x: Tensor, multiple: int) -> Tensor:
    """Pad the bottom/right of (B, C, H, W) so H and W are multiples of `multiple` (reflect where possible)."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return x
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def layer_table(model: UNet, height: int = 32, width: int = 32) -> list[dict]:
    """One row per named layer: {"layer", "in_channels", "out_channels", "output_shape", "parameters"}.

    Runs one forward pass of a zero image of the given size through `model` (on its device) with hooks.
    """
    rows: list[dict] = []
    hooks = []
    for name, module in [*model.encoder.items(), *model.decoder.items()]:
        conv = module if isinstance(module, nn.Conv2d) else module[0]

        def hook(mod, inp, out, name=name, conv=conv):
            rows.append(
                {
                    "layer": name,
                    "in_channels": conv.in_channels,
                    "out_channels": conv.out_channels,
                    "output_shape": tuple(out.shape[1:]),
                    "parameters": count_parameters(mod),
                }
            )

        hooks.append(module.register_forward_hook(hook))
    try:
        p = next(model.parameters())
        with torch.no_grad():
            model(torch.zeros(1, model.config.in_channels, height, width, device=p.device, dtype=p.dtype))
    finally:
        for h in hooks:
            h.remove()
    return rows
