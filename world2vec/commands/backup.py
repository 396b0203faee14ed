"""``world2vec dump`` and ``world2vec restore``: items out as JSON lines, a data directory
back from a snapshot archive.

``dump --data DIR [--collection NAME]`` writes every item of a collection (``default``
unless named), with its vector, one JSON object per line on stdout: the form ``world2vec
load`` reads, so ``dump | load`` copies a collection. It reads the files without taking
the data directory's lock, so it works beside a running server (what it sees is the
memory as of its start). Progress and messages go to stderr only.

``restore --data DIR SNAPSHOT.tar`` makes a NEW data directory from an archive taken by
``POST /snapshots``; it refuses a DIR that exists and is not empty.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from world2vec.commands.errors import UsageError


def add_dump_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, metavar="DIR", help="memory data directory")
    parser.add_argument("--collection", default="default", metavar="NAME",
                        help="the collection to dump (default: %(default)s)")


def run_dump(args: argparse.Namespace) -> int:
    from world2vec.engine.progress import Progress
    from world2vec.memory import MemoryStoreError
    from world2vec.memory.collections.export import iter_items
    from world2vec.service.models import resolve_startup

    if not os.path.isdir(args.data):
        raise UsageError(f"no such data directory: {args.data}")
    try:  # a data directory whose served model was switched names where its stores are
        served = resolve_startup(args.data, None)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    store_dir = (served.collection_stores.get(args.collection) if args.collection != "default"
                 else served.store_dir if served.pointer is not None else None)
    out = sys.stdout
    count = 0
    try:
        with Progress(desc="dump", unit="items") as bar:
            for item in iter_items(args.data, args.collection, store_dir):
                out.write(json.dumps(item, ensure_ascii=False, allow_nan=False))
                out.write("\n")
                count += 1
                if count % 1000 == 0:
                    bar.update(1000)
            bar.update(count % 1000)
        out.flush()
    except (MemoryStoreError, ValueError, OSError) as exc:
        raise UsageError(str(exc)) from None
    print(f"dumped {count} items of collection {args.collection!r} from {args.data}",
          file=sys.stderr)
    return 0


def add_restore_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("snapshot", metavar="SNAPSHOT.tar",
                        help="an archive downloaded from GET /snapshots/<name>")
    parser.add_argument("--data", required=True, metavar="DIR",
                        help="the data directory to make (must not exist, or be empty)")


def run_restore(args: argparse.Namespace) -> int:
    from world2vec.memory import MemoryStoreError
    from world2vec.memory.collections.archive import restore_archive

    if not os.path.isfile(args.snapshot):
        raise UsageError(f"no such file: {args.snapshot}")
    try:
        info = restore_archive(args.snapshot, args.data)
    except MemoryStoreError as exc:
        raise UsageError(str(exc)) from None
    collections = info.get("collections") or {}
    print(f"restored {info.get('items')} items in {len(collections)} collection(s) "
          f"({', '.join(f'{n}: {c}' for n, c in collections.items())}) into {args.data}",
          file=sys.stderr)
    return 0
