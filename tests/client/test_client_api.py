"""What each client method sends and what it gives back, against a scripted loopback server."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest
from client_fake import Reply, problem

from world2vec_client import (
    Answer,
    Client,
    Collection,
    DecodeError,
    FilterDecision,
    Hit,
    Hits,
    Item,
    NotFound,
)


def test_similar_sends_the_query_and_returns_typed_hits(fake):
    fake.handler = lambda req: Reply(200, {"results": [
        {"id": "dog", "score": 0.81, "kind": "concept", "text": None, "payload": {}},
        {"id": "kitten", "score": 0.77, "kind": "concept", "rank": 2}], "synthesized": False})
    hits = Client(fake.url).similar("cat", k=2)
    req = fake.seen[0]
    assert req.method == "GET" and req.path == "/similar"
    assert req.query == {"concept": ["cat"], "k": ["2"]}
    assert isinstance(hits, Hits) and all(isinstance(h, Hit) for h in hits)
    assert hits.ids == ["dog", "kitten"] and hits[0].score == pytest.approx(0.81)
    assert hits[1].extra == {"rank": 2}          # unknown fields are kept, not dropped
    assert hits.info == {"synthesized": False}


def test_similar_needs_exactly_one_query():
    c = Client("http://127.0.0.1:9")
    with pytest.raises(ValueError, match="exactly one"):
        c.similar()
    with pytest.raises(ValueError, match="exactly one"):
        c.similar("cat", text="a cat")


def test_similar_by_text_with_kind_and_filter(fake):
    fake.handler = lambda req: Reply(200, {"results": []})
    Client(fake.url).similar(text="a small cat", k=3, kind="fact", filter={"tags": {"any": ["x"]}})
    q = fake.seen[0].query
    assert q["text"] == ["a small cat"] and q["kind"] == ["fact"]
    assert q["filter"] == ['{"tags": {"any": ["x"]}}']


def test_compose_and_analogy_parameters(fake):
    fake.handler = lambda req: Reply(200, {"results": [{"id": "queen", "score": 0.7}]})
    c = Client(fake.url)
    assert c.compose("king - man + woman", k=5).ids == ["queen"]
    assert fake.seen[0].query == {"expr": ["king - man + woman"], "k": ["5"]}
    assert c.analogy("man", "king", "woman", method="mul").ids == ["queen"]
    assert fake.seen[1].query == {"a": ["man"], "b": ["king"], "c": ["woman"], "k": ["10"],
                                  "method": ["mul"]}


def test_encode_json_returns_float32_matrix(fake):
    fake.handler = lambda req: Reply(200, {"vectors": [[0.6, 0.8], [1.0, 0.0]], "dim": 2})
    out = Client(fake.url).encode(texts=["a small feline", "a dog"])
    assert fake.seen[0].json() == {"texts": ["a small feline", "a dog"]}
    assert out.dtype == np.float32 and out.shape == (2, 2)
    np.testing.assert_allclose(out[0], [0.6, 0.8])


def test_encode_refuses_ambiguous_or_single_string_input():
    c = Client("http://127.0.0.1:9")
    with pytest.raises(ValueError):
        c.encode(["cat"], texts=["a cat"])
    with pytest.raises(ValueError, match="list"):
        c.encode("cat")


def test_msgpack_transport_sends_and_reads_raw_float32(fake):
    rows = np.array([[0.6, 0.8, 0.0], [0.0, 0.0, 1.0]], dtype="<f4")

    def handle(req):
        if req.path == "/encode":
            return Reply(200, {"vectors": [r.tobytes() for r in rows], "dim": 3},
                         "application/msgpack")
        return Reply(200, {"ids": ["v1"]}, "application/msgpack")
    fake.handler = handle
    c = Client(fake.url, format="msgpack")
    out = c.encode(["cat", "dog"])
    assert fake.seen[0].headers["content-type"] == "application/msgpack"
    assert "application/msgpack" in fake.seen[0].headers["accept"]
    assert fake.seen[0].msgpack() == {"concepts": ["cat", "dog"]}
    np.testing.assert_array_equal(out, rows)
    assert c.add([{"id": "v1", "vector": [0.6, 0.8, 0.0], "tags": ["t"]}]) == ["v1"]
    sent = fake.seen[1].msgpack()["items"][0]
    assert isinstance(sent["vector"], bytes) and len(sent["vector"]) == 12
    np.testing.assert_array_equal(np.frombuffer(sent["vector"], "<f4"), rows[0])


def test_msgpack_encode_as_one_block_of_bytes(fake):
    rows = np.arange(6, dtype="<f4").reshape(2, 3)
    fake.handler = lambda req: Reply(200, {"vectors": rows.tobytes(), "dim": 3},
                                     "application/msgpack")
    np.testing.assert_array_equal(Client(fake.url, format="msgpack").encode(["a", "b"]), rows)


def test_add_sends_items_and_returns_server_ids(fake):
    fake.handler = lambda req: Reply(200, {"ids": ["given", "srv-1"]})
    vec = np.array([1, 0, 0], dtype=np.float64)
    ids = Client(fake.url).add([{"id": "given", "vector": vec, "kind": "fact"},
                                {"text": "a cat", "tags": ["pets"], "payload": {"n": 1}}])
    assert ids == ["given", "srv-1"]
    body = fake.seen[0].json()
    assert body == {"items": [{"id": "given", "vector": [1.0, 0.0, 0.0], "kind": "fact"},
                              {"text": "a cat", "tags": ["pets"], "payload": {"n": 1}}],
                    "upsert": True}


def test_add_refuses_non_finite_vectors_before_sending(fake):
    with pytest.raises(ValueError, match="NaN"):
        Client(fake.url).add([{"id": "x", "vector": [0.1, float("nan")]}])
    with pytest.raises(ValueError, match="NaN"):
        Client(fake.url).search(vector=[float("inf"), 1.0])
    assert fake.seen == []


def test_get_returns_item_and_quotes_the_id(fake):
    fake.handler = lambda req: Reply(200, {"id": "a/b c", "kind": "fact", "text": "hello",
                                           "tags": ["x"], "payload": {"y": 2}, "answer": None,
                                           "created_at": 1.5})
    item = Client(fake.url).get("a/b c")
    assert fake.seen[0].path == "/memories/a%2Fb%20c"
    assert isinstance(item, Item) and item.text == "hello" and item.payload == {"y": 2}
    assert item.vector is None


def test_get_missing_raises_not_found(fake):
    fake.handler = lambda req: problem(404, "Not Found", "no memory with id 'zz'")
    with pytest.raises(NotFound, match="no memory with id 'zz'"):
        Client(fake.url).get("zz")


def test_delete_missing_ok(fake):
    fake.handler = lambda req: problem(404, "Not Found", "no memory with id 'zz'")
    assert Client(fake.url).delete("zz", missing_ok=True) is False
    with pytest.raises(NotFound):
        Client(fake.url).delete("zz")


def test_search_with_filter(fake):
    fake.handler = lambda req: Reply(200, {"results": [
        {"id": "m1", "score": 0.9, "kind": "fact", "text": "cats purr", "payload": {"year": 2001},
         "tags": ["pets"]}]})
    flt = {"kind": "fact", "tags": {"all": ["pets"]}, "payload": {"year": {"gte": 2000}}}
    hits = Client(fake.url).search("why do cats purr", k=3, filter=flt)
    assert fake.seen[0].json() == {"text": "why do cats purr", "k": 3, "filter": flt}
    assert hits[0].tags == ["pets"] and hits[0].payload == {"year": 2001}


def test_qa_returns_answers(fake):
    fake.handler = lambda req: Reply(200, {"answers": [
        {"id": "m1", "answer": "Paris", "score": 0.93, "support": ["m1", "m7"]}]})
    answers = Client(fake.url).qa("capital of France?", k=1, hops=2)
    assert fake.seen[0].json() == {"question": "capital of France?", "k": 1, "hops": 2}
    assert answers == [Answer("m1", "Paris", 0.93, ["m1", "m7"])]


def test_filter_returns_decisions(fake):
    fake.handler = lambda req: Reply(200, {"threshold": 0.3, "results": [
        {"index": 0, "decision": "block", "score": 0.71, "concept": "violence",
         "scores": {"allow": {"sports": 0.2}, "block": {"violence": 0.71}}},
        {"index": 1, "decision": "allow", "score": 0.64, "concept": "sports"}]})
    out = Client(fake.url).filter(["a brutal fight", "the match"], allow=["sports"],
                                  block=["violence"], threshold=0.3)
    assert fake.seen[0].json() == {"items": ["a brutal fight", "the match"], "allow": ["sports"],
                                   "block": ["violence"], "threshold": 0.3}
    assert all(isinstance(d, FilterDecision) for d in out)
    assert out[0].blocked and out[0].text == "a brutal fight" and out[0].concept == "violence"
    assert out[0].scores["block"] == {"violence": 0.71}
    assert out[1].allowed and out[1].score == pytest.approx(0.64)


def test_unreadable_answer_is_a_clear_error(fake):
    fake.handler = lambda req: Reply(200, b"{not json", "application/json")
    with pytest.raises(DecodeError, match="could not decode"):
        Client(fake.url).health()


def test_metrics_text(fake):
    fake.handler = lambda req: Reply(200, b"world2vec_items 3\n", "text/plain; version=0.0.4")
    assert "world2vec_items 3" in Client(fake.url).metrics()


def test_context_manager_closes_the_session(fake):
    fake.handler = lambda req: Reply(200, {"status": "ok", "model": "m", "dim": 2, "items": 0})
    with Client(fake.url) as c:
        assert c.health().ok
    assert not c._t._session.adapters or all(
        not a.poolmanager.pools for a in c._t._session.adapters.values())


def test_client_readme_documents_every_public_method():
    readme = (Path(__file__).parents[2] / "clients" / "python" / "README.md").read_text()
    names = {n for cls in (Client, Collection) for n, _ in inspect.getmembers(cls, callable)
             if not n.startswith("_")} - {"close", "info"}
    undocumented = sorted(n for n in names if f"`{n}(" not in readme and f", {n}(" not in readme)
    assert undocumented == []
