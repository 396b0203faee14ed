"""Training word/concept vectors on small generated corpora."""

from __future__ import annotations

import numpy as np
import pytest

from world2vec.embeddings.words.corpus import CorpusError
from world2vec.embeddings.words.word2vec import train_word_vectors
from world2vec.engine.events import read_events


def shared_context_corpus(seed=0, n=4000):
    """cat and dog occur in exactly the same contexts; other words have their own."""
    rng = np.random.default_rng(seed)
    topics = {
        "pet": ["fur", "purr", "vet", "leash", "bowl", "paws"],
        "car": ["engine", "wheel", "fuel", "garage", "brake", "road"],
        "sea": ["wave", "salt", "tide", "shore", "boat", "fish"],
    }
    heads = {"pet": ["cat", "dog"], "car": ["truck"], "sea": ["ocean"]}
    lines = []
    for _ in range(n):
        t = rng.choice(list(topics))
        head = rng.choice(heads[t])
        ctx = list(rng.choice(topics[t], 4, replace=False))
        ctx.insert(int(rng.integers(0, 5)), head)
        lines.append(" ".join(ctx))
    return lines


def analogy_corpus(seed=0, n=12000, k=6):
    """country_i / capital_i share topic words i; countries and capitals each have
    their own type words: capital_i - country_i + country_j should be capital_j."""
    rng = np.random.default_rng(seed)
    type_words = {"country": [f"nation{j}" for j in range(6)],
                  "capital": [f"city{j}" for j in range(6)]}
    topic = [[f"topic{i}x{j}" for j in range(6)] for i in range(k)]
    lines = []
    for _ in range(n):
        i = int(rng.integers(0, k))
        kind = rng.choice(["country", "capital"])
        words = [f"{kind}{i}", *rng.choice(type_words[kind], 2, replace=False),
                 *rng.choice(topic[i], 2, replace=False)]
        rng.shuffle(words)
        lines.append(" ".join(words))
    return lines


FAST = dict(dim=24, epochs=5, min_count=1, sample=0, threads=1, progress=False, seed=3)


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
def test_words_sharing_all_contexts_are_nearest_neighbours(mode):
    wv = train_word_vectors(shared_context_corpus(), mode=mode, subwords=False, **FAST)
    assert wv.most_similar(["cat"], k=1)[0][0] == "dog"
    assert wv.most_similar(["dog"], k=1)[0][0] == "cat"


def test_a_planted_analogy_is_recovered():
    wv = train_word_vectors(analogy_corpus(), subwords=False, window=5, **FAST)
    hits = total = 0
    for i in range(6):
        for j in range(6):
            if i != j:
                total += 1
                answer = wv.analogy(f"country{i}", f"capital{i}", f"country{j}", k=1)[0][0]
                hits += answer == f"capital{j}"
    assert hits / total >= 0.8, hits


def test_single_threaded_training_with_a_seed_is_reproducible():
    corpus = shared_context_corpus(n=1500)
    a = train_word_vectors(corpus, subwords=True, buckets=500, **FAST)
    b = train_word_vectors(corpus, subwords=True, buckets=500, **FAST)
    c = train_word_vectors(corpus, subwords=True, buckets=500, **{**FAST, "seed": 4})
    assert a.words == b.words
    assert np.array_equal(a.vectors, b.vectors) and np.array_equal(a.ngrams, b.ngrams)
    assert not np.array_equal(a.vectors, c.vectors)


def test_unseen_words_get_synthesized_subword_vectors():
    lines = [f"the kitty{s} sat on the mat near the cat" for s in ("cat", "cats", "")] * 300
    lines += ["the truck drove down the long road"] * 300
    wv = train_word_vectors(lines, subwords=True, buckets=2000, **FAST)
    vec, synthesized = wv.vector("kittycatz")
    assert synthesized and vec.shape == (24,)
    assert np.isclose(np.linalg.norm(vec), 1.0, atol=1e-4)
    assert wv.vector("kittycat")[1] is False
    # the made-up word lands nearer its spelling relatives than unrelated words
    near = [w for w, _ in wv.nearest(vec, k=3)]
    assert any(w.startswith("kitty") for w in near)


def test_without_subwords_an_unseen_word_is_a_key_error():
    wv = train_word_vectors(shared_context_corpus(n=500), subwords=False, **FAST)
    with pytest.raises(KeyError):
        wv.vector("kittycat")
    assert "kittycat" not in wv and "cat" in wv and "CAT" in wv


def test_graph_walks_train_jointly_and_place_related_concepts_together(tmp_path):
    graph = tmp_path / "graph.tsv"
    rows = ["# head\trelation\ttail"]
    for group in ("alpha", "beta", "gamma"):
        for i in range(5):
            rows.append(f"{group}_member{i}\tis_a\t{group} thing")
    graph.write_text("\n".join(rows) + "\n", encoding="utf-8")
    wv = train_word_vectors(shared_context_corpus(n=500), graph, subwords=False,
                            **{**FAST, "epochs": 10})
    assert "alpha_thing" in wv and "alpha_member0" in wv  # multiword concepts stay one token
    near = [w for w, _ in wv.most_similar(["alpha_member0"], k=5)]
    assert sum(w.startswith("alpha") for w in near) >= 4
    assert wv.settings["walk_tokens"] == 3 * 6 * 10 * 8


def test_malformed_graph_names_the_line(tmp_path):
    graph = tmp_path / "bad.tsv"
    graph.write_text("a\tis_a\tb\nonly two\tfields\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.tsv:2"):
        train_word_vectors(["a b c"], graph, **FAST)


def test_events_log_records_loss_and_learning_rate(tmp_path):
    events = tmp_path / "events.jsonl"
    wv = train_word_vectors(shared_context_corpus(n=500), events=events, subwords=False,
                            **{**FAST, "batch_words": 500})
    records = read_events(events)
    losses = [r for r in records if r["type"] == "scalar" and r["tag"] == "loss"]
    lrs = [r["value"] for r in records if r["type"] == "scalar" and r["tag"] == "lr"]
    assert len(losses) > 5 and lrs[0] > lrs[-1]  # linear decay
    assert wv.events_path == str(events)


def test_empty_corpus_and_min_count_errors():
    with pytest.raises(CorpusError, match="empty"):
        train_word_vectors(["", "   ", "!!"], **FAST)
    with pytest.raises(CorpusError, match="min_count=50"):
        train_word_vectors(["a b c"], **{**FAST, "min_count": 50})
    with pytest.raises(CorpusError, match="not found"):
        train_word_vectors("/no/such/corpus.txt", **FAST)
    with pytest.raises(ValueError, match="mode"):
        train_word_vectors(["a b"], mode="glove", **FAST)
    with pytest.raises(ValueError, match="dim"):
        train_word_vectors(["a b"], **{**FAST, "dim": 0})


def test_an_interrupted_run_resumes_to_the_same_vectors(tmp_path, monkeypatch):
    from world2vec.embeddings.words import word2vec as w2v

    corpus = shared_context_corpus(n=1500)
    settings = {**FAST, "epochs": 3, "batch_words": 2000}
    straight = train_word_vectors(corpus, subwords=False, **settings)

    real = w2v.Word2VecTask.train_batch
    calls = {"n": 0}

    def crash_midway(self, *args):
        calls["n"] += 1
        if calls["n"] == 10:
            raise KeyboardInterrupt
        return real(self, *args)

    monkeypatch.setattr(w2v.Word2VecTask, "train_batch", crash_midway)
    ckpt = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        train_word_vectors(corpus, subwords=False, checkpoint_dir=ckpt, checkpoint_every=3,
                           **settings)
    monkeypatch.setattr(w2v.Word2VecTask, "train_batch", real)
    resumed = train_word_vectors(corpus, subwords=False, checkpoint_dir=ckpt, checkpoint_every=3,
                                 **settings)
    assert np.array_equal(straight.vectors, resumed.vectors)


def test_input_plus_context_vectors_are_offered():
    wv = train_word_vectors(shared_context_corpus(n=500), subwords=False, vectors="input+context",
                            **FAST)
    assert wv.settings["vectors"] == "input+context"
    # first-order (co-occurrence) similarity joins in: cat's own context words rank high
    top = {w for w, _ in wv.most_similar(["cat"], k=7)}
    assert top == {"dog", "fur", "purr", "vet", "leash", "bowl", "paws"}
    with pytest.raises(ValueError, match="vectors"):
        train_word_vectors(["a b"], vectors="output", **FAST)


def kitty_lines():
    lines = [f"the kitty{s} sat on the mat near the cat" for s in ("cat", "cats", "")] * 300
    return lines + ["the truck drove down the long road"] * 300


def test_fitted_subwords_keep_the_words_of_a_plain_run_and_give_unseen_words_vectors():
    fitted = train_word_vectors(kitty_lines(), subwords="fitted", buckets=2000, **FAST)
    plain = train_word_vectors(kitty_lines(), subwords="none", **FAST)
    # the fit runs after training and never touches the words
    assert fitted.words == plain.words and np.array_equal(fitted.vectors, plain.vectors)
    assert fitted.ngrams.shape == (2000, 24) and fitted.settings["ngram_fit"]["buckets"] == 2000
    vec, synthesized = fitted.vector("kittycatz")
    assert synthesized and np.isclose(np.linalg.norm(vec), 1.0, atol=1e-4)
    assert fitted.nearest(vec, k=1)[0][0].startswith("kitty")
    with pytest.raises(KeyError):
        plain.vector("kittycatz")


def test_subword_modes_and_their_older_spellings():
    from world2vec.embeddings.words.word2vec import DEFAULT_BUCKETS

    default = train_word_vectors(kitty_lines(), **FAST)
    assert default.settings["subwords"] == "fitted"
    assert len(default.ngrams) == DEFAULT_BUCKETS["fitted"]
    joint = train_word_vectors(kitty_lines(), subwords=True, buckets=500, **FAST)
    assert joint.settings["subwords"] == "joint" and "ngram_fit" not in joint.settings
    assert not np.array_equal(joint.vectors, default.vectors)  # n-grams trained with the words
    assert train_word_vectors(kitty_lines(), subwords=False, **FAST).ngrams is None
    with pytest.raises(ValueError, match="fitted, joint, none"):
        train_word_vectors(kitty_lines(), subwords="both", **FAST)
