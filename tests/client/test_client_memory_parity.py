"""Bodies of memory behaviour, each run against the client (a real ``world2vec serve``) and
against the in-process ``world2vec.Memory``: the same calls give the same typed results,
the same scores and the same errors (``NotFound`` for a missing id or collection in both),
on the ``default`` collection and on a collection of vectors brought by the caller."""

from __future__ import annotations

import dataclasses
import importlib.util

import numpy as np
import pytest

import world2vec_client

if importlib.util.find_spec("world2vec.service.app") is None:  # pragma: no cover
    pytest.skip("the world2vec service package is not installed", allow_module_level=True)

from client_live_server import KEY

import world2vec


def items(prefix: str) -> list[dict]:
    return [
        {"id": f"{prefix}cat", "text": "the cat sat on the mat", "tags": [prefix, "animals"],
         "payload": {"legs": 4}},
        {"id": f"{prefix}car", "text": "the car drove down the road", "tags": [prefix, "vehicles"],
         "payload": {"legs": 0}},
        {"id": f"{prefix}bank", "kind": "qa", "text": "the bank lends money to people",
         "answer": "the bank", "tags": [prefix]},
    ]


def exercise(mem, not_found: type[Exception], prefix: str) -> list:
    """The shared body: asserts what a user relies on, returns what both must agree on."""
    record: list = []
    assert mem.add(items(prefix)) == [f"{prefix}cat", f"{prefix}car", f"{prefix}bank"]
    mine = {"tags": {"all": [prefix]}}

    hits = mem.search("a kitten on a rug", k=3, filter=mine)
    assert hits.ids[0] == f"{prefix}cat"                # found by meaning, not by words
    assert all(-1 <= h.score <= 1 for h in hits) and hits[0].payload == {"legs": 4}
    record.append(hits)
    record.append(mem.search(concept="automobile", k=1, filter=mine))
    record.append(mem.search(vector=mem.encode(texts=["a small feline"])[0], k=2, filter=mine))
    only_vehicles = mem.search("a kitten on a rug", k=3,
                               filter={"tags": {"all": [prefix, "vehicles"]}})
    assert only_vehicles.ids == [f"{prefix}car"]
    record.append(only_vehicles)

    item = mem.get(f"{prefix}cat")
    assert item.text == "the cat sat on the mat" and item.tags == [prefix, "animals"]
    assert item.kind == "fact" and item.payload == {"legs": 4}
    assert item.vector.shape == (mem.health().dim,)
    record.append(dataclasses.replace(item, created_at=None, vector=None))

    answer = mem.qa("who lends money?", k=1, filter=mine)[0]
    assert answer.id == f"{prefix}bank" and answer.answer == "the bank"
    record.append(answer)

    assert mem.delete(f"{prefix}car") is True
    with pytest.raises(not_found) as err:
        mem.get(f"{prefix}car")
    assert err.value.status == 404 and err.value.detail == f"no stored memory has id '{prefix}car'"
    record.append(str(err.value).replace(prefix, "<prefix>"))
    with pytest.raises(not_found):
        mem.delete(f"{prefix}car")
    assert mem.delete(f"{prefix}car", missing_ok=True) is False
    with pytest.raises(not_found):
        mem.similar("qqqqxz")

    health = mem.health()
    assert health.ok and health.dim == 356 and health.items >= 2
    record.append(mem.similar("cat", k=5))
    for left in (f"{prefix}cat", f"{prefix}bank"):
        mem.delete(left)
    return record


def vector_items(vectors: np.ndarray) -> list[dict]:
    return [{"id": f"v{i:02d}", "vector": v, "tags": ["even" if i % 2 == 0 else "odd"],
             "payload": {"n": i}} for i, v in enumerate(vectors)]


def brute_force(vectors: np.ndarray, query: np.ndarray, k: int, rows=None) -> tuple[list, np.ndarray]:
    """The ids and cosine scores of the ``k`` nearest rows (of ``rows``, or all), by numpy."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = unit @ (query / np.linalg.norm(query))
    candidates = np.arange(len(vectors)) if rows is None else np.asarray(rows)
    order = candidates[np.argsort(-scores[candidates], kind="stable")][:k]
    return [f"v{i:02d}" for i in order], scores[order]


def exercise_collection(mem, errors, prefix: str) -> list:
    """A collection of dim-8 vectors brought by the caller: created (409 again, 400 for a bad
    name), searched (equal to brute force), scrolled, counted, fetched, patched, deleted from
    by filter and by ids, removed (then NotFound). Returns what both must agree on."""
    record: list = []
    name = f"{prefix}vecs"
    vectors = np.random.default_rng(11).standard_normal((40, 8)).astype(np.float32)
    col = mem.create_collection(name, dim=8, model=None)
    try:
        with pytest.raises(errors.Conflict) as err:
            mem.create_collection(name, dim=8, model=None)
        assert err.value.status == 409 and err.value.detail == f"a collection named '{name}' exists already"
        with pytest.raises(errors.BadRequest) as err:
            mem.create_collection("Not A Name", dim=8, model=None)
        assert err.value.status == 400 and "must match [a-z0-9]" in err.value.detail
        info = next(c for c in mem.collections() if c.name == name)
        assert (info.dim, info.metric, info.model, info.items) == (8, "cosine", None, 0)
        record.append(info)

        assert col.add(vector_items(vectors)) == [f"v{i:02d}" for i in range(40)]
        queries = np.random.default_rng(12).standard_normal((3, 8)).astype(np.float32)
        for query in queries:
            hits = col.search(vector=query, k=6)
            ids, scores = brute_force(vectors, query, 6)
            assert hits.ids == ids and np.allclose([h.score for h in hits], scores, atol=1e-5)
            record.append(hits)
        even = {"tags": {"all": ["even"]}}
        hits = col.search(vector=queries[0], k=4, filter=even)
        assert hits.ids == brute_force(vectors, queries[0], 4, rows=range(0, 40, 2))[0]
        paged = col.search(vector=queries[0], k=3, offset=2, with_vectors=True)
        assert paged.ids == brute_force(vectors, queries[0], 5)[0][2:]
        assert all(h.vector is not None and h.vector.shape == (8,) for h in paged)
        strong = col.search(vector=queries[0], k=40, score_threshold=0.3)
        assert strong.ids == [i for i, s in zip(*brute_force(vectors, queries[0], 40)) if s >= 0.3]
        batches = col.search_batch([{"vector": q} for q in queries], k=3)
        assert [b.ids for b in batches] == [brute_force(vectors, q, 3)[0] for q in queries]
        record.extend([hits, batches])

        first = col.scroll(limit=7)
        assert len(first) == 7 and first.next_cursor is not None
        seen, cursor = [], None
        while True:
            page = col.scroll(limit=7, cursor=cursor)
            seen += [item.id for item in page]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == [f"v{i:02d}" for i in range(40)]          # each item once, in id order
        assert [i.id for i in col.iter_items(even, page_size=6)] == [f"v{i:02d}" for i in range(0, 40, 2)]
        record.append(first)

        assert col.count() == 40 and col.count(even) == 20
        assert col.count({"or": [{"payload": {"n": {"lt": 3}}}, {"not": even}]}) == 22
        found = col.get_many(["v01", "nope", "v02"])
        assert [i.id for i in found] == ["v01", "v02"] and found.missing == ["nope"]
        assert np.allclose(found.items[0].vector, vectors[1] / np.linalg.norm(vectors[1]), atol=1e-6)
        record.append(found)
        patched = col.patch("v01", {"colour": "red"}, tags=["odd", "patched"])
        assert patched.payload == {"n": 1, "colour": "red"} and patched.tags == ["odd", "patched"]
        assert col.search(vector=vectors[1], k=1).ids == ["v01"]             # the vector was kept
        record.append(patched)
        with pytest.raises(errors.NotFound):
            col.patch("nope", {"colour": "blue"})

        assert col.delete_many(filter=even) == 20
        assert col.delete_many(filter={"payload": {"colour": "red"}}) == 1
        assert col.delete_many(["v03", "v05", "nope"]) == 2 and col.count() == 17
        with pytest.raises(errors.BadRequest) as err:
            col.add([{"id": "words", "text": "a collection without a model takes no text"}])
        assert err.value.status == 400 and "has no model" in err.value.detail
        record.append(err.value.detail)
        with pytest.raises(errors.BadRequest) as err:
            col.add([{"id": "short", "vector": [1.0, 2.0, 3.0]}])
        assert "dimension 3" in err.value.detail
    finally:
        assert mem.delete_collection(name) is True
    with pytest.raises(errors.NotFound) as err:
        col.count()
    assert err.value.status == 404 and err.value.detail == f"no collection named '{name}'"
    record.append(err.value.detail.replace(prefix, "<prefix>"))
    for call in (lambda: mem.collection_info(name), lambda: mem.delete_collection(name),
                 lambda: mem.collection(name).search(vector=vectors[0], k=1)):
        with pytest.raises(errors.NotFound):
            call()
    assert mem.delete_collection(name, missing_ok=True) is False
    return record


def exercise_default_data_operations(mem, errors, prefix: str) -> list:
    """The unscoped data operations act on ``default``, as the client's do."""
    mine = {"tags": {"all": [prefix]}}
    assert mem.add(items(prefix)) == [f"{prefix}cat", f"{prefix}car", f"{prefix}bank"]
    assert mem.count(mine) == 3 and mem.collection("default").count(mine) == 3
    assert [i.id for i in mem.iter_items(mine, page_size=2)] == sorted(
        [f"{prefix}cat", f"{prefix}car", f"{prefix}bank"])
    found = mem.get_many([f"{prefix}cat", f"{prefix}nobody"])
    assert [i.id for i in found] == [f"{prefix}cat"] and found.missing == [f"{prefix}nobody"]
    patched = mem.patch(f"{prefix}bank", {"checked": True}, answer="a bank")
    assert patched.answer == "a bank" and mem.get(f"{prefix}bank").payload == {"checked": True}
    batches = mem.search_batch(["a kitten on a rug", {"concept": "automobile"}], k=1, filter=mine)
    assert [b.ids for b in batches] == [[f"{prefix}cat"], [f"{prefix}car"]]
    lexical = mem.search("money", k=3, filter=mine, mode="lexical")
    assert lexical.ids == [f"{prefix}bank"] and lexical.info["mode"] == "lexical"
    with pytest.raises(errors.BadRequest):
        mem.search("a cat", k=3, filter=mine, score_threshold="high")
    assert mem.delete_many(filter=mine) == 3 and mem.count(mine) == 0
    # BM25 scores depend on every text of the collection (the live server's default holds
    # other tests' too), so of the lexical hits only the ids are compared.
    return [dataclasses.replace(patched, created_at=None, vector=None), batches, lexical.ids]


@pytest.fixture(params=["in-process", "client"])
def backend(request, live, tmp_path):
    if request.param == "client":
        with world2vec_client.Client(live, api_key=KEY) as client:
            yield client, world2vec_client
    else:
        with world2vec.Memory(tmp_path / "data") as mem:
            yield mem, world2vec


def test_memory_behaviour(backend):
    mem, errors = backend
    exercise(mem, errors.NotFound, "p-")


def test_collection_of_own_vectors(backend):
    mem, errors = backend
    exercise_collection(mem, errors, "p-")


def test_default_data_operations(backend):
    mem, errors = backend
    exercise_default_data_operations(mem, errors, "p-")


def comparable(value):
    """Results as plain data, by world2vec's field names (a newer client may have more),
    scores and vectors rounded (JSON carries them as decimal text), times left out."""
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [round(float(x), 5) for x in value]
    if isinstance(value, float):
        return round(value, 5)
    if dataclasses.is_dataclass(value):
        ours = getattr(world2vec, type(value).__name__)
        names = [f.name for f in dataclasses.fields(ours) if f.name not in ("extra", "created_at")]
        return {n: comparable(getattr(value, n)) for n in names}
    return value


def test_in_process_and_over_http_give_the_same_answers(live, tmp_path):
    with world2vec_client.Client(live, api_key=KEY) as client:
        over_http = exercise(client, world2vec_client.NotFound, "s-")
    with world2vec.Memory(tmp_path / "data") as mem:
        in_process = exercise(mem, world2vec.NotFound, "s-")
    assert comparable(in_process) == comparable(over_http)
    assert type(in_process[0]).__name__ == type(over_http[0]).__name__ == "Hits"
    assert np.allclose([h.score for h in in_process[0]], [h.score for h in over_http[0]], atol=1e-6)


def test_collections_and_data_operations_give_the_same_answers(live, tmp_path):
    with world2vec_client.Client(live, api_key=KEY) as client:
        over_http = [exercise_collection(client, world2vec_client, "s-"),
                     exercise_default_data_operations(client, world2vec_client, "s-")]
    with world2vec.Memory(tmp_path / "data") as mem:
        in_process = [exercise_collection(mem, world2vec, "s-"),
                      exercise_default_data_operations(mem, world2vec, "s-")]
    assert comparable(in_process) == comparable(over_http)
    assert [type(r).__name__ for r in in_process[0]] == [type(r).__name__ for r in over_http[0]]
