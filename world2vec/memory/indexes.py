"""Index choice and construction.

The store always keeps an exact inner-product index (``IndexFlatIP``) whose row
*is* the item's row: it stores the vectors, answers exact search, and is the
source every approximate index is built from. An approximate index (HNSW,
IVF-Flat, IVF-PQ) is an accelerator on top: built on a copy of rows
``[0, covered)`` in row order (so FAISS's sequential ids equal rows, no id map
needed), swapped in when ready, and extended the same way later. Rows written
since (``[covered, n)``) are searched exactly and merged, so a write never waits
for an index and a search never sees a half-built one.

Choice rule for ``index="auto"`` (documented in docs/MEMORY.md):
exact below ``AUTO_ANN_FROM`` live vectors (an exact scan of 100k x 100 costs
~4-5 ms, fine for an interactive service), HNSW from there up to
``AUTO_PQ_FROM`` (best recall/speed at moderate memory), IVF-PQ beyond (memory
per vector matters more than a little recall; results are re-ranked exactly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np

from world2vec.memory.errors import ValidationError

# An exact search of nq queries at once takes FAISS's BLAS path (one matrix product)
# only from nq >= this threshold. The faiss-cpu build in use ships 128,000, so a batch
# search never reached it and cost as much as its queries one by one; FAISS's classic
# value, 20, made 100 queries over 100k x 100 5-7x faster (bench/bench_collections.py).
# Single queries (nq = 1) take the same path either way.
BLAS_BATCH_FROM = 20
faiss.cvar.distance_compute_blas_threshold = min(faiss.cvar.distance_compute_blas_threshold,
                                                 BLAS_BATCH_FROM)

INDEX_KINDS = ("auto", "flat", "exact", "hnsw", "ivf", "ivfpq")
METRICS = ("cosine", "dot", "l2")
AUTO_ANN_FROM = 100_000
AUTO_PQ_FROM = 5_000_000


@dataclass
class IndexConfig:
    """Index settings; the defaults reach recall@10 >= 0.95 on clustered dim-100 data."""

    kind: str = "auto"
    hnsw_m: int = 32
    ef_construction: int = 64
    ef_search: int = 64               # HNSW efSearch up to EF_BASE_ROWS vectors; scaled above
    ef_scale: bool = True             # False: ef_search at every size (see ef_search_for)
    nlist: int | None = None          # IVF lists; None: 4 * sqrt(n), within [16, 65536]
    nprobe: int = 16
    pq_m: int | None = None           # PQ sub-quantizers; None: largest of 50/25/20/10/... dividing dim
    rerank: int = 4                   # IVF-PQ: fetch rerank*k candidates and re-score them exactly
    min_train: int = 1000             # an IVF index is not trained on fewer vectors

    def __post_init__(self) -> None:
        if self.kind not in INDEX_KINDS:
            raise ValidationError(f"index must be one of {', '.join(INDEX_KINDS)}, got {self.kind!r}")
        if self.kind == "exact":
            self.kind = "flat"

    @classmethod
    def from_options(cls, kind: str, options: dict[str, Any]) -> IndexConfig:
        """The settings of ``MemoryStore.open(index=kind, **options)``; unknown names refused."""
        unknown = set(options) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValidationError(f"unknown index option(s): {sorted(unknown)}")
        return cls(kind=kind, **options)

    def wanted(self, n: int) -> str | None:
        """The approximate index kind for ``n`` live vectors, or None for exact only."""
        kind = self.kind
        if kind == "auto":
            kind = "flat" if n < AUTO_ANN_FROM else ("hnsw" if n < AUTO_PQ_FROM else "ivfpq")
        if kind in ("ivf", "ivfpq") and n < self.min_train:
            return None
        return None if kind == "flat" else kind

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class AnnState:
    """An approximate index covering rows ``[0, covered)`` (immutable: swapped whole).

    ``epoch`` counts compactions: a build started before one renumbered the rows
    carries the old epoch and is thrown away rather than swapped in.
    """

    index: Any = None
    kind: str | None = None
    covered: int = 0
    epoch: int = 0
    trained_on: int = 0


EF_BASE_ROWS = 100_000
EF_EXPONENT = 0.8
EF_MAX = 2048


def ef_search_for(config: IndexConfig, n: int) -> int:
    """HNSW efSearch for an index of ``n`` vectors.

    A graph walk with a fixed beam finds a smaller share of the true neighbours as
    the graph grows (measured on the benchmark's data, M 32, efConstruction 64:
    ef 64 gives recall@10 1.000 at 100k but 0.928 at 1M; at 1M ef 256 gives 0.989
    and ef 384 0.991). So ``ef_search`` holds up to ``EF_BASE_ROWS`` vectors and
    grows as ``(n / EF_BASE_ROWS) ** 0.8`` above: 64 at 100k, ~101 at 175k, ~404 at
    1M, capped at ``EF_MAX``. ``ef_scale=False`` keeps ``ef_search`` at every size.
    """
    ef = config.ef_search
    if config.ef_scale and n > EF_BASE_ROWS:
        ef = ef * (n / EF_BASE_ROWS) ** EF_EXPONENT
    return int(min(EF_MAX, max(1, round(ef))))


def _nlist(config: IndexConfig, n: int) -> int:
    """IVF lists: as asked, else 4 * sqrt(n); never so many that k-means has fewer
    than 39 training points per centroid (FAISS's own minimum)."""
    wanted = config.nlist or int(min(65536, max(16, 4 * math.sqrt(n))))
    return max(1, min(wanted, n // 39))


def _pq_m(config: IndexConfig, dim: int) -> int:
    if config.pq_m:
        if dim % config.pq_m:
            raise ValidationError(f"pq_m={config.pq_m} must divide the dimension {dim}")
        return config.pq_m
    for m in (50, 32, 25, 20, 16, 10, 8, 5, 4, 2, 1):
        if dim % m == 0 and dim // m >= 2:
            return m
    return 1


# -- metrics ------------------------------------------------------------------------
# A store compares vectors by one metric. ``cosine``: vectors are normalized when they
# enter (items.py) and compared by inner product, so a score is the cosine. ``dot``:
# vectors are kept as given, the score is their inner product. ``l2``: kept as given,
# the score is the *negative* Euclidean distance. So for every metric a higher score
# is nearer, results come best first, and ``score >= threshold`` keeps the near ones
# (for l2: ``distance <= -threshold``).
def check_metric(metric: object) -> str:
    if metric not in METRICS:
        raise ValidationError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    return str(metric)


def faiss_metric(metric: str) -> int:
    return faiss.METRIC_L2 if metric == "l2" else faiss.METRIC_INNER_PRODUCT


def new_flat(dim: int, metric: str = "cosine") -> faiss.IndexFlat:
    """The exact index of a metric (row = item row; it also stores the vectors)."""
    return faiss.IndexFlatL2(dim) if metric == "l2" else faiss.IndexFlatIP(dim)


def faiss_scores(metric: str, raw: np.ndarray) -> np.ndarray:
    """FAISS's answers as scores: inner products as they are, squared L2 distances as
    negative distances (FAISS sorts those ascending, so scores still come best first)."""
    return -np.sqrt(np.maximum(raw, 0.0)) if metric == "l2" else raw


def exact_scores(metric: str, vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Scores of ``vectors`` (rows) against one ``query`` row, computed with numpy."""
    if metric == "l2":
        return -np.linalg.norm(vectors - query, axis=1)
    return vectors @ query


def build_ann(kind: str, vectors: np.ndarray, config: IndexConfig,
              seed: int = 1234, metric: str = "cosine") -> faiss.Index:
    """Build an approximate index over ``vectors`` (row order = FAISS id)."""
    n, dim = vectors.shape
    measure = faiss_metric(metric)
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, config.hnsw_m, measure)
        index.hnsw.efConstruction = config.ef_construction
        index.hnsw.efSearch = ef_search_for(config, n)
    elif kind in ("ivf", "ivfpq"):
        nlist = _nlist(config, n)
        quantizer = new_flat(dim, metric)
        if kind == "ivf":
            index = faiss.IndexIVFFlat(quantizer, dim, nlist, measure)
        else:
            index = faiss.IndexIVFPQ(quantizer, dim, nlist, _pq_m(config, dim), 8, measure)
        index.own_fields = True
        quantizer.this.disown()
        sample = vectors
        limit = max(nlist * 32, 10_000)
        if n > limit:
            rng = np.random.default_rng(seed)
            sample = vectors[np.sort(rng.choice(n, limit, replace=False))]
        index.train(np.ascontiguousarray(sample))
        index.nprobe = min(config.nprobe, nlist)
    else:
        raise ValueError(f"no approximate index kind {kind!r}")
    if n:
        index.add(np.ascontiguousarray(vectors))
    return index


def search_params(kind: str, index: faiss.Index, config: IndexConfig, sel: faiss.IDSelector | None,
                  selectivity: float, k: int) -> faiss.SearchParameters:
    """Per-query parameters: efSearch scaled with the index's size (``ef_search_for``)
    and, under a filter, widened by sqrt(1 / selectivity) (at most 8x), since a graph
    walk or a probed list meets fewer eligible vectors; never below 2k."""
    widen = 1.0 if selectivity >= 1.0 else min(8.0, (1.0 / max(selectivity, 1e-6)) ** 0.5)
    if kind == "hnsw":
        value = int(min(EF_MAX, max(ef_search_for(config, index.ntotal) * widen, 2 * k)))
    else:
        value = int(min(index.nlist, max(1, round(config.nprobe * widen))))
    if sel is None:                    # unfiltered: one shared, never-mutated object per value
        key = (kind == "hnsw", value)
        params = _SHARED_PARAMS.get(key)
        if params is None:
            params = _SHARED_PARAMS.setdefault(key, _new_params(kind, value))
        return params
    params = _new_params(kind, value)
    params.sel = sel
    return params


# FAISS only reads search parameters, so threads may share them; building one costs
# a few microseconds of SWIG per query otherwise. Keyed by (is HNSW, efSearch/nprobe).
_SHARED_PARAMS: dict[tuple[bool, int], faiss.SearchParameters] = {}


def _new_params(kind: str, value: int) -> faiss.SearchParameters:
    if kind == "hnsw":
        params = faiss.SearchParametersHNSW()
        params.efSearch = value
    else:
        params = faiss.SearchParametersIVF()
        params.nprobe = value
    return params
