"""``continue_training``: a trained model, more text, a new model in the same space.

Steps (each in its own module of this package): read the new text once into the
on-disk id cache (``words.corpus``); extend the base vocabulary with the new words
that occur ``min_count`` times (``vocabulary``); start each new word at its contexts'
mean (``new_rows``); train skip-gram/CBOW with the engine's Trainer (checkpoints,
resume, event log, progress) while the known words move at ``known_rate`` of the
learning rate, frozen for the first ``freeze_epochs`` epochs (``task``); carry the
encoders and relations over (``components``); measure how much the known words'
neighbourhoods moved (``overlap``). The base model is only read: the result is a new
:class:`~world2vec.embeddings.model.Model` for the caller to save in a new directory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from world2vec.embeddings.continued.components import carry_components
from world2vec.embeddings.continued.new_rows import initial_rows
from world2vec.embeddings.continued.overlap import neighbour_overlap
from world2vec.embeddings.continued.task import ContinuedTask
from world2vec.embeddings.continued.vocabulary import extend_vocabulary
from world2vec.embeddings.model import Model, load_model
from world2vec.embeddings.words.corpus import CorpusError, encode_corpus
from world2vec.embeddings.words.graph_walks import DEFAULT_WALK_LENGTH, DEFAULT_WALKS_PER_NODE, RelationGraph
from world2vec.embeddings.words.vectors import WordVectors
from world2vec.engine.schedules import LinearDecay
from world2vec.engine.trainer import Trainer

__all__ = ["continue_training", "CorpusError"]

MODES = ("skipgram", "cbow")


def _number(name: str, value: Any, low: float, high: float | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low \
            or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")


def continue_training(base: Model | str | os.PathLike | None,
                      corpus: str | os.PathLike | Iterable,
                      graph: str | os.PathLike | None = None, *, min_count: int = 5,
                      epochs: int = 5, window: int = 5, negative: int = 5, sample: float = 1e-3,
                      alpha: float = 0.025, min_alpha: float = 0.0001, mode: str = "skipgram",
                      known_rate: float = 0.1, freeze_epochs: int = 1,
                      threads: int | None = None, seed: int = 1,
                      events: str | os.PathLike | None = None,
                      checkpoint_dir: str | os.PathLike | None = None, checkpoint_every: int = 0,
                      progress: bool | None = True,
                      on_progress: Callable[[float], None] | None = None,
                      name: str | None = None, overlap_sample: int = 1000,
                      batch_words: int | None = None) -> Model:
    """Train ``base`` (a Model, a model directory, or None for the bundled one) further
    on ``corpus`` (a path, one sentence per line, .gz ok, or an iterable of sentences)
    and ``graph`` (relation triples), returning the new model (not saved).

    ``known_rate`` (0..1) scales the learning rate of words the base model knows;
    ``freeze_epochs`` first epochs keep them fixed. ``on_progress(fraction)`` is called
    after every batch. The new model's ``words.settings`` records the run, including
    ``neighbour_overlap`` (top-10 overlap of the ``overlap_sample`` most frequent words).
    Raises ``ValueError`` for bad settings and ``CorpusError`` for an unusable corpus.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    for key, value, low in (("window", window, 1), ("negative", negative, 1),
                            ("min_count", min_count, 1), ("epochs", epochs, 1),
                            ("sample", sample, 0), ("alpha", alpha, 0), ("min_alpha", min_alpha, 0),
                            ("freeze_epochs", freeze_epochs, 0)):
        _number(key, value, low)
    _number("known_rate", known_rate, 0, 1)
    threads = int(threads) if threads else (os.cpu_count() or 1)
    _number("threads", threads, 1)
    started = time.perf_counter()
    if not isinstance(base, Model):
        base = load_model(base)
    words = base.words
    rel_graph = None
    if graph is not None:
        if not os.path.isfile(graph):
            raise CorpusError(f"graph file not found: {graph}")
        rel_graph = RelationGraph.read(graph, words.tokenizer)
    encoded, corpus_vocab = encode_corpus(
        corpus, rel_graph, tokenizer=words.tokenizer, min_count=1, seed=seed,
        walks_per_node=DEFAULT_WALKS_PER_NODE, walk_length=DEFAULT_WALK_LENGTH,
        batch_words=batch_words or 100_000 * threads, progress=progress)
    try:
        extension = extend_vocabulary(words, encoded, corpus_vocab, min_count)
        syn0 = np.vstack([np.asarray(words.vectors, dtype=np.float32),
                          initial_rows(words, encoded, extension, window, seed, min_count)])
        total_batches = max(len(encoded.batches) * epochs, 1)

        def report(epoch: int, index: int) -> None:
            if on_progress is not None:
                on_progress((epoch * len(encoded.batches) + index + 1) / total_batches)

        task = ContinuedTask(encoded, extension, syn0, window=window, negative=negative,
                             sample=sample, mode=mode, threads=threads, known_rate=known_rate,
                             freeze_epochs=freeze_epochs, on_batch=report)
        trainer = Trainer(task, epochs=epochs, schedule=LinearDecay(alpha, min_alpha), seed=seed,
                          checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every,
                          events=events, progress=progress, desc=f"continue {mode}",
                          unit="words")
        result = trainer.fit()
        stats = encoded.stats
    finally:
        encoded.close()
    settings = {key: value for key, value in words.settings.items() if key == "ngram_fit"}
    settings.update({
        "mode": mode, "dim": words.dim, "window": window, "negative": negative,
        "min_count": min_count, "sample": sample, "epochs": epochs, "alpha": alpha,
        "min_alpha": min_alpha, "threads": threads, "seed": seed,
        "continued_from": {"name": words.name, "words": extension.base_size,
                           "path": getattr(base, "path", None)},
        "known_rate": known_rate, "freeze_epochs": freeze_epochs,
        "new_words": len(extension.new_words),
        "graph": os.fspath(graph) if graph else None,
        "corpus_tokens": stats.text_tokens, "corpus_sentences": stats.text_sentences,
        "walk_tokens": stats.walk_tokens, "final_loss": result.loss,
        "words_per_second": round(result.work / max(result.seconds, 1e-9)),
        "created_at": round(time.time(), 3)})
    new_words = WordVectors(extension.words, task.syn0, extension.counts, ngrams=words.ngrams,
                            min_n=words.min_n, max_n=words.max_n,
                            name=name or f"{words.name}-continued", settings=settings,
                            tokenizer=words.tokenizer,
                            events_path=os.fspath(events) if events else None)
    model, dropped = carry_components(base, new_words, extension.base_size)
    overlap = neighbour_overlap(words, new_words, sample=overlap_sample)
    recorded = new_words.settings       # the manifest's "training" section
    recorded["neighbour_overlap"] = {k: overlap[k] for k in ("k", "words", "mean", "min")}
    if dropped:
        recorded["sentence_encoders_left_out"] = dropped
    recorded["seconds"] = round(time.perf_counter() - started, 3)
    return model
