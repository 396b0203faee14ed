"""The one-command default-model build, end to end on a tiny generated WordNet and dictd."""

from __future__ import annotations

import gzip
import json
import os

import numpy as np
import pytest

from world2vec.embeddings import load_model
from world2vec.embeddings.default_model.build import main

HEADER = "  1 This software and database is being provided to you, the LICENSEE  \n"
FEATURES = ["fur", "wings", "scales", "small", "large", "wild", "tame", "water", "tree",
            "night", "loud", "quiet", "fast", "slow", "green", "brown"]


def tiny_wordnet(directory: str, n: int = 40) -> None:
    rng = np.random.default_rng(0)
    lines = [HEADER, "00000100 05 n 01 animal 0 000 | a living creature that moves  \n"]
    for i in range(n):
        offset = 1000 + i * 100
        feats = " ".join(rng.choice(FEATURES, 4, replace=False))
        lines.append(f"{offset:08d} 05 n 01 beast{i} 0 001 @ 00000100 n 0000 | an animal "
                     f"with {feats}; \"the beast{i} is {feats.split()[0]}\"  \n")
    os.makedirs(directory)
    with open(os.path.join(directory, "data.noun"), "w") as f:
        f.writelines(lines)
    for name in ("data.verb", "data.adj", "data.adv"):
        with open(os.path.join(directory, name), "w") as f:
            f.write(HEADER)


def tiny_dictd(path: str) -> str:
    entry = "Animal \\An\"i*mal\\, n.\n   A living being with senses and voluntary motion.\n"
    raw = entry.encode()
    with gzip.open(path + ".dict.dz", "wb") as f:
        f.write(raw)
    with open(path + ".index", "w") as f:
        b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        f.write(f"animal\tA\t{b64[len(raw) // 64]}{b64[len(raw) % 64]}\n")
    return path + ".dict.dz"


def test_one_command_builds_a_loadable_model_with_every_component(tmp_path, capsys):
    wordnet = str(tmp_path / "wordnet")
    tiny_wordnet(wordnet)
    gcide = tiny_dictd(str(tmp_path / "gcide"))
    out = str(tmp_path / "model")
    args = ["--out", out, "--wordnet", wordnet, "--gcide", gcide, "--data", str(tmp_path),
            "--dim", "16", "--epochs", "2", "--min-count", "1", "--buckets", "200",
            "--threads", "1", "--rd-epochs", "1", "--objects", "50"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["reverse_dictionary"]["default"] in ("sif", "reverse_dictionary")
    for name in ("manifest.json", "build.json", "NOTICE.txt", "events.jsonl", "ngrams.npy"):
        assert os.path.isfile(os.path.join(out, name)), name
    model = load_model(out)
    assert {"sif", "reverse_dictionary"} <= set(model.sentence_encoders)
    assert "is_a" in model.objects.relation_names
    vec = model.encode_texts(["an animal with fur"])
    assert vec.shape == (1, 16) and abs(float(np.linalg.norm(vec)) - 1) < 1e-3
    # model directories are immutable: a second build needs --replace
    with pytest.raises(SystemExit, match="--replace"):
        main(args)
    # with it, the new model is swapped in whole; no staging or old copy is left beside it
    old_manifest = os.stat(os.path.join(out, "manifest.json")).st_ino
    assert main([*args, "--replace"]) == 0
    assert os.stat(os.path.join(out, "manifest.json")).st_ino != old_manifest
    assert load_model(out).dim == 16
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]


def test_missing_data_package_is_a_clear_error(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "m"), "--wordnet", str(tmp_path / "nope")]) == 2
    assert "wordnet-base" in capsys.readouterr().err
