"""Command-line defaults a user meets first: ``world2vec eval`` on the bundled model with
no ``--model``, and ``world2vec serve --index`` beside ``WORLD2VEC_INDEX``."""

from __future__ import annotations

import argparse

import pytest

from world2vec import cli
from world2vec.commands import serve


def test_eval_without_model_evaluates_the_bundled_model(tmp_path, capsys):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("cat\tdog\t9\ncat\tcar\t2\nking\tqueen\t8\nking\tcabbage\t1\n")
    questions = tmp_path / "q.txt"
    questions.write_text(": royals\nman king woman queen\n")
    assert cli.main(["eval", "--similarity", str(pairs), "--analogies", str(questions)]) == 0
    out = capsys.readouterr().out
    assert "analogies q.txt" in out and "1/1 questions" in out
    assert "similarity pairs.tsv" in out and "on 4/4 pairs" in out


def parse_serve(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    return parser.parse_args(argv)


def test_serve_index_flag_beats_the_environment(tmp_path):
    data = ["--data", str(tmp_path / "d")]
    assert serve.config_from_args(parse_serve(*data), environ={}).index == "auto"
    assert serve.config_from_args(parse_serve(*data), {"WORLD2VEC_INDEX": "hnsw"}).index == "hnsw"
    flagged = parse_serve(*data, "--index", "flat")
    assert serve.config_from_args(flagged, {"WORLD2VEC_INDEX": "hnsw"}).index == "flat"


def test_serve_refuses_an_unknown_index(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_serve("--index", "btree")
    assert exit_info.value.code == 2 and "--index" in capsys.readouterr().err
