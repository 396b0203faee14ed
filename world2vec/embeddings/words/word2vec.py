"""Train word and concept vectors: skip-gram / CBOW with negative sampling.

Python API (stable; the default-model build and ``world2vec train`` use it)::

    from world2vec.embeddings.words.word2vec import train_word_vectors
    wv = train_word_vectors("corpus.txt", graph="relations.tsv", dim=100, epochs=5)
    wv.save("models/mine", dtype="float16")      # WordVectors.load("models/mine")

``corpus`` is a path (one sentence per line, plain or .gz, streamed) or an
iterable of sentences (strings, or lists of tokens); ``graph`` an optional
``head<TAB>relation<TAB>tail`` file whose random walks train jointly with the
text (see ``graph_walks``).

How: the corpus is read once into an on-disk id cache (``corpus``), then the
engine's :class:`~world2vec.engine.trainer.Trainer` runs :class:`Word2VecTask`,
whose batches call the fused numba kernel :func:`world2vec.engine.sgns.train_batch`
(all cores, Hogwild; deterministic with ``threads=1`` and a seed). The trainer
owns epochs, word2vec's linear learning-rate decay, progress, checkpoints and
the event log.

Subwords, three ways (``subwords=``):

- ``"fitted"`` (default): words train exactly as in ``"none"``, then character
  n-gram vectors are fitted to them by least squares (``subword_fill``), so
  unseen words get vectors while the known words keep word2vec's quality and
  speed (on a 3M-token dictionary corpus joint training cost WordSim-353 0.1).
- ``"joint"``: fastText; each word's input vector is the mean of its own row and
  its hashed n-gram rows, trained together; the final word vector is that mean.
- ``"none"``: word2vec; unseen words get no vector.

``buckets`` sets the n-gram table size (default per mode: ``DEFAULT_BUCKETS``).

``vectors="input+context"`` returns unit(input) + unit(output) rows (Levy et
al. 2015), adding first-order co-occurrence to the similarity; the default
returns the input vectors as word2vec does.

Phrases (``phrases=True``): an extra pass learns collocations (word2phrase
scoring, see ``phrases``) and joins them ("new york" -> "new_york") before
training, so text tokens meet the graph's multiword concepts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

import numpy as np

from world2vec.embeddings.words.corpus import CorpusError, EncodedCorpus, encode_corpus, iter_sentences
from world2vec.embeddings.words.graph_walks import DEFAULT_WALK_LENGTH, DEFAULT_WALKS_PER_NODE, RelationGraph
from world2vec.embeddings.words.phrases import Phrases
from world2vec.embeddings.words.subword_fill import fit_ngram_vectors
from world2vec.embeddings.words.subwords import first_use_order, input_rows, ngram_buckets, row_means
from world2vec.embeddings.words.tokenizer import Tokenizer
from world2vec.embeddings.words.vectors import WordVectors
from world2vec.embeddings.words.vocab import Vocab
from world2vec.engine import sgns
from world2vec.engine.linalg import unit_rows
from world2vec.engine.schedules import LinearDecay
from world2vec.engine.trainer import Trainer

__all__ = ["train_word_vectors", "Word2VecTask", "CorpusError"]

MODES = ("skipgram", "cbow")
SUBWORD_MODES = ("fitted", "joint", "none")
# n-gram table rows per mode. joint: fastText's table, kept below gensim's 2M because
# a joint table is trained (and saved) whole. fitted: the fit's cost hardly depends
# on it (it walks each word's n-grams), but the saved table does; 20,000 rows keep a
# 30k-word model's n-grams smaller than its word vectors, as in the default model.
DEFAULT_BUCKETS = {"fitted": 20_000, "joint": 200_000}


class Word2VecTask:
    """Engine task: parameters ``syn0`` (input rows: words, then the n-gram buckets
    in :func:`first_use_order`) and ``syn1`` (output rows); one batch = one fused
    kernel call. ``subwords`` (bool): train n-gram rows jointly (fastText)."""

    def __init__(self, corpus: EncodedCorpus, vocab: Vocab, *, dim: int, window: int,
                 negative: int, sample: float, mode: str, threads: int, seed: int,
                 subwords: bool, min_n: int, max_n: int, buckets: int) -> None:
        self.corpus = corpus
        self.vocab = vocab
        self.window, self.negative = window, negative
        self.skipgram = mode == "skipgram"
        self.threads = threads
        n = len(vocab)
        rng = np.random.default_rng(seed)
        self.sub_ptr = self.sub_idx = self.slot = None
        rows = n
        if subwords:
            ptr, ids = ngram_buckets(vocab.words, min_n, max_n, buckets)
            self.slot = first_use_order(ids, buckets)
            self.sub_ptr, self.sub_idx = input_rows(n, ptr, self.slot[ids])
            rows = n + buckets
        # Small uniform inputs in [-1/dim, 1/dim) (gensim 4's scale; word2vec.c uses
        # half of it, which scored slightly lower in our side-by-side runs), zero outputs.
        # In place: the joint table is ~100 MB, and each extra pass costs.
        self.syn0 = rng.random((rows, dim), dtype=np.float32)
        self.syn0 *= 2.0
        self.syn0 -= 1.0
        self.syn0 /= dim
        self.syn1 = np.zeros((n, dim), dtype=np.float32)
        self.keep = sgns.keep_probabilities(vocab.counts, sample)
        self.alias = sgns.alias_table(vocab.counts)

    def parameters(self) -> dict[str, np.ndarray]:
        return {"syn0": self.syn0, "syn1": self.syn1}

    def num_batches(self) -> int:
        return len(self.corpus.batches)

    def batch_work(self, index: int) -> int:
        return self.corpus.batch_tokens(index)

    def train_batch(self, epoch: int, index: int, lr_start: float, lr_end: float,
                    seed: int) -> dict[str, float]:
        tokens, ptr = self.corpus.batch(index)
        return sgns.train_batch(tokens, ptr, self.syn0, self.syn1, sub_ptr=self.sub_ptr,
                                sub_idx=self.sub_idx, keep=self.keep, alias=self.alias,
                                skipgram=self.skipgram, window=self.window,
                                negative=self.negative, lr_start=lr_start, lr_end=lr_end,
                                seed=seed, threads=self.threads)

    def word_vectors(self) -> np.ndarray:
        """Final word vectors: own row, or the mean of own + n-gram rows."""
        n = len(self.vocab)
        if self.sub_ptr is None:
            return self.syn0[:n].copy()
        return row_means(self.syn0, self.sub_ptr, self.sub_idx)

    def ngram_vectors(self) -> np.ndarray | None:
        """The n-gram table in hash-bucket order (what a model file stores), or None."""
        if self.slot is None:
            return None
        return self.syn0[len(self.vocab) + self.slot]


def subword_mode(subwords: str | bool) -> str:
    """``"fitted"``, ``"joint"`` or ``"none"``; ``True``/``False`` mean joint/none."""
    if subwords is True or subwords is False:
        return "joint" if subwords else "none"
    if subwords not in SUBWORD_MODES:
        raise ValueError(f"subwords must be one of {', '.join(SUBWORD_MODES)}, got {subwords!r}")
    return subwords


def _check(name: str, value, low, high=None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low \
            or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")


def train_word_vectors(corpus: str | os.PathLike | Iterable, graph: str | os.PathLike | None = None,
                       *, dim: int = 100, window: int = 5, negative: int = 5, min_count: int = 5,
                       max_vocab: int | None = None, sample: float = 1e-3, epochs: int = 5,
                       threads: int | None = None, mode: str = "skipgram", alpha: float = 0.025,
                       min_alpha: float = 0.0001, subwords: str | bool = "fitted", min_n: int = 3,
                       max_n: int = 6, buckets: int | None = None, lowercase: bool = True,
                       walks_per_node: int = DEFAULT_WALKS_PER_NODE,
                       walk_length: int = DEFAULT_WALK_LENGTH, phrases: bool = False,
                       phrase_threshold: float = 10.0, vectors: str = "input", batch_words: int | None = None,
                       seed: int = 1, events: str | os.PathLike | None = None,
                       checkpoint_dir: str | os.PathLike | None = None, checkpoint_every: int = 0,
                       progress: bool | None = True, name: str = "word2vec") -> WordVectors:
    """Train word/concept vectors on ``corpus`` (+ walks over ``graph``); see module doc.

    ``checkpoint_dir``: checkpoints go there (every ``checkpoint_every`` batches and
    at each epoch's end) and a rerun with the same arguments resumes from the
    latest one; single-threaded with a seed, the result equals an uninterrupted run.

    ``subwords``: ``"fitted"`` (default), ``"joint"`` or ``"none"`` (see the module
    doc; ``True``/``False`` are the older spellings of joint/none). ``buckets``:
    n-gram table rows, by default :data:`DEFAULT_BUCKETS` of the mode.

    Raises ``ValueError`` for bad settings and :class:`CorpusError` for a
    missing/empty corpus (both carry a one-line message fit for the CLI).
    """
    if vectors not in ("input", "input+context"):
        raise ValueError("vectors must be 'input' or 'input+context'")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    for key, value, low in (("dim", dim, 1), ("window", window, 1), ("negative", negative, 1),
                            ("min_count", min_count, 1), ("epochs", epochs, 1),
                            ("sample", sample, 0), ("alpha", alpha, 0), ("min_alpha", min_alpha, 0)):
        _check(key, value, low)
    subwords = subword_mode(subwords)
    if subwords != "none":
        buckets = DEFAULT_BUCKETS[subwords] if buckets is None else buckets
        _check("min_n", min_n, 1)
        _check("max_n", max_n, min_n)
        _check("buckets", buckets, 1)
    threads = int(threads) if threads else (os.cpu_count() or 1)
    _check("threads", threads, 1)
    tokenizer = Tokenizer(lowercase=lowercase)
    rel_graph = None
    if graph is not None:
        if not os.path.isfile(graph):
            raise CorpusError(f"graph file not found: {graph}")
        rel_graph = RelationGraph.read(graph, tokenizer)
    batch_words = batch_words or 100_000 * threads
    phraser = None
    if phrases:
        # One extra streamed pass: learn collocations, then join them while encoding.
        phraser = Phrases(min_count=min_count, threshold=phrase_threshold).learn(
            tokenizer.tokens_of(s) for s in iter_sentences(corpus))
    encoded, vocab = encode_corpus(corpus, rel_graph, tokenizer=tokenizer, min_count=min_count,
                                   max_vocab=max_vocab, walks_per_node=walks_per_node,
                                   walk_length=walk_length, seed=seed, batch_words=batch_words,
                                   progress=progress, transform=phraser)
    settings = {"mode": mode, "dim": dim, "window": window, "negative": negative,
                "min_count": min_count, "max_vocab": max_vocab, "sample": sample,
                "epochs": epochs, "alpha": alpha, "min_alpha": min_alpha, "threads": threads,
                "seed": seed, "subwords": subwords, "vectors": vectors,
                "graph": os.fspath(graph) if graph else None,
                "walks_per_node": walks_per_node, "walk_length": walk_length,
                "corpus_tokens": encoded.stats.text_tokens,
                "corpus_sentences": encoded.stats.text_sentences,
                "walk_tokens": encoded.stats.walk_tokens,
                "phrases": len(phraser) if phraser is not None else None}
    try:
        task = Word2VecTask(encoded, vocab, dim=dim, window=window, negative=negative,
                            sample=sample, mode=mode, threads=threads, seed=seed,
                            subwords=subwords == "joint", min_n=min_n, max_n=max_n,
                            buckets=buckets)
        trainer = Trainer(task, epochs=epochs, schedule=LinearDecay(alpha, min_alpha), seed=seed,
                          checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every,
                          events=events, progress=progress,
                          desc=f"train {mode}", unit="words")
        result = trainer.fit()
        settings.update({"seconds": round(result.seconds, 3), "final_loss": result.loss,
                         "words_per_second": round(result.work / max(result.seconds, 1e-9))})
        final = task.word_vectors()
        if vectors == "input+context":
            final = unit_rows(final) + unit_rows(task.syn1)
        ngrams = task.ngram_vectors()
    finally:
        encoded.close()
    if subwords == "fitted":
        tick = time.perf_counter()
        # The words are final: the fit reads them and never changes them.
        ngrams = fit_ngram_vectors(vocab.words, unit_rows(final), buckets, min_n, max_n)
        settings["ngram_fit"] = {"buckets": buckets, "min_n": min_n, "max_n": max_n,
                                 "seconds": round(time.perf_counter() - tick, 3)}
    return WordVectors(vocab.words, final, vocab.counts, ngrams=ngrams, min_n=min_n,
                       max_n=max_n, name=name, settings=settings, tokenizer=tokenizer,
                       events_path=os.fspath(events) if events else None)
