"""The memory-network reader and BM25: answers with support, hybrid retrieval, training."""

import numpy as np
import pytest
from mem_helpers import bag_of_words_encoder

from world2vec.memory import MemoryReader, MemoryStore, ValidationError
from world2vec.memory.bm25 import BM25, stem

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
