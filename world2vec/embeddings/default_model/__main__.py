"""``python -m world2vec.embeddings.default_model``: rebuild the bundled default model."""

from world2vec.embeddings.default_model.build import main

if __name__ == "__main__":
    raise SystemExit(main())
