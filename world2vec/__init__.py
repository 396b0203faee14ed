"""world2vec: a self-hosted memory of thought vectors.

Layers, each importing only the ones below it:
service -> memory -> embeddings -> engine.
"""

__version__ = "0.1.0"
