"""One body of memory behaviour, run against the client (a real ``world2vec serve``) and
against the in-process ``world2vec.Memory``: the same calls give the same typed results,
the same scores and the same errors (``NotFound`` for a missing id in both)."""

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
    assert health.ok and health.dim == 100 and health.items >= 2
    record.append(mem.similar("cat", k=5))
    for left in (f"{prefix}cat", f"{prefix}bank"):
        mem.delete(left)
    return record


@pytest.fixture(params=["in-process", "client"])
def backend(request, live, tmp_path):
    if request.param == "client":
        with world2vec_client.Client(live, api_key=KEY) as client:
            yield client, world2vec_client.NotFound
    else:
        with world2vec.Memory(tmp_path / "data") as mem:
            yield mem, world2vec.NotFound


def test_memory_behaviour(backend):
    mem, not_found = backend
    exercise(mem, not_found, "p-")


def comparable(value):
    """Results as plain data, by world2vec's field names (a newer client may have more),
    scores rounded (JSON carries them as decimal text)."""
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if dataclasses.is_dataclass(value):
        ours = getattr(world2vec, type(value).__name__)
        names = [f.name for f in dataclasses.fields(ours) if f.name != "extra"]
        return {n: round(v, 5) if isinstance(v, float) else v
                for n, v in ((n, getattr(value, n)) for n in names)}
    return value


def test_in_process_and_over_http_give_the_same_answers(live, tmp_path):
    with world2vec_client.Client(live, api_key=KEY) as client:
        over_http = exercise(client, world2vec_client.NotFound, "s-")
    with world2vec.Memory(tmp_path / "data") as mem:
        in_process = exercise(mem, world2vec.NotFound, "s-")
    assert comparable(in_process) == comparable(over_http)
    assert type(in_process[0]).__name__ == type(over_http[0]).__name__ == "Hits"
    assert np.allclose([h.score for h in in_process[0]], [h.score for h in over_http[0]], atol=1e-6)
