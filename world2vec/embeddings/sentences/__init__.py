"""Sentence encoders: texts -> vectors in the concept space.

``base`` holds the encoder protocol, the shared bag-of-words step and the registry that
maps a saved encoder's ``kind`` to its class; ``sif`` and ``reverse_dictionary`` are the
two encoders (each registers itself); ``training`` adapts their Tensor models to the
engine's trainer. Importing this package registers every encoder.
"""

from world2vec.embeddings.sentences.base import (
                                                 EmptyTextError,
                                                 SentenceEncoder,
                                                 load_sentence_encoder,
                                                 register_encoder,
)
from world2vec.embeddings.sentences.reverse_dictionary import ReverseDictionaryEncoder
from world2vec.embeddings.sentences.sif import SIFEncoder

__all__ = ["EmptyTextError", "SentenceEncoder", "load_sentence_encoder", "register_encoder",
           "ReverseDictionaryEncoder", "SIFEncoder"]
