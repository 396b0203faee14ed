"""Reading ``DATA/active-model.json``: which model a data directory's memory is encoded
by, and where the stores of ``default`` and of the collections bound to it live.

Why here, below the service: the service writes the pointer when it switches models
(``world2vec.service.models``: the switch, ``write_pointer``), but everyone who opens a
data directory must read it the same way, or they open the stores the switch retired
and encode queries with the model it replaced: the service at start, ``world2vec load``
and ``dump``, and the in-process ``world2vec.Memory``, which must not import the
service (Flask). So the file's format and the read-only resolver live with the data
directory's layout, and the write side stays with the switch.

A data directory that never switched has no pointer: its model is whatever the caller
gives (or the bundled one) and ``default``'s memory is in ``DATA`` itself.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from world2vec.memory.collections.manifest import (
    COLLECTIONS_DIR,
    DEFAULT,
    MANIFEST,
    check_name,
    read_manifest,
)
from world2vec.memory.errors import MemoryStoreError

POINTER_FILE = "active-model.json"
STORES_DIR = "stores"       # DATA/stores/<store>-<model>-<n>/: stores written by switches
FORMAT = 1


@dataclass
class ActivePointer:
    """What the pointer says: the served ``model`` (name and directory), the directory of
    each bound store relative to DATA (``""``: DATA itself), and the model served before
    (so a rollback target is known after a restart)."""

    model: str
    model_path: str
    stores: dict[str, str] = field(default_factory=dict)
    previous: dict[str, str] | None = None
    switched_at: float | None = None

    def to_json(self) -> dict:
        return {"format": FORMAT, "model": self.model, "model_path": self.model_path,
                "stores": dict(self.stores), "previous": self.previous,
                "switched_at": self.switched_at}

    @classmethod
    def from_json(cls, obj: dict) -> ActivePointer:
        if not isinstance(obj, dict) or obj.get("format") != FORMAT or \
                not isinstance(obj.get("model"), str) or not isinstance(obj.get("stores"), dict):
            raise ValueError("not a world2vec active-model pointer")
        return cls(obj["model"], str(obj.get("model_path") or ""), dict(obj["stores"]),
                   obj.get("previous"), obj.get("switched_at"))


def read_pointer(data_dir: str) -> ActivePointer | None:
    """The pointer of ``data_dir``, or None if it never switched. A pointer that cannot be
    read is an error (``ValueError``): guessing would risk serving a mix."""
    path = os.path.join(data_dir, POINTER_FILE)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            return ActivePointer.from_json(json.load(fh))
    except (OSError, json.JSONDecodeError, ValueError) as exc:
        raise ValueError(f"{path} cannot be read ({exc}); it names the served model and "
                         "its memory, so the service will not guess") from None


def model_location(data_dir: str, recorded: str) -> str:
    """A model directory as the pointer records it: relative to DATA when inside it (so a
    data directory can move), absolute otherwise."""
    return os.path.abspath(os.path.join(data_dir, recorded))


@dataclass
class ActiveModel:
    """Where a switched data directory's model and bound stores are: the data directory
    and its pointer, the model directory (absolute), ``default``'s store directory, and
    the other bound collections' store directories a switch wrote (name -> absolute
    directory; every other collection's store is in its own directory)."""

    data_dir: str
    pointer: ActivePointer
    model_path: str
    store_dir: str
    collection_stores: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The model's name as it was activated (its directory's name in the registry)."""
        return self.pointer.model


def resolve_active_model(data_dir: str) -> ActiveModel | None:
    """The model and bound stores ``data_dir``'s pointer names, or None if it has none
    (reads only). A pointer naming a missing model or ``default`` store is an error
    (``ValueError``): opening anything else would show a memory the pointer retired."""
    data_dir = os.path.abspath(data_dir)
    pointer = read_pointer(data_dir) if os.path.isdir(data_dir) else None
    if pointer is None:
        return None
    relative = pointer.stores.get(DEFAULT, "")
    store_dir = os.path.join(data_dir, relative) if relative else data_dir
    if not os.path.isdir(store_dir):
        raise ValueError(f"{os.path.join(data_dir, POINTER_FILE)} names the store "
                         f"{store_dir}, which is missing")
    model_path = model_location(data_dir, pointer.model_path)
    if not os.path.isfile(os.path.join(model_path, "manifest.json")):
        raise ValueError(f"the served model {pointer.model!r} is missing from {model_path}")
    collections = {name: os.path.join(data_dir, rel) for name, rel in pointer.stores.items()
                   if name != DEFAULT and rel and _bound_collection(data_dir, name)
                   and os.path.isdir(os.path.join(data_dir, rel))}
    return ActiveModel(data_dir, pointer, model_path, store_dir, collections)


def _bound_collection(data_dir: str, name: str) -> bool:
    """Whether collection ``name`` exists in ``data_dir`` and is bound to the model (a
    collection the pointer names but that was removed since, or made anew with its own
    vectors, keeps its store in its own directory)."""
    try:
        home = os.path.join(data_dir, COLLECTIONS_DIR, check_name(name))
        return os.path.isfile(os.path.join(home, MANIFEST)) and read_manifest(home).model == DEFAULT
    except (OSError, ValueError, KeyError, MemoryStoreError):   # not a collection's name
        return False
