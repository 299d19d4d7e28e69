"""The embedded training photos (``n2n_lib.data.EMBEDDED_TRAIN``) as photo-collection candidates.

They come from scikit-image and scikit-learn, which state each photo's licence:

* ``astronaut`` (NASA) and ``rocket`` (SpaceX): public domain, per the docstrings of ``skimage.data.astronaut`` and
  ``skimage.data.rocket``.
* ``coffee`` and ``chelsea``: CC0 by the photographer, per the docstrings of ``skimage.data.coffee`` and
  ``skimage.data.chelsea``.
* ``china``: CC-BY 2.0 (danielbuechele on Flickr), per ``sklearn/datasets/images/README.txt``.

Left out: ``motorcycle`` (the left view of ``skimage.data.stereo_motorcycle``, from the Middlebury 2014 stereo
benchmark): scikit-image states no licence for it, so it does not meet the licence rule. The validation photos
(``EMBEDDED_VAL``: flower, grace_hopper) are never added.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from importlib.metadata import version
from typing import TYPE_CHECKING

from PIL import Image

from n2n_lib.lab.photo_sources import Candidate, licence_allowed

if TYPE_CHECKING:
    from torch import Tensor

EMBEDDED_FOLDER = "embedded"  # OUT/embedded/<name>.png

# name -> (Python package that ships it, where it comes from, licence as that package states it)
EMBEDDED_PHOTOS = {
    "astronaut": ("scikit-image", "skimage.data.astronaut()", "public domain"),
    "coffee": ("scikit-image", "skimage.data.coffee()", "CC0"),
    "chelsea": ("scikit-image", "skimage.data.chelsea()", "CC0"),
    "rocket": ("scikit-image", "skimage.data.rocket()", "public domain"),
    "china": ("scikit-learn", "sklearn.datasets.load_sample_image('china.jpg')", "CC-BY-2.0"),
}
EMBEDDED_SKIP = {"motorcycle": "embedded: motorcycle (Middlebury stereo), no licence stated by scikit-image"}


def _png_bytes(image: Tensor) -> bytes:
    """PNG encoding of a uint8 (3, H, W) image."""
    buffer = io.BytesIO()
    Image.fromarray(image.permute(1, 2, 0).numpy()).save(buffer, format="PNG")
    return buffer.getvalue()


def embedded_candidates(skipped: Counter) -> Iterator[Candidate]:
    """The photos of ``EMBEDDED_TRAIN`` whose licence is allowed, each saved under ``OUT/embedded/``."""
    from n2n_lib.data import EMBEDDED_TRAIN, embedded_images  # imports torch: only when this source is used

    images = embedded_images()
    for name in EMBEDDED_TRAIN:
        if name in EMBEDDED_SKIP or name not in EMBEDDED_PHOTOS:
            skipped[EMBEDDED_SKIP.get(name, f"embedded: {name}, no licence recorded")] += 1
            continue
        package, original, licence = EMBEDDED_PHOTOS[name]
        if not licence_allowed(licence):
            skipped[f"embedded: licence {licence}"] += 1
            continue
        yield Candidate(
            package,
            name,
            original,
            licence,
            lambda image=images[name]: _png_bytes(image),
            folder=EMBEDDED_FOLDER,
            version=version(package),
        )
