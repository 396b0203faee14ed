"""Relations users teach from a few pairs: fitting, measuring, choosing, storing, applying.

A small synthetic model plants two relations whose answers are known by construction
(an offset: country -> its city; a rotation: s_i -> t_i); the bundled model checks
the figures a user would see (capital of France, a taught country -> language).
"""

from __future__ import annotations

import json
import os
import threading

import numpy as np
import pytest

from world2vec.embeddings import Model, load_model
from world2vec.embeddings.relation_book import RelationBook
from world2vec.embeddings.relation_fitting import (
    apply_relation,
    choose_method,
    fit_relation,
    leave_one_out_maps,
    transform,
)
from world2vec.embeddings.relations import (
    ModelRelationError,
    RelationError,
    RelationExistsError,
    RelationTransform,
    TooFewPairsError,
    UnknownRelationError,
    UnknownWordsError,
    fit_map,
    nearest_rotation,
)
from world2vec.embeddings.words.vectors import WordVectors

DIM = 16
N_COUNTRIES = 12
N_ROTATED = 60


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def planted_words(seed: int = 0, noise: float = 0.05) -> WordVectors:
    """country_i -> city_i is ``+ offset`` (plus noise); s_i -> t_i a fixed rotation;
    filler words scattered around so every answer has competitors."""
    rng = np.random.default_rng(seed)
    offset = 0.8 * unit(rng.normal(size=DIM))
    countries = unit(rng.normal(size=(N_COUNTRIES, DIM)))
    cities = unit(countries + offset + noise * rng.normal(size=(N_COUNTRIES, DIM)))
    rotation = np.linalg.qr(rng.normal(size=(DIM, DIM)))[0]
    sources = unit(rng.normal(size=(N_ROTATED, DIM)))
    targets = unit(sources @ rotation)
    filler = unit(rng.normal(size=(40, DIM)))
    words = ([f"country{i}" for i in range(N_COUNTRIES)] + [f"city{i}" for i in range(N_COUNTRIES)]
             + [f"s{i}" for i in range(N_ROTATED)] + [f"t{i}" for i in range(N_ROTATED)]
             + [f"filler{i}" for i in range(40)])
    vectors = np.vstack([countries, cities, sources, targets, filler]).astype(np.float32)
    return WordVectors(words, vectors)


def city_pairs(ids):
    return [(f"country{i}", f"city{i}") for i in ids]


def rotated_pairs(ids):
    return [(f"s{i}", f"t{i}") for i in ids]


@pytest.fixture(scope="module")
def words():
    return planted_words()


@pytest.fixture()
def model(words):
    own = RelationTransform("mirror", -np.eye(DIM), "linear", pair_count=0, accuracy=0.5)
    return Model(words, relations={"mirror": own})


# -- the maps and their leave-one-out measure --------------------------------------------------
@pytest.mark.parametrize("method", ["offset", "procrustes", "linear"])
def test_leave_one_out_maps_equal_refitting_without_each_pair(words, method):
    pairs = city_pairs(range(6)) + rotated_pairs(range(5))
    x = words.normed[[words.index(a) for a, _ in pairs]]
    y = words.normed[[words.index(b) for _, b in pairs]]
    fast = leave_one_out_maps(method, x, y)
    for i in range(len(pairs)):
        keep = np.arange(len(pairs)) != i
        fitted = RelationTransform("r", fit_map(method, x[keep], y[keep]), method)
        np.testing.assert_allclose(unit(fast[i]), fitted.apply(x[i]), atol=1e-5)


def test_procrustes_from_few_pairs_is_unique_and_leaves_the_rest_of_the_space_alone(words):
    x = words.normed[:3].astype(np.float64)
    y = words.normed[12:15].astype(np.float64)
    w = fit_map("procrustes", x, y)
    np.testing.assert_allclose(w.T @ w, np.eye(DIM), atol=1e-8)
    np.testing.assert_allclose(w, nearest_rotation(x.T @ y), atol=1e-6)
    outside = np.linalg.svd(np.vstack([x, y]))[2][-1]  # orthogonal to every pair word
    np.testing.assert_allclose(outside @ w, outside, atol=1e-6)


def test_a_planted_offset_is_learned_from_a_few_pairs_and_auto_prefers_it(words):
    relation = fit_relation(words, "city_of", city_pairs(range(8)))
    assert relation.method == "offset" and relation.source == "user"
    assert relation.accuracy == pytest.approx(1.0)
    assert relation.pairs == city_pairs(range(8)) and relation.pair_count == 8
    for i in range(8, N_COUNTRIES):
        assert transform(words, relation, f"country{i}", k=1)[0][0] == f"city{i}"


def test_auto_takes_the_map_a_rotation_needs_when_pairs_are_many(words):
    method, scores = choose_method(words, rotated_pairs(range(40)))
    assert method in ("procrustes", "linear")
    assert scores[method] > 0.9 and scores["offset"] < 0.5
    relation = fit_relation(words, "turn", rotated_pairs(range(40)))
    assert relation.method == method and relation.accuracy == pytest.approx(scores[method])
    held_out = rotated_pairs(range(40, N_ROTATED))
    assert relation.evaluate(words, held_out, k=1) == (1.0, len(held_out))


def test_ties_go_to_the_simplest_method(words):
    # a target equal to its source is never an answer (the input is excluded), so every
    # method scores 0 here and the tie must go to the offset
    method, scores = choose_method(words, [("s1", "s1"), ("s2", "s2"), ("s3", "s3")])
    assert set(scores.values()) == {0.0} and method == "offset"


def test_every_unknown_word_is_named(words):
    pairs = city_pairs(range(4)) + [("atlantis", "city1"), ("country2", "eldorado"),
                                    ("atlantis", "city3")]
    with pytest.raises(UnknownWordsError) as err:
        fit_relation(words, "r", pairs)
    assert err.value.words == ["atlantis", "eldorado"]
    assert "atlantis" in str(err.value) and "eldorado" in str(err.value)


def test_fewer_than_three_distinct_pairs_are_refused(words):
    with pytest.raises(TooFewPairsError) as err:
        fit_relation(words, "r", city_pairs([0, 1, 0, 1]))
    assert err.value.usable == 2 and isinstance(err.value, ValueError)
    with pytest.raises(RelationError, match="pair 1"):
        fit_relation(words, "r", [("country0", "city0"), ("country1",), ("country2", "city2")])
    with pytest.raises(ValueError, match="method"):
        fit_relation(words, "r", city_pairs(range(4)), method="magic")
    for not_pairs in ("country0 city0", {"country0": "city0"}, None):
        with pytest.raises(RelationError, match="list of"):
            fit_relation(words, "r", not_pairs)


def test_words_are_resolved_to_the_models_spelling(words):
    relation = fit_relation(words, "r", [("Country0", "CITY0")] + city_pairs([1, 2]), "offset")
    assert relation.pairs[0] == ("country0", "city0")


# -- applying ---------------------------------------------------------------------------------
def test_transform_excludes_the_input_and_names_what_is_unknown(model):
    model.relations["city_of"] = fit_relation(model, "city_of", city_pairs(range(8)))
    got = model.transform("city_of", "country9", k=3)
    assert got[0][0] == "city9" and len(got) == 3
    assert "country9" not in [w for w, _ in got]
    assert [w for w, _ in got] == [w for w, _ in transform(model, "city_of", "country9", 3)]
    with pytest.raises(UnknownRelationError, match="nope") as err:
        model.transform("nope", "country9")
    assert isinstance(err.value, KeyError)
    with pytest.raises(KeyError):
        model.transform("city_of", "qqqq")


def test_apply_relation_takes_a_word_or_a_vector(model):
    relation = fit_relation(model, "city_of", city_pairs(range(8)))
    by_word = apply_relation(model, relation, "country10")
    by_vector = apply_relation(model, relation, model.words.normed[model.words.index("country10")])
    np.testing.assert_allclose(by_word, by_vector, atol=1e-6)
    assert abs(float(np.linalg.norm(by_word)) - 1) < 1e-5
    with pytest.raises(ValueError, match="shape"):
        apply_relation(model, relation, np.ones(3))
    np.testing.assert_allclose(apply_relation(model, "mirror", by_word), -by_word, atol=1e-6)


def test_saved_relations_keep_method_and_accuracy_and_read_old_method_names(tmp_path, words):
    relation = fit_relation(words, "city_of", city_pairs(range(8)), "offset")
    relation.save(str(tmp_path))
    loaded = RelationTransform.load(str(tmp_path), "city_of")
    assert (loaded.method, loaded.pair_count, loaded.accuracy) == ("offset", 8, relation.accuracy)
    np.testing.assert_allclose(loaded.apply(words.normed[:4]), relation.apply(words.normed[:4]),
                               atol=1e-6)
    np.save(tmp_path / "old.npy", np.eye(DIM))
    (tmp_path / "old.json").write_text(json.dumps({"name": "old", "method": "lstsq", "pairs": 9}))
    old = RelationTransform.load(str(tmp_path), "old")
    assert old.method == "linear" and old.accuracy is None
    assert old.describe() == {"name": "old", "method": "linear", "pairs": 9, "accuracy": None,
                              "source": "model"}


# -- the book of users' relations -------------------------------------------------------------
def test_taught_relations_are_listed_stored_and_survive_a_new_book(tmp_path, model):
    book = RelationBook(tmp_path / "rel", model)
    taught = book.teach("city_of", city_pairs(range(8)))
    assert taught.method == "offset" and taught.accuracy == pytest.approx(1.0)
    listed = {r["name"]: r for r in book.list()}
    assert listed["mirror"] == {"name": "mirror", "method": "linear", "pairs": 0,
                                "accuracy": 0.5, "source": "model"}
    assert listed["city_of"] == {"name": "city_of", "method": "offset", "pairs": 8,
                                 "accuracy": 1.0, "source": "user"}
    assert book.transform("city_of", "country10", k=1)[0][0] == "city10"
    with open(tmp_path / "rel" / "city_of.json", encoding="utf-8") as f:
        stored = json.load(f)
    assert stored["pairs"] == [list(p) for p in city_pairs(range(8))]
    assert stored["method"] == "offset" and stored["created_at"] > 0
    assert os.listdir(tmp_path / "rel") == ["city_of.json"]  # no temporary file left

    again = RelationBook(tmp_path / "rel", model)
    assert again.get("city_of").accuracy == taught.accuracy
    np.testing.assert_allclose(again.apply("city_of", "country3"), book.apply("city_of", "country3"),
                               atol=1e-6)


def test_names_already_taken_are_refused_unless_replaced(tmp_path, model):
    book = RelationBook(tmp_path, model)
    book.teach("city_of", city_pairs(range(6)))
    with pytest.raises(RelationExistsError):
        book.teach("city_of", city_pairs(range(8)))
    assert book.teach("city_of", city_pairs(range(8)), replace=True).pair_count == 8
    with pytest.raises(ModelRelationError):
        book.teach("mirror", city_pairs(range(6)), replace=True)
    for bad in ("two words", "-x", "a(b)", "", "x" * 65):
        with pytest.raises(RelationError, match="name"):
            book.teach(bad, city_pairs(range(6)))


def test_forgetting_a_users_relation_but_never_a_models_own(tmp_path, model):
    book = RelationBook(tmp_path, model)
    book.teach("city_of", city_pairs(range(6)))
    book.forget("city_of")
    assert "city_of" not in book and not os.path.exists(tmp_path / "city_of.json")
    with pytest.raises(UnknownRelationError):
        book.get("city_of")
    with pytest.raises(UnknownRelationError):
        book.forget("city_of")
    with pytest.raises(ModelRelationError):
        book.forget("mirror")
    assert "mirror" in book


def test_refit_on_another_model_keeps_what_it_can_and_reports_the_rest(tmp_path, model):
    book = RelationBook(tmp_path, model)
    book.teach("city_of", city_pairs(range(8)))
    book.teach("turn", rotated_pairs(range(30)), method="procrustes")
    other_words = planted_words(seed=1)
    keep = [i for i, w in enumerate(other_words.words) if not w.startswith("s")]
    other = Model(WordVectors([other_words.words[i] for i in keep], other_words.vectors[keep]))
    problems = book.refit(other)
    assert book.model is other and list(problems) == ["turn"]
    assert "turn" not in book and book.unavailable == problems
    assert book.transform("city_of", "country11", k=1)[0][0] == "city11"
    assert [r["name"] for r in book.list()] == ["city_of"]
    assert os.path.exists(tmp_path / "turn.json")  # its pairs wait for a model that knows them
    book.refit(model)
    assert book.get("turn").method == "procrustes"


def test_concurrent_teaching_loses_nothing(tmp_path, model):
    book = RelationBook(tmp_path, model)
    errors = []

    def teach(n):
        try:
            book.teach(f"rel{n}", city_pairs(range(n, n + 4)), method="offset")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=teach, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r["name"] for r in RelationBook(tmp_path, model).list() if r["source"] == "user") \
        == [f"rel{n}" for n in range(6)]


# -- the bundled model --------------------------------------------------------------------------
COUNTRY_LANGUAGE = [("france", "french"), ("germany", "german"), ("spain", "spanish"),
                    ("italy", "italian"), ("russia", "russian"), ("china", "chinese"),
                    ("japan", "japanese"), ("greece", "greek"), ("portugal", "portuguese"),
                    ("poland", "polish"), ("sweden", "swedish"), ("denmark", "danish"),
                    ("norway", "norwegian")]
HELD_OUT_LANGUAGE = [("finland", "finnish"), ("hungary", "hungarian"), ("turkey", "turkish"),
                     ("netherlands", "dutch"), ("england", "english")]


@pytest.fixture(scope="module")
def bundled():
    return load_model()


def test_bundled_relations_are_listed_with_their_accuracy(bundled, tmp_path):
    listed = {r["name"]: r for r in RelationBook(tmp_path, bundled).list()}
    assert {"capital", "antonym", "plural", "adverb"} <= set(listed)
    for row in listed.values():
        assert row["source"] == "model" and 0 < row["accuracy"] <= 1 and row["pairs"] > 10
    assert listed["adverb"]["method"] == "linear"  # its file still says "lstsq"


def test_bundled_capital_maps_countries_to_their_capitals(bundled):
    capitals = {"france": "paris", "germany": "berlin", "spain": "madrid", "russia": "moscow",
                "egypt": "cairo"}
    found = sum(city in [w for w, _ in bundled.transform("capital", country, k=3)]
                for country, city in capitals.items())
    assert found >= 4


def test_a_relation_taught_from_thirteen_countries_names_new_countries_languages(bundled, tmp_path):
    taught = RelationBook(tmp_path, bundled).teach("language_of", COUNTRY_LANGUAGE)
    assert taught.accuracy >= 0.5
    hits = sum(language in [w for w, _ in bundled.transform(taught, country, k=5)]
               for country, language in HELD_OUT_LANGUAGE)
    assert hits >= 3
