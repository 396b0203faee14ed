"""Model files: native directories and word2vec text/binary, in both directions."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from world2vec.embeddings.words.formats import (
    FormatError,
    read_word2vec_binary,
    read_word2vec_text,
    write_word2vec_binary,
    write_word2vec_text,
)
from world2vec.embeddings.words.vectors import ModelFormatError, WordVectors


def small_model(ngrams=False):
    rng = np.random.default_rng(0)
    words = ["the", "cat", "dog", "new_york", "café"]
    return WordVectors(words, rng.normal(size=(5, 4)).astype(np.float32), [50, 9, 8, 3, 2],
                       ngrams=rng.normal(size=(16, 4)).astype(np.float32) if ngrams else None,
                       name="small", settings={"mode": "skipgram"})


def test_native_round_trip_keeps_everything(tmp_path):
    wv = small_model(ngrams=True)
    wv.save(tmp_path / "m")
    back = WordVectors.load(tmp_path / "m")
    assert back.words == wv.words and back.name == "small"
    assert np.array_equal(back.vectors, wv.vectors) and np.array_equal(back.counts, wv.counts)
    assert np.array_equal(back.ngrams, wv.ngrams)
    assert back.vector("kittycat")[1] is True  # n-grams survive, so OOV still works
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["dim"] == 4 and manifest["ngrams"]["buckets"] == 16
    assert manifest["training"] == {"mode": "skipgram"}


def test_native_float16_halves_the_file_and_loads_as_float32(tmp_path):
    wv = small_model()
    wv.save(tmp_path / "half", dtype="float16")
    back = WordVectors.load(tmp_path / "half")
    assert back.vectors.dtype == np.float32
    assert np.allclose(back.vectors, wv.vectors, atol=2e-3)
    assert np.load(tmp_path / "half" / "vectors.npy", mmap_mode="r").dtype == np.float16


def test_float32_vectors_are_memory_mapped(tmp_path):
    small_model().save(tmp_path / "m")
    assert isinstance(WordVectors.load(tmp_path / "m", mmap=True).vectors, np.memmap)
    assert not isinstance(WordVectors.load(tmp_path / "m", mmap=False).vectors, np.memmap)


def test_model_directories_are_never_overwritten(tmp_path):
    small_model().save(tmp_path / "m")
    with pytest.raises(FileExistsError):
        small_model().save(tmp_path / "m")


def test_loading_a_broken_directory_is_a_clear_error(tmp_path):
    with pytest.raises(ModelFormatError, match="no manifest"):
        WordVectors.load(tmp_path)
    small_model().save(tmp_path / "m")
    (tmp_path / "m" / "words.txt").write_text("only\n", encoding="utf-8")
    with pytest.raises(ModelFormatError, match="disagree"):
        WordVectors.load(tmp_path / "m")


@pytest.mark.parametrize("kind", ["text", "binary"])
def test_word2vec_round_trip(tmp_path, kind):
    wv = small_model()
    path = tmp_path / f"v.{kind}"
    (write_word2vec_text if kind == "text" else write_word2vec_binary)(wv, path)
    back = (read_word2vec_text if kind == "text" else read_word2vec_binary)(path)
    assert back.words == wv.words
    assert np.allclose(back.vectors, wv.vectors, atol=1e-6)


def test_binary_output_has_the_layout_gensim_reads(tmp_path):
    wv = WordVectors(["ab", "é"], np.array([[1, 2], [3.5, -1]], dtype=np.float32))
    write_word2vec_binary(wv, tmp_path / "v.bin")
    expected = (b"2 2\n" + b"ab " + struct.pack("<2f", 1, 2) + b"\n"
                + "é".encode() + b" " + struct.pack("<2f", 3.5, -1) + b"\n")
    assert (tmp_path / "v.bin").read_bytes() == expected


def test_text_output_has_a_header_and_one_word_per_line(tmp_path):
    wv = WordVectors(["ab", "cd"], np.array([[1, 0.5], [-2, 0.25]], dtype=np.float32))
    write_word2vec_text(wv, tmp_path / "v.txt")
    assert (tmp_path / "v.txt").read_text(encoding="utf-8") == "2 2\nab 1 0.5\ncd -2 0.25\n"


def test_reads_hand_written_gensim_style_binary_without_newlines(tmp_path):
    # gensim 4 writes no newline after each vector; word2vec.c does. Both must read.
    data = b"3 2\n" + b"".join(w + b" " + struct.pack("<2f", *v)
                               for w, v in [(b"King", (1, 0)), (b"queen", (0.5, 0.5)),
                                            (b"man", (0, 1))])
    (tmp_path / "g.bin").write_bytes(data)
    wv = read_word2vec_binary(tmp_path / "g.bin")
    assert wv.words == ["King", "queen", "man"]
    assert np.array_equal(wv.vectors[1], [0.5, 0.5])
    assert "King" in wv and wv.tokenizer.lowercase is False  # cased vocabulary kept cased


def test_reads_headerless_glove_text(tmp_path):
    (tmp_path / "glove.txt").write_text("the 0.1 0.2 0.3\ncat -1 0 1\n", encoding="utf-8")
    wv = read_word2vec_text(tmp_path / "glove.txt")
    assert wv.words == ["the", "cat"] and wv.dim == 3


@pytest.mark.parametrize("content, message", [
    ("2 3\nthe 0.1 0.2 0.3\n", "announces 2"),
    ("1 3\nthe 0.1 0.2\n", "line 2|:2:"),
    ("1 2\nthe 0.1 abc\n", "not a number"),
    ("", "no vectors"),
])
def test_malformed_text_files_name_the_problem(tmp_path, content, message):
    (tmp_path / "bad.txt").write_text(content, encoding="utf-8")
    with pytest.raises(FormatError, match=message):
        read_word2vec_text(tmp_path / "bad.txt")


def test_truncated_binary_is_a_clear_error(tmp_path):
    (tmp_path / "cut.bin").write_bytes(b"2 4\nab " + struct.pack("<4f", 1, 2, 3, 4) + b"\ncd \x00\x00")
    with pytest.raises(FormatError, match="ends inside the vector of word 2"):
        read_word2vec_binary(tmp_path / "cut.bin")
