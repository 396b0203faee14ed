"""The memory-network reader and BM25: answers with support, hybrid retrieval, training."""

import numpy as np
import pytest
from mem_helpers import bag_of_words_encoder

from world2vec.memory import MemoryReader, MemoryStore, ValidationError
from world2vec.memory.bm25 import BM25, stem
from world2vec.memory.reader import lexical_hits, search_mode

DIM = 64


encode_texts = bag_of_words_encoder(DIM, empty="raise")


FACTS = {
    "f-paris": "Paris is the capital city of France",
    "f-rome": "Rome is the capital city of Italy",
    "f-nile": "The Nile is the longest river in Africa",
    "f-everest": "Mount Everest is the highest mountain on Earth",
    "f-python": "Python is a programming language created by Guido van Rossum",
    "f-apt": "apt-get installs Debian packages and resolves their dependencies",
    "f-dpkg": "dpkg is the low level tool that unpacks a single .deb file",
}


@pytest.fixture
def memory(tmp_path):
    store = MemoryStore.open(str(tmp_path / "d"), DIM, index="flat", background=False)
    items = [{"id": i, "text": t, "kind": "fact"} for i, t in FACTS.items()]
    items.append({"id": "q-color", "kind": "qa", "text": "what color is the sky",
                  "answer": "The sky is blue on a clear day"})
    vectors = encode_texts([it["text"] for it in items])
    store.add([dict(it, vector=v.tolist()) for it, v in zip(items, vectors)])
    yield store
    store.close()


def test_answers_come_with_text_scores_and_support(memory):
    reader = MemoryReader(memory, encode_texts, hops=2, candidates=5)
    answers = reader.answer("what is the capital of France", k=3)
    assert answers[0].id == "f-paris"
    assert answers[0].answer == FACTS["f-paris"]          # a fact is its own answer
    assert answers[0].support[0] == "f-paris"
    assert all(isinstance(s, str) for a in answers for s in a.support)
    scores = [a.score for a in answers]
    assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1.0 + 1e-9
    qa = reader.answer("what color is the sky", k=1)[0]
    assert (qa.id, qa.answer) == ("q-color", "The sky is blue on a clear day")


def test_bad_questions_and_bounds(memory):
    reader = MemoryReader(memory, encode_texts)
    with pytest.raises(ValidationError, match="hops"):
        reader.answer("capital", hops=0)
    with pytest.raises(ValidationError, match="hops"):
        reader.answer("capital", hops=11)
    with pytest.raises(ValidationError, match="k must"):
        reader.answer("capital", k=0)
    with pytest.raises(ValidationError, match="question"):
        reader.answer("   ")
    with pytest.raises(ValueError):
        reader.answer("zzz", k=1) if False else reader.answer("the of and", k=1)


def test_lexical_search_follows_writes_and_deletes(memory):
    assert memory.lexical_search("dpkg deb", k=1)[0][0] == "f-dpkg"
    memory.delete("f-dpkg")
    assert all(i != "f-dpkg" for i, _ in memory.lexical_search("dpkg deb", k=5))
    memory.add([{"id": "f-new", "text": "dpkg-deb builds a .deb archive",
                 "vector": encode_texts(["dpkg-deb builds"])[0].tolist()}])
    assert memory.lexical_search("dpkg-deb archive", k=1)[0][0] == "f-new"
    memory.snapshot()             # compaction renumbers rows; the BM25 index follows
    assert memory.lexical_search("highest mountain", k=1)[0][0] == "f-everest"


def test_bm25_prefers_rare_terms_and_short_documents():
    bm = BM25()
    bm.add(["the cat sat on the mat", "the dog", "cat cat dog", "a very long text about many "
            "things and also a cat somewhere in it among other words words words"])
    ranked = [row for row, _ in bm.top("cat", 4)]
    assert ranked[0] == 2 and ranked[-1] == 3 and 1 not in ranked
    assert bm.top("unknownword", 3) == []


def test_training_raises_the_probability_of_the_right_memories(memory, tmp_path):
    reader = MemoryReader(memory, encode_texts, hops=2, candidates=8, beta=0.0, gamma=1.0)
    pairs = [("which city is the capital of Italy", "f-rome"),
             ("tell me about the river in Africa", "f-nile"),
             ("which tool unpacks a deb file", "f-dpkg"),
             ("who created the programming language python", "f-python"),
             ("how to install packages with dependencies", "f-apt")]

    def gold_prob(r):
        total = 0.0
        for q, gold in pairs:
            ids, probs, _, _ = r.rank(q)
            total += probs[ids.index(gold)] if gold in ids else 0.0
        return total / len(pairs)

    before = gold_prob(reader)
    result = reader.train(pairs, epochs=30, lr=0.05, batch_size=5)
    after = gold_prob(reader)
    assert after > before + 0.2, (before, after)
    assert np.isfinite(result["loss"])
    reader.save(str(tmp_path / "reader.npz"))
    fresh = MemoryReader(memory, encode_texts, hops=2, candidates=8, beta=0.0)
    fresh.load(str(tmp_path / "reader.npz"))
    assert gold_prob(fresh) == pytest.approx(after)


@pytest.mark.parametrize("words,term", [
    (["package", "packages"], "packag"), (["install", "installing", "installed"], "install"),
    (["library", "libraries"], "library"), (["run", "running"], "run"),
    (["box", "boxes"], "box"), (["dpkg", "dpkg's"], "dpkg"), (["x86-64"], "x86-64"),
    (["status"], "status"),
])
def test_bm25_folds_inflections_to_one_term(words, term):
    assert {stem(w) for w in words} == {term}


def test_bm25_matches_a_question_to_the_inflected_words_of_its_answer():
    bm = BM25()
    bm.add(["Installing a package fetches its libraries first", "The package list is long"])
    assert bm.top("how do I install packages with library dependencies", 1)[0][0] == 0


# -- search modes -------------------------------------------------------------------------

@pytest.fixture
def crowded(tmp_path):
    """60 items saying 'dpkg' (the first 50 say it most), 3 of them tagged 'rare' among the
    weakest matches, each with a random vector, so only BM25 knows what they say."""
    store = MemoryStore.open(str(tmp_path / "c"), DIM, index="flat", background=False)
    rng = np.random.default_rng(3)
    items = []
    for i in range(60):
        strong = i < 50
        items.append({"id": f"d{i}", "kind": "fact" if i % 2 else "note",
                      "text": "dpkg " * (4 if strong else 1) + f"filler words number {i}",
                      "tags": ["rare"] if i in (51, 55, 58) else [],
                      "vector": rng.normal(size=DIM).tolist()})
    store.add(items)
    yield store
    store.close()


def test_a_filtered_lexical_search_is_exact_however_deep_its_matches_rank(crowded):
    hits = lexical_hits(crowded, "dpkg", 3, filter={"tags": {"all": ["rare"]}})
    assert sorted(h.id for h in hits) == ["d51", "d55", "d58"]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    notes = lexical_hits(crowded, "dpkg", 100, filter={"kind": "note"})
    assert len(notes) == 30 and all(h.item.kind == "note" for h in notes)
    assert lexical_hits(crowded, "dpkg", 5, filter={"kind": "nothing"}) == []


def test_hybrid_brings_what_only_bm25_sees_and_scores_in_0_to_1(crowded):
    query = np.random.default_rng(9).normal(size=DIM)
    dense_only = [h.id for h in search_mode(crowded, "dense", 5, vector=query,
                                            filter={"tags": {"any": ["rare"]}})]
    hybrid = search_mode(crowded, "hybrid", 3, text="dpkg", vector=query,
                         filter={"tags": {"any": ["rare"]}})
    assert sorted(dense_only) == sorted(h.id for h in hybrid) == ["d51", "d55", "d58"]
    assert all(0.0 <= h.score <= 1.0 for h in hybrid)
    top = search_mode(crowded, "hybrid", 10, text="dpkg", vector=query)
    assert all(int(h.id[1:]) < 50 for h in top[:5])  # BM25's strong matches lead
    no_vector = search_mode(crowded, "hybrid", 5, text="dpkg", vector=None)
    assert [h.id for h in no_vector] == [h.id for h in lexical_hits(crowded, "dpkg", 5)]


@pytest.mark.parametrize("mode,kwargs,message", [
    ("fuzzy", {"text": "dpkg"}, "mode must be one of dense, lexical, hybrid"),
    ("lexical", {"vector": np.ones(DIM)}, "lexical search needs a text"),
    ("hybrid", {"text": "  ", "vector": np.ones(DIM)}, "hybrid search needs a text"),
    ("dense", {"text": "dpkg"}, "dense search needs a query vector"),
])
def test_a_mode_without_what_it_ranks_by_is_refused(crowded, mode, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        search_mode(crowded, mode, 3, **kwargs)


def test_the_reader_keeps_bm25_candidates_inside_a_filter(crowded):
    crowded.add([{"id": "target", "kind": "fact", "text": "deb archives are unpacked",
                  "vector": np.random.default_rng(11).normal(size=DIM).tolist()}])
    encode = bag_of_words_encoder(DIM, empty="axis")
    facts = {"kind": "fact"}
    dense = [h.id for h in crowded.search(encode(["deb archives"])[0], 3, filter=facts)]
    assert "target" not in dense  # only BM25 can bring it
    # the vectors here are random, so only the lexical side carries meaning: weigh it up
    reader = MemoryReader(crowded, encode, candidates=3, gamma=0.2, beta=0.8)
    assert reader.answer("deb archives", k=1, filter=facts)[0].id == "target"
    assert reader.answer("deb archives", k=1, filter={"kind": "note"})[0].id != "target"


def test_an_untrained_reader_ranks_as_the_hybrid_search(memory):
    # feedback starts at 0, so more hops change neither the ranking nor the scores
    reader = MemoryReader(memory, encode_texts, candidates=8)
    for question in ["which city is the capital of Italy", "tool that unpacks a deb file"]:
        one, probs_one, _, _ = reader.rank(question, hops=1)
        three, probs_three, _, _ = reader.rank(question, hops=3)
        assert one == three and np.allclose(probs_one, probs_three)
        hybrid = [h.id for h in search_mode(memory, "hybrid", 3, text=question,
                                            vector=encode_texts([question])[0])]
        assert one[0] == hybrid[0]


def test_a_reader_file_saved_before_feedback_existed_loads_with_full_feedback(memory, tmp_path):
    path = tmp_path / "old.npz"
    np.savez(path, H=np.eye(DIM), gamma=np.array(0.2), beta=np.array(0.8))
    reader = MemoryReader(memory, encode_texts, candidates=8)
    reader.load(str(path))
    assert float(reader.feedback) == 1.0 and float(reader.gamma) == pytest.approx(0.2)
    one, _, _, _ = reader.rank("which city is the capital of Italy", hops=1)
    assert one[0] == "f-rome"
