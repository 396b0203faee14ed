"""The store's two kinds of exclusion: between processes, and between threads.

* :class:`DirectoryLock` -- one writing process per data directory. ``fcntl.flock``
  on ``LOCK`` is released by the kernel when the holder dies (even by SIGKILL), so a
  crash never leaves a stale lock; the pid written inside only serves to name the
  holder in the error a second writer gets.
* :class:`RWLock` -- inside that process, many concurrent searches and exclusive
  in-memory mutation. Writer-preferring, so a stream of searches cannot starve a
  write. Writers hold it only for the in-memory apply (appending rows, swapping a
  rebuilt index), never for the fsync or an index build, so readers wait
  microseconds, not seconds.

The store's lock contract (which lock guards what) is in ``MemoryStore``'s docstring.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from world2vec.memory.errors import StoreLocked


class DirectoryLock:
    def __init__(self, data_dir: str) -> None:
        self.path = os.path.join(data_dir, "LOCK")
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            finally:
                os.close(fd)
            pid = int(holder) if holder.isdigit() else None
            who = f"process {pid}" if pid is not None else "another process"
            if pid == os.getpid():
                who += " (this process: the store is already open here; share that instance)"
            raise StoreLocked(f"data directory {os.path.dirname(self.path)} is locked by {who}; "
                              f"only one process may write it at a time", pid=pid) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None


class RWLock:
    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()
