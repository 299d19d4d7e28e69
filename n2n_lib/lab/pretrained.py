"""The shipped pretrained models: one recipe each, trained resumably, then copied into ``checkpoints/``.

``python -m n2n_lib.lab.pretrained train NAME`` trains recipe NAME on random crops of the photo collection
(``python -m n2n_lib.lab.photo_collection`` builds ``data/photos``) into ``checkpoints/training/NAME.pt``. Run the
same command again after an interruption and it continues from the last finished epoch (the resume state beside the
checkpoint), so a stopped run loses at most one epoch. ``… ship NAME`` copies the best weights, configuration,
data provenance and history (no optimizer state) to ``checkpoints/NAME.pt``, the file the lab loads.
``… list`` prints the recipes. checkpoints/README.md records what each shipped file was trained with and how it scores.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from n2n_lib.checkpoint import load_model, read_checkpoint, save_checkpoint
from n2n_lib.errors import InputError
from n2n_lib.model import UNetConfig
from n2n_lib.noise import NOISE_KINDS, NoiseSpec, parse_noise
from n2n_lib.paths import checkpoints_dir, project_root
from n2n_lib.train import TrainConfig, fit, resume_path

# Chosen by measurement (checkpoints/README.md, "How the network and crop size were chosen").
SHIPPED_UNET = UNetConfig.preset("medium")


@dataclass(frozen=True)
class Recipe:
    """How one shipped model is trained: network, training settings and crops of which photos."""

    model: UNetConfig
    train: TrainConfig
    photos: str = "folder:data/photos"
    crop: int = 64
    crops_per_epoch: int = 4096
    note: str = field(default="", compare=False)


def _gaussian(targets: str) -> TrainConfig:
    return TrainConfig(epochs=150, batch_size=16, lr=1e-3, noise="gaussian:0-50", targets=targets, seed=0)


def _other(noise: str) -> TrainConfig:
    """The other noise types: Noise2Noise with the noise's matching loss, about a fifth of the Gaussian budget."""
    return TrainConfig(epochs=32, batch_size=16, lr=1e-3, noise=noise, targets="noisy", seed=0)


# The other noise types are blind over the ranges of Lehtinen et al. 2018 (Sec. 3.2-3.3; Poisson from λ = 5, since
# λ -> 0 leaves no signal), so one model serves the gallery's fixed level and the slider alike.
RECIPES: dict[str, Recipe] = {
    "n2n_gaussian": Recipe(SHIPPED_UNET, _gaussian("noisy"), note="blind Gaussian σ ∈ [0, 50], noisy targets"),
    "n2c_gaussian": Recipe(SHIPPED_UNET, _gaussian("clean"), note="its Noise2Clean twin, trained identically"),
    "n2n_poisson": Recipe(SHIPPED_UNET, _other("poisson:5-50"), note="blind Poisson λ ∈ [5, 50], L2"),
    "n2n_bernoulli": Recipe(SHIPPED_UNET, _other("bernoulli:0-0.95"), note="blind Bernoulli p ∈ [0, 0.95], masked L2"),
    "n2n_impulse": Recipe(SHIPPED_UNET, _other("impulse:0-0.95"), note="blind impulse p ∈ [0, 0.95], annealed L0"),
    "n2n_text": Recipe(SHIPPED_UNET, _other("text:0-0.5"), note="blind text p ∈ [0, 0.5], L1"),
}


def training_path(name: str) -> Path:
    return checkpoints_dir() / "training" / f"{name}.pt"


def shipped_checkpoint(noise: str | NoiseSpec) -> Path:
    """``checkpoints/n2n_KIND.pt``, the shipped Noise2Noise model for `noise`: a kind (``"poisson"``) or a spec.

    Raises InputError naming the missing file and the commands that make it.
    """
    kind = noise if noise in NOISE_KINDS else parse_noise(noise).kind
    name = f"n2n_{kind}"
    path = checkpoints_dir() / f"{name}.pt"
    if not path.is_file():
        raise InputError(
            f"{path} is missing; restore it with `git checkout -- checkpoints/{name}.pt`, or make it with "
            f"`python -m n2n_lib.lab.pretrained train {name}` and then `… ship {name}`."
        )
    return path


def _recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise InputError(f"no recipe named {name!r}; use one of {', '.join(RECIPES)}.")
    return RECIPES[name]


def train(name: str, progress: bool = True) -> Path:
    """Train (or continue training) recipe `name`; returns its checkpoint under checkpoints/training/."""
    from n2n_lib.crops import load_photo_data

    recipe = _recipe(name)
    photos = recipe.photos
    if photos.startswith("folder:") and not Path(photos[7:]).is_absolute():
        photos = f"folder:{project_root() / photos[7:]}"  # relative to the project, wherever we are called from
    data = load_photo_data(photos, crop=recipe.crop, crops_per_epoch=recipe.crops_per_epoch, seed=recipe.train.seed)
    data.meta["source"] = recipe.photos  # provenance without this machine's paths
    path = training_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    resume = resume_path(path).exists()
    print(
        f"{name}: {'resuming' if resume else 'starting'}; {data.meta['train_photos']} training photos "
        f"({data.meta['train_megapixels']} Mpx), {data.meta['val_photos']} validation photos",
        flush=True,
    )
    start = time.perf_counter()
    result = fit(data, recipe.model, recipe.train, checkpoint=path, resume=resume, progress=progress)
    print(
        f"{name}: best validation PSNR {result.best_val_psnr:.2f} dB at epoch {result.best_epoch} "
        f"({time.perf_counter() - start:.0f} s this session)",
        flush=True,
    )
    return path


def ship(name: str) -> Path:
    """Copy the trained checkpoint of `name` (best weights and records, no optimizer state) to checkpoints/NAME.pt."""
    ckpt = read_checkpoint(training_path(name))
    if ckpt.get("train_config") != _recipe(name).train.to_dict():
        raise InputError(f"{training_path(name)} was not trained with today's recipe {name!r}; train it again.")
    model, _ = load_model(training_path(name))
    extra = {k: v for k, v in ckpt.items() if k not in ("format", "model_config", "model_state")}
    return save_checkpoint(checkpoints_dir() / f"{name}.pt", model, **extra)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m n2n_lib.lab.pretrained", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print the recipes")
    for command in ("train", "ship"):
        sub.add_parser(command).add_argument("name", choices=list(RECIPES))
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    try:
        if args.command == "list":
            for name, r in RECIPES.items():
                print(
                    f"{name}: {r.note}; {r.model}; {r.train}; {r.photos}, {r.crop}-px crops, {r.crops_per_epoch}/epoch"
                )
        elif args.command == "train":
            train(args.name, progress=not args.quiet)
        else:
            print("wrote", ship(args.name))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
