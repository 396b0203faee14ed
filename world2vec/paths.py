"""Where the package keeps the files it ships.

Why here and not in ``world2vec.embeddings``: importing anything under that package
loads numpy and numba, and ``world2vec serve`` checks that the bundled model exists
in gunicorn's arbiter, before the worker forks, where neither should be loaded yet.
This module imports nothing heavy, so every layer can take the path from it.
"""

import os

# The bundled default model: what ``load_model()`` and ``world2vec serve`` open when
# no model is given, and what ``python -m world2vec.embeddings.default_model`` writes.
DEFAULT_MODEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models", "default")
