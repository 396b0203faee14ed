"""Service replicas sharing one Milvus (``--backend milvus``): the served model and the
Milvus collections holding each collection's vectors come from one record in Milvus
(memory/milvus/active.py), which a model switch replaces in one upsert and every
replica follows (``shared.py``: startup, polling, dropping what no replica reads;
``switch.py``: the switch; ``sides.py``: one collection's new side). docs/MODELS.md.
"""

from world2vec.service.replicas.shared import SharedModels, open_shared

__all__ = ["SharedModels", "open_shared"]
