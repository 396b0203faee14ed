"""Continued training: a trained model learns new words from new text, in its own space.

``continue_training(base, corpus, ...) -> Model`` (``training``) is the entry point;
``world2vec train --init MODEL`` and the service's ``POST /models/train`` call it, and
``neighbour_overlap`` (``overlap``) measures how far the known words moved.
docs/MODELS.md describes the method and its measured effect.
"""

from world2vec.embeddings.continued.overlap import neighbour_overlap
from world2vec.embeddings.continued.training import CorpusError, continue_training

__all__ = ["continue_training", "neighbour_overlap", "CorpusError"]
