"""A small reader of Qt binary resource files (``.rcc``), as written by ``rcc -binary``.

Used by :mod:`n2n_lib.lab.photo_collection` to pull photos out of GCompris's activity resources (notebook
``01_data_preparation`` uses the resulting folder as the ``folder:`` source).

Layout (all integers big-endian):

* header: ``b"qres"``, version (1, 2 or 3), then the offsets of the tree, data and names sections; version 3 adds a
  4-byte flags word.
* tree: fixed-size entries, 14 bytes in version 1 and 22 bytes from version 2 (an 8-byte last-modified time is
  appended). Entry 0 is the root directory. Each entry starts with a name offset (4) and flags (2); a directory
  continues with its child count (4) and the index of its first child (4), a file with country (2), language (2)
  and a data offset (4).
* names: length in UTF-16 code units (2), a hash (4), then the name in UTF-16BE.
* data: a 4-byte size, then the bytes. A zlib-compressed entry (flag 1) holds the uncompressed length (4 bytes) before
  the zlib stream, as ``qCompress`` writes it; a zstd-compressed entry (flag 4) holds a bare zstd frame.
"""

from __future__ import annotations

import struct
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path

COMPRESSED = 0x01
DIRECTORY = 0x02
COMPRESSED_ZSTD = 0x04


class RccError(ValueError):
    """The bytes are not a valid Qt resource file."""


def _zstd_decompress(payload: bytes, where: str) -> bytes | None:
    """Decompress a zstd frame with the optional ``zstandard`` package, or return None with a warning."""
    try:
        import zstandard
    except ImportError:
        warnings.warn(f"{where}: zstd-compressed entry skipped; `pip install zstandard` to read it", stacklevel=3)
        return None
    return zstandard.ZstdDecompressor().decompress(payload, max_output_size=1 << 30)


class RccFile:
    """Random access to the files inside one ``.rcc`` blob.

    ``RccFile(data).files()`` yields ``(path, bytes)`` for every file, paths joined with ``/`` and without a leading
    slash; entries that cannot be decoded (zstd without the ``zstandard`` package) are skipped with a warning.
    """

    def __init__(self, data: bytes, source: str = "<bytes>") -> None:
        if len(data) < 20 or data[:4] != b"qres":
            raise RccError(f"{source}: not a Qt resource file (no 'qres' header); pass a file made by `rcc -binary`")
        self.data = data
        self.source = source
        self.version, self.tree, self.payload, self.names = struct.unpack_from(">4I", data, 4)
        if self.version not in (1, 2, 3):
            raise RccError(f"{source}: unsupported rcc format version {self.version} (this reader knows 1-3)")
        self.entry_size = 14 if self.version == 1 else 22

    @classmethod
    def open(cls, path: str | Path) -> RccFile:
        """Read a ``.rcc`` file from disk."""
        return cls(Path(path).read_bytes(), source=str(path))

    def _entry(self, index: int) -> tuple[int, int, int, int]:
        """(name offset, flags, a, b): a, b = child count, first child for directories; 0, data offset for files."""
        offset = self.tree + index * self.entry_size
        if offset + 14 > len(self.data):
            raise RccError(f"{self.source}: tree entry {index} lies past the end of the file (truncated?)")
        name_offset, flags = struct.unpack_from(">IH", self.data, offset)
        if flags & DIRECTORY:
            count, first = struct.unpack_from(">II", self.data, offset + 6)
            return name_offset, flags, count, first
        (data_offset,) = struct.unpack_from(">I", self.data, offset + 10)
        return name_offset, flags, 0, data_offset

    def _name(self, name_offset: int) -> str:
        start = self.names + name_offset
        (length,) = struct.unpack_from(">H", self.data, start)
        return self.data[start + 6 : start + 6 + 2 * length].decode("utf-16-be")

    def _content(self, flags: int, data_offset: int, where: str) -> bytes | None:
        start = self.payload + data_offset
        (size,) = struct.unpack_from(">I", self.data, start)
        blob = self.data[start + 4 : start + 4 + size]
        if len(blob) != size:
            raise RccError(f"{self.source}: data of {where} is truncated")
        if flags & COMPRESSED:
            return zlib.decompress(blob[4:])  # blob[:4] is qCompress's uncompressed-length prefix
        if flags & COMPRESSED_ZSTD:
            return _zstd_decompress(blob, f"{self.source}:{where}")
        return blob

    def files(self) -> Iterator[tuple[str, bytes]]:
        """Yield ``(path, content)`` for every file, depth first, in tree order."""
        stack: list[tuple[int, str]] = [(0, "")]
        seen: set[int] = set()
        while stack:
            index, prefix = stack.pop()
            if index in seen:
                raise RccError(f"{self.source}: the directory tree has a cycle at entry {index}")
            seen.add(index)
            name_offset, flags, a, b = self._entry(index)
            name = "" if index == 0 else self._name(name_offset)
            path = f"{prefix}/{name}" if prefix else name
            if flags & DIRECTORY:
                stack.extend((child, path) for child in reversed(range(b, b + a)))
                continue
            content = self._content(flags, b, path)
            if content is not None:
                yield path, content

    def read_all(self) -> dict[str, bytes]:
        """All files as a ``{path: content}`` dict."""
        return dict(self.files())
