"""Candidate photos of the Debian packages used by :mod:`n2n_lib.lab.photo_collection`, with their licences.

One collector per package yields :class:`Candidate` objects (a name, the path inside the package, the licence found for
that very image, and a reader of the image bytes); images whose licence fails :func:`licence_allowed` are counted in
`skipped` instead. The licence parsers (GCompris resource ``README`` files, Debian DEP-5 copyright files) live here
too. See the docstring of :mod:`n2n_lib.lab.photo_collection` for what is excluded and why.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from n2n_lib.errors import InputError
from n2n_lib.lab.rcc import RccFile

# activity -> file-name pattern of its photographs (fnmatch, on the base name)
GCOMPRIS_ACTIVITIES = {
    "explore_monuments": "*.webp",  # monuments of the world
    "explore_world_animals": "*.webp",  # wild animals
    "explore_farm_animals": "*.webp",  # farm animals
    "explore_world_music": "*.webp",  # musicians and instruments
    "erase": "*.webp",  # animal photos behind the squares to erase
    "categorization": "*.webp",  # fishes, monuments, tools, household objects, dams, windmills, solar panels
    "details": "*_background.webp",  # the numbered files are cut-out pieces of the same picture
    "clickgame": "sea*.webp",  # underwater backgrounds; the fish are drawings
    "solar_system": "*.webp",  # NASA photographs of the planets and the Sun
}
LOMIRI_SKIP = {
    "umang_by_Abhishek_Mudgal.jpg": "synthetic colour gradient",
    "Fossa_by_Jasper_Roks.jpg": "abstract polygon graphic",
    "Infinite-Sea_by_Aury88.jpg": "digital composite, not a photograph",
    "Painting-Colors_by__herobrine7gamer.jpg": "synthetic colour stripes",
}
OPENCV_PHOTOS = {
    "aero1.jpg": "aerial photo of a town",
    "aero3.jpg": "aerial photo, another view",
    "aloeL.jpg": "Middlebury stereo photo of an aloe (aloeR is the other eye: a near-duplicate)",
    "apple.jpg": "an apple",
    "basketball1.png": "two people throwing a ball (basketball2 is the next video frame)",
    "board.jpg": "close-up of a circuit board",
    "box_in_scene.png": "cluttered desk, grey (box.png is a crop of it)",
    "building.jpg": "office building",
    "butterfly.jpg": "swallowtail butterfly on leaves",
    "chicky_512.png": "a dog",
    "ela_original.jpg": "notebook on a table (ela_modified is a tampered copy)",
    "fruits.jpg": "cut fruits",
    "graf1.png": "graffiti wall (graf3 is the same wall from another angle)",
    "home.jpg": "palace facade under a blue sky",
    "leuvenA.jpg": "street in Leuven",
    "leuvenB.jpg": "the same street, other exposure and view",
    "orange.jpg": "an orange",
    "rubberwhale1.png": "Middlebury optical-flow scene (rubberwhale2 is the next frame)",
    "squirrel_cls.jpg": "a squirrel",
    "stuff.jpg": "objects on a table",
}
_ALLOWED_LICENCE = re.compile(
    r"(public-?domain|pd|cc-?0(-1\.0)?|cc-by(-sa)?(-\d(\.\d)?)?|bsd-3-clause|apache-2\.0)", re.IGNORECASE
)


class PhotoCollectionError(InputError):
    """The collection cannot be built, or the built folder fails the leakage check."""


@dataclass
class Candidate:
    """One photo found in a package, before conversion."""

    package: str
    name: str  # base of the output file name, without extension
    original_path: str  # path inside the package, or "rcc-file:path/inside"
    licence: str
    read: Callable[[], bytes]
    folder: str = ""  # output sub-folder of OUT; default: `package`
    version: str = ""  # version of `package`; default: the version of the .deb it came from


def licence_allowed(licence: str) -> bool:
    """True when `licence` is public domain, CC0, CC-BY or CC-BY-SA, or BSD-3-Clause/Apache-2.0.

    Combinations: "A and B" needs both allowed, "A or B" needs one ("GPLv3 or later" stays out).
    """
    if re.search(r"\bor\b", licence, re.IGNORECASE) and not re.search(r"\bor later\b", licence, re.IGNORECASE):
        return any(licence_allowed(part) for part in re.split(r"\bor\b", licence, flags=re.IGNORECASE))
    parts = re.split(r"\band\b", licence, flags=re.IGNORECASE)
    normalised = [re.sub(r"[\s_]+", "-", part.strip().strip(".")) for part in parts]
    return all(part and _ALLOWED_LICENCE.fullmatch(part) for part in normalised)


def parse_readme_licences(text: str) -> dict[str, tuple[str, str]]:
    """Map each image named in a GCompris resource ``README`` to ``(licence, comment)``.

    Stanzas are separated by blank lines; file names stand alone on a line or follow ``Files:``.
    """
    result: dict[str, tuple[str, str]] = {}
    for stanza in re.split(r"\n\s*\n", text):
        licence = re.search(r"^\s*Licen[cs]e:\s*(.+)$", stanza, re.MULTILINE | re.IGNORECASE)
        if not licence:
            continue
        comment = " ".join(re.findall(r"^\s*Comments?:\s*(.*)$", stanza, re.MULTILINE | re.IGNORECASE))
        for line in stanza.splitlines():
            name = re.sub(r"^\s*Files:\s*", "", line).strip()
            if re.fullmatch(r"[\w./-]+\.(webp|png|jpe?g)", name, re.IGNORECASE):
                result[name] = (licence.group(1).strip(), comment)
    return result


def parse_copyright(text: str) -> list[tuple[list[str], str]]:
    """Debian machine-readable copyright file -> ``[(file patterns, licence), ...]`` in file order."""
    stanzas = []
    for stanza in re.split(r"\n\s*\n", text):
        files = re.search(r"^Files:(.*(?:\n[ \t]+\S.*)*)", stanza, re.MULTILINE)
        licence = re.search(r"^License:\s*(.+)$", stanza, re.MULTILINE)
        if files and licence:
            stanzas.append((files.group(1).split(), licence.group(1).strip()))
    return stanzas


def copyright_licence(stanzas: list[tuple[list[str], str]], upstream_path: str) -> str | None:
    """The licence of `upstream_path`: the last stanza whose pattern matches wins, as in DEP-5."""
    found = None
    for patterns, licence in stanzas:
        if any(fnmatch.fnmatchcase(upstream_path, pattern) for pattern in patterns):
            found = licence
    return found


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "image"


def gcompris_candidates(root: Path, skipped: Counter) -> Iterator[Candidate]:
    """Photos of the activities in ``GCOMPRIS_ACTIVITIES`` whose README gives an allowed licence."""
    for activity, pattern in GCOMPRIS_ACTIVITIES.items():
        rcc_path = root / "usr/share/gcompris-qt/rcc" / f"{activity}.rcc"
        files = RccFile.open(rcc_path).read_all()
        readmes = {
            PurePosixPath(p).parent: parse_readme_licences(b.decode("utf-8", "replace"))
            for p, b in files.items()
            if PurePosixPath(p).name == "README"
        }
        for path, blob in files.items():
            pure = PurePosixPath(path)
            if not fnmatch.fnmatchcase(pure.name, pattern):
                continue
            entry = next(
                (readmes[d].get(str(pure.relative_to(d))) for d in pure.parents if d in readmes),
                None,
            )
            if entry is None:
                skipped["gcompris: no per-image licence"] += 1
            elif "painting" in entry[1].lower():
                skipped["gcompris: painting, not a photograph"] += 1
            elif not licence_allowed(entry[0]):
                skipped[f"gcompris: licence {entry[0]}"] += 1
            else:
                name = _safe(f"{activity}__{pure.parent.name}__{pure.stem}")
                yield Candidate(
                    "gcompris-qt-data", name, f"{rcc_path.relative_to(root)}:{path}", entry[0], lambda b=blob: b
                )


def lomiri_candidates(root: Path, package: str, skipped: Counter) -> Iterator[Candidate]:
    """The wallpapers in usr/share/backgrounds, with the per-file licence of the package's copyright file."""
    stanzas = parse_copyright((root / f"usr/share/doc/{package}/copyright").read_text())
    series = package.rsplit("-", 1)[1]  # "16.04": the upstream folder named in the copyright file
    for path in sorted((root / "usr/share/backgrounds").glob("*.jpg")):
        licence = copyright_licence(stanzas, f"{series}/{path.name}")
        if path.name in LOMIRI_SKIP:
            skipped[f"{package}: {LOMIRI_SKIP[path.name]}"] += 1
        elif licence is None or not licence_allowed(licence):
            skipped[f"{package}: licence {licence}"] += 1
        else:
            original = str(path.relative_to(root))
            yield Candidate(package, _safe(path.stem), original, licence, path.read_bytes)


def palapeli_candidates(root: Path, skipped: Counter) -> Iterator[Candidate]:
    """The puzzle photos, with the licence from each puzzle's ``.desktop`` file (backgrounds/ are textures)."""
    for desktop in sorted((root / "usr/share/palapeli/collection").glob("*.desktop")):
        text = desktop.read_text(errors="replace")
        licence = re.search(r"^X-KDE-PluginInfo-License=(.*)$", text, re.MULTILINE)
        image = re.search(r"^Image=(.*)$", text, re.MULTILINE)
        if not (licence and image):
            skipped["palapeli-data: no licence or image in .desktop"] += 1
        elif not licence_allowed(licence.group(1).strip()):
            skipped[f"palapeli-data: licence {licence.group(1).strip()}"] += 1
        else:
            path = desktop.parent / image.group(1).strip()
            original = str(path.relative_to(root))
            yield Candidate("palapeli-data", _safe(path.stem), original, licence.group(1).strip(), path.read_bytes)


def opencv_candidates(root: Path, skipped: Counter) -> Iterator[Candidate]:
    """The photographs of ``OPENCV_PHOTOS``, licensed as the copyright file says for upstream samples/data."""
    stanzas = parse_copyright((root / "usr/share/doc/opencv-doc/copyright").read_text())
    folder = root / "usr/share/doc/opencv-doc/examples/data"
    for name in sorted(OPENCV_PHOTOS):
        licence = copyright_licence(stanzas, f"samples/data/{name}")
        if licence is None or not licence_allowed(licence):
            skipped[f"opencv-doc: licence {licence}"] += 1
            continue
        path = folder / name
        yield Candidate("opencv-doc", _safe(path.stem), str(path.relative_to(root)), licence, path.read_bytes)


def find_candidates(package: str, root: Path, skipped: Counter) -> Iterator[Candidate]:
    """The photos of one unpacked package, each with its licence."""
    if package == "gcompris-qt-data":
        return gcompris_candidates(root, skipped)
    if package.startswith("lomiri-wallpapers-"):
        return lomiri_candidates(root, package, skipped)
    if package == "palapeli-data":
        return palapeli_candidates(root, skipped)
    return opencv_candidates(root, skipped)
