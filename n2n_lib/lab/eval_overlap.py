"""Leakage check: do training photos equal, crop or contain an evaluation photo?

:func:`check_no_eval_overlap` compares every training PNG with every evaluation PNG in grey at a small working scale,
by normalised cross-correlation over 13 relative scales (0.25-2x). :mod:`n2n_lib.lab.photo_collection` runs it at the
end of every build.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter
from scipy.signal import correlate

from n2n_lib.lab.photo_sources import PhotoCollectionError


def _grey_at(image: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """Grey float32 copy of an "L" image resized to `size` (BOX: averages), blurred by sigma 1 px for scale slack."""
    return gaussian_filter(np.asarray(image.resize(size, Image.Resampling.BOX), dtype=np.float32) / 255, 1.0)


def _best_ncc(image: np.ndarray, template: np.ndarray, min_std: float = 0.02) -> float:
    """Highest normalised cross-correlation of `template` (h, w) over all positions inside `image` (H, W).

    Windows or templates flatter than `min_std` score 0: a flat patch correlates with anything.
    """
    if template.std() < min_std:
        return 0.0
    h, w = template.shape
    centred = template - template.mean()
    numerator = correlate(image, centred, mode="valid")  # (H-h+1, W-w+1)
    sums = [np.pad(a.cumsum(0).cumsum(1), ((1, 0), (1, 0))) for a in (image, image * image)]
    s1, s2 = (c[h:, w:] - c[:-h, w:] - c[h:, :-w] + c[:-h, :-w] for c in sums)  # window sums of x and x**2
    variance = s2 - s1 * s1 / (h * w)
    valid = variance > h * w * min_std**2
    ncc = numerator / np.sqrt(np.where(valid, variance, 1.0) * float((centred * centred).sum()))
    return float(np.where(valid, ncc, 0.0).max())


def _pyramid(train: Image.Image, scale: float) -> list[np.ndarray]:
    """`train` in grey at the working scale, for 13 relative scales 0.25-2 (train pixels per evaluation pixel)."""
    grey = train.convert("L")
    levels = []
    for k in 2.0 ** (np.arange(-8, 5) / 4):
        f = scale / k
        levels.append(_grey_at(grey, (max(1, round(grey.width * f)), max(1, round(grey.height * f)))))
    return levels


def overlap_score(levels: list[np.ndarray], target: np.ndarray, min_side: int = 24) -> float:
    """Highest NCC between an evaluation image (`target`, working scale) and a training image's `levels`.

    Where a level is larger than the target in both directions the target is searched inside it (an embedded copy);
    otherwise the level's centre, cut to fit, is searched inside the target (a crop). Windows under `min_side` px are
    too small to judge and are skipped.
    """
    best = 0.0
    for level in levels:
        if level.shape[0] >= target.shape[0] and level.shape[1] >= target.shape[1]:
            best = max(best, _best_ncc(level, target))
            continue
        h, w = min(level.shape[0], target.shape[0]), min(level.shape[1], target.shape[1])
        if min(h, w) >= min_side:
            top, left = (level.shape[0] - h) // 2, (level.shape[1] - w) // 2
            best = max(best, _best_ncc(target, level[top : top + h, left : left + w]))
    return best


def _overlaps(path: Path, targets: dict[str, np.ndarray], scale: float, threshold: float) -> list[str]:
    with Image.open(path) as opened:
        levels = _pyramid(opened.convert("RGB"), scale)
    scores = {name: overlap_score(levels, target) for name, target in targets.items()}
    return [f"{path}: matches evaluation photo {n} (NCC {v:.2f})" for n, v in scores.items() if v >= threshold]


def check_no_eval_overlap(
    photos_dir: str | Path, eval_dir: str | Path, threshold: float = 0.88, work_side: int = 64, workers: int = 2
) -> list[str]:
    """Problems found: training PNGs under `photos_dir` that equal, crop or contain an evaluation PNG of `eval_dir`.

    All images are compared in grey at a working scale where the largest evaluation photo is `work_side` px long; a
    training image is flagged when, at one of 13 scales from 0.25x to 2x, its normalised cross-correlation with an
    evaluation photo reaches `threshold` (copies score about 0.93-1.0, unrelated photos below 0.75). An empty list
    means no overlap. About 0.1 s per training image and core.
    """
    eval_paths = sorted(Path(eval_dir).glob("*.png"))
    if not eval_paths:
        raise PhotoCollectionError(f"no evaluation photos (*.png) in {eval_dir}; pass the folder that holds them")
    evals = {p.name: Image.open(p).convert("L") for p in eval_paths}
    scale = work_side / max(max(e.size) for e in evals.values())
    targets = {n: _grey_at(e, (round(e.width * scale), round(e.height * scale))) for n, e in evals.items()}
    paths = sorted(Path(photos_dir).rglob("*.png"))
    check = partial(_overlaps, targets=targets, scale=scale, threshold=threshold)
    if workers > 1 and len(paths) > 20:
        with ProcessPoolExecutor(workers) as pool:
            found = list(pool.map(check, paths, chunksize=8))
    else:
        found = [check(p) for p in paths]
    return [problem for problems in found for problem in problems]
