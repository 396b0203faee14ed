"""Vector files as users have them: gzip, a ``limit``, no ``--format``, bad files, and the
TensorBoard projector export; through the readers and through ``world2vec import/export``."""

from __future__ import annotations

import gzip
import io
import struct

import numpy as np
import pytest

from world2vec import cli
from world2vec.embeddings.words.byte_stream import ByteStream
from world2vec.embeddings.words.formats import (
    FormatError,
    detect_format,
    read_vectors,
    read_word2vec_binary,
    read_word2vec_text,
    write_word2vec,
    write_word2vec_binary,
    write_word2vec_text,
)
from world2vec.embeddings.words.projector import write_projector
from world2vec.embeddings.words.vectors import WordVectors

N, DIM = 2500, 8


@pytest.fixture(scope="module")
def wv() -> WordVectors:
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(N)]
    return WordVectors(words, rng.normal(size=(N, DIM)).astype(np.float32), name="many")


@pytest.fixture(scope="module")
def files(wv, tmp_path_factory):
    """The same vectors as .txt, .txt.gz, .bin and .bin.gz (the .gz written by our writer)."""
    d = tmp_path_factory.mktemp("files")
    out = {}
    for name, writer in [("v.txt", write_word2vec_text), ("v.txt.gz", write_word2vec_text),
                         ("v.bin", write_word2vec_binary), ("v.bin.gz", write_word2vec_binary)]:
        writer(wv, d / name)
        out[name] = d / name
    return out


@pytest.mark.parametrize("name", ["v.txt", "v.txt.gz", "v.bin", "v.bin.gz"])
def test_gzip_is_read_transparently_and_the_format_is_detected(files, wv, name):
    path = files[name]
    assert path.read_bytes()[:2] == (b"\x1f\x8b" if name.endswith(".gz") else b"25")
    assert detect_format(path) == ("word2vec-binary" if ".bin" in name else "word2vec-text")
    back = read_vectors(path)
    assert back.words == wv.words
    assert np.allclose(back.vectors, wv.vectors, atol=1e-6)
    assert back.name == "v"  # "v.txt.gz" names the model "v", not "v.txt"


@pytest.mark.parametrize("name", ["v.txt.gz", "v.bin.gz"])
def test_limit_reads_the_first_n_vectors(files, wv, name):
    back = read_vectors(files[name], limit=1000)
    assert back.words == wv.words[:1000]
    assert np.allclose(back.vectors, wv.vectors[:1000], atol=1e-6)
    assert len(read_vectors(files[name], limit=10**6)) == N  # a limit beyond the file is all of it


def test_limit_must_be_positive(files):
    with pytest.raises(ValueError, match="limit"):
        read_word2vec_text(files["v.txt"], limit=0)


def test_binary_reader_streams_across_chunk_boundaries():
    rows = [(b"alpha", (1.0, 2.0)), (b"b", (3.0, -4.0)), (b"gamma", (0.5, 0.25))]
    data = b"3 2\n" + b"".join(w + b" " + struct.pack("<2f", *v) + b"\n" for w, v in rows)
    for chunk in (1, 2, 3, 7):  # delimiters and records split at every possible place
        stream = ByteStream(io.BytesIO(data), chunk=chunk)
        assert stream.until(b"\n") == b"3 2"
        got = []
        for _ in rows:
            stream.skip(b"\n")
            got.append((stream.until(b" "), struct.unpack("<2f", stream.take(8))))
        assert got == [(w, v) for w, v in rows]
        stream.skip(b"\n")
        assert stream.at_end() and stream.until(b" ") is None and stream.take(1) is None


def test_headerless_glove_text_is_detected_as_text(tmp_path):
    (tmp_path / "glove.txt").write_text("the 0.1 0.2 0.3\ncat -1 0 1\n", encoding="utf-8")
    assert detect_format(tmp_path / "glove.txt") == "word2vec-text"
    assert read_vectors(tmp_path / "glove.txt").words == ["the", "cat"]


@pytest.mark.parametrize("content", [b"", b'{"not": "vectors"}\n', b"\x00\x01\x02 garbage\xff\xfe",
                                     b"hello world\nsecond line\n"])
def test_a_file_that_is_no_vectors_file_says_what_was_expected(tmp_path, content):
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(FormatError, match="empty file|not a word2vec text or binary file"):
        detect_format(path)
    gz = tmp_path / "bad.gz"
    gz.write_bytes(gzip.compress(content))
    with pytest.raises(FormatError, match="empty file|not a word2vec text or binary file"):
        read_vectors(gz)


def test_truncated_gzip_is_a_clear_error(files, tmp_path):
    cut = tmp_path / "cut.bin.gz"
    cut.write_bytes(files["v.bin.gz"].read_bytes()[:3000])
    with pytest.raises(FormatError, match="truncated or corrupt"):
        read_word2vec_binary(cut)


def test_writer_options_match_gensims_save_word2vec_format(tmp_path):
    vectors = np.array([[1, 0.5], [-2, 0.25]], dtype=np.float32)
    write_word2vec(["ab", "cd"], vectors, tmp_path / "v.txt", binary=False, header=False, prefix="x_")
    assert (tmp_path / "v.txt").read_text() == "x_ab 1 0.5\nx_cd -2 0.25\n"
    write_word2vec(["ef"], vectors[:1], tmp_path / "v.txt", binary=False, header=False, append=True)
    assert (tmp_path / "v.txt").read_text().endswith("ef 1 0.5\n")


def test_projector_export_writes_one_vector_and_one_label_per_line(wv, tmp_path):
    paths = write_projector(wv.words, wv.vectors, tmp_path / "proj", name="many")
    vec_lines = (tmp_path / "proj" / "vectors.tsv").read_text().splitlines()
    meta_lines = (tmp_path / "proj" / "metadata.tsv").read_text().splitlines()
    assert len(vec_lines) == len(meta_lines) == N          # no header line in either
    assert meta_lines[:3] == ["w0", "w1", "w2"]
    parsed = np.array([[float(x) for x in line.split("\t")] for line in vec_lines])
    assert parsed.shape == (N, DIM) and np.allclose(parsed, wv.vectors, atol=1e-6)
    config = (tmp_path / "proj" / "projector_config.pbtxt").read_text()
    assert 'tensor_path: "vectors.tsv"' in config and 'metadata_path: "metadata.tsv"' in config
    assert set(paths) == {"vectors", "metadata", "config"}


def test_projector_labels_stay_one_per_line(tmp_path):
    write_projector(["a\tb", "c\nd"], np.zeros((2, 2), np.float32), tmp_path)
    assert (tmp_path / "metadata.tsv").read_text() == "a b\nc d\n"


# -- the command line ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["v.txt.gz", "v.bin.gz"])
def test_import_gz_with_limit_and_no_format(files, tmp_path, capsys, name):
    out = tmp_path / "m"
    assert cli.main(["import", str(files[name]), "--limit", "1000", "--out", str(out)]) == 0
    back = WordVectors.load(out)
    assert len(back) == 1000 and back.words[:2] == ["w0", "w1"]
    assert "imported 1,000 vectors" in capsys.readouterr().out


def test_import_refuses_a_bad_limit_and_a_bad_file(files, tmp_path, capsys):
    assert cli.main(["import", str(files["v.txt"]), "--limit", "0", "--out", str(tmp_path / "m")]) == 2
    assert "--limit" in capsys.readouterr().err
    junk = tmp_path / "junk.json"
    junk.write_text('{"a": 1}\n')
    assert cli.main(["import", str(junk), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "not a word2vec text or binary file" in err and "Traceback" not in err


def test_import_with_the_wrong_format_suggests_the_right_one(files, tmp_path, capsys):
    assert cli.main(["import", "--format", "word2vec-text", str(files["v.bin.gz"]),
                     "--out", str(tmp_path / "m")]) == 2
    assert "looks like word2vec-binary" in capsys.readouterr().err


def test_import_and_export_show_progress_on_stderr_only(files, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORLD2VEC_PROGRESS", "1")
    assert cli.main(["import", str(files["v.bin"]), "--out", str(tmp_path / "m")]) == 0
    printed = capsys.readouterr()
    assert "import" in printed.err and "2.5k/2.5k words" in printed.err
    assert printed.out.startswith("imported")
    assert cli.main(["export", "--model", str(tmp_path / "m"), "--format", "word2vec-text",
                     "--out", str(tmp_path / "v.txt")]) == 0
    printed = capsys.readouterr()
    assert "export" in printed.err and printed.out.startswith("exported")


def test_export_projector(files, tmp_path, capsys):
    assert cli.main(["import", str(files["v.txt"]), "--out", str(tmp_path / "m")]) == 0
    assert cli.main(["export", "--model", str(tmp_path / "m"), "--format", "projector",
                     "--out", str(tmp_path / "proj")]) == 0
    assert len((tmp_path / "proj" / "vectors.tsv").read_text().splitlines()) == N
    assert len((tmp_path / "proj" / "metadata.tsv").read_text().splitlines()) == N
    (tmp_path / "file").write_text("x")
    assert cli.main(["export", "--model", str(tmp_path / "m"), "--format", "projector",
                     "--out", str(tmp_path / "file")]) == 2
    assert "writes into a directory" in capsys.readouterr().err
