"""``world2vec.load()``: the model in Python, its gensim-style ``wv`` and ``encode``;
``import world2vec`` stays light."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import world2vec
from world2vec.embeddings.keyed import KeyedVectors
from world2vec.embeddings.words.vectors import WordVectors


@pytest.fixture(scope="module")
def model():
    return world2vec.load()


def test_import_world2vec_loads_no_heavy_library():
    code = ("import sys, world2vec; heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('numba', 'faiss', 'flask', 'numpy')]; print(heavy); assert not heavy; "
            "assert {'load', 'Memory', 'NotFound'} <= set(dir(world2vec))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_unknown_attributes_are_still_attribute_errors():
    with pytest.raises(AttributeError, match="no attribute 'lod'"):
        world2vec.lod  # noqa: B018


def test_load_gives_the_bundled_model_by_default(model):
    assert model.path.endswith("default") and model.dim == 356 and model.name
    assert world2vec.load(model.path).name == model.name


def test_load_a_model_directory_and_a_clear_error_for_a_missing_one(tmp_path):
    rng = np.random.default_rng(0)
    WordVectors(["cat", "dog", "car"], rng.normal(size=(3, 4)).astype(np.float32),
                name="tiny").save(tmp_path / "tiny")
    tiny = world2vec.load(tmp_path / "tiny")
    assert tiny.name == "tiny" and tiny.dim == 4 and tiny.path == str(tmp_path / "tiny")
    with pytest.raises(ValueError, match="nowhere"):
        world2vec.load(tmp_path / "nowhere")


def test_encode_gives_unit_float32_rows(model):
    vectors = model.encode(["a small feline", "a large dog", "a fast car"])
    assert vectors.shape == (3, model.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]  # feline ~ dog more than car
    with pytest.raises(TypeError, match="list"):
        model.encode("one string")
    concepts, synthesized = model.encode_concepts(["cat", "kittycat"])
    assert concepts.shape == (2, model.dim) and synthesized == [False, True]


def test_wv_is_gensim_style_and_unseen_words_are_as_documented(model):
    wv = model.wv
    assert isinstance(wv, KeyedVectors) and model.wv is wv
    assert wv["cat"].shape == (model.dim,) and wv[["cat", "dog"]].shape == (2, model.dim)
    assert "cat" in wv and len(wv) == len(model.words) and wv.key_to_index["cat"] >= 0
    assert "qqqqxz" not in wv
    with pytest.raises(KeyError):
        wv["qqqqxz"]
    assert "kittycat" not in wv and wv["kittycat"].shape == (model.dim,)  # synthesized
    neighbours = [w for w, _ in wv.most_similar("cat", topn=10)]
    assert len(neighbours) == 10 and "cat" not in neighbours and "dog" in neighbours
    assert all(len(w) > 1 for w in neighbours)  # "cat", not the letters c, a, t
    assert wv.most_similar(positive=["king", "woman"], negative=["man"], topn=5)[0][0] == "queen"
    assert wv.doesnt_match(["cat", "dog", "car"]) == "car"
    assert wv.similarity("cat", "dog") > wv.similarity("cat", "car")
