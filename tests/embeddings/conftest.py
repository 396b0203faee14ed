"""The embeddings tests' shared helpers (planted_vectors.py) live in this folder; pytest
puts a conftest's folder on sys.path, so tests in the subfolders (sentences/, words/,
default_model/) import them by name too."""
