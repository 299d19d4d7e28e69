"""Command line: ``python -m n2n_lib {prepare,train,evaluate,denoise}``.

The same library calls the notebooks make, for instructors and scripts. User errors (bad paths, files, specs or
settings) print one line on stderr and exit with status 2; ``--help`` on each subcommand lists its options.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from n2n_lib.losses import LOSSES
from n2n_lib.model import PRESETS
from n2n_lib.noise import NOISE_KINDS

SHIPPED = "the shipped model for the noise type, checkpoints/n2n_KIND.pt"


def _checkpoint(args: argparse.Namespace, noise: str) -> Path:
    """--checkpoint if given, else the shipped Noise2Noise model for `noise`'s kind."""
    from n2n_lib.lab.pretrained import shipped_checkpoint

    return args.checkpoint if args.checkpoint is not None else shipped_checkpoint(noise)


def _prepare(args: argparse.Namespace) -> None:
    from n2n_lib.pairs import load_pairs, prepare

    out = prepare(args.source, args.out, noise=args.noise, n_train=args.n_train, n_val=args.n_val, seed=args.seed)
    data = load_pairs(out)
    print(
        f"wrote {out}: {len(data)} training pairs, {data.val_clean.shape[0]} validation patches "
        f"({args.source}, noise {args.noise}, seed {args.seed})"
    )


def _train(args: argparse.Namespace) -> None:
    from n2n_lib.crops import load_photo_data
    from n2n_lib.model import UNetConfig
    from n2n_lib.pairs import load_pairs
    from n2n_lib.train import TrainConfig, fit

    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        lr=args.lr,
        momentum=args.momentum,
        targets="clean" if args.clean_targets else "noisy",
        noise=args.noise,
        loss=args.loss,
        seed=args.seed,
        device=args.device,
        max_batches=args.max_batches,
    )
    config.validate()
    if args.photos is not None:
        data = load_photo_data(args.photos, crop=args.crop, crops_per_epoch=args.crops_per_epoch, seed=args.seed)
        print(
            f"{data.meta['train_photos']} training photos ({data.meta['train_megapixels']} Mpx), "
            f"{data.meta['val_photos']} validation photos; {args.crop}×{args.crop} crops, "
            f"{args.crops_per_epoch} per epoch"
        )
    else:
        data = load_pairs(args.data)
    result = fit(
        data,
        UNetConfig.preset(args.preset),
        config,
        checkpoint=args.out,
        resume=args.resume,
        progress=not args.quiet,
    )
    print(
        f"wrote {args.out}: best validation PSNR {result.best_val_psnr:.2f} dB at epoch {result.best_epoch} "
        f"of {config.epochs} ({result.device})"
    )


def _evaluate(args: argparse.Namespace) -> None:
    from n2n_lib.checkpoint import load_model
    from n2n_lib.evaluate import evaluate_folder

    model, _ = load_model(_checkpoint(args, args.noise))
    report = evaluate_folder(model, args.images, args.noise, seed=args.seed)
    if args.json:
        print(json.dumps(report))
        return
    width = max(len("image"), *map(len, report["images"]))
    header = f"{'image':<{width}}  noisy PSNR  denoised PSNR  noisy SSIM  denoised SSIM"
    print(f"{header}   ({args.noise}, seed {args.seed})")
    means = {key.removeprefix("mean_"): value for key, value in report.items() if key.startswith("mean_")}
    for name, r in [*report["images"].items(), ("mean", means)]:
        psnrs, ssims = f"{r['noisy_psnr']:10.2f}  {r['psnr']:13.2f}", f"{r['noisy_ssim']:10.3f}  {r['ssim']:13.3f}"
        print(f"{name:<{width}}  {psnrs}  {ssims}")


def _denoise(args: argparse.Namespace) -> None:
    from PIL import Image

    from n2n_lib.checkpoint import load_model
    from n2n_lib.data import read_image, to_float, to_uint8
    from n2n_lib.errors import InputError
    from n2n_lib.inference import denoise
    from n2n_lib.io import atomic_write

    if args.output.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise InputError(f"output {args.output} must end in .png, .jpg or .jpeg (PNG keeps every pixel exact).")
    model, _ = load_model(_checkpoint(args, args.noise_type))
    out = to_uint8(denoise(model, to_float(read_image(args.input))))  # (3, H, W)
    image = Image.fromarray(out.permute(1, 2, 0).numpy())
    fmt = "PNG" if args.output.suffix.lower() == ".png" else "JPEG"
    atomic_write(args.output, lambda tmp: image.save(tmp, format=fmt))
    print(f"wrote {args.output}")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: `error: … (see … --help)` on stderr, exit status 2."""

    def error(self, message: str) -> None:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def _add_prepare(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("prepare", help="pack a data source into report-style torch pickles")
    s.add_argument(
        "--source",
        default="embedded",
        help="embedded | imagenet32:PATH | epfl:PATH | folder:PATH | cifar10[:ROOT] (default: embedded)",
    )
    s.add_argument("--out", type=Path, default=Path("data/embedded"), help="output folder (default: data/embedded)")
    s.add_argument("--noise", default="gaussian:25", help="noise spec for the stored pairs (default: gaussian:25)")
    s.add_argument("--n-train", type=int, default=6250, help="training patches (default: 6250, as in the report)")
    s.add_argument("--n-val", type=int, default=500, help="validation patches (default: 500)")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=_prepare)


def _add_train(sub: argparse._SubParsersAction) -> None:
    from n2n_lib.train import TrainConfig

    d = TrainConfig()  # the library's defaults are the command's defaults
    s = sub.add_parser("train", help="train a U-Net with noisy (or clean) targets")
    data = s.add_argument_group("data")
    data.add_argument(
        "--data", type=Path, default=Path("data/embedded"), help="a prepared folder (default: %(default)s)"
    )
    data.add_argument(
        "--photos",
        default=None,
        help="train on random crops of whole photos instead of --data: embedded | folder:PATH (e.g. data/photos)",
    )
    data.add_argument("--crop", type=int, default=96, help="crop size in pixels with --photos (default: %(default)s)")
    data.add_argument("--crops-per-epoch", type=int, default=2048, help="with --photos (default: %(default)s)")
    data.add_argument(
        "--noise",
        default=d.noise,
        help="fresh synthetic noise every batch (e.g. gaussian:0-50); default: the stored pairs",
    )
    run = s.add_argument_group("training (defaults: n2n_lib.train.TrainConfig)")
    run.add_argument("--out", type=Path, default=Path("checkpoints/model.pt"), help="best checkpoint path")
    run.add_argument("--epochs", type=int, default=d.epochs, help="(default: %(default)s)")
    run.add_argument("--preset", choices=list(PRESETS), default="small", help="U-Net size (default: %(default)s)")
    run.add_argument("--clean-targets", action="store_true", help="Noise2Clean: train against clean patches")
    run.add_argument("--loss", choices=LOSSES, default=d.loss, help="default: the noise type's matching loss")
    run.add_argument("--optimizer", choices=["adam", "sgd"], default=d.optimizer, help="(default: %(default)s)")
    run.add_argument("--lr", type=float, default=d.lr, help="(default: %(default)s)")
    run.add_argument("--momentum", type=float, default=d.momentum, help="SGD momentum (default: %(default)s)")
    run.add_argument("--batch-size", type=int, default=d.batch_size, help="(default: %(default)s)")
    run.add_argument("--max-batches", type=int, default=d.max_batches, help="cap on batches per epoch")
    run.add_argument("--device", default=d.device, help="auto | cpu | cuda | mps (default: %(default)s)")
    run.add_argument("--seed", type=int, default=d.seed)
    run.add_argument("--resume", action="store_true", help="continue the interrupted run that wrote --out")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    s.set_defaults(func=_train)


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("evaluate", help="add noise to each image of a folder, denoise it and print PSNR and SSIM")
    s.add_argument("--checkpoint", type=Path, default=None, help=f"default: {SHIPPED}")
    s.add_argument("--images", type=Path, default=Path("data/eval"))
    s.add_argument("--noise", default="gaussian:25", help="noise spec to add, e.g. gaussian:25, poisson:30, text:0.25")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    s.set_defaults(func=_evaluate)


def _add_denoise(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("denoise", help="denoise your own (noisy) image")
    s.add_argument("--checkpoint", type=Path, default=None, help=f"default: {SHIPPED}")
    s.add_argument(
        "--noise-type", choices=NOISE_KINDS, default="gaussian", help="the noise in your image; picks the shipped model"
    )
    s.add_argument("input", type=Path)
    s.add_argument("output", type=Path)
    s.set_defaults(func=_denoise)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m n2n_lib", description="Noise2Noise lab: prepare data, train, evaluate.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in (_add_prepare, _add_train, _add_evaluate, _add_denoise):
        add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from n2n_lib.errors import InputError

    try:
        args.func(args)
    except (InputError, FloatingPointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. an output folder without write permission, a full disk
        print(
            f"error: {exc.strerror or exc}: {exc.filename or ''} — check the path and its permissions", file=sys.stderr
        )
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
