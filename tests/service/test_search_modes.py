"""POST /search's modes (dense, lexical, hybrid) and /qa over the same candidates."""

from __future__ import annotations

import numpy as np
import pytest
from service_backends import BACKENDS
from service_server import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}
ITEMS = [
    {"id": "m-cat", "kind": "pet", "text": "the small cat is good", "tags": ["home"]},
    {"id": "m-dog", "kind": "pet", "text": "the big dog", "tags": ["home"]},
    {"id": "m-war", "kind": "news", "text": "war and attack in the city"},
    {"id": "m-code", "kind": "log", "text": "error xq7 in the piano", "tags": ["ops"]},
    {"id": "m-code2", "kind": "log", "text": "a cat and error xq7 and error xq7",
     "tags": ["home"]},
]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    """Each test on the embedded store and on Milvus Lite (service_backends.py)."""
    return request.param


@pytest.fixture(scope="module", autouse=True)
def stored(app):
    resp = app.test_client().post("/memories", json={"items": ITEMS}, headers=AUTH)
    assert resp.status_code == 200, resp.get_data(as_text=True)


def search(client, **body):
    resp = client.post("/search", json=body)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    answer = resp.get_json()
    return answer["mode"], [r["id"] for r in answer["results"]], answer["results"]


def test_a_text_is_searched_hybrid_by_default_a_concept_and_a_vector_dense(client):
    assert search(client, text="a small cat")[0] == "hybrid"
    assert search(client, concept="cat")[0] == "dense"
    vector = client.post("/encode", json={"concepts": ["cat"]}).get_json()["vectors"][0]
    mode, ids, _ = search(client, vector=vector, k=1)
    assert (mode, ids) == ("dense", ["m-cat"])


def test_lexical_ranks_the_stored_words_even_ones_the_model_never_learned(client):
    mode, ids, results = search(client, text="xq7", mode="lexical", k=5)
    assert mode == "lexical" and ids == ["m-code2", "m-code"]  # twice beats once
    assert results[0]["text"] == ITEMS[4]["text"] and results[0]["score"] > results[1]["score"]


def test_every_mode_answers_inside_the_filter(client):
    home = {"tags": {"all": ["home"]}}
    for mode in ("dense", "lexical", "hybrid"):
        _, ids, results = search(client, text="cat error xq7", mode=mode, filter=home, k=10)
        assert ids and set(ids) <= {"m-cat", "m-dog", "m-code2"}, (mode, ids)
        assert "m-code" not in ids
    _, ids, _ = search(client, text="xq7", mode="lexical", filter={"kind": "pet"})
    assert ids == []
    _, ids, _ = search(client, text="error xq7", mode="hybrid", filter={"kind": "log"}, k=1)
    assert ids == ["m-code2"]


def test_hybrid_scores_lie_in_0_to_1_best_first(client):
    _, ids, results = search(client, text="the cat and the xq7 error", mode="hybrid", k=5)
    scores = [r["score"] for r in results]
    assert ids[0] == "m-code2" and scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_a_concept_can_be_searched_by_its_word(client):
    mode, ids, _ = search(client, concept="war", mode="lexical")
    assert (mode, ids) == ("lexical", ["m-war"])


@pytest.mark.parametrize("body,param,detail", [
    ({"vector": [0.1] * 32, "mode": "lexical"}, "mode", "dense mode only"),
    ({"vector": [0.1] * 32, "mode": "hybrid"}, "mode", "dense mode only"),
    ({"text": "cat", "mode": "fuzzy"}, "mode", "'mode' must be one of dense, lexical, hybrid"),
    ({"text": "cat", "mode": 1}, "mode", "'mode' must be one of"),
    ({"text": "cat", "mode": "lexical", "filter": {"colour": 1}}, "filter", "unknown key"),
])
def test_a_bad_mode_or_filter_is_a_400_naming_it(client, body, param, detail):
    resp = client.post("/search", json=body)
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["param"] == param and detail in problem["detail"], problem


def test_qa_inside_a_filter_still_reads_the_stored_words(client):
    resp = client.post("/qa", json={"question": "what about xq7", "k": 1,
                                    "filter": {"tags": {"all": ["ops"]}}})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert [a["id"] for a in resp.get_json()["answers"]] == ["m-code"]


def test_search_results_agree_between_modes_on_a_plain_word(client):
    # The three modes differ in how they rank, not in what a strong match is.
    for mode in ("dense", "lexical", "hybrid"):
        _, ids, _ = search(client, text="war attack", mode=mode, k=1)
        assert ids == ["m-war"], mode
    assert np.isfinite([r["score"] for r in search(client, text="war", mode="hybrid")[2]]).all()
