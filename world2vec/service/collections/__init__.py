"""The service's collections: routes of their own, the memory routes scoped to one, data
operations, batch search, snapshots, and their OpenAPI entries.

``routes``: /collections and the scoped twins of the memory routes (``register``);
``scope``: a collection as its routes see the state; ``data``: scroll, count, get,
delete, patch; ``search``: /search's batch and options; ``snapshots``: /snapshots;
``openapi``: the entries of all of these.
"""
