"""Validation at the boundary: bad items are refused by name and nothing is written."""

import math

import numpy as np
import pytest
from mem_helpers import DIM, random_items

from world2vec.memory import Item, ItemExists, ValidationError


def test_vectors_are_unit_length_so_scores_are_cosines(store):
    store.add([{"id": "a", "vector": [3.0] + [0.0] * (DIM - 1)},
               {"id": "b", "vector": [1.0, 1.0] + [0.0] * (DIM - 2)}])
    assert np.linalg.norm(store.get("a").vector) == pytest.approx(1.0, abs=1e-6)
    hits = store.search([2.0] + [0.0] * (DIM - 1), k=2)
    assert [h.id for h in hits] == ["a", "b"]
    assert hits[0].score == pytest.approx(1.0, abs=1e-6)
    assert hits[1].score == pytest.approx(1 / math.sqrt(2), abs=1e-6)


@pytest.mark.parametrize("bad, words", [
    ([1.0] * (DIM - 1), "dimension 15"),
    ([float("nan")] + [1.0] * (DIM - 1), "NaN"),
    ([float("inf")] + [1.0] * (DIM - 1), "NaN or inf"),
    ([0.0] * DIM, "zeros"),
    ("not a vector", "list of numbers"),
])
def test_a_bad_item_rejects_the_whole_batch_naming_its_position(store, bad, words):
    items = random_items(5)
    items[3]["vector"] = bad
    with pytest.raises(ValidationError) as err:
        store.add(items)
    assert "item 3" in str(err.value) and "'i3'" in str(err.value) and words in str(err.value)
    assert err.value.position == 3
    assert len(store) == 0 and store.get("i0") is None


@pytest.mark.parametrize("field, value", [("tags", "red"), ("payload", [1]), ("kind", ""),
                                          ("text", 5), ("answer", {}), ("tag", ["x"]),
                                          ("id", 7), ("payload", {"x": float("nan")})])
def test_wrong_field_types_are_refused(store, field, value):
    item = random_items(1)[0]
    item[field] = value
    with pytest.raises(ValidationError):
        store.add([item])
    assert len(store) == 0


def test_duplicate_ids_in_one_batch_are_refused(store):
    items = random_items(3)
    items[2]["id"] = "i0"
    with pytest.raises(ValidationError, match="appears twice"):
        store.add(items)
    assert len(store) == 0


def test_add_refuses_an_existing_id_and_writes_nothing_of_the_batch(store):
    store.add(random_items(2))
    with pytest.raises(ItemExists) as err:
        store.add(random_items(3, prefix="new") + [random_items(2)[1]])
    assert err.value.item_id == "i1"
    assert len(store) == 2 and store.get("new0") is None


def test_missing_ids_are_generated_and_returned(store):
    ids = store.add([{"vector": [1.0] * DIM, "text": "no id"}])
    assert len(ids) == 1 and len(ids[0]) == 32
    assert store.get(ids[0]).text == "no id"


def test_item_dict_round_trip():
    item = Item.from_dict({"id": "x", "text": "t", "kind": "qa", "tags": ["a", "a", "b"],
                           "payload": {"k": [1, "2", None]}, "answer": "yes", "vector": [1, 2]})
    assert item.tags == ["a", "b"] and item.vector.dtype == np.float32
    out = item.to_dict(vector=True)
    assert out["vector"] == [1.0, 2.0] and out["answer"] == "yes"
    assert "vector" not in item.to_dict()
    assert Item.from_dict(out).to_dict(vector=True) == out


def test_item_without_vector_cannot_be_stored_directly(store):
    with pytest.raises(ValidationError, match="no 'vector'"):
        store.add([{"id": "t", "text": "only text"}])


def test_query_vectors_are_checked_too(store):
    store.add(random_items(3))
    with pytest.raises(ValidationError, match="dimension"):
        store.search([1.0, 2.0], k=1)
    with pytest.raises(ValidationError, match="k must be"):
        store.search([1.0] * DIM, k=0)
