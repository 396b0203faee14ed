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

Subwords (``subwords=True``): each word's input vector is the mean of its own
row and its hashed character n-gram rows (fastText); the final word vector is
that mean, and the n-gram rows are kept so unseen words can be synthesized.
``buckets`` sets the n-gram table size (small for a shipped model).

``vectors="input+context"`` returns unit(input) + unit(output) rows (Levy et
al. 2015), adding first-order co-occurrence to the similarity; the default
returns the input vectors as word2vec does.

Phrases (``phrases=True``): an extra pass learns collocations (word2phrase
scoring, see ``phrases``) and joins them ("new york" -> "new_york") before
training, so text tokens meet the graph's multiword concepts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np

from world2vec.embeddings.words.corpus import CorpusError, EncodedCorpus, encode_corpus, iter_sentences
from world2vec.embeddings.words.graph_walks import DEFAULT_WALK_LENGTH, DEFAULT_WALKS_PER_NODE, RelationGraph
from world2vec.embeddings.words.phrases import Phrases
from world2vec.embeddings.words.subwords import input_rows, ngram_buckets
from world2vec.embeddings.words.tokenizer import Tokenizer
from world2vec.embeddings.words.vectors import WordVectors
from world2vec.embeddings.words.vocab import Vocab
from world2vec.engine import sgns
from world2vec.engine.linalg import unit_rows
from world2vec.engine.schedules import LinearDecay
from world2vec.engine.trainer import Trainer

__all__ = ["train_word_vectors", "Word2VecTask", "CorpusError"]

MODES = ("skipgram", "cbow")


class Word2VecTask:
    """Engine task: parameters ``syn0`` (input rows: words then n-gram buckets)
    and ``syn1`` (output rows); one batch = one fused kernel call."""

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
        self.sub_ptr = self.sub_idx = None
        rows = n
        if subwords:
            ptr, ids = ngram_buckets(vocab.words, min_n, max_n, buckets)
            self.sub_ptr, self.sub_idx = input_rows(n, ptr, ids)
            rows = n + buckets
        # Small uniform inputs in [-1/dim, 1/dim) (gensim 4's scale; word2vec.c uses
        # half of it, which scored slightly lower in our side-by-side runs), zero outputs.
        self.syn0 = ((rng.random((rows, dim), dtype=np.float32) * 2.0 - 1.0) / dim).astype(np.float32)
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
        sums = np.add.reduceat(self.syn0[self.sub_idx], self.sub_ptr[:-1], axis=0)
        return (sums / np.diff(self.sub_ptr)[:, None]).astype(np.float32)


def _check(name: str, value, low, high=None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low \
            or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")


def train_word_vectors(corpus: str | os.PathLike | Iterable, graph: str | os.PathLike | None = None,
                       *, dim: int = 100, window: int = 5, negative: int = 5, min_count: int = 5,
                       max_vocab: int | None = None, sample: float = 1e-3, epochs: int = 5,
                       threads: int | None = None, mode: str = "skipgram", alpha: float = 0.025,
                       min_alpha: float = 0.0001, subwords: bool = True, min_n: int = 3,
                       max_n: int = 6, buckets: int = 200_000, lowercase: bool = True,
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
    if subwords:
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
                            subwords=subwords, min_n=min_n, max_n=max_n, buckets=buckets)
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
        ngrams = task.syn0[len(vocab):].copy() if subwords else None
    finally:
        encoded.close()
    return WordVectors(vocab.words, final, vocab.counts, ngrams=ngrams, min_n=min_n,
                       max_n=max_n, name=name, settings=settings, tokenizer=tokenizer,
                       events_path=os.fspath(events) if events else None)
