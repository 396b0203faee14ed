"""QA evaluation on real FAQ text: parsing, and the reader answering the Debian FAQ."""

import os

import pytest
from mem_helpers import bag_of_words_encoder

from world2vec.memory import MemoryReader, MemoryStore
from world2vec.memory.qa_eval import DEBIAN_FAQ, load_debian_faq, parse_faq_text, score

NBSP = "\u00a0"
SAMPLE = f"""Chapter 1. Definitions

1.1.{NBSP}What is this FAQ, and who
wrote it?

    This document gives frequently asked questions with their answers
    about the Debian distribution and more words to pass the minimum.

1.2.{NBSP}Overview

    Not a question, so not a pair even though this body is long enough
    to count as an answer otherwise.

    1.3. indented lines are body text, not headings?

Chapter 2. Packages

2.1.{NBSP}What is a package?

    A package is an archive with files, metadata and scripts used by dpkg
    to install software on a Debian system in a controlled way.
"""


def test_parse_faq_text_pairs_questions_with_their_answers():
    pairs = parse_faq_text(SAMPLE)
    assert [(p.id, p.question) for p in pairs] == [
        ("1.1", "What is this FAQ, and who wrote it?"), ("2.1", "What is a package?")]
    assert pairs[0].answer.startswith("This document gives") and "Chapter" not in pairs[0].answer
    assert "indented lines" not in pairs[1].answer


def test_score_is_mrr_at_10_and_top1():
    pairs = parse_faq_text(SAMPLE)
    ranking = {pairs[0].question: ["x", "1.1"], pairs[1].question: ["2.1"]}
    assert score(lambda q: ranking[q], pairs) == {"mrr@10": 0.75, "top1": 0.5, "questions": 2}


DIM = 96


encode_texts = bag_of_words_encoder(DIM, empty="axis")


@pytest.mark.skipif(not os.path.exists(DEBIAN_FAQ), reason="apt-get install -y debian-faq")
def test_reader_answers_the_debian_faq_from_stored_answers(tmp_path):
    pairs = load_debian_faq()
    assert len(pairs) >= 100
    store = MemoryStore.open(str(tmp_path / "faq"), DIM, index="flat", background=False)
    vectors = encode_texts([p.answer for p in pairs])
    store.add([{"id": p.id, "text": p.answer, "vector": v} for p, v in zip(pairs, vectors)])
    reader = MemoryReader(store, encode_texts, hops=2, candidates=30)
    bm25 = score(lambda q: [i for i, _ in store.lexical_search(q, 10)], pairs)
    hybrid = score(lambda q: [a.id for a in reader.answer(q, k=10)], pairs)
    chance = 1 / len(pairs)
    assert bm25["mrr@10"] > 20 * chance and hybrid["mrr@10"] > 20 * chance
    assert hybrid["top1"] >= 0.25
    answer = reader.answer("What is a Debian control file?", k=1)[0]
    assert answer.support[0] == answer.id and answer.answer == store.get(answer.id).text
    store.close()
