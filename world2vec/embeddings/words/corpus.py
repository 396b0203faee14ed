"""Streaming corpus encoding: one pass over the text, token ids cached on disk.

Why a disk cache: training makes several passes (epochs) over a corpus that
may not fit in memory, and re-tokenising Unicode text in Python every epoch
would cost more than the training itself. So the corpus is read once (one
sentence per line; a file in blocks of lines, each tokenised by one regex pass),
tokenised, and written as int32 ids to a
temporary file that the kernels read by memory map; after the vocabulary is
fixed, the ids are rewritten in place to final ids (-1 for words dropped by
min-count / max-vocab, which the kernel skips as word2vec does).

Graph walks (see ``graph_walks``) are appended as further sentences, and the
batches of text and walks are interleaved so both are trained at every point
of the learning-rate schedule.

Sources: a path (plain or ``.gz``), or any iterable of sentences, each a raw
string or a list of tokens. Lines longer than 10,000 tokens are split, as in
word2vec.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count

import numpy as np

from world2vec.embeddings.words.graph_walks import RelationGraph
from world2vec.embeddings.words.tokenizer import LINE_END, Tokenizer
from world2vec.embeddings.words.vocab import Vocab
from world2vec.engine.progress import Progress
from world2vec.engine.sgns import MAX_SENTENCE_LEN


class CorpusError(ValueError):
    """The corpus cannot be trained on (missing, unreadable, empty)."""


SentenceSource = "str | os.PathLike | Iterable[str | list[str]]"


def _open_text(source: str | os.PathLike):
    path = os.fspath(source)
    if not os.path.isfile(path):
        raise CorpusError(f"corpus file not found: {path}")
    opener = gzip.open if path.endswith(".gz") else open
    return path, opener(path, "rt", encoding="utf-8", errors="replace")


def iter_sentences(source: SentenceSource) -> Iterator[str | list[str]]:
    """Stream sentences from a path (one per line) or pass an iterable through."""
    if isinstance(source, (str, os.PathLike)):
        path, f = _open_text(source)
        try:
            with f:
                yield from f
        except OSError as exc:
            raise CorpusError(f"cannot read corpus {path}: {exc}") from exc
    else:
        yield from source


def iter_line_blocks(source: str | os.PathLike, size: int = 1 << 22) -> Iterator[str]:
    """A corpus file as blocks of about ``size`` characters, each ending at a line end."""
    path, f = _open_text(source)
    try:
        with f:
            while True:
                block = f.read(size)
                if not block:
                    return
                if not block.endswith("\n"):
                    block += f.readline()
                yield block
    except OSError as exc:
        raise CorpusError(f"cannot read corpus {path}: {exc}") from exc


@dataclass
class CorpusStats:
    text_sentences: int
    text_tokens: int
    walk_sentences: int
    walk_tokens: int


class EncodedCorpus:
    """Token ids (int32, -1 = dropped) and sentence offsets, memory-mapped from disk."""

    def __init__(self, workdir: str, tokens: np.ndarray, sent_ptr: np.ndarray,
                 batches: list[tuple[int, int]], stats: CorpusStats,
                 owns_dir: tempfile.TemporaryDirectory | None) -> None:
        self.workdir = workdir
        self.tokens = tokens
        self.sent_ptr = sent_ptr
        self.batches = batches
        self.stats = stats
        self._owns_dir = owns_dir

    @property
    def total_tokens(self) -> int:
        return int(self.sent_ptr[-1])

    def batch(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """``(tokens, sent_ptr)`` of batch ``index``, offsets rebased to 0."""
        s0, s1 = self.batches[index]
        ptr = np.asarray(self.sent_ptr[s0:s1 + 1])
        toks = np.asarray(self.tokens[ptr[0]:ptr[-1]])
        return toks, ptr - ptr[0]

    def batch_tokens(self, index: int) -> int:
        s0, s1 = self.batches[index]
        return int(self.sent_ptr[s1] - self.sent_ptr[s0])

    def close(self) -> None:
        self.tokens = self.sent_ptr = None  # release the maps before removing files
        if self._owns_dir is not None:
            self._owns_dir.cleanup()
            self._owns_dir = None


class _Writer:
    """Appends provisional ids and sentence lengths to disk in large blocks."""

    def __init__(self, workdir: str) -> None:
        self.tok_path = os.path.join(workdir, "tokens.i32")
        self.len_path = os.path.join(workdir, "lengths.i64")
        self.tok_file = open(self.tok_path, "wb")
        self.len_file = open(self.len_path, "wb")
        self.ids = array("i")
        self.lengths = array("q")
        self.counts = np.zeros(0, dtype=np.int64)
        self.n_tokens = 0
        self.n_sentences = 0

    def add(self, ids: list[int] | np.ndarray) -> None:
        n = len(ids)
        for start in range(0, n, MAX_SENTENCE_LEN):
            part = ids[start:start + MAX_SENTENCE_LEN]
            self.ids.extend(part)
            self.lengths.append(len(part))
        if len(self.ids) >= 1 << 20:
            self.flush()

    def add_sentences(self, ids: np.ndarray, lengths: np.ndarray) -> None:
        """Sentences given as their concatenated ids and their (non-zero) lengths."""
        if np.any(lengths > MAX_SENTENCE_LEN):
            lengths = np.array([part for n in lengths.tolist() for part in _split_length(n)],
                               dtype=np.int64)
        self.flush()
        ids = np.ascontiguousarray(ids, dtype=np.int32)
        self._count(ids)
        ids.tofile(self.tok_file)
        np.asarray(lengths, dtype=np.int64).tofile(self.len_file)
        self.n_tokens += ids.size
        self.n_sentences += len(lengths)

    def add_block(self, walks: np.ndarray) -> None:
        self.flush()
        flat = np.ascontiguousarray(walks, dtype=np.int32).ravel()
        self._count(flat)
        flat.tofile(self.tok_file)
        np.full(walks.shape[0], walks.shape[1], dtype=np.int64).tofile(self.len_file)
        self.n_tokens += flat.size
        self.n_sentences += walks.shape[0]

    def _count(self, ids: np.ndarray) -> None:
        if ids.size == 0:
            return
        counted = np.bincount(ids)
        if len(counted) > len(self.counts):
            self.counts = np.concatenate([self.counts, np.zeros(len(counted) - len(self.counts),
                                                                np.int64)])
        self.counts[:len(counted)] += counted

    def flush(self) -> None:
        if self.ids:
            block = np.frombuffer(self.ids, dtype=np.int32)
            self._count(block)
            block.tofile(self.tok_file)
            self.n_tokens += block.size
        if self.lengths:
            np.frombuffer(self.lengths, dtype=np.int64).tofile(self.len_file)
            self.n_sentences += len(self.lengths)
        self.ids = array("i")
        self.lengths = array("q")

    def close(self) -> None:
        self.flush()
        self.tok_file.close()
        self.len_file.close()


def _split_length(n: int) -> list[int]:
    """A sentence's length as word2vec cuts it: pieces of at most MAX_SENTENCE_LEN."""
    return [min(MAX_SENTENCE_LEN, n - a) for a in range(0, n, MAX_SENTENCE_LEN)]


def _read_file(path: str | os.PathLike, writer: _Writer, tokenizer: Tokenizer,
               word_id: Callable[[str], int], line_end: int, bar: Progress) -> None:
    """Fast path for a corpus file: whole blocks of lines are tokenised by one regex
    pass and mapped to ids by one ``map`` (both in C); the line-end marker's id
    then splits the ids into sentences, and empty lines vanish."""
    for block in iter_line_blocks(path):
        ids = np.fromiter(map(word_id, tokenizer.tokenize_lines(block)), dtype=np.int32)
        ends = np.flatnonzero(ids == line_end)
        lengths = np.diff(ends, prepend=-1) - 1
        writer.add_sentences(ids[ids != line_end], lengths[lengths > 0])
        bar.update(len(ends))


def _plan_batches(sent_ptr: np.ndarray, first: int, last: int,
                  batch_words: int) -> list[tuple[int, int]]:
    """Split sentences [first, last) into runs of about ``batch_words`` tokens."""
    if last <= first:
        return []
    lo_tok, hi_tok = sent_ptr[first], sent_ptr[last]
    n = max(1, int(round((hi_tok - lo_tok) / batch_words)))
    cuts = np.searchsorted(sent_ptr[first:last + 1], np.linspace(lo_tok, hi_tok, n + 1)[1:-1])
    bounds = sorted(set([first, *(first + cuts).tolist(), last]))
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def encode_corpus(source: SentenceSource, graph: RelationGraph | None = None, *,
                  tokenizer: Tokenizer | None = None,
                  min_count: int = 5, max_vocab: int | None = None,
                  walks_per_node: int = 10, walk_length: int = 8, seed: int = 1,
                  batch_words: int = 100_000, workdir: str | None = None,
                  progress: bool | None = None,
                  transform: Callable[[list[str]], list[str]] | None = None,
                  ) -> tuple[EncodedCorpus, Vocab]:
    """Read ``source`` once (plus walks over ``graph``) and build the vocabulary.

    ``transform`` rewrites each sentence's tokens (e.g. joining phrases).
    Raises :class:`CorpusError` for a missing or empty corpus, or when no word
    reaches ``min_count``.
    """
    if min_count < 1:
        raise CorpusError("min_count must be >= 1")
    tokenizer = tokenizer or Tokenizer()
    owns = None
    if workdir is None:
        owns = tempfile.TemporaryDirectory(prefix="world2vec-corpus-")
        workdir = owns.name
    try:
        writer = _Writer(workdir)
        # Ids in order of first appearance; id 0 is the line-end marker, never a word
        # (no token is "\n"), and is dropped from the vocabulary below.
        index: defaultdict[str, int] = defaultdict(count().__next__)
        line_end = index[LINE_END]
        word_id = index.__getitem__
        with Progress(desc="reading corpus", unit="sentences", enabled=progress) as bar:
            if isinstance(source, (str, os.PathLike)) and transform is None:
                _read_file(source, writer, tokenizer, word_id, line_end, bar)
            else:
                for sentence in iter_sentences(source):
                    toks = tokenizer.tokens_of(sentence)
                    if transform is not None and toks:
                        toks = transform(toks)
                    if toks:
                        writer.add([word_id(t) for t in toks])
                    bar.update(1)
        writer.flush()
        text_sentences, text_tokens = writer.n_sentences, writer.n_tokens
        if graph is not None and len(graph):
            node_ids = np.array([word_id(n) for n in graph.nodes], dtype=np.int64)
            for walks in graph.walks(walks_per_node, walk_length, seed=seed):
                writer.add_block(node_ids[walks])
        writer.close()
        if writer.n_tokens == 0:
            raise CorpusError("the corpus is empty: no tokens found")
        counts = np.zeros(len(index), dtype=np.int64)
        counts[:len(writer.counts)] = writer.counts[:len(index)]
        words = list(index)
        vocab = Vocab.from_counts(zip(words[1:], counts[1:].tolist()), min_count=min_count,
                                  max_vocab=max_vocab)
        if len(vocab) == 0:
            raise CorpusError(f"no word occurs at least min_count={min_count} times "
                              f"(the corpus has {len(words) - 1} distinct words)")
        remap = np.full(len(words), -1, dtype=np.int32)
        remap[[index[w] for w in vocab.words]] = np.arange(len(vocab), dtype=np.int32)
        del index
        tokens = np.memmap(writer.tok_path, dtype=np.int32, mode="r+", shape=(writer.n_tokens,))
        for a in range(0, writer.n_tokens, 1 << 22):
            tokens[a:a + (1 << 22)] = remap[tokens[a:a + (1 << 22)]]
        tokens.flush()
        lengths = np.memmap(writer.len_path, dtype=np.int64, mode="r", shape=(writer.n_sentences,))
        sent_ptr = np.memmap(os.path.join(workdir, "sent_ptr.i64"), dtype=np.int64, mode="w+",
                             shape=(writer.n_sentences + 1,))
        sent_ptr[0] = 0
        np.cumsum(lengths, out=sent_ptr[1:])
        n_sent = writer.n_sentences
        text = _plan_batches(sent_ptr, 0, text_sentences, batch_words)
        walk = _plan_batches(sent_ptr, text_sentences, n_sent, batch_words)
        # Interleave text and walk batches evenly along the schedule.
        keyed = [((i + 0.5) / len(text), 0, b) for i, b in enumerate(text)]
        keyed += [((i + 0.5) / len(walk), 1, b) for i, b in enumerate(walk)]
        batches = [b for _, _, b in sorted(keyed)]
        stats = CorpusStats(text_sentences, text_tokens, n_sent - text_sentences,
                            writer.n_tokens - text_tokens)
        return EncodedCorpus(workdir, tokens, sent_ptr, batches, stats, owns), vocab
    except BaseException:
        if owns is not None:
            owns.cleanup()
        raise
