"""``world2vec train | eval | import | export`` end to end, and their error handling."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from world2vec import cli
from world2vec.embeddings.words.vectors import WordVectors


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(1500):
            a = rng.choice(["cat", "dog"])
            f.write(f"the {a} chased the mouse and the {a} ate food\n")
            f.write(f"a {rng.choice(['car', 'truck'])} drove on the road with fuel\n")
    return path


@pytest.fixture(scope="module")
def model(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "m"
    assert cli.main(["train", "--corpus", str(corpus), "--out", str(out), "--dim", "16",
                     "--min-count", "2", "--threads", "1", "--buckets", "1000", "--quiet"]) == 0
    return out


def test_train_writes_a_model_with_its_training_log_and_summary(model, capsys):
    wv = WordVectors.load(model)
    assert "cat" in wv and wv.dim == 16
    assert (model / "events.jsonl").stat().st_size > 0
    assert wv.settings["mode"] == "skipgram" and wv.settings["min_count"] == 2


def test_train_prints_a_one_line_summary(corpus, tmp_path, capsys):
    code = cli.main(["train", "--corpus", str(corpus), "--out", str(tmp_path / "c"), "--dim", "8",
                     "--mode", "cbow", "--no-subwords", "--epochs", "1", "--threads", "1",
                     "--float16", "--quiet"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and len(out) == 1 and out[0].startswith("trained cbow:")
    assert WordVectors.load(tmp_path / "c").ngrams is None


@pytest.mark.parametrize("args, message", [
    (["--corpus", "/no/such.txt"], "corpus file not found"),
    (["--graph", "/no/graph.tsv"], "graph file not found"),
    (["--min-count", "100000"], "no word occurs at least"),
])
def test_train_errors_are_one_line_with_exit_2(corpus, tmp_path, capsys, args, message):
    base = {"--corpus": str(corpus), "--out": str(tmp_path / "x"), "--dim": "8", "--buckets": "100"}
    for key, value in zip(args[::2], args[1::2]):
        base[key] = value
    argv = ["train", *sum(([k, v] for k, v in base.items()), []), "--quiet"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_train_refuses_an_existing_model_and_an_empty_corpus(model, corpus, tmp_path, capsys):
    assert cli.main(["train", "--corpus", str(corpus), "--out", str(model)]) == 2
    assert "already exists" in capsys.readouterr().err
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    assert cli.main(["train", "--corpus", str(empty), "--out", str(tmp_path / "e"), "--quiet"]) == 2
    assert "empty" in capsys.readouterr().err


def test_a_bad_option_value_exits_2_without_traceback(corpus, tmp_path):
    result = subprocess.run([sys.executable, "-m", "world2vec.cli", "train", "--corpus", str(corpus),
                             "--out", str(tmp_path / "x"), "--dim", "-5"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "--dim" in result.stderr and "Traceback" not in result.stderr


def test_eval_prints_summaries_and_needs_something_to_evaluate(model, tmp_path, capsys):
    assert cli.main(["eval", "--model", str(model)]) == 2
    assert "--analogies" in capsys.readouterr().err
    q = tmp_path / "q.txt"
    q.write_text(": s\ncat dog car truck\n", encoding="utf-8")
    s = tmp_path / "s.tsv"
    s.write_text("cat\tdog\t9\ncat\troad\t1\ncar\ttruck\t8\nzzz\tcat\t3\n", encoding="utf-8")
    assert cli.main(["eval", "--model", str(model), "--analogies", str(q),
                     "--similarity", str(s)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("analogies q.txt") and "coverage 100.0%" in lines[0]
    assert lines[1].startswith("similarity s.tsv") and "OOV 25.0%" in lines[1]


def test_eval_errors(model, tmp_path, capsys):
    assert cli.main(["eval", "--model", str(tmp_path), "--analogies", str(tmp_path / "q")]) == 2
    assert "file not found" in capsys.readouterr().err
    (tmp_path / "q").write_text("x\n", encoding="utf-8")
    assert cli.main(["eval", "--model", str(tmp_path), "--analogies", str(tmp_path / "q")]) == 2
    assert "not a model directory" in capsys.readouterr().err
    assert cli.main(["eval", "--model", str(model), "--analogies", str(tmp_path / "q")]) == 2
    assert "expected 4 words" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["word2vec-text", "word2vec-binary"])
def test_export_then_import_round_trips(model, tmp_path, capsys, fmt):
    out = tmp_path / "vectors"
    assert cli.main(["export", "--model", str(model), "--format", fmt, "--out", str(out)]) == 0
    assert cli.main(["import", "--format", fmt, str(out), "--out", str(tmp_path / "back")]) == 0
    original, back = WordVectors.load(model), WordVectors.load(tmp_path / "back")
    assert back.words == original.words
    assert np.allclose(back.vectors, original.vectors, atol=1e-5)
    assert "exported" in capsys.readouterr().out


def test_import_errors(tmp_path, capsys):
    assert cli.main(["import", "--format", "word2vec-text", str(tmp_path / "none"),
                     "--out", str(tmp_path / "o")]) == 2
    assert "file not found" in capsys.readouterr().err
    bad = tmp_path / "bad.txt"
    bad.write_text("2 3\nthe 1 2\n", encoding="utf-8")
    assert cli.main(["import", "--format", "word2vec-text", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "bad.txt:2" in capsys.readouterr().err
    assert cli.main(["import", "--format", "word2vec-binary", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()


def train_cli(corpus, out, *extra):
    return cli.main(["train", "--corpus", str(corpus), "--out", str(out), "--dim", "8",
                     "--min-count", "2", "--epochs", "1", "--threads", "1", "--quiet", *extra])


@pytest.mark.parametrize("mode, components", [("fitted", ["words", "ngrams"]),
                                              ("joint", ["words", "ngrams"]),
                                              ("none", ["words"])])
def test_train_subwords_modes(corpus, tmp_path, mode, components):
    assert train_cli(corpus, tmp_path / mode, "--subwords", mode, "--buckets", "300") == 0
    wv = WordVectors.load(tmp_path / mode)
    assert wv.manifest()["components"] == components and wv.settings["subwords"] == mode
    assert ("ngram_fit" in wv.settings) == (mode == "fitted")
    if mode != "none":
        assert len(wv.ngrams) == 300 and wv.vector("trucks")[1] is True


def test_fitted_is_the_default_and_keeps_the_words_of_a_run_without_subwords(corpus, tmp_path):
    assert train_cli(corpus, tmp_path / "default") == 0
    assert train_cli(corpus, tmp_path / "none", "--subwords", "none") == 0
    fitted, plain = WordVectors.load(tmp_path / "default"), WordVectors.load(tmp_path / "none")
    assert fitted.settings["subwords"] == "fitted" and fitted.words == plain.words
    assert np.array_equal(fitted.vectors, plain.vectors)
    vec, synthesized = fitted.vector("trucks")
    assert synthesized and fitted.nearest(vec, k=1)[0][0] == "truck"
    with pytest.raises(KeyError):
        plain.vector("trucks")


def test_no_subwords_is_a_deprecated_alias_of_subwords_none(corpus, tmp_path, capsys):
    assert train_cli(corpus, tmp_path / "old", "--no-subwords") == 0
    assert "deprecated" in capsys.readouterr().err
    wv = WordVectors.load(tmp_path / "old")
    assert wv.ngrams is None and wv.settings["subwords"] == "none"


def test_train_help_shows_the_subword_modes_and_their_bucket_defaults(capsys):
    from world2vec.commands import train
    from world2vec.embeddings.words.word2vec import DEFAULT_BUCKETS, SUBWORD_MODES

    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "{fitted,joint,none}" in text and "(default: fitted)" in text
    assert train.SUBWORD_MODES == SUBWORD_MODES
    for mode, buckets in DEFAULT_BUCKETS.items():
        assert f"{buckets:,} for {mode}" in text
    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", "--corpus", "x", "--out", "y", "--subwords", "both"])
    assert exit_.value.code == 2 and "invalid choice: 'both'" in capsys.readouterr().err
