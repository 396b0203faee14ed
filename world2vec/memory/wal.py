"""The write-ahead log: append-only, checksummed, fsync'd before a write returns.

File layout: an 8-byte magic header, then records framed as
``<u32 length><u32 crc32(body)><body>`` (little-endian), where the body is one
msgpack map (a whole batch: a batch costs one fsync, and is replayed entirely or
not at all). Reading stops at the first record that is short or fails its
checksum: that is a torn tail left by a crash mid-append (or a corrupted end).
It is dropped with a warning naming its byte offset and the file is truncated
there, so every record before it survives and new appends follow good data.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import msgpack

from world2vec.memory.errors import InsufficientStorage, disk_full_as

log = logging.getLogger("world2vec.memory")

MAGIC = b"W2VWAL1\n"
HEADER = struct.Struct("<II")
MAX_RECORD = 1 << 31


def fsync_dir(path: str) -> None:
    """fsync a directory so a rename or a new file in it survives power loss."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def encode_record(body: dict) -> bytes:
    data = msgpack.packb(body, use_bin_type=True)
    return HEADER.pack(len(data), zlib.crc32(data)) + data


def read_log(path: str, truncate: bool = True) -> tuple[list[dict], list[str]]:
    """Read every intact record of a log.

    Returns the records and warnings (one per dropped tail). With ``truncate`` the
    file is cut back to its last good record, so the writer appends after good data.
    """
    warnings: list[str] = []
    records: list[dict] = []
    if not os.path.exists(path):
        return records, warnings
    with open(path, "rb") as fh:
        data = fh.read()
    good_end = 0
    if len(data) < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        if data:
            warnings.append(f"{path}: bad or torn log header at byte offset 0; "
                            f"{len(data)} byte(s) dropped")
    else:
        offset = good_end = len(MAGIC)
        for record, end in _records(data, offset):
            if record is None:
                warnings.append(f"{path}: torn or corrupt record at byte offset {end}; "
                                f"{len(data) - end} byte(s) dropped")
                break
            records.append(record)
            good_end = end
    for message in warnings:
        log.warning(message)
    if truncate and good_end < len(data):
        with open(path, "r+b") as fh:
            fh.truncate(good_end)
            fh.flush()
            os.fsync(fh.fileno())
    return records, warnings


def _records(data: bytes, offset: int) -> Iterator[tuple[dict | None, int]]:
    """Yield (record, end offset); a bad record yields (None, its start offset) and stops."""
    size = len(data)
    while offset < size:
        if offset + HEADER.size > size:
            yield None, offset
            return
        length, crc = HEADER.unpack_from(data, offset)
        start = offset + HEADER.size
        body = data[start: start + length]
        if length > MAX_RECORD or len(body) != length or zlib.crc32(body) != crc:
            yield None, offset
            return
        try:
            record = msgpack.unpackb(body, raw=False, strict_map_key=False)
        except Exception:  # a checksummed body that does not decode: treat as corrupt
            yield None, offset
            return
        if not isinstance(record, dict):
            yield None, offset
            return
        offset = start + length
        yield record, offset


class LogWriter:
    """Appends records to one log file; ``append`` returns only after fsync.

    A full disk (ENOSPC, EDQUOT) during the write or the fsync cuts the file back to
    its last whole record and raises :class:`InsufficientStorage`: the batch is not in
    the log, the caller applies nothing, and the next append starts on clean data. If
    even the cut fails, the next append retries it before writing anything.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._good = os.lseek(self._fd, 0, os.SEEK_END)   # bytes of whole records (and magic)
        self._torn = False
        if self._good == 0:
            try:
                with disk_full_as(f"the new log {path}"):
                    self._write_all(MAGIC)
                    os.fsync(self._fd)
                    fsync_dir(os.path.dirname(os.path.abspath(path)))
            except InsufficientStorage:
                self.close()
                os.remove(path)
                raise
            self._good = len(MAGIC)

    def _write_all(self, blob: bytes) -> None:
        view = memoryview(blob)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def _cut_back(self) -> None:
        """Truncate to the last whole record (after a failed append)."""
        os.ftruncate(self._fd, self._good)
        self._torn = False

    def append(self, bodies: list[dict[str, Any]]) -> int:
        """Write the records and fsync once; returns the bytes written."""
        blob = b"".join(encode_record(b) for b in bodies)
        with disk_full_as(f"the log {self.path}"):
            if self._torn:
                self._cut_back()
            try:
                self._write_all(blob)
                os.fsync(self._fd)
            except OSError:
                self._torn = True
                try:
                    self._cut_back()
                except OSError:
                    log.exception("could not cut the log back after a failed append; "
                                  "the next append retries")
                raise
        self._good += len(blob)
        return len(blob)

    def size(self) -> int:
        return self._good

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
