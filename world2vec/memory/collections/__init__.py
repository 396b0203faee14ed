"""Named collections in one data directory, and archives of the whole memory.

``manifest``: the name rule and each collection's manifest (dim, metric, model binding);
``manager``: :class:`Collections`, the open stores of a data directory by name;
``archive``: a consistent tar of every collection while writes go on, and restoring a
data directory from one; ``export``: reading a collection's items from its files
(``world2vec dump``), without the lock a serving process holds.
"""

from world2vec.memory.collections.manager import Collection, Collections
from world2vec.memory.collections.manifest import DEFAULT, Manifest, check_name

__all__ = ["Collections", "Collection", "Manifest", "DEFAULT", "check_name"]
