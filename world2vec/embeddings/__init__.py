"""Word, concept, sentence and object vectors (see docs/ARCHITECTURE.md, "embeddings").

The public entry point is :func:`load_model` (``None`` opens the bundled default model),
returning a :class:`Model` whose ``encode_concepts``, ``encode_texts`` and
``encode_objects`` put everything into one vector space.
"""

from world2vec.embeddings.model import DEFAULT_MODEL_DIR, Model, load_model
from world2vec.embeddings.objects import ObjectEncoder, ObjectError, UnknownObjectError
from world2vec.embeddings.relation_book import RelationBook
from world2vec.embeddings.relation_fitting import apply_relation, fit_relation
from world2vec.embeddings.relations import RelationTransform
from world2vec.embeddings.sentences import EmptyTextError
from world2vec.embeddings.sentences.reverse_dictionary import ReverseDictionaryEncoder
from world2vec.embeddings.sentences.sif import SIFEncoder

__all__ = ["load_model", "Model", "DEFAULT_MODEL_DIR", "SIFEncoder", "ReverseDictionaryEncoder",
           "ObjectEncoder", "ObjectError", "UnknownObjectError", "RelationTransform", "RelationBook",
           "fit_relation",
           "apply_relation", "EmptyTextError"]
