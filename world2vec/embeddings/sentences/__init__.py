"""Sentence encoders: texts -> vectors in the concept space.

``base`` holds the encoder protocol, the shared bag-of-words step and the registry that
maps a saved encoder's ``kind`` to its class; ``sif``, ``reverse_dictionary`` and
``distilled`` (static token vectors distilled from a sentence transformer) are the
encoders (each registers itself); ``training`` adapts their Tensor models to the
engine's trainer. Importing this package registers every encoder.
"""

from world2vec.embeddings.sentences.base import (
                                                 EmptyTextError,
                                                 SentenceEncoder,
                                                 load_sentence_encoder,
                                                 register_encoder,
)
from world2vec.embeddings.sentences.distilled import DistilledEncoder
from world2vec.embeddings.sentences.reverse_dictionary import ReverseDictionaryEncoder
from world2vec.embeddings.sentences.sif import SIFEncoder

__all__ = ["EmptyTextError", "SentenceEncoder", "load_sentence_encoder", "register_encoder",
           "DistilledEncoder", "ReverseDictionaryEncoder", "SIFEncoder"]
