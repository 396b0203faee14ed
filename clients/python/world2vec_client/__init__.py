"""Python client for the world2vec REST service.

>>> from world2vec_client import Client
>>> with Client("http://127.0.0.1:8000") as c:          # doctest: +SKIP
...     [h.id for h in c.similar("cat", k=3)]
['dog', 'kitten', 'feline']

``AsyncClient`` has the same methods for asyncio code (``async with``, ``await``).
"""

__version__ = "0.3.0"

from world2vec_client.async_client import AsyncClient, AsyncCollection
from world2vec_client.batch import BatchReport, Failure
from world2vec_client.client import Client, Collection
from world2vec_client.errors import (
    BadGateway,
    BadRequest,
    ClientError,
    Conflict,
    ConnectionFailed,
    DecodeError,
    Forbidden,
    GatewayTimeout,
    InsufficientStorage,
    JobFailed,
    JobTimeout,
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
from world2vec_client.models import Answer, Fetched, FilterDecision, Health, Hit, Hits, Item, Page
from world2vec_client.resources import CollectionInfo, Job, ModelInfo, Models, Relation, SnapshotInfo
from world2vec_client.retry import RetryPolicy

__all__ = [
    "Client", "AsyncClient", "Collection", "AsyncCollection", "RetryPolicy",
    "BatchReport", "Failure",
    "Hit", "Hits", "Item", "Answer", "FilterDecision", "Health", "Page", "Fetched",
    "CollectionInfo", "SnapshotInfo", "Relation", "ModelInfo", "Models", "Job",
    "World2vecError", "ClientError", "BadRequest", "Unauthorized", "Forbidden", "NotFound",
    "MethodNotAllowed", "Conflict", "PayloadTooLarge", "UnsupportedMediaType", "ServerError",
    "BadGateway", "ServiceUnavailable", "GatewayTimeout", "InsufficientStorage",
    "TransportError", "ConnectionFailed", "Timeout", "DecodeError", "JobFailed", "JobTimeout",
]
