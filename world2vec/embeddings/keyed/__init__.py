"""gensim compatibility: :class:`KeyedVectors` over a model's word vectors (``model.wv``).

See ``vectors.py`` for where it differs from gensim, and docs/FROM-GENSIM.md.
"""

from world2vec.embeddings.keyed.stats import Correlation
from world2vec.embeddings.keyed.vectors import KeyedVectors

__all__ = ["KeyedVectors", "Correlation"]
