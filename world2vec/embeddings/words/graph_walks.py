"""Random-walk "sentences" over a relation graph, trained jointly with text.

Why walks: skip-gram learns from co-occurrence, so a walk
``cat feline carnivore mammal animal`` places related concepts in each other's
windows just as a sentence would. Mixed with the text corpus in one training
run, relation knowledge and text end up in one vector space.

Graph file: one triple per line, ``head<TAB>relation<TAB>tail`` (UTF-8;
blank lines and lines starting with ``#`` are skipped). Concepts are
normalized by the model's tokenizer (lowercase, spaces -> underscores), so
``New York`` and ``new_york`` are the same node. Edges are followed in both
directions (a hypernym link is as informative read downwards); the relation
name itself is not emitted, so it does not crowd the vocabulary.

Walks: ``walks_per_node`` walks start at every node, each ``walk_length``
nodes long, choosing uniformly among neighbours at every step (DeepWalk).
The defaults (10 walks of 8 nodes) give each concept roughly as many
occurrences as a word seen 80 times in text.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np

from world2vec.embeddings.words.tokenizer import Tokenizer

DEFAULT_WALKS_PER_NODE = 10
DEFAULT_WALK_LENGTH = 8


class GraphError(ValueError):
    """A malformed graph file (names the line)."""


class RelationGraph:
    """Undirected adjacency (CSR) over concept names read from triples."""

    def __init__(self, nodes: list[str], indptr: np.ndarray, neighbours: np.ndarray,
                 n_triples: int) -> None:
        self.nodes = nodes
        self.indptr = indptr
        self.neighbours = neighbours
        self.n_triples = n_triples

    @classmethod
    def read(cls, path: str | os.PathLike, tokenizer: Tokenizer | None = None) -> RelationGraph:
        tokenizer = tokenizer or Tokenizer()
        index: dict[str, int] = {}
        heads: list[int] = []
        tails: list[int] = []
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.rstrip("\n\r")
                if not line.strip() or line.startswith("#"):
                    continue
                parts = line.split("\t")
                if len(parts) != 3:
                    raise GraphError(f"{path}:{lineno}: expected head<TAB>relation<TAB>tail, "
                                     f"got {len(parts)} field(s)")
                head, tail = tokenizer.normalize(parts[0]), tokenizer.normalize(parts[2])
                if not head or not tail:
                    raise GraphError(f"{path}:{lineno}: empty concept name")
                if head == tail:
                    continue
                heads.append(index.setdefault(head, len(index)))
                tails.append(index.setdefault(tail, len(index)))
        return cls.from_edges(list(index), np.array(heads, np.int64), np.array(tails, np.int64))

    @classmethod
    def from_edges(cls, nodes: list[str], heads: np.ndarray, tails: np.ndarray) -> RelationGraph:
        src = np.concatenate([heads, tails])
        dst = np.concatenate([tails, heads])
        order = np.lexsort((dst, src))
        src, dst = src[order], dst[order]
        indptr = np.zeros(len(nodes) + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=len(nodes)), out=indptr[1:])
        return cls(nodes, indptr, dst, len(heads))

    def __len__(self) -> int:
        return len(self.nodes)

    def walks(self, walks_per_node: int = DEFAULT_WALKS_PER_NODE,
              walk_length: int = DEFAULT_WALK_LENGTH, seed: int = 1,
              block: int = 100_000) -> Iterator[np.ndarray]:
        """Yield blocks of walks as int arrays ``(n_walks, walk_length)`` of node ids.

        All walks of a block advance together (vectorised), so a WordNet-sized
        graph walks in seconds. Deterministic for a given seed.
        """
        if walks_per_node < 1 or walk_length < 2:
            raise ValueError("walks_per_node must be >= 1 and walk_length >= 2")
        rng = np.random.default_rng(seed)
        starts = np.tile(np.arange(len(self.nodes), dtype=np.int64), walks_per_node)
        rng.shuffle(starts)
        degree = np.diff(self.indptr)
        for b in range(0, len(starts), block):
            pos = starts[b:b + block]
            walk = np.empty((len(pos), walk_length), dtype=np.int64)
            walk[:, 0] = pos
            for step in range(1, walk_length):
                pick = (rng.random(len(pos)) * degree[pos]).astype(np.int64)
                pos = self.neighbours[self.indptr[pos] + pick]
                walk[:, step] = pos
            yield walk
