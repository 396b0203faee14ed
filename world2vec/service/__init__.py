"""world2vec.service: the REST service (Flask app factory, served by gunicorn).

``create_app`` and ``ServiceConfig`` are imported lazily, so that reading the
configuration (``world2vec serve`` in gunicorn's arbiter) does not load Flask,
FAISS or the model before the worker is forked. See docs/SERVICE.md.
"""

__all__ = ["create_app", "close_app", "ServiceConfig"]


def __getattr__(name: str):
    if name in ("create_app", "close_app"):
        from world2vec.service import app
        return getattr(app, name)
    if name == "ServiceConfig":
        from world2vec.service.config import ServiceConfig
        return ServiceConfig
    raise AttributeError(name)
