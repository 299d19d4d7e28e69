"""Build an offline, redistributable folder of training photos from five Debian packages and the embedded photos.

``python -m n2n_lib.lab.photo_collection --out data/photos [--debs DIR]`` fetches ``gcompris-qt-data``,
``lomiri-wallpapers-16.04``, ``lomiri-wallpapers-20.04``, ``palapeli-data`` and ``opencv-doc`` with ``apt-get download``
(or reuses the ``.deb`` files in ``--debs``), unpacks them with ``dpkg -x`` and writes every kept photo as an RGB PNG,
longer side at most 1024 px, to ``OUT/<package>/<name>.png``. ``OUT/manifest.csv`` (file, source_package,
package_version, original_path, licence, width, height) is written last, so a folder without it is unfinished. The
embedded training photos (``n2n_lib.data.EMBEDDED_TRAIN``, shipped by scikit-image and scikit-learn) are added as
``OUT/embedded/<name>.png``, unscaled; ``motorcycle`` is left out (no licence stated, see
:mod:`n2n_lib.lab.embedded_photos`) and the validation photos (``EMBEDDED_VAL``) are never added. The ``folder:`` source
of notebook ``01_data_preparation`` reads the result.

Licence rule: an image is kept only when the licence recorded for that very image is public domain, CC0, CC-BY or
CC-BY-SA (any version, no NC/ND), or, for the OpenCV samples, the permissive licence (Apache-2.0 / BSD-3-Clause) that
the package's copyright file states for them. The licence string is copied into the manifest as found.

Where the licences come from (the collectors are in :mod:`n2n_lib.lab.photo_sources`):

* gcompris-qt-data: photos live in Qt ``.rcc`` files (read with :mod:`n2n_lib.lab.rcc`); each activity's resource
  folder holds a ``README`` in copyright-file style (``Copyright:``, ``License:``, ``Files:``) naming each image. Only
  the activities in ``GCOMPRIS_ACTIVITIES`` hold photographs. Excluded: ``paintings`` and the Van Gogh pictures of
  ``details`` (paintings, not photographs; ``paintings`` is GPL too), ``lang`` (cartoon drawings), ``babyshapes``
  (cut-outs, no per-image README), ``louis-braille``, ``leftright`` and ``chronos`` (GPLv3), the ``clickgame`` fish
  (xfishtank drawings) and the graphics of ``digital_electricity``, ``hangman``, ``memory-sound`` and ``core``;
  ``photo_hunter``, ``imagename`` and ``babymatch`` ship only SVG drawings in this version.
* lomiri-wallpapers-*: the package's copyright file, per wallpaper; synthetic ones (gradients, renders) are skipped.
* palapeli-data: ``X-KDE-PluginInfo-License`` in each puzzle's ``.desktop`` file (two are GFDL and so skipped).
* opencv-doc: an allow-list of real photographs in ``examples/data``; licence from the copyright file's stanza for
  upstream ``samples/data``. Lena is not shipped by Debian; baboon (USC-SIPI) and messi5 (a press photo) have unclear
  licences and are left out.
* embedded: what scikit-image (``skimage.data`` docstrings) and scikit-learn (``datasets/images/README.txt``)
  state; see :mod:`n2n_lib.lab.embedded_photos`.

Every build ends with :func:`check_no_eval_overlap` (:mod:`n2n_lib.lab.eval_overlap`) against ``data/eval``; the build
fails when a training image equals, crops or contains (rescaled 0.25-2x) an evaluation photo.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from n2n_lib.errors import InputError
from n2n_lib.io import atomic_write
from n2n_lib.lab.embedded_photos import EMBEDDED_FOLDER, embedded_candidates
from n2n_lib.lab.eval_overlap import check_no_eval_overlap
from n2n_lib.lab.photo_sources import Candidate, PhotoCollectionError, find_candidates

__all__ = ["Candidate", "PhotoCollectionError", "build", "check_no_eval_overlap", "main"]

PACKAGES = ("gcompris-qt-data", "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04", "palapeli-data", "opencv-doc")
MAX_SIDE = 1024  # longer side after downscaling, px
MIN_SIDE = 128  # shorter side below this (after scaling): too small to crop training patches from
DUPLICATE_MAD = 0.04  # mean |difference| of 16x16 grey thumbnails (0-1 scale) below which two photos are one
MANIFEST_COLUMNS = ("file", "source_package", "package_version", "original_path", "licence", "width", "height")


def to_training_rgb(blob: bytes, max_side: int = MAX_SIDE) -> Image.Image:
    """Decode an image, apply its EXIF orientation, flatten alpha onto black and downscale (LANCZOS) to `max_side`."""
    with Image.open(io.BytesIO(blob)) as opened:
        image = ImageOps.exif_transpose(opened)
        image.load()
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba)
    image = image.convert("RGB")
    scale = max_side / max(image.size)
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image


def grey_thumbnail(image: Image.Image, size: int = 16) -> np.ndarray:
    """(size, size) float32 grey thumbnail in [0, 1], aspect ratio ignored: the duplicate fingerprint."""
    return np.asarray(image.convert("L").resize((size, size), Image.Resampling.BOX), dtype=np.float32) / 255


def is_near_duplicate(thumb: np.ndarray, aspect: float, kept: list[tuple[np.ndarray, float]]) -> bool:
    """True when a kept photo has a similar aspect ratio (±10%) and a thumbnail closer than ``DUPLICATE_MAD``."""
    return any(abs(aspect / a - 1) < 0.1 and float(np.abs(thumb - t).mean()) < DUPLICATE_MAD for t, a in kept)


def fetch_debs(workdir: Path, debs: Path | None = None) -> dict[str, Path]:
    """``{package: .deb path}`` for ``PACKAGES``: from the folder `debs` if given, else ``apt-get download``."""
    if debs is None:
        for package in PACKAGES:
            done = subprocess.run(["apt-get", "download", package], cwd=workdir, capture_output=True, text=True)
            if done.returncode != 0:
                raise PhotoCollectionError(
                    f"`apt-get download {package}` failed ({done.stderr.strip()[-200:]}); run `apt-get update`, or "
                    "pass --debs DIR with already downloaded .deb files"
                )
        debs = workdir
    found = {}
    for package in PACKAGES:
        matches = sorted(Path(debs).glob(f"{package}_*.deb"))
        if not matches:
            raise PhotoCollectionError(f"no {package}_*.deb in {debs}; download it with `apt-get download {package}`")
        found[package] = matches[-1]
    return found


def unpack_deb(deb: Path, dest: Path) -> str:
    """``dpkg -x`` `deb` into `dest`; returns the package version."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dpkg", "-x", str(deb), str(dest)], check=True)
    return subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True, text=True
    ).stdout.strip()


def write_manifest(rows: list[dict[str, object]], path: Path) -> Path:
    """Write the manifest CSV (``MANIFEST_COLUMNS``) atomically."""

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=MANIFEST_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)

    return atomic_write(path, write)


def convert_candidates(
    candidates: Iterator[Candidate], version: str, out: Path, skipped: Counter, kept: list[tuple[np.ndarray, float]]
) -> list[dict[str, object]]:
    """Convert, filter (size, near-duplicates against `kept`) and save candidates; returns their manifest rows.

    A candidate is saved as ``OUT/<folder or package>/<name>.png``; its own `version`, when set, overrides `version`.
    """
    rows: list[dict[str, object]] = []
    for candidate in candidates:
        image = to_training_rgb(candidate.read())
        if min(image.size) < MIN_SIDE:
            skipped[f"{candidate.package}: shorter side < {MIN_SIDE} px"] += 1
            continue
        thumb, aspect = grey_thumbnail(image), image.width / image.height
        if is_near_duplicate(thumb, aspect, kept):
            skipped[f"{candidate.package}: near-duplicate"] += 1
            continue
        kept.append((thumb, aspect))
        folder = out / (candidate.folder or candidate.package)
        target = folder / f"{candidate.name}.png"
        n = 1
        while target.exists():  # old files were removed first, so this is a name clash within the build
            n += 1
            target = folder / f"{candidate.name}_{n}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, lambda tmp, im=image: im.save(tmp, format="PNG"))
        rows.append(
            {
                "file": str(target.relative_to(out)),
                "source_package": candidate.package,
                "package_version": candidate.version or version,
                "original_path": candidate.original_path,
                "licence": candidate.licence,
                "width": image.width,
                "height": image.height,
            }
        )
    return rows


def build(out: str | Path, debs: str | Path | None = None, eval_dir: str | Path | None = None) -> list[dict]:
    """Build the photo folder `out` (see the module docstring); returns the manifest rows.

    Raises PhotoCollectionError when a package cannot be fetched or a photo overlaps ``eval_dir`` (default
    ``data/eval``); the manifest is then not written, which marks the folder unfinished.
    """
    from n2n_lib.paths import data_dir

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.csv").unlink(missing_ok=True)  # a folder without a manifest is unfinished
    rows: list[dict[str, object]] = []
    skipped: Counter = Counter()
    kept: list[tuple[np.ndarray, float]] = []
    with tempfile.TemporaryDirectory(prefix="n2n-photos-") as tmp:
        found = fetch_debs(Path(tmp), Path(debs) if debs else None)
        for package, deb in found.items():
            for old in (out / package).glob("*.png"):
                old.unlink()
            version = unpack_deb(deb, Path(tmp) / "x" / package)
            rows += convert_candidates(
                find_candidates(package, Path(tmp) / "x" / package, skipped), version, out, skipped, kept
            )
    for old in (out / EMBEDDED_FOLDER).glob("*.png"):
        old.unlink()
    rows += convert_candidates(embedded_candidates(skipped), "", out, skipped, kept)
    for reason, count in sorted(skipped.items()):
        print(f"  skipped {count:4d}: {reason}")
    problems = check_no_eval_overlap(out, eval_dir or data_dir() / "eval")
    if problems:
        raise PhotoCollectionError(
            f"{len(problems)} training photo(s) overlap the evaluation set; remove them from the source lists: "
            + "; ".join(problems)
        )
    write_manifest(rows, out / "manifest.csv")
    return rows


def summary_lines(rows: list[dict]) -> list[str]:
    """One line per package (count, megapixels), per licence (count) and a total."""
    lines = []
    for key in ("source_package", "licence"):
        groups: dict[str, list[dict]] = {}
        for row in rows:
            groups.setdefault(str(row[key]), []).append(row)
        for name, group in sorted(groups.items()):
            mpix = sum(int(r["width"]) * int(r["height"]) for r in group) / 1e6
            lines.append(f"{name:40s} {len(group):4d} photos {mpix:7.1f} MP")
        lines.append("")
    total = sum(int(r["width"]) * int(r["height"]) for r in rows) / 1e6
    lines.append(f"{'total':40s} {len(rows):4d} photos {total:7.1f} MP")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m n2n_lib.lab.photo_collection --out data/photos [--debs DIR] [--eval-dir DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder to write (OUT/<package>/*.png and OUT/manifest.csv)")
    parser.add_argument("--debs", help="folder with already downloaded .deb files (default: apt-get download)")
    parser.add_argument("--eval-dir", help="evaluation photos that must not leak into training (default data/eval)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        rows = build(args.out, args.debs, args.eval_dir)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(summary_lines(rows)))
    print(f"built {args.out} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
