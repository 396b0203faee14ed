"""``world2vec load --data DIR FILE.jsonl``: bulk-load memory items.

Each line of the file is one item in the JSON form of ``POST /memories``
(``{"id"?, "text"?, "vector"?, "kind", "tags", "payload", "answer"?}``). Items
without a vector are encoded with the model (``--model``, default: the bundled
one), loaded only if some item needs it. Items go in as batches (``--batch``),
each validated whole and written with one fsync'd log record; the first bad batch
stops the load with line-numbered errors and exit code 2, and nothing of that
batch is written (earlier batches are stored and durable, so a fixed file can be
re-run: loading upserts by id). ``--collection NAME`` loads into an existing collection
(made by ``POST /collections``) instead of ``default``, with its dimension and metric;
``world2vec dump`` writes this format. The command imports numpy/FAISS only when run,
so ``world2vec --help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from world2vec.commands.errors import UsageError

MAX_ERRORS_SHOWN = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE.jsonl", help="items, one JSON object per line")
    parser.add_argument("--data", required=True, metavar="DIR", help="memory data directory")
    parser.add_argument("--model", default=None, metavar="PATH",
                        help="model directory to encode items given only as text "
                             "(default: the bundled model)")
    parser.add_argument("--batch", type=int, default=500, metavar="N",
                        help="items per write, one fsync each (default: %(default)s)")
    parser.add_argument("--index", default="auto",
                        choices=["auto", "flat", "hnsw", "ivf", "ivfpq"],
                        help="index kind of the memory (default: %(default)s)")
    parser.add_argument("--collection", default="default", metavar="NAME",
                        help="an existing collection to load into (default: %(default)s)")
    parser.add_argument("--no-replace", action="store_true",
                        help="refuse ids that are already stored instead of replacing them")


class _BadBatch(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def _count_lines(path: str) -> int:
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


def _parse_batch(lines: list[tuple[int, str]]) -> list[tuple[int, Any]]:
    """JSON-decode and type-check a batch; every bad line is reported with its number."""
    from world2vec.memory import Item, ValidationError

    errors: list[str] = []
    parsed: list[tuple[int, Any]] = []
    for number, line in lines:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        try:
            parsed.append((number, Item.from_dict(obj)))
        except ValidationError as exc:
            errors.append(f"line {number}: {exc}")
    if errors:
        raise _BadBatch(errors)
    return parsed


def run(args: argparse.Namespace) -> int:
    if args.batch < 1:
        raise UsageError("--batch must be at least 1")
    if not os.path.isfile(args.file):
        raise UsageError(f"no such file: {args.file}")
    from world2vec.engine.progress import Progress
    from world2vec.memory import MemoryStore, MemoryStoreError, ValidationError
    from world2vec.service.models import resolve_startup

    try:  # a data directory whose served model was switched names its model and memory
        served = resolve_startup(args.data, args.model)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if served.pointer is not None:
        args.model, store_dir = served.model_path, served.store_dir
    else:
        store_dir = args.data
    total_lines = _count_lines(args.file)
    state: dict[str, Any] = {"store": None, "model": None, "dim": None}

    def model():
        if state["model"] is None:
            from world2vec.embeddings.model import load_model
            try:
                state["model"] = load_model(args.model)
            except (OSError, ValueError) as exc:
                raise UsageError(f"cannot load the model: {exc}") from None
        return state["model"]

    path, metric, model_less = store_dir, "cosine", False
    if args.collection != "default":
        from world2vec.memory.collections.export import collection_files
        from world2vec.memory.collections.manifest import read_manifest
        try:
            # (one re-encoded by a model switch has its store where the pointer says)
            switched = served.collection_stores.get(args.collection)
            path, state["dim"], metric = collection_files(args.data, args.collection, switched)
        except MemoryStoreError as exc:
            raise UsageError(f"{exc} in {args.data} (create it with POST /collections)") from None
        model_less = switched is None and read_manifest(path).model is None

    def open_store(dim: int):
        if state["store"] is None:
            try:
                state["store"] = MemoryStore.open(path, dim, index=args.index, metric=metric)
            except MemoryStoreError as exc:
                raise UsageError(str(exc)) from None
            state["dim"] = dim
        return state["store"]

    def write(batch: list[tuple[int, str]]) -> int:
        parsed = _parse_batch(batch)
        need_text = [(n, it) for n, it in parsed if it.vector is None]
        if need_text and model_less:
            raise _BadBatch([f"line {n}: item {it.id!r} has no 'vector', and collection "
                             f"{args.collection!r} has no model to encode its text"
                             for n, it in need_text])
        if need_text:
            missing = [f"line {n}: item {it.id!r} has neither 'vector' nor 'text'"
                       for n, it in need_text if not it.text]
            if missing:
                raise _BadBatch(missing)
            try:
                vectors = model().encode_texts([it.text for _, it in need_text])
            except (ValueError, KeyError) as exc:
                raise _BadBatch([f"lines {need_text[0][0]}-{need_text[-1][0]}: "
                                 f"cannot encode a text: {exc}"]) from None
            for (_, it), vec in zip(need_text, vectors):
                it.vector = vec
        dim = (model().dim if args.model or need_text or state["model"] is not None
               else len(parsed[0][1].vector))
        store = open_store(state["dim"] or dim)
        try:
            if args.no_replace:
                store.add([it for _, it in parsed])
            else:
                store.upsert([it for _, it in parsed])
        except ValidationError as exc:
            where = f"line {parsed[exc.position][0]}: " if exc.position is not None else ""
            raise _BadBatch([where + str(exc)]) from None
        except MemoryStoreError as exc:   # ItemExists with --no-replace
            position = getattr(exc, "position", None)
            where = f"line {parsed[position][0]}: " if position is not None else ""
            raise _BadBatch([where + str(exc)]) from None
        return len(parsed)

    loaded = batches = 0
    started = time.perf_counter()
    try:
        with Progress(total=total_lines, desc="load", unit="lines") as bar, \
                open(args.file, encoding="utf-8") as fh:
            pending: list[tuple[int, str]] = []
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    pending.append((number, line))
                if len(pending) >= args.batch:
                    loaded += write(pending)
                    batches += 1
                    bar.update(number - bar.count, items=loaded)
                    pending = []
            if pending:
                loaded += write(pending)
                batches += 1
            bar.update(total_lines - bar.count, items=loaded)
    except _BadBatch as bad:
        for message in bad.errors[:MAX_ERRORS_SHOWN]:
            print(f"world2vec load: error: {message}", file=sys.stderr)
        if len(bad.errors) > MAX_ERRORS_SHOWN:
            print(f"world2vec load: ... and {len(bad.errors) - MAX_ERRORS_SHOWN} more bad lines",
                  file=sys.stderr)
        print(f"world2vec load: stopped; {loaded} items in {batches} earlier batches were stored, "
              f"nothing from the bad batch", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:
        raise UsageError(f"{args.file} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    finally:
        if state["store"] is not None:
            state["store"].close()
    elapsed = time.perf_counter() - started
    count = len(state["store"]) if state["store"] is not None else 0
    print(f"loaded {loaded} items in {batches} batches into {args.data} in {elapsed:.1f}s "
          f"({loaded / elapsed if elapsed > 0 else 0:.0f} items/s); the memory holds {count} items")
    return 0
