"""Reading vector files as byte streams: gzip looked through, binary records parsed in chunks.

Why a stream and not a memory map: a ``.bin.gz`` cannot be mapped, and reading only the
first N vectors (``limit``) of a multi-gigabyte file should cost N vectors, not the file.
One chunked reader serves plain and compressed files alike; its per-record cost is a
``bytearray.find`` and a slice, the same as scanning a map.
"""

from __future__ import annotations

import gzip
import os
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1 << 20


def is_gzip(path: str | os.PathLike) -> bool:
    """Whether the file starts with gzip's magic bytes (whatever its name)."""
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def open_maybe_gzip(path: str | os.PathLike) -> BinaryIO:
    """The file's bytes, decompressed on the fly when it is gzip data."""
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


class ByteStream:
    """Delimited and fixed-size reads over a binary file, refilled a chunk at a time."""

    def __init__(self, f: BinaryIO, chunk: int = CHUNK) -> None:
        self._f = f
        self._chunk = chunk
        self._buf = bytearray()
        self._pos = 0
        self._eof = False

    def _fill(self) -> bool:
        """Read one more chunk; False at the end of the file."""
        if self._eof:
            return False
        data = self._f.read(self._chunk)
        if not data:
            self._eof = True
            return False
        if self._pos > self._chunk:  # drop what was consumed, so the buffer stays small
            del self._buf[:self._pos]
            self._pos = 0
        self._buf += data
        return True

    def at_end(self) -> bool:
        while self._pos >= len(self._buf):
            if not self._fill():
                return True
        return False

    def until(self, delimiter: bytes) -> bytes | None:
        """The bytes before the next ``delimiter`` (consumed with it); None if none follows."""
        start = self._pos
        while True:
            i = self._buf.find(delimiter, start)
            if i >= 0:
                out = bytes(self._buf[self._pos:i])
                self._pos = i + len(delimiter)
                return out
            start = max(self._pos, len(self._buf) - len(delimiter) + 1)
            before = self._pos
            if not self._fill():
                return None
            start -= before - self._pos  # the buffer may have been shifted left

    def take(self, n: int) -> bytes | None:
        """The next ``n`` bytes, or None if the file ends sooner."""
        while len(self._buf) - self._pos < n:
            if not self._fill():
                return None
        out = bytes(self._buf[self._pos:self._pos + n])
        self._pos += n
        return out

    def skip(self, byte: bytes) -> None:
        """Step over any run of ``byte`` (one byte long) at the current position."""
        value = byte[0]
        while not self.at_end() and self._buf[self._pos] == value:
            self._pos += 1
