"""A small progress bar for long work (training, bulk loads, index builds).

It lives in the engine, the lowest layer, so every layer above can use it
without a dependency such as tqdm. It writes to stderr, redraws at most a few
times a second, and stays quiet when stderr is not a terminal unless asked
(so logs and test output are not flooded); the final line is always printed
when ``enabled`` is True.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, TypeVar

T = TypeVar("T")


def _format_count(value: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.1f}{unit}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _format_seconds(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    minutes, sec = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}" if hours else f"{minutes:02d}:{sec:02d}"


class Progress:
    """Progress of a known (or unknown) amount of work.

    >>> with Progress(total=1000, desc="train", unit="words") as bar:
    ...     bar.update(500, loss=1.23)

    ``enabled=None`` shows the bar only on an interactive stderr, or when the
    environment variable ``WORLD2VEC_PROGRESS=1`` forces it; ``WORLD2VEC_PROGRESS=0``
    silences it everywhere.
    """

    def __init__(
        self,
        total: float | None = None,
        desc: str = "",
        unit: str = "it",
        enabled: bool | None = None,
        stream: IO[str] | None = None,
        min_interval: float = 0.25,
    ) -> None:
        self.total = total
        self.desc = desc
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.min_interval = min_interval
        self.count = 0.0
        self.postfix: dict[str, object] = {}
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        forced = os.environ.get("WORLD2VEC_PROGRESS")
        if forced == "0":
            self.enabled = False
        elif enabled is None:
            self.enabled = self._interactive or forced == "1"
        else:
            self.enabled = enabled
        self._closed = False

    # -- updates -------------------------------------------------------------
    def update(self, amount: float = 1, **postfix: object) -> None:
        self.count += amount
        if postfix:
            self.postfix.update(postfix)
        now = time.perf_counter()
        if self.enabled and self._interactive and now - self._last_draw >= self.min_interval:
            self._last_draw = now
            self._draw(end="\r")

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    @property
    def rate(self) -> float:
        elapsed = self.elapsed
        return self.count / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        """The bar as one line of text (also used for the final summary)."""
        parts = [self.desc] if self.desc else []
        rate = self.rate
        if self.total:
            frac = min(self.count / self.total, 1.0)
            width = 24
            filled = int(frac * width)
            parts.append(f"{frac * 100:5.1f}%|{'#' * filled}{'.' * (width - filled)}|")
            parts.append(f"{_format_count(self.count)}/{_format_count(self.total)} {self.unit}")
            remaining = (self.total - self.count) / rate if rate > 0 else 0.0
            parts.append(f"[{_format_seconds(self.elapsed)}<{_format_seconds(remaining)}, "
                         f"{_format_count(rate)} {self.unit}/s]")
        else:
            parts.append(f"{_format_count(self.count)} {self.unit}")
            parts.append(f"[{_format_seconds(self.elapsed)}, {_format_count(rate)} {self.unit}/s]")
        for key, value in self.postfix.items():
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            parts.append(f"{key}={shown}")
        return " ".join(parts)

    def _draw(self, end: str) -> None:
        try:
            self.stream.write("\x1b[2K" + self.line() + end if self._interactive else self.line() + end)
            self.stream.flush()
        except (ValueError, OSError):  # closed stream: progress must never break the work
            self.enabled = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.enabled:
            self._draw(end="\n")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def track(iterable: Iterable[T], total: float | None = None, desc: str = "", unit: str = "it",
          enabled: bool | None = None) -> Iterator[T]:
    """Iterate while showing progress, one unit per item."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    with Progress(total=total, desc=desc, unit=unit, enabled=enabled) as bar:
        for item in iterable:
            yield item
            bar.update(1)
