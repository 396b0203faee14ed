"""Python client for the world2vec REST service.

>>> from world2vec_client import Client
>>> with Client("http://127.0.0.1:8000") as c:          # doctest: +SKIP
...     [h.id for h in c.similar("cat", k=3)]
['dog', 'kitten', 'feline']
"""

__version__ = "0.1.0"

from world2vec_client.batch import BatchReport, Failure
from world2vec_client.client import Client
from world2vec_client.errors import (
    BadGateway,
    BadRequest,
    ClientError,
    Conflict,
    ConnectionFailed,
    DecodeError,
    Forbidden,
    GatewayTimeout,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServerError,
    ServiceUnavailable,
    Timeout,
    TransportError,
    Unauthorized,
    UnsupportedMediaType,
    World2vecError,
)
from world2vec_client.models import Answer, FilterDecision, Health, Hit, Hits, Item
from world2vec_client.transport import RetryPolicy

__all__ = [
    "Client", "RetryPolicy", "BatchReport", "Failure",
    "Hit", "Hits", "Item", "Answer", "FilterDecision", "Health",
    "World2vecError", "ClientError", "BadRequest", "Unauthorized", "Forbidden", "NotFound",
    "MethodNotAllowed", "Conflict", "PayloadTooLarge", "UnsupportedMediaType", "ServerError",
    "BadGateway", "ServiceUnavailable", "GatewayTimeout", "TransportError", "ConnectionFailed",
    "Timeout", "DecodeError",
]
