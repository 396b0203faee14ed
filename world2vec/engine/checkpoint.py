"""Atomic training checkpoints: parameters, optimizer/task state, RNG, position.

A checkpoint is one ``.npz`` file: every numpy array of the (nested) state goes in
as its own entry and everything else (numbers, strings, lists, the RNG state) as a
JSON document inside the same file. Loading never unpickles (``allow_pickle=False``),
so a checkpoint from elsewhere cannot run code.

Why atomic: training is the longest thing world2vec does, and a crash while
writing must never leave a half-written "latest" checkpoint. We write to a
temporary file in the same folder, fsync it, rename it over the final name and
fsync the folder, so the latest checkpoint is always a complete one.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from typing import Any

import numpy as np

__all__ = ["save_checkpoint", "load_checkpoint", "latest_checkpoint", "list_checkpoints",
           "CheckpointError"]

_NAME = re.compile(r"^checkpoint-(\d{10})\.npz$")
_META = "__meta__"


class CheckpointError(Exception):
    """A checkpoint that cannot be read or does not fit the model being trained."""


def _flatten(value: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """Replace arrays in a nested structure by references, collecting them."""
    if isinstance(value, np.ndarray):
        key = prefix or "/"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, dict):
        for k in value:
            if not isinstance(k, str):
                raise TypeError(f"checkpoint keys must be strings, got {k!r} at {prefix or '/'}")
        return {"__dict__": {k: _flatten(v, f"{prefix}/{k}", arrays) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return [_flatten(v, f"{prefix}/{i}", arrays) for i, v in enumerate(value)]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot checkpoint a {type(value).__name__} at {prefix or '/'}")


def _unflatten(value: Any, arrays: Any) -> Any:
    if isinstance(value, dict):
        if "__array__" in value:
            return np.array(arrays[value["__array__"]])
        return {k: _unflatten(v, arrays) for k, v in value["__dict__"].items()}
    if isinstance(value, list):
        return [_unflatten(v, arrays) for v in value]
    return value


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def list_checkpoints(directory: str | os.PathLike) -> list[str]:
    """Checkpoint files in ``directory``, oldest step first."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        return []
    found = sorted((int(m.group(1)), name) for name in os.listdir(directory)
                   if (m := _NAME.match(name)))
    return [os.path.join(directory, name) for _, name in found]


def latest_checkpoint(directory: str | os.PathLike) -> str | None:
    """The newest complete checkpoint in ``directory``, or None."""
    found = list_checkpoints(directory)
    return found[-1] if found else None


def save_checkpoint(directory: str | os.PathLike, step: int, state: dict[str, Any],
                    keep: int = 2) -> str:
    """Write ``state`` as the checkpoint for ``step``; keep the newest ``keep`` files.

    ``state`` is a nested dict of numpy arrays, numbers, strings, lists and dicts.
    Returns the path written.
    """
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    meta = _flatten(state, "", arrays)
    entries = {f"a{i}": arr for i, arr in enumerate(arrays.values())}
    names = dict(zip(arrays.keys(), entries.keys()))
    document = json.dumps({"format": 1, "step": int(step), "state": meta, "arrays": names})
    entries[_META] = np.frombuffer(document.encode("utf-8"), dtype=np.uint8)
    final = os.path.join(directory, f"checkpoint-{int(step):010d}.npz")
    tmp = final + ".tmp"
    try:
        with open(tmp, "wb") as handle:
            np.savez(handle, **entries)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(directory)
    for old in list_checkpoints(directory)[:-keep] if keep > 0 else []:
        if old != final:
            os.remove(old)
    return final


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`; returns its state dict.

    The step it was saved at is available as ``state["__step__"]``.
    """
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            document = json.loads(bytes(archive[_META]).decode("utf-8"))
            arrays = {name: archive[entry] for name, entry in document["arrays"].items()}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from None
    state = _unflatten(document["state"], arrays)
    state["__step__"] = document["step"]
    return state
