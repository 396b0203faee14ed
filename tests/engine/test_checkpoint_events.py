"""Checkpoint files and the event log as a user sees them on disk."""

import json
import os

import numpy as np
import pytest

from world2vec.engine.checkpoint import (
    CheckpointError,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from world2vec.engine.events import EventLog, read_events, scalars


def test_checkpoint_round_trip_of_nested_state(tmp_path):
    rng = np.random.default_rng(5)
    state = {"parameters": {"W": rng.normal(size=(3, 4)).astype(np.float32),
                            "ids": np.arange(5, dtype=np.int64)},
             "rng": rng.bit_generator.state,
             "optim": [{"m": np.ones(2)}, 3, "adam", None, 1.5, True],
             "empty": {}}
    path = save_checkpoint(tmp_path, 12, state)
    assert os.path.basename(path) == "checkpoint-0000000012.npz"
    back = load_checkpoint(path)
    assert back["__step__"] == 12
    np.testing.assert_array_equal(back["parameters"]["W"], state["parameters"]["W"])
    assert back["parameters"]["W"].dtype == np.float32
    np.testing.assert_array_equal(back["parameters"]["ids"], np.arange(5))
    assert back["rng"] == state["rng"]            # includes 128-bit integers
    np.testing.assert_array_equal(back["optim"][0]["m"], np.ones(2))
    assert back["optim"][1:] == [3, "adam", None, 1.5, True]
    assert back["empty"] == {}
    restored = np.random.default_rng()
    restored.bit_generator.state = back["rng"]
    assert restored.integers(1 << 30) == rng.integers(1 << 30)


def test_only_the_newest_checkpoints_are_kept_and_no_temp_files_remain(tmp_path):
    for step in (3, 10, 7, 20):
        save_checkpoint(tmp_path, step, {"x": np.full(2, step)}, keep=2)
    names = [os.path.basename(p) for p in list_checkpoints(tmp_path)]
    assert names == ["checkpoint-0000000010.npz", "checkpoint-0000000020.npz"]
    assert latest_checkpoint(tmp_path).endswith("0000000020.npz")
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert latest_checkpoint(tmp_path / "missing") is None


def test_corrupt_checkpoint_is_a_clear_error(tmp_path):
    path = save_checkpoint(tmp_path, 1, {"x": np.zeros(3)})
    with open(path, "r+b") as handle:
        handle.truncate(20)
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        load_checkpoint(path)


def test_unsupported_values_are_refused_before_writing(tmp_path):
    with pytest.raises(TypeError, match="set"):
        save_checkpoint(tmp_path, 1, {"x": {1, 2}})
    assert list_checkpoints(tmp_path) == []


def test_event_log_round_trip(tmp_path):
    path = tmp_path / "run" / "events.jsonl"
    values = np.random.default_rng(0).normal(size=1000)
    with EventLog(path, bins=10) as log:
        for step in range(1, 4):
            log.scalar("loss", 1.0 / step, step)
            log.scalar("lr", 0.1, step)
        log.histogram("weights/W", values, step=3)
        log.scalar("loss", float("nan"), 4)
    events = read_events(path)
    assert [e["type"] for e in events] == ["scalar"] * 6 + ["histogram", "scalar"]
    steps, losses = scalars(path, "loss")
    assert steps.tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(losses[:3], [1.0, 0.5, 1 / 3])
    assert np.isnan(losses[3])
    (hist,) = read_events(path, type="histogram", tag="weights/W")
    assert hist["step"] == 3 and hist["count"] == 1000 and sum(hist["counts"]) == 1000
    assert len(hist["edges"]) == 11
    assert hist["min"] == pytest.approx(values.min()) and hist["std"] == pytest.approx(values.std())
    # every line is plain JSON any tool can read
    for line in open(path):
        json.loads(line)


def test_event_log_appends_and_ignores_a_half_written_last_line(tmp_path):
    path = tmp_path / "events.jsonl"
    with EventLog(path) as log:
        log.scalar("loss", 2.0, 1)
    with EventLog(path) as log:
        log.scalar("loss", 1.0, 2)
    with open(path, "a") as handle:
        handle.write('{"type": "scalar", "tag": "lo')       # the process died here
    assert scalars(path, "loss")[0].tolist() == [1, 2]


def test_corrupt_event_line_names_its_line(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"type":"scalar","tag":"loss","step":1,"value":1}\nnot json\n')
    with pytest.raises(ValueError, match=r"events.jsonl:2"):
        read_events(path)
    with pytest.raises(FileNotFoundError):
        read_events(tmp_path / "nothing.jsonl")


def test_histogram_of_a_large_array_is_sampled_but_exact_at_the_extremes(tmp_path):
    values = np.random.default_rng(1).normal(size=50_000).astype(np.float32)
    values[12345] = 40.0
    values[777] = np.nan
    with EventLog(tmp_path / "e.jsonl", bins=8, max_sample=1000) as log:
        log.histogram("big", values, step=1)
    (hist,) = read_events(tmp_path / "e.jsonl")
    assert hist["count"] == 50_000 and hist["nonfinite"] == 1
    assert hist["max"] == 40.0 and hist["min"] == pytest.approx(np.nanmin(values))
    assert hist["sampled"] <= 1000 and sum(hist["counts"]) <= hist["sampled"]
    assert abs(hist["mean"]) < 0.15 and 0.8 < hist["std"] < 1.2
    assert hist["edges"][0] == hist["min"] and hist["edges"][-1] == hist["max"]
