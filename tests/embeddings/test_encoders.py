"""Sentence, object and relation encoders on planted data, and the model directory round trip."""

from __future__ import annotations

import numpy as np
import pytest

from world2vec.embeddings import Model, load_model
from world2vec.embeddings.objects import ObjectEncoder, ObjectError
from world2vec.embeddings.relations import RelationTransform
from world2vec.embeddings.sentences.reverse_dictionary import ReverseDictionaryEncoder, rank_headwords
from world2vec.embeddings.sentences.sif import SIFEncoder
from world2vec.embeddings.words.vectors import WordVectors

DIM = 24


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def random_rotation(rng, dim):
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    return q


def planted(rotate: bool, seed: int = 0):
    """Feature words with random vectors; each concept is the mean of its 6 gloss words,
    optionally rotated (so only a *trained* encoder can map descriptions onto it)."""
    rng = np.random.default_rng(seed)
    features = [f"f{i}" for i in range(120)]
    fvec = unit(rng.normal(size=(len(features), DIM)))
    rotation = random_rotation(rng, DIM) if rotate else np.eye(DIM)
    glosses, cvec = {}, []
    for c in range(30):
        gloss = list(rng.choice(len(features), 6, replace=False))
        glosses[f"c{c}"] = [features[i] for i in gloss]
        cvec.append(unit(fvec[gloss].mean(axis=0) @ rotation))
    words = features + list(glosses)
    vectors = np.vstack([fvec, np.array(cvec)]).astype(np.float32)
    wv = WordVectors(words, vectors, np.full(len(words), 100))
    return wv, glosses, rng


def descriptions(glosses, rng, per_concept, size):
    return [(" ".join(rng.choice(g, size, replace=False)), c)
            for c, g in glosses.items() for _ in range(per_concept)]


def nearest_concept(vectors, wv, concepts):
    rows = np.array([wv.index(c) for c in concepts])
    return [concepts[i] for i in np.argmax(vectors @ wv.normed[rows].T, axis=1)]


def test_sif_description_from_own_gloss_words_retrieves_the_concept():
    wv, glosses, rng = planted(rotate=False)
    texts = descriptions(glosses, rng, 1, 5)
    sif = SIFEncoder(wv).fit([t for t, _ in texts])
    got = nearest_concept(sif.encode([t for t, _ in texts]), wv, list(glosses))
    assert np.mean([g == c for g, (_, c) in zip(got, texts)]) >= 0.9


def test_trained_reverse_dictionary_learns_what_sif_cannot():
    wv, glosses, rng = planted(rotate=True)
    train = descriptions(glosses, rng, 12, 4)
    test = descriptions(glosses, rng, 2, 5)
    rd = ReverseDictionaryEncoder(wv)
    rd.fit(train, epochs=30, batch_size=32, negatives=20, lr=2e-2, progress=False)
    concepts = list(glosses)
    trained = np.mean([g == c for g, (_, c) in
                       zip(nearest_concept(rd.encode([t for t, _ in test]), wv, concepts), test)])
    sif = SIFEncoder(wv)
    baseline = np.mean([g == c for g, (_, c) in
                        zip(nearest_concept(sif.encode([t for t, _ in test]), wv, concepts), test)])
    assert trained >= 0.8 and trained > baseline + 0.3
    ranks = rank_headwords(rd.encode, wv, test)
    assert ranks["n"] == len(test) and ranks["median_rank"] >= 1


def test_text_with_no_known_word_is_a_clear_error():
    wv, _, _ = planted(rotate=False)
    with pytest.raises(ValueError, match="no word the model knows"):
        SIFEncoder(wv).encode(["f1 f2", "zzz qqq"])


def test_objects_move_toward_the_concepts_they_relate_to():
    wv, glosses, rng = planted(rotate=True, seed=3)
    concepts = list(glosses)
    objects = []
    for i in range(200):
        target = concepts[i % len(concepts)]
        feats = list(rng.choice(glosses[target], 3, replace=False))
        other = concepts[(i * 7 + 3) % len(concepts)]
        objects.append({"id": f"obj{i}", "features": feats,
                        "relations": [["is_a", target], ["near", other]]})
    enc = ObjectEncoder(wv)

    def closeness():
        vecs = enc.encode(objects)
        targets = wv.normed[[wv.index(o["relations"][0][1]) for o in objects]]
        return float(np.mean(np.sum(vecs * targets, axis=1)))

    before = closeness()
    enc.fit(objects, epochs=15, negatives=5, lr=2e-2, progress=False)
    after = closeness()
    assert after > before + 0.05
    assert "is_a" in enc.relation_names


def test_bad_objects_are_named():
    wv, _, _ = planted(rotate=False)
    enc = ObjectEncoder(wv)
    with pytest.raises(ObjectError, match="object 1"):
        enc.encode([{"features": ["f1"]}, {"features": "f1"}])
    with pytest.raises(ObjectError, match="no feature or relation target"):
        enc.encode([{"id": "x", "features": ["???"]}])


@pytest.mark.parametrize("method", ["procrustes", "linear", "lstsq"])
def test_relation_transform_learned_from_planted_pairs_maps_new_inputs(method):
    rng = np.random.default_rng(5)
    dim, n = 16, 80
    rotation = random_rotation(rng, dim)
    sources = unit(rng.normal(size=(n, dim)))
    targets = unit(sources @ rotation)
    words = [f"s{i}" for i in range(n)] + [f"t{i}" for i in range(n)]
    wv = WordVectors(words, np.vstack([sources, targets]).astype(np.float32))
    pairs = [(f"s{i}", f"t{i}") for i in range(n)]
    transform = RelationTransform.fit_words("planted", wv, pairs[:60], method=method)
    accuracy, scored = transform.evaluate(wv, pairs[60:], k=1)
    assert scored == 20 and accuracy == 1.0
    mapped = transform.apply(wv.vector("s70")[0])
    assert wv.nearest(mapped, k=1, exclude=("s70",))[0][0] == "t70"


def test_relation_transform_needs_pairs_and_a_clean_name():
    wv, _, _ = planted(rotate=False)
    with pytest.raises(KeyError):
        RelationTransform.fit_words("r", wv, [("nope", "f1")])
    with pytest.raises(ValueError, match="relation name"):
        RelationTransform("../evil", np.eye(DIM))


def test_model_directory_round_trip(tmp_path):
    wv, glosses, rng = planted(rotate=True, seed=7)
    train = descriptions(glosses, rng, 4, 4)
    rd = ReverseDictionaryEncoder(wv)
    rd.fit(train, epochs=2, batch_size=32, negatives=10, progress=False)
    sif = SIFEncoder(wv).fit([t for t, _ in train])
    objects = ObjectEncoder(wv)
    objects.fit([{"id": "c1", "features": glosses["c1"], "relations": [["is_a", "c2"]]}],
                epochs=2, progress=False)
    relation = RelationTransform.fit_words("next", wv, [(f"f{i}", f"f{i + 1}") for i in range(30)])
    model = Model(wv, None, {"sif": sif, "reverse_dictionary": rd}, "reverse_dictionary",
                  objects, {"next": relation})
    path = model.save(str(tmp_path / "m"), dtype="float32")
    loaded = load_model(path)
    texts = ["f1 f2 f3", "f4 f5"]
    assert loaded.default_sentence == "reverse_dictionary"
    np.testing.assert_allclose(loaded.encode_texts(texts), model.encode_texts(texts), atol=1e-3)
    np.testing.assert_allclose(loaded.encode_texts(texts, encoder="sif"),
                               model.encode_texts(texts, encoder="sif"), atol=1e-5)
    obj = [{"id": "new", "features": ["f3"], "relations": [["is_a", "c2"]]}]
    np.testing.assert_allclose(loaded.encode_objects(obj), model.encode_objects(obj), atol=1e-3)
    np.testing.assert_allclose(loaded.relations["next"].apply(wv.normed[:3]),
                               relation.apply(wv.normed[:3]), atol=1e-6)
    vecs, synth = loaded.encode_concepts(["c1", "f2"])
    assert vecs.shape == (2, DIM) and synth == [False, False]
    with pytest.raises(KeyError, match="nothere"):
        loaded.encode_concepts(["nothere"])
    with pytest.raises(FileExistsError):
        model.save(path)


def test_fitted_ngrams_give_unseen_words_a_vector_near_their_spelling_family():
    from world2vec.embeddings.words.subword_fill import fit_ngram_vectors

    rng = np.random.default_rng(11)
    cat_dir, dog_dir = unit(rng.normal(size=DIM)), unit(rng.normal(size=DIM))
    cats = ["catfish", "catnip", "catwalk", "catkin", "catgut", "catcall"]
    dogs = ["dogfish", "dogwood", "dogleg", "dogcart", "dogma", "doghouse"]
    words = cats + dogs
    vectors = np.vstack([unit(cat_dir + 0.3 * rng.normal(size=DIM)) for _ in cats]
                        + [unit(dog_dir + 0.3 * rng.normal(size=DIM)) for _ in dogs])
    grams = fit_ngram_vectors(words, vectors.astype(np.float32), buckets=5000)
    wv = WordVectors(words, vectors.astype(np.float32), ngrams=grams)
    vec, synthesized = wv.vector("catbird")
    assert synthesized
    assert float(vec @ cat_dir) > float(vec @ dog_dir) + 0.2


def test_a_plain_word_vectors_directory_loads_as_a_model(tmp_path):
    wv, glosses, _ = planted(rotate=False)
    path = wv.save(str(tmp_path / "plain"))
    model = load_model(path)
    assert model.default_sentence == "sif" and model.relations == {}
    vec = model.encode_texts([" ".join(glosses["c3"])])
    top = [w for w, _ in model.words.nearest(vec[0], k=1)]
    assert top == ["c3"]
    obj = model.encode_objects([{"features": glosses["c3"][:3], "relations": [["is_a", "c3"]]}])
    assert obj.shape == (1, DIM)
