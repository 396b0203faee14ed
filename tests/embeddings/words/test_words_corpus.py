"""Tokenizer, vocabulary and the streamed corpus cache."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from world2vec.embeddings.words.corpus import CorpusError, encode_corpus
from world2vec.embeddings.words.subwords import ngram_buckets
from world2vec.embeddings.words.tokenizer import Tokenizer
from world2vec.embeddings.words.vocab import Vocab


def test_tokenizer_is_unicode_aware_and_keeps_concepts_whole():
    tok = Tokenizer()
    assert tok("Café au LAIT, naïve Ärger!") == ["café", "au", "lait", "naïve", "ärger"]
    assert tok("I saw New_York and don't-care") == ["i", "saw", "new_york", "and", "don't-care"]
    assert tok("Москва — столица") == ["москва", "столица"]
    assert Tokenizer(lowercase=False)("Paris") == ["Paris"]
    assert tok.normalize("New York") == "new_york"


def test_vocab_orders_by_count_then_word_and_applies_cutoffs():
    v = Vocab.from_counts({"b": 5, "a": 5, "c": 9, "d": 1}, min_count=2)
    assert v.words == ["c", "a", "b"] and list(v.counts) == [9, 5, 5]
    assert Vocab.from_counts({"b": 5, "a": 5, "c": 9}, max_vocab=2).words == ["c", "a"]


def test_corpus_streams_a_gzip_file_and_drops_rare_words(tmp_path):
    path = tmp_path / "c.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("the cat sat\nthe dog sat\n\nthe rare one\n")
    corpus, vocab = encode_corpus(str(path), min_count=2, progress=False)
    try:
        assert vocab.words == ["the", "sat"]
        assert corpus.stats.text_sentences == 3 and corpus.stats.text_tokens == 9
        toks, ptr = corpus.batch(0)
        assert list(ptr) == [0, 3, 6, 9]
        assert list(toks[:3]) == [0, -1, 1]  # "cat" is dropped (-1), later skipped by the kernel
    finally:
        corpus.close()


def test_very_long_lines_are_split_into_sentences():
    corpus, _ = encode_corpus([" ".join(["w"] * 25_000)], min_count=1, progress=False)
    try:
        assert corpus.stats.text_sentences == 3
    finally:
        corpus.close()


def test_missing_and_empty_corpora_are_clear_errors(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        encode_corpus(str(tmp_path / "nope.txt"))
    with pytest.raises(CorpusError, match="empty"):
        encode_corpus(["...", ""], progress=False)


def test_ngram_hashes_cover_character_ngrams_of_the_padded_word():
    ptr, ids = ngram_buckets(["cat", "é"], min_n=3, max_n=6, buckets=1_000_000)
    # "<cat>": <ca cat at> <cat cat> (the whole "<cat>" is the word's own row)
    assert ptr[1] - ptr[0] == 5
    # "<é>" has 3 characters (4 bytes): only "<é" + ">" combos of length 3 = the word itself
    assert ptr[2] - ptr[1] == 0
    again = ngram_buckets(["xcat"], 3, 6, 1_000_000)[1]
    assert len(set(ids[:5]) & set(again)) == 3  # cat, at>, cat> shared


def test_phrases_join_collocations_and_leave_chance_pairs():
    from world2vec.embeddings.words.phrases import Phrases

    rng = np.random.default_rng(0)
    filler = [f"w{i}" for i in range(20)]
    sentences = []
    for _ in range(2000):
        s = list(rng.choice(filler, 6))
        s.insert(int(rng.integers(0, 6)), "new")
        s.insert(s.index("new") + 1, "york")
        sentences.append(s)
    ph = Phrases(min_count=5, threshold=5).learn(sentences)
    assert ("new", "york") in ph.phrases
    assert ph.apply(["i", "love", "new", "york", "w1", "w2"]) == ["i", "love", "new_york", "w1", "w2"]
    assert not any(a.startswith("w") and b.startswith("w") for a, b in ph.phrases)


def test_training_with_phrases_learns_the_joined_token():
    from world2vec.embeddings.words.word2vec import train_word_vectors

    lines = ["we flew to new york last week", "new york is a big city",
             "the new car is red", "york is old"] * 60
    wv = train_word_vectors(lines, phrases=True, phrase_threshold=1.0, dim=8, epochs=1,
                            min_count=5, threads=1, progress=False, subwords=False)
    assert "new_york" in wv and wv.settings["phrases"] >= 1
