"""The distilled model's one-command build, end to end with a stand-in teacher (no torch)."""

from __future__ import annotations

import os
import zlib

import numpy as np
import pytest
from test_concepts_build import tiny_dictd, tiny_wordnet

from world2vec.embeddings import load_model
from world2vec.embeddings.default_model.build import main as build_skipgram
from world2vec.embeddings.default_model.distill_build import build, main, parse_args

PACKAGES = {
    "fastcat": ("fast animal viewer", "shows an animal with fur and a tail on the screen"),
    "beastd": ("daemon that feeds beasts", "a daemon that feeds every beast at night"),
    "quietplug": ("plugins for quiet animals", "plugins that keep a wild animal quiet"),
    "waterlib": ("library of water beasts", "a library listing the beasts that live in water"),
}


class HashTeacher:
    """Any text -> the unit mean of fixed random vectors of its words (stable per word)."""

    dim = 12

    def _word(self, word: str) -> np.ndarray:
        return np.random.default_rng(zlib.crc32(word.encode())).normal(size=self.dim)

    def encode(self, texts):
        rows = np.array([np.mean([self._word(w) for w in t.lower().split()] or
                                 [np.ones(self.dim)], axis=0) for t in texts])
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    def encode_words(self, words):
        return self.encode(list(words))


def apt_lists(folder: str) -> str:
    os.makedirs(folder)
    with open(os.path.join(folder, "x_i18n_Translation-en"), "w") as f:
        for i, (name, (short, long)) in enumerate(PACKAGES.items()):
            f.write(f"Package: {name}\nDescription-md5: {i:032x}\n"
                    f"Description-en: {short}\n {long}\n\n")
    with open(os.path.join(folder, "x_Packages"), "w") as f:
        for name in PACKAGES:
            f.write(f"Package: {name}\nSection: misc\nTag: role::program, use::viewing\n\n")
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("distill")
    wordnet, gcide = str(tmp / "wordnet"), tiny_dictd(str(tmp / "gcide"))
    tiny_wordnet(wordnet)
    base = str(tmp / "base")
    assert build_skipgram(["--out", base, "--wordnet", wordnet, "--gcide", gcide,
                           "--data", str(tmp), "--dim", "16", "--epochs", "2", "--min-count",
                           "1", "--buckets", "200", "--threads", "1", "--rd-epochs", "1",
                           "--objects", "50"]) == 0
    args = ["--base", base, "--work", str(tmp / "work"), "--wordnet", wordnet, "--gcide", gcide,
            "--apt-lists", apt_lists(str(tmp / "lists")), "--dim", "8", "--buckets", "200",
            "--objects", "50"]
    out = str(tmp / "model")
    report = build(parse_args([*args, "--out", out]), teacher=HashTeacher())
    return tmp, args, out, report


def test_the_distilled_model_serves_texts_and_concepts_in_one_space(built):
    _, _, out, report = built
    model = load_model(out)
    assert model.default_sentence == "distilled" and "sif" in model.sentence_encoders
    assert model.dim == 8 + 16                       # distilled part beside the skip-gram part
    assert report["data"]["packages"] == len(PACKAGES)
    # a one-word text lands exactly on its concept
    text = model.encode_texts(["animal"])[0]
    concept, _ = model.encode_concepts(["animal"])
    assert float(text @ concept[0]) > 0.999
    notice = open(os.path.join(out, "NOTICE.txt"), encoding="utf-8").read()
    assert "all-MiniLM-L6-v2" in notice and "base model's notice" in notice


def test_a_distilled_model_is_refused_as_the_base(built):
    tmp, args, out, _ = built
    args = [a if a != args[1] else out for a in args]   # --base <the distilled model>
    with pytest.raises(SystemExit, match="skip-gram"):
        build(parse_args([*args, "--out", str(tmp / "again")]), teacher=HashTeacher())


def test_the_build_adds_a_concept_query_head_and_can_add_it_alone(built):
    tmp, args, out, report = built
    dictionaries = args[args.index("--wordnet"):args.index("--wordnet") + 4]   # the tiny ones
    model = load_model(out)
    assert model.concept_query is not None
    assert model.concept_query.encoder == "reverse_dictionary"
    assert report["concept_query"]["train"]["pairs"] > 0
    queries = model.encode_concept_queries(["an animal with fur", "a beast"])
    assert queries.shape == (2, model.dim)
    assert np.allclose(np.linalg.norm(queries, axis=1), 1, atol=1e-5)
    # stage 5 alone, on the built model: the other components are carried as they were
    again = str(tmp / "with-head")
    assert main(["--add-concept-head", out, "--out", again, *dictionaries]) == 0
    redone = load_model(again)
    assert redone.concept_query is not None
    assert np.allclose(redone.encode_texts(["an animal with fur"]),
                       model.encode_texts(["an animal with fur"]), atol=1e-6)
    with pytest.raises(SystemExit, match="exists"):
        main(["--add-concept-head", out, "--out", again, *dictionaries])
