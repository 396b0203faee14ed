"""``world2vec.Memory`` in process: what only it has (a model object or path, reopening a
data directory) and its refusals, which name the same problems the service's 4xx do.
The behaviour it shares with the client is tested against both in
tests/client/test_client_memory_parity.py."""

from __future__ import annotations

import numpy as np
import pytest

import world2vec
from world2vec.memory import StoreLocked


@pytest.fixture(scope="module")
def model():
    return world2vec.load()


@pytest.fixture
def mem(model, tmp_path):
    with world2vec.Memory(tmp_path / "data", model=model) as memory:
        yield memory


def test_model_may_be_a_loaded_model_or_a_path(model, tmp_path):
    with world2vec.Memory(tmp_path / "a", model=model) as a:
        assert a.model is model and a.health().model == model.name
    with world2vec.Memory(tmp_path / "b", model=model.path) as b:
        assert b.model.name == model.name and b.health().dim == model.dim


def test_items_survive_closing_and_the_directory_is_locked_while_open(model, tmp_path):
    first = world2vec.Memory(tmp_path / "data", model=model)
    first.add([{"id": "cat", "text": "the cat sat on the mat", "tags": ["pets"]}])
    with pytest.raises(StoreLocked):
        world2vec.Memory(tmp_path / "data", model=model)
    first.close()
    with world2vec.Memory(tmp_path / "data", model=model) as again:
        assert again.get("cat").tags == ["pets"] and again.health().items == 1


def test_items_may_be_results_of_get_and_carry_their_own_vectors(mem, model):
    vector = model.encode(["a red apple"])[0]
    mem.add([{"id": "v", "vector": vector, "text": "kept with its vector"}])
    copy = mem.get("v")
    assert np.allclose(copy.vector, vector, atol=1e-6)
    copy.id = "w"
    assert mem.add([copy]) == ["w"] and mem.get("w").text == "kept with its vector"
    hits = mem.search(vector=vector, k=2)
    assert set(hits.ids) == {"v", "w"} and hits[0].score == pytest.approx(1.0, abs=1e-5)


def test_refusals_name_the_problem(mem):
    mem.add([{"id": "x", "text": "a cat"}])
    with pytest.raises(world2vec.Conflict, match="already exists"):
        mem.add([{"id": "x", "text": "again"}], upsert=False)
    with pytest.raises(world2vec.BadRequest, match="give 'text'"):
        mem.add([{"id": "y"}])
    with pytest.raises(world2vec.BadRequest, match="dimension 3"):
        mem.add([{"id": "y", "vector": [1.0, 2.0, 3.0]}])
    with pytest.raises(world2vec.BadRequest, match="unknown field"):
        mem.add([{"id": "y", "text": "a", "tag": ["typo"]}])
    with pytest.raises(TypeError):
        mem.add({"id": "y", "text": "one item, not a list"})
    with pytest.raises(world2vec.BadRequest, match="'k' must be from 1 to 1000, got 0"):
        mem.search("a cat", k=0)
    with pytest.raises(world2vec.BadRequest, match="payload|filter"):
        mem.search("a cat", filter={"payload": {"year": {"between": 3}}})
    with pytest.raises(ValueError, match="exactly one"):
        mem.search("a cat", concept="cat")
    with pytest.raises(world2vec.BadRequest, match="hops"):
        mem.qa("what?", hops=11)
    assert mem.get("x").text == "a cat"  # the refused strict add wrote nothing


def test_unknown_concepts_are_not_found_with_suggestions(mem):
    with pytest.raises(world2vec.NotFound) as err:
        mem.similar("qqqqxz")
    assert err.value.status == 404 and "unknown concept 'qqqqxz'" in err.value.detail
    with pytest.raises(world2vec.NotFound, match="did you mean"):
        mem.analogy("man", "kingg", "woman")
    with pytest.raises(world2vec.NotFound, match="qqqqxz"):
        mem.encode(["cat", "qqqqxz"])
    hits = mem.similar("kittycat", k=3)
    assert hits.info["synthesized"] is True and len(hits) == 3


def test_errors_are_also_the_python_exceptions_one_would_catch(mem):
    with pytest.raises(LookupError):
        mem.get("missing")
    with pytest.raises(ValueError):
        mem.search("a cat", k=0)
    assert issubclass(world2vec.NotFound, world2vec.World2vecError)


def test_similar_by_id_and_by_kind(mem):
    mem.add([{"id": "cat", "text": "the cat sat on the mat"},
             {"id": "kitten", "text": "a kitten slept on a rug", "kind": "note"},
             {"id": "car", "text": "the car drove down the road"}])
    assert mem.similar(id="cat", k=1).ids == ["kitten"]
    assert mem.similar(text="a feline", k=5, kind="note").ids == ["kitten"]
    assert all(h.kind == "concept" for h in mem.similar(text="a feline", k=3))
    with pytest.raises(world2vec.NotFound, match="no stored memory"):
        mem.similar(id="nobody")
