"""A training job's own process: ``python -m world2vec.service.models.worker SPEC.json``.

Why a process of its own, at low priority, on one thread: training is the heaviest
thing the service does, and the requests must keep their latency while it runs. A
child process never holds the server's GIL (tokenizing and building the vocabulary are
Python), ``os.nice`` tells the kernel to give the request threads the CPU first, and
the parent sets every thread pool (numba, OpenMP, BLAS) to one thread, so the child
uses at most one core, and only what the server leaves. It exits when the server dies
(a model half-saved is never seen: ``Model.save`` renames a complete directory into place).

Protocol: the spec (JSON) names the base model, the model the gate compares with, the
text files, the settings and the output directory; the child writes one JSON object
per line on stdout: ``{"progress": f, "detail": s}`` while it works, then
``{"result": {...}}``, or ``{"error": "..."}`` and exit code 1.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import threading
import time
from collections.abc import Iterator

NICENESS = 10


def emit(**message: object) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _exit_with_parent() -> None:
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _sentences(paths: list[str]) -> Iterator[str]:
    from world2vec.embeddings.words.corpus import iter_sentences
    return itertools.chain.from_iterable(iter_sentences(p) for p in paths)


def train(spec: dict) -> dict:
    from world2vec.embeddings import load_model
    from world2vec.embeddings.continued import continue_training
    from world2vec.service.models.gate import run_gate
    from world2vec.service.models.registry import GATE_FILE, manifest_of

    emit(progress=0.01, detail=f"loading {spec['base_name']}")
    base = load_model(spec["base"])
    last = [0.0]

    def on_progress(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.25 or fraction >= 1.0:
            last[0] = now
            emit(progress=0.05 + 0.8 * fraction, detail="training")

    model = continue_training(base, _sentences(spec["corpus"]), min_count=spec["min_count"],
                              epochs=spec["epochs"], threads=1, seed=spec.get("seed", 1),
                              events=spec["events"], progress=False, on_progress=on_progress,
                              name=spec["name"])
    emit(progress=0.87, detail="evaluating the new model beside the active one")
    active = base if spec["active"] == spec["base"] else load_model(spec["active"])
    gate = run_gate(model.words, active.words, spec.get("active_name") or active.name, spec["data"])
    emit(progress=0.95, detail="saving")
    dtype = manifest_of(spec["base"]).get("dtype", "float32")
    model.save(spec["out"], dtype=dtype if dtype in ("float16", "float32") else "float32",
               extra_json={GATE_FILE: gate})
    settings = model.words.settings
    return {"model": spec["name"], "from": spec["base_name"], "gate": gate,
            "words": len(model.words), "new_words": settings["new_words"],
            "corpus_tokens": settings["corpus_tokens"],
            "neighbour_overlap": settings["neighbour_overlap"],
            "training_seconds": settings["seconds"]}


def main(argv: list[str]) -> int:
    try:
        os.nice(NICENESS)
    except OSError:
        pass
    _exit_with_parent()
    with open(argv[0], encoding="utf-8") as fh:
        spec = json.load(fh)
    try:
        emit(result=train(spec))
    except Exception as exc:  # reported to the job; the traceback goes to the log (stderr)
        import traceback
        traceback.print_exc()
        emit(error=f"{type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
