"""The build of the bundled default model and the readers of its sources (WordNet,
GCIDE, their definitions). Used at build time only; serving never imports it.

Run ``python -m world2vec.embeddings.default_model --out DIR`` to rebuild the model.
"""
