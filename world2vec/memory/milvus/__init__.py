"""The memory on Milvus: the store interface of ``world2vec.memory`` on a Milvus server,
cluster, or Milvus Lite file, so that several service processes can share one memory.

``MilvusStore`` is one world2vec collection (MemoryStore's methods and results);
``MilvusCollections`` names them, keeping what each is in Milvus itself. Needs the
``milvus`` extra (pymilvus, Milvus Lite); nothing else in world2vec imports this package
unless the service is started with ``--backend milvus``. Design: docs/SCALING.md.
"""

from world2vec.memory.milvus.collections import MilvusCollection, MilvusCollections, connect
from world2vec.memory.milvus.errors import BackendError
from world2vec.memory.milvus.store import MilvusStore

__all__ = ["MilvusStore", "MilvusCollections", "MilvusCollection", "BackendError", "connect"]
