"""Models and continuous training in the service (docs/MODELS.md).

The served model can change while the service runs: ``POST /models/train`` trains a
new model from the served one in a background process (``training.py``, ``worker.py``)
and measures it against the served one (``gate.py``); ``POST /models/<name>/activate``
re-encodes the memory aside and switches model and vectors at once (``switch.py``,
``reencode.py``), recorded durably (``pointer.py``); ``bound.py`` says which stores a
switch re-encodes; ``registry.py`` lists the models, ``jobs.py`` runs the work,
``routes.py`` answers. The app factory calls :func:`resolve_startup` before it opens
the model and the memory, and :func:`install` after.
"""

from world2vec.service.models.admin import ModelAdmin, install
from world2vec.service.models.bound import (
    Startup,
    load_served_model,
    resolve_startup,
    stores_bound_to_model,
)

__all__ = ["install", "resolve_startup", "load_served_model", "stores_bound_to_model",
           "ModelAdmin", "Startup"]
