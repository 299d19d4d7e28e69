"""Tests for the Qt resource reader and the photo collection builder (no network, no real .deb files)."""

from __future__ import annotations

import csv
import io
import struct
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from n2n_lib.lab import eval_overlap, photo_sources
from n2n_lib.lab import photo_collection as pc
from n2n_lib.lab.embedded_photos import EMBEDDED_FOLDER, embedded_candidates
from n2n_lib.lab.rcc import COMPRESSED, DIRECTORY, RccError, RccFile

EVAL_DIR = Path(__file__).resolve().parents[1] / "data" / "eval"


def _qt_hash(name: str) -> int:
    """qt_hash of a UTF-16 name, as rcc stores it (the reader ignores it, but the file is written faithfully)."""
    h = 0
    for unit in struct.unpack(f">{len(name.encode('utf-16-be')) // 2}H", name.encode("utf-16-be")):
        h = ((h << 4) + unit) & 0xFFFFFFFF
        h ^= (h & 0xF0000000) >> 23
        h &= 0x0FFFFFFF
    return h


def write_rcc(tree: dict, version: int = 3, compress: frozenset[str] = frozenset()) -> bytes:
    """A Qt binary resource file holding `tree` ({name: bytes or sub-dict}); paths in `compress` get zlib + prefix.

    Nodes are laid out breadth-first as rcc does: the children of one directory are consecutive entries.
    """
    names, data = bytearray(), bytearray()
    entries: list[bytes] = []
    name_offsets: dict[str, int] = {}

    def name_offset(name: str) -> int:
        if name not in name_offsets:
            encoded = name.encode("utf-16-be")
            name_offsets[name] = len(names)
            names.extend(struct.pack(">HI", len(encoded) // 2, _qt_hash(name)) + encoded)
        return name_offsets[name]

    entry_size = 14 if version == 1 else 22
    slots: list = [("", tree, "")]  # (name, content, path) in tree order
    queue = [0]
    entries.append(b"")
    while queue:
        index = queue.pop(0)
        name, content, path = slots[index]
        flags = DIRECTORY if isinstance(content, dict) else 0
        head = struct.pack(">IH", name_offset(name) if index else 0, flags)
        if isinstance(content, dict):
            first = len(slots)
            for child in sorted(content):
                slots.append((child, content[child], f"{path}/{child}".lstrip("/")))
                entries.append(b"")
                queue.append(len(slots) - 1)
            body = struct.pack(">II", len(content), first)
        else:
            payload = content
            if path in compress:
                payload = struct.pack(">I", len(content)) + zlib.compress(content)
                head = struct.pack(">IH", name_offset(name), COMPRESSED)
            body = struct.pack(">HHI", 0, 0, len(data))
            data.extend(struct.pack(">I", len(payload)) + payload)
        entries[index] = head + body + (b"" if version == 1 else struct.pack(">Q", 1_700_000_000_000))
    assert all(len(e) == entry_size for e in entries)
    header_size = 20 if version < 3 else 24
    tree_blob = b"".join(entries)
    tree_offset = header_size
    data_offset = tree_offset + len(tree_blob)
    names_offset = data_offset + len(data)
    header = b"qres" + struct.pack(">4I", version, tree_offset, data_offset, names_offset)
    if version >= 3:
        header += struct.pack(">I", 0)
    return header + tree_blob + bytes(data) + bytes(names)


@pytest.mark.parametrize("version", [1, 2, 3])
def test_rcc_reader_returns_names_and_bytes(version: int) -> None:
    big = bytes(range(256)) * 40
    tree = {"a.txt": b"hello", "dir": {"sub": {"deep.bin": big, "ü.txt": b"unicode"}, "b.webp": b"RIFF"}}
    rcc = RccFile(write_rcc(tree, version, compress=frozenset({"dir/sub/deep.bin"})))
    assert rcc.entry_size == (14 if version == 1 else 22)
    assert rcc.read_all() == {
        "a.txt": b"hello",
        "dir/b.webp": b"RIFF",
        "dir/sub/deep.bin": big,
        "dir/sub/ü.txt": b"unicode",
    }


def test_rcc_reader_rejects_other_files() -> None:
    with pytest.raises(RccError, match="qres"):
        RccFile(b"PK\x03\x04" + bytes(30), source="x.rcc")


@pytest.mark.parametrize(
    ("licence", "allowed"),
    [
        ("Public Domain", True),
        ("public-domain", True),
        ("CC0-1.0", True),
        ("CC-BY 2.0", True),
        ("CC-BY-SA 4.0", True),
        ("CC-BY-SA-3.0", True),
        ("CC-BY-3.0 and CC0-1.0", True),
        ("Apache-2.0 AND BSD-3-Clause", True),
        ("GPLv3", False),
        ("GPLv3 or later", False),
        ("FDL", False),
        ("GNU-FDL", False),
        ("CC-BY-NC-SA 4.0", False),
        ("CC-BY-ND-4.0", False),
        ("CC-BY-3.0 and GPL-3+", False),
        ("GPL-3 or CC-BY-SA-4.0", True),
    ],
)
def test_licence_filter(licence: str, allowed: bool) -> None:
    assert photo_sources.licence_allowed(licence) is allowed


def test_readme_licences_per_image() -> None:
    readme = (
        "Copyright: Someone, 2018\nLicense: CC-BY-SA 4.0\nFiles:\nkey.svg\nwonders/a.webp\n\n"
        "Copyright: Daniel\nLicense: GPLv3\nSource: https://example.org/File:x.jpg\nFiles: b.webp\n\n"
        "Copyright: Bruno\nLicense: Public domain\nc_background.webp\nComment: based on an original painting\n"
    )
    assert photo_sources.parse_readme_licences(readme) == {
        "wonders/a.webp": ("CC-BY-SA 4.0", ""),
        "b.webp": ("GPLv3", ""),
        "c_background.webp": ("Public domain", "based on an original painting"),
    }


def test_copyright_file_last_match_wins() -> None:
    text = "Files: *\nCopyright: x\nLicense: GPL-3+\n\nFiles: 16.04/a.jpg\n 16.04/b.jpg\nLicense: CC-BY-4.0\n"
    stanzas = photo_sources.parse_copyright(text)
    assert photo_sources.copyright_licence(stanzas, "16.04/b.jpg") == "CC-BY-4.0"
    assert photo_sources.copyright_licence(stanzas, "other.txt") == "GPL-3+"


def _photo(seed: int, size: tuple[int, int] = (300, 200)) -> Image.Image:
    """A smooth random colour image (a stand-in for a photo)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (size[1] // 20, size[0] // 20, 3), dtype=np.uint8)
    return Image.fromarray(small).resize(size, Image.Resampling.BICUBIC)


def _jpeg(image: Image.Image, orientation: int | None = None) -> bytes:
    buffer = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(buffer, format="JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def test_conversion_orientation_scaling_and_manifest(tmp_path: Path) -> None:
    tall = _jpeg(_photo(0, (2000, 1000)), orientation=6)  # rotated 90 degrees on display
    candidates = [
        pc.Candidate("pkg", "a", "usr/share/a.jpg", "CC0-1.0", lambda: tall),
        pc.Candidate("pkg", "b", "x.rcc:b.webp", "CC-BY 2.0", lambda: _jpeg(_photo(1))),
        pc.Candidate("pkg", "a_again", "usr/share/a2.jpg", "CC0-1.0", lambda: tall),  # the same photo twice
        pc.Candidate("pkg", "tiny", "usr/share/t.jpg", "CC0-1.0", lambda: _jpeg(_photo(2, (400, 100)))),
    ]
    skipped: Counter = Counter()
    rows = pc.convert_candidates(iter(candidates), "1.0-1", tmp_path, skipped, [])
    assert [r["file"] for r in rows] == ["pkg/a.png", "pkg/b.png"]
    assert (rows[0]["width"], rows[0]["height"]) == (512, 1024)  # EXIF applied, longer side 1024
    with Image.open(tmp_path / "pkg/a.png") as saved:
        assert (saved.format, saved.mode, saved.size) == ("PNG", "RGB", (512, 1024))
    assert skipped == {"pkg: near-duplicate": 1, "pkg: shorter side < 128 px": 1}
    pc.write_manifest(rows, tmp_path / "manifest.csv")
    with open(tmp_path / "manifest.csv", newline="") as f:
        read = list(csv.DictReader(f))
    assert tuple(read[0]) == pc.MANIFEST_COLUMNS
    assert read[1] == {
        "file": "pkg/b.png",
        "source_package": "pkg",
        "package_version": "1.0-1",
        "original_path": "x.rcc:b.webp",
        "licence": "CC-BY 2.0",
        "width": "300",
        "height": "200",
    }
    assert not list(tmp_path.glob("*.tmp*"))


def test_overlap_check_flags_rescaled_and_cropped_copies(tmp_path: Path) -> None:
    eval_dir = tmp_path / "eval"
    eval_dir.mkdir()
    for name in ("monarch.png", "kodim23.png"):
        (eval_dir / name).write_bytes((EVAL_DIR / name).read_bytes())
    monarch = Image.open(EVAL_DIR / "monarch.png").convert("RGB")
    photos = tmp_path / "photos" / "pkg"
    photos.mkdir(parents=True)
    monarch.crop((100, 50, 500, 400)).resize((480, 420), Image.Resampling.LANCZOS).save(photos / "crop.png")
    canvas = Image.new("RGB", (1000, 800), (90, 120, 30))
    canvas.paste(monarch.resize((384, 256), Image.Resampling.LANCZOS), (300, 200))
    canvas.save(photos / "embedded.png")
    Image.open(EVAL_DIR / "sail.png").convert("RGB").save(photos / "unrelated.png")  # a photo not in this eval set
    problems = eval_overlap.check_no_eval_overlap(tmp_path / "photos", eval_dir, workers=1)
    assert len(problems) == 2
    assert all("monarch.png" in p for p in problems)
    assert {Path(p.split(":")[0]).name for p in problems} == {"crop.png", "embedded.png"}


def test_overlap_check_needs_eval_photos(tmp_path: Path) -> None:
    with pytest.raises(pc.PhotoCollectionError, match="no evaluation photos"):
        pc.check_no_eval_overlap(tmp_path, tmp_path)


def test_check_no_eval_overlap_is_re_exported() -> None:
    assert pc.check_no_eval_overlap is eval_overlap.check_no_eval_overlap


def test_embedded_candidates_licences_and_exclusions(tmp_path: Path) -> None:
    skipped: Counter = Counter()
    candidates = list(embedded_candidates(skipped))
    assert [c.name for c in candidates] == ["astronaut", "coffee", "chelsea", "rocket", "china"]
    assert all(photo_sources.licence_allowed(c.licence) for c in candidates)
    assert {c.package for c in candidates} == {"scikit-image", "scikit-learn"}
    assert all(c.folder == EMBEDDED_FOLDER and c.version for c in candidates)
    assert list(skipped) == ["embedded: motorcycle (Middlebury stereo), no licence stated by scikit-image"]
    rows = pc.convert_candidates(iter(candidates[:2]), "", tmp_path, skipped, [])
    assert [r["file"] for r in rows] == ["embedded/astronaut.png", "embedded/coffee.png"]
    assert rows[0]["source_package"] == "scikit-image" and rows[0]["package_version"] == candidates[0].version
    assert (rows[1]["width"], rows[1]["height"]) == (600, 400)  # not resized
