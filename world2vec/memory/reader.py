"""MemoryReader: MemN2N-style multi-hop attention over the memories FAISS returns.

Why attention over FAISS candidates: end-to-end memory networks (Sukhbaatar et al.
2015) attend over every memory, O(memory) per question; the dense and BM25 top-N keep a
question at a few milliseconds whatever the memory's size.

For candidate memory vectors ``M`` (unit rows), lexical scores ``b`` (BM25,
standardised over the candidates) and the encoded question ``u_0``::

    p_k     = softmax(gamma * z(M u_k) + beta * b)            attention at hop k
    o_k     = p_k^T M                                          what hop k read
    u_{k+1} = H u_k + lambda * o_k                             next controller state

where ``z`` standardises scores over the candidates, so dense and lexical evidence
share one scale (hybrid search's score fusion, with learnable weights). The answer
distribution is the attention of the last hop.
With ``H = I`` each hop moves the question toward what it found, by ``lambda``, which
starts at 0: on the FAQ sets of ``bench/bench_search_modes.py`` every feedback step
tried ranked worse than none, so an untrained reader ranks much as the hybrid search
does and its hops only gather the support. ``H``, ``lambda``, ``gamma`` and ``beta`` are
trained with the engine (Tensor autodiff, Adam, Trainer) on (question, answering
memory id) pairs, with an L2 pull of ``H`` toward ``I`` so a few hundred questions
cannot overfit ``dim x dim`` weights.

The same candidates serve the search modes (:func:`search_mode`): ``dense`` (FAISS
cosine), ``lexical`` (BM25, inside the filter) and ``hybrid`` (both pools, each score
min-max scaled over the candidates and mixed ``DENSE_WEIGHT : 1 - DENSE_WEIGHT``).
The mix beat reciprocal rank fusion at every setting tried (RRF throws away how far
ahead the best BM25 match is). The weights (0.2 : 0.8 for the hybrid search; gamma =
0.8, beta = 3.2 and no feedback for the reader, the same ratio, their sum of 4 only
sharpening the attention) are the best mean of the two tuning FAQ sets of
``bench_search_modes.py --tune`` with the bundled model; docs/DEFAULT-MODEL.md has the
grid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from world2vec.engine import Adam, Tensor, TensorTask, Trainer, minibatches, softmax
from world2vec.engine.losses import softmax_cross_entropy
from world2vec.engine.ops import sqrt
from world2vec.memory.errors import ValidationError
from world2vec.memory.filters import parse_filter
from world2vec.memory.items import Hit, Item, check_k

MAX_HOPS = 10
SEARCH_MODES = ("dense", "lexical", "hybrid")
#: A search's mode when none is named, by query: text hybrid (best on both FAQ sets); a
#: concept dense (its name alone is rarely in the stored texts); a vector has only dense.
DEFAULT_MODES = {"text": "hybrid", "concept": "dense", "vector": "dense"}
DENSE_WEIGHT = 0.2       # hybrid: the dense share of the fused score (tuned, see above)
READER_GAMMA, READER_BETA = 0.8, 3.2   # the reader's untrained dense / BM25 weights (0.2 : 0.8)
READER_FEEDBACK = 0.0                  # lambda: how far a hop moves the question (see above)
FUSION_CANDIDATES = 50   # hybrid: how many each side brings before fusing
_LEXICAL_SCAN = 100_000  # the most BM25 matches a filtered lexical search looks through
_FETCH_BLOCK = 256       # BM25 matches read from the store at once (one Milvus query)


@dataclass
class Answer:
    """One answer: the memory it came from, its text, its probability, and the
    memories the reader attended to most on the way (the answer's own id first)."""

    id: str
    answer: str | None
    score: float
    support: list[str]


@dataclass
class _Candidates:
    ids: list[str]
    items: list[Item]
    vectors: np.ndarray          # (c, dim) unit rows
    lexical: np.ndarray          # (c,) BM25 standardised over the candidates
    query: np.ndarray            # (dim,) unit question vector


@dataclass
class Pool:
    """Candidates from both sides: items (with vectors), cosine and BM25 per candidate."""

    ids: list[str]
    items: list[Item]
    dense: np.ndarray            # cosine with the query vector (every candidate)
    lexical: np.ndarray          # BM25 (0 for a candidate BM25 did not bring)


def lexical_hits(store, text: str, k: int, filter=None) -> list[Hit]:
    """The ``k`` best BM25 matches for ``text`` among the items that pass ``filter``.

    The store's BM25 ranks every item; the filter (the same :class:`Filter` the dense
    search compiles to a bitmap, read through ``Filter.matches``) is applied walking
    down that ranking, which is widened until ``k`` items pass or none is left, so a
    filtered lexical search is exact: the best k matching items, never fewer than exist.
    Hits carry their items with vectors (the fusion needs them).
    """
    k = check_k(k)
    flt = parse_filter(filter)
    want = k if flt.is_empty else max(4 * k, 64)
    while True:
        ranked = store.lexical_search(text, min(want, _LEXICAL_SCAN))
        hits = []
        for start in range(0, len(ranked), _FETCH_BLOCK):
            block = ranked[start:start + _FETCH_BLOCK]
            stored = _fetch(store, [item_id for item_id, _ in block])
            for item_id, score in block:
                item = stored.get(item_id)
                if item is not None and (flt.is_empty or flt.matches(item.kind, item.tags,
                                                                     item.payload)):
                    hits.append(Hit(item_id, float(score), item))
                    if len(hits) == k:
                        return hits
        if len(ranked) < want or want >= _LEXICAL_SCAN:
            return hits
        want *= 4


def _fetch(store, ids: list[str]) -> dict[str, Item]:
    """The stored items of ``ids`` in one read where the store has one (``get_many``: one
    round trip to Milvus, not one per id), else one by one."""
    get_many = getattr(store, "get_many", None)
    if get_many is None:
        return {i: item for i in ids if (item := store.get(i)) is not None}
    return {item.id: item for item in get_many(ids, with_vectors=True)[0]}


def candidate_pool(store, text: str | None, vector: np.ndarray | None, n: int,
                   filter=None) -> Pool:
    """The dense top ``n`` (when there is a vector) and BM25 top ``n`` (when there is a
    text), inside ``filter``, merged; every candidate gets its exact cosine."""
    items: dict[str, Item] = {}
    cosine: dict[str, float] = {}
    if vector is not None:
        for hit in store.search(vector, n, filter=filter, with_vectors=True):
            items[hit.id] = hit.item
            cosine[hit.id] = hit.score
    bm25 = {}
    if text is not None:
        for hit in lexical_hits(store, text, n, filter):
            bm25[hit.id] = hit.score
            items.setdefault(hit.id, hit.item)
    ids = list(items)
    query = None if vector is None else np.asarray(vector, np.float64).reshape(-1)
    if query is not None:
        query = query / (np.linalg.norm(query) or 1.0)
    dense = np.array([cosine[i] if i in cosine else
                      (0.0 if query is None else float(items[i].vector @ query)) for i in ids])
    return Pool(ids, [items[i] for i in ids], dense,
                np.array([bm25.get(i, 0.0) for i in ids], dtype=np.float64))


def _min_max(x: np.ndarray) -> np.ndarray:
    span = float(x.max() - x.min()) if x.size else 0.0
    return (x - x.min()) / span if span > 0 else np.zeros_like(x)


def hybrid_hits(store, text: str, vector: np.ndarray | None, k: int, filter=None,
                dense_weight: float = DENSE_WEIGHT,
                candidates: int = FUSION_CANDIDATES) -> list[Hit]:
    """Dense and BM25 fused: each score min-max scaled over the candidates, mixed
    ``dense_weight : 1 - dense_weight``; the hit's score is that mix, in 0..1.

    A text the model could not encode (``vector`` None) is ranked by BM25 alone.
    """
    k = check_k(k)
    pool = candidate_pool(store, text, vector, max(k, candidates), filter)
    if not pool.ids:
        return []
    fused = dense_weight * _min_max(pool.dense) + (1.0 - dense_weight) * _min_max(pool.lexical)
    order = np.lexsort((np.arange(len(pool.ids)), -fused))[:k]
    return [Hit(pool.ids[i], float(fused[i]), pool.items[i]) for i in order]


def search_mode(store, mode: str, k: int, text: str | None = None,
                vector: np.ndarray | None = None, filter=None) -> list[Hit]:
    """Search ``store`` in one of :data:`SEARCH_MODES`; lexical and hybrid need ``text``.

    Dense hits are the store's own (without vectors); lexical and hybrid hits carry
    their items' vectors.
    """
    if mode not in SEARCH_MODES:
        raise ValidationError(f"mode must be one of {', '.join(SEARCH_MODES)}, got {mode!r}")
    if mode != "dense" and (not isinstance(text, str) or not text.strip()):
        raise ValidationError(f"{mode} search needs a text query (BM25 ranks words)")
    if mode == "dense":
        if vector is None:
            raise ValidationError("dense search needs a query vector")
        return store.search(vector, k, filter=filter)
    if mode == "lexical":
        return lexical_hits(store, text, k, filter)
    return hybrid_hits(store, text, vector, k, filter)


def answer_text(item: Item) -> str | None:
    """A qa item carries its answer; a fact (or anything else) is its own answer."""
    return item.answer if item.kind == "qa" and item.answer else item.text


class MemoryReader:
    """Answers questions from a MemoryStore (see the module docstring for the model).

    ``encode_texts`` maps a list of texts to unit rows of the store's dimension (the
    model's ``encode_texts``; the memory never imports the service). The starting
    weights are ``gamma`` 0.8 and ``beta`` 3.2 (dense and BM25 as the hybrid search
    mixes them, on standardised scores) and ``feedback`` (lambda) 0, so an untrained
    reader ranks much as the hybrid search does;
    :meth:`train` re-weights all of them for a given memory and encoder.
    """

    def __init__(self, store, encode_texts: Callable[[Sequence[str]], np.ndarray], hops: int = 2,
                 candidates: int = FUSION_CANDIDATES, lexical: bool = True,
                 gamma: float = READER_GAMMA, beta: float = READER_BETA,
                 feedback: float = READER_FEEDBACK, h_decay: float = 1.0) -> None:
        self.store = store
        self.encode_texts = encode_texts
        self.hops = self._check_hops(hops)
        self.candidates = check_k(candidates, 1000)
        self.lexical = lexical
        dim = store.dim
        self.H = np.eye(dim)
        self.gamma = np.array(float(gamma))
        self.beta = np.array(float(beta) if lexical else 0.0)
        self.feedback = np.array(float(feedback))
        self.h_decay = float(h_decay)

    @staticmethod
    def _check_hops(hops: object) -> int:
        if isinstance(hops, bool) or not isinstance(hops, (int, np.integer)) \
                or not 1 <= int(hops) <= MAX_HOPS:
            raise ValidationError(f"hops must be an integer from 1 to {MAX_HOPS}, got {hops!r}")
        return int(hops)

    # -- candidates -----------------------------------------------------------------
    def _encode(self, question: str) -> np.ndarray:
        if not isinstance(question, str) or not question.strip():
            raise ValidationError("question must be a non-empty string")
        vec = np.asarray(self.encode_texts([question]), dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vec))
        if vec.shape[0] != self.store.dim or not np.isfinite(norm) or norm == 0:
            raise ValueError(f"the question cannot be encoded: {question!r}")
        return vec / norm

    def _candidates(self, question: str, filter: dict | None = None,
                    must_include: str | None = None) -> _Candidates:
        query = self._encode(question)
        pool = candidate_pool(self.store, question if self.lexical else None, query,
                              self.candidates, filter)
        ids, items, lex = pool.ids, pool.items, pool.lexical
        extra = self.store.get(must_include) if must_include and must_include not in ids else None
        if extra is not None:
            ids, items, lex = ids + [must_include], items + [extra], np.append(lex, 0.0)
        vectors = (np.stack([it.vector for it in items]).astype(np.float64) if items
                   else np.zeros((0, self.store.dim)))
        std = float(lex.std()) if lex.size else 0.0
        lex = (lex - lex.mean()) / std if std > 0 else np.zeros_like(lex)
        return _Candidates(ids, items, vectors, lex, query.astype(np.float64))

    # -- the network ----------------------------------------------------------------
    def _forward(self, c: _Candidates, hops: int, H: Tensor, gamma: Tensor, beta: Tensor,
                 feedback: Tensor) -> tuple[Tensor, list[np.ndarray]]:
        """Final-hop logits over the candidates, and each hop's attention (for support)."""
        M = Tensor(c.vectors)
        lex = Tensor(c.lexical)
        u = Tensor(c.query)
        attentions: list[np.ndarray] = []
        logits = None
        for hop in range(hops + 1):
            dense = M @ u
            centred = dense - dense.mean()
            logits = gamma * (centred / sqrt((centred * centred).mean() + 1e-9)) + beta * lex
            if hop == hops:
                break
            p = softmax(logits, axis=-1)
            attentions.append(p.data)
            u = H @ u + feedback * (p @ M)
        return logits, attentions

    def rank(self, question: str, hops: int | None = None, filter: dict | None = None
             ) -> tuple[list[str], np.ndarray, list[np.ndarray], list[Item]]:
        """Candidate ids ordered best first, their probabilities, hop attentions, items."""
        hops = self.hops if hops is None else self._check_hops(hops)
        c = self._candidates(question, filter)
        if not c.ids:
            return [], np.zeros(0), [], []
        logits, attentions = self._forward(c, hops, Tensor(self.H), Tensor(self.gamma),
                                           Tensor(self.beta), Tensor(self.feedback))
        z = logits.data - logits.data.max()
        probs = np.exp(z) / np.exp(z).sum()
        order = np.lexsort((np.arange(len(c.ids)), -probs))
        return ([c.ids[i] for i in order], probs[order],
                [a[order] for a in attentions], [c.items[i] for i in order])

    def answer(self, question: str, k: int = 5, hops: int | None = None,
               filter: dict | None = None) -> list[Answer]:
        """The ``k`` best answers to ``question`` from the stored memories."""
        k = check_k(k, 1000)
        ids, probs, attentions, items = self.rank(question, hops, filter)
        support_pool: list[str] = []
        for att in attentions:
            for i in np.argsort(-att, kind="stable")[:3]:
                if att[i] >= 0.05 and ids[i] not in support_pool:
                    support_pool.append(ids[i])
        out = []
        for i in range(min(k, len(ids))):
            support = [ids[i]] + [s for s in support_pool if s != ids[i]]
            out.append(Answer(ids[i], answer_text(items[i]), float(probs[i]), support))
        return out

    # -- training -------------------------------------------------------------------
    def train(self, pairs: Sequence[tuple[str, str]], epochs: int = 10, lr: float = 0.01,
              batch_size: int = 16, seed: int = 1, validation: float = 0.25,
              progress: bool | None = False) -> dict:
        """Fit H, feedback, gamma and beta on (question, id of the answering memory) pairs.

        Candidates are retrieved once (the store is read, not changed); the gold memory
        is added when retrieval missed it, so the loss can still pull toward it. A
        ``validation`` fraction of the pairs is held out and the parameters of the epoch
        with the best held-out mean reciprocal rank are kept (the starting ones
        included), so training never leaves the reader worse than it found it on
        unseen questions. Each epoch runs through the engine's ``Trainer``.
        Returns ``{"epochs", "loss", "best_epoch", "validation_mrr"}``.
        """
        examples = []
        for question, gold in pairs:
            c = self._candidates(question, must_include=gold)
            if gold in c.ids:
                examples.append((c, c.ids.index(gold)))
        if not examples:
            raise ValidationError("no training pair names a stored memory")
        order = np.random.default_rng(seed).permutation(len(examples))
        n_val = int(len(examples) * validation) if len(examples) >= 8 else 0
        held = [examples[i] for i in order[:n_val]]
        fit = [examples[i] for i in order[n_val:]]
        H = Tensor(self.H.copy(), requires_grad=True, name="H")
        gamma = Tensor(self.gamma.copy(), requires_grad=True, name="gamma")
        beta = Tensor(self.beta.copy(), requires_grad=self.lexical, name="beta")
        feedback = Tensor(self.feedback.copy(), requires_grad=True, name="feedback")
        params = {"H": H, "gamma": gamma, "feedback": feedback} | (
            {"beta": beta} if self.lexical else {})
        optimizer = Adam(params, lr=lr)
        eye = np.eye(self.store.dim)
        batches_per_epoch = max(1, -(-len(fit) // batch_size))
        current = {"epoch": 0}

        def loss_fn(_epoch: int, index: int, rng: np.random.Generator) -> Tensor:
            batch = minibatches(len(fit), batch_size, current["epoch"], seed)[index]
            total = None
            for row in batch:
                c, gold = fit[int(row)]
                logits, _ = self._forward(c, self.hops, H, gamma, beta, feedback)
                loss = softmax_cross_entropy(logits.reshape(1, -1), np.array([gold]))
                total = loss if total is None else total + loss
            drift = H - eye
            return total / float(len(batch)) + self.h_decay * (drift * drift).sum()

        def held_out_mrr() -> float:
            if not held:
                return 0.0
            rr = []
            for c, gold in held:
                logits, _ = self._forward(c, self.hops, Tensor(H.data), Tensor(gamma.data),
                                          Tensor(beta.data), Tensor(feedback.data))
                rank = int((logits.data > logits.data[gold]).sum()) + 1
                rr.append(1.0 / rank if rank <= 10 else 0.0)
            return float(np.mean(rr))

        def snapshot() -> tuple[np.ndarray, ...]:
            return H.data.copy(), gamma.data.copy(), beta.data.copy(), feedback.data.copy()

        best = (held_out_mrr(), 0, snapshot())
        task = TensorTask(optimizer, loss_fn, batches_per_epoch, work=batch_size)
        loss = float("nan")
        for epoch in range(1, epochs + 1):
            current["epoch"] = epoch
            loss = Trainer(task, epochs=1, schedule=lr, seed=seed + epoch, progress=progress,
                           desc=f"reader epoch {epoch}", unit="questions").fit().loss
            score = held_out_mrr()
            if not held or score > best[0]:
                best = (score, epoch, snapshot())
        self.H, self.gamma, self.beta, self.feedback = best[2]
        return {"epochs": epochs, "loss": loss, "best_epoch": best[1], "validation_mrr": best[0]}

    def save(self, path: str) -> None:
        """Save the trained parameters (a plain .npz, no pickle)."""
        with open(path, "wb") as fh:
            np.savez(fh, H=self.H, gamma=self.gamma, beta=self.beta, feedback=self.feedback)

    def load(self, path: str) -> None:
        with np.load(path, allow_pickle=False) as data:
            if data["H"].shape != (self.store.dim, self.store.dim):
                raise ValidationError(f"{path}: reader parameters are for dimension "
                                      f"{data['H'].shape[0]}, the memory's is {self.store.dim}")
            self.H, self.gamma, self.beta = data["H"], data["gamma"], data["beta"]
            # files saved before the feedback weight existed were trained with it at 1
            self.feedback = data["feedback"] if "feedback" in data.files else np.array(1.0)
