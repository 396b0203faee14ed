"""``world2vec load``: bulk load with line-numbered errors and nothing from a bad batch."""

import json

import numpy as np
import pytest
from mem_helpers import DIM, random_items

from world2vec import cli
from world2vec.memory import MemoryStore


def write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return str(path)


def reopen(path, dim=DIM):
    return MemoryStore.open(str(path), dim, background=False)


def test_load_then_every_item_is_stored(tmp_path, capsys):
    items = random_items(120)
    src = write_jsonl(tmp_path / "items.jsonl", items[:60] + [""] + items[60:])
    assert cli.main(["load", "--data", str(tmp_path / "d"), src, "--batch", "50"]) == 0
    out = capsys.readouterr().out
    assert "loaded 120 items in 3 batches" in out and "holds 120 items" in out
    store = reopen(tmp_path / "d")
    assert len(store) == 120 and store.get("i77").payload == items[77]["payload"]
    store.close()
    # re-running the same file replaces by id: still 120
    assert cli.main(["load", "--data", str(tmp_path / "d"), src]) == 0
    assert "holds 120 items" in capsys.readouterr().out


def test_bad_lines_are_numbered_and_their_batch_is_not_written(tmp_path, capsys):
    items = random_items(10)
    rows = items[:4] + items[4:6] + ["{not json", {"id": "x", "vector": [1.0] * 3},
                                     {"id": "y", "vector": [1.0] * DIM, "tags": "t"}] + items[6:]
    src = write_jsonl(tmp_path / "bad.jsonl", rows)
    assert cli.main(["load", "--data", str(tmp_path / "d"), src, "--batch", "5"]) == 2
    err = capsys.readouterr().err
    assert "line 7: not valid JSON" in err
    assert "line 9: " in err and "'tags'" in err      # every bad line of the batch is named
    assert "5 items in 1 earlier batches were stored" in err
    store = reopen(tmp_path / "d")
    assert len(store) == 5 and store.get("i5") is None      # i5 shared the bad batch
    store.close()


def test_wrong_dimension_names_the_line(tmp_path, capsys):
    items = random_items(3)
    items[2]["vector"] = [1.0] * (DIM + 1)
    src = write_jsonl(tmp_path / "dim.jsonl", items)
    assert cli.main(["load", "--data", str(tmp_path / "d"), src]) == 2
    err = capsys.readouterr().err
    assert "line 3:" in err and "dimension 17" in err


def test_no_replace_refuses_existing_ids(tmp_path, capsys):
    src = write_jsonl(tmp_path / "a.jsonl", random_items(3))
    assert cli.main(["load", "--data", str(tmp_path / "d"), src]) == 0
    assert cli.main(["load", "--data", str(tmp_path / "d"), src, "--no-replace"]) == 2
    assert "line 1:" in capsys.readouterr().err


def test_text_items_are_encoded_with_the_model(tmp_path, capsys):
    from world2vec.embeddings.model import Model
    from world2vec.embeddings.words.vectors import WordVectors
    words = ["cat", "dog", "fish", "sky", "sea", "tree"]
    vectors = np.random.default_rng(0).normal(size=(len(words), 8)).astype(np.float32)
    model_dir = Model(WordVectors(words, vectors, name="tiny")).save(str(tmp_path / "model"))
    src = write_jsonl(tmp_path / "t.jsonl", [{"id": "a", "text": "cat and dog"},
                                             {"id": "b", "text": "the sea", "kind": "qa",
                                              "answer": "blue"}])
    assert cli.main(["load", "--data", str(tmp_path / "d"), src, "--model", model_dir]) == 0
    store = reopen(tmp_path / "d", dim=8)
    assert store.get("b").answer == "blue" and store.get("a").vector.shape == (8,)
    store.close()
    bad = write_jsonl(tmp_path / "u.jsonl", [{"id": "c", "text": "zzzz qqqq"}, {"id": "e"}])
    assert cli.main(["load", "--data", str(tmp_path / "d"), bad, "--model", model_dir]) == 2
    assert "line 2: item 'e' has neither 'vector' nor 'text'" in capsys.readouterr().err


@pytest.mark.parametrize("argv, words", [(["/no/such.jsonl"], "no such file"),
                                         (["--batch", "0"], "--batch")])
def test_usage_errors(tmp_path, capsys, argv, words):
    src = write_jsonl(tmp_path / "x.jsonl", random_items(1))
    args = ["load", "--data", str(tmp_path / "d")] + (argv if argv[0].startswith("/") else [src] + argv)
    assert cli.main(args) == 2
    assert words in capsys.readouterr().err


def test_a_locked_directory_is_a_usage_error(tmp_path, capsys):
    src = write_jsonl(tmp_path / "x.jsonl", random_items(1))
    holder = MemoryStore.open(str(tmp_path / "d"), DIM, background=False)
    try:
        assert cli.main(["load", "--data", str(tmp_path / "d"), src]) == 2
        assert "locked by process" in capsys.readouterr().err
    finally:
        holder.close()
