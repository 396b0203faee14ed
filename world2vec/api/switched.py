"""The model of a data directory whose served model was switched, as ``world2vec.Memory``
opens it.

Why: after ``POST /models/<name>/activate`` the memory holds the activated model's
vectors, so a query encoded by any other model searches a different space and finds
nonsense without an error. The service, given ``--model`` that is not the activated
one, logs a warning and serves the activated model; a Memory does the same with the
``model`` it is given (a warning, then the activated model), so that code moved
between ``Client(url)`` and ``Memory(path)`` sees the same model and the same answers.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from world2vec.embeddings.model import load_model
from world2vec.memory.collections.active_model import POINTER_FILE, ActiveModel


def served_model(active: ActiveModel, given: Any = None) -> Any:
    """The model ``active`` names, loaded under the name it was activated by (as the
    service serves it). ``given`` (a model, a model directory or None) is used only
    when it is that model already loaded; any other is passed over with a warning."""
    is_path = isinstance(given, (str, os.PathLike))
    given_path = os.fspath(given) if is_path else getattr(given, "path", None)
    same = bool(given_path) and os.path.abspath(given_path) == active.model_path
    if same and not is_path:
        return given
    if given is not None and not same:
        shown = given_path or repr(given)
        warnings.warn(f"using the model {active.name!r} ({active.model_path}) rather than "
                      f"the model given ({shown}): {os.path.join(active.data_dir, POINTER_FILE)}"
                      " says the memory holds that model's vectors", UserWarning, stacklevel=3)
    model = load_model(active.model_path)
    model.words.name = active.name
    return model
