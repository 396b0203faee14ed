"""scalar_series: every scalar curve of an event log, read leniently for a display."""

import math

from world2vec.engine.events import EventLog, read_events, scalar_series


def test_every_scalar_series_in_write_order(tmp_path):
    path = tmp_path / "events.jsonl"
    with EventLog(path) as log:
        for step in range(3):
            log.scalar("loss", 1.0 / (step + 1), step)
            log.scalar("lr", 0.1, step)
        log.histogram("weights", [1.0, 2.0], step=2)
    series = scalar_series(path)
    assert series == {"loss": [(0, 1.0), (1, 0.5), (2, 1 / 3)],
                      "lr": [(0, 0.1), (1, 0.1), (2, 0.1)]}


def test_a_damaged_log_still_gives_its_good_points(tmp_path):
    path = tmp_path / "events.jsonl"
    with EventLog(path) as log:
        log.scalar("loss", 2.0, 1)
        log.scalar("loss", math.nan, 2)   # written as "nan": no plot can draw it
        log.scalar("loss", math.inf, 3)
    with open(path, "ab") as fh:
        fh.write(b"{not json\n\xff\xfe garbage\n[1, 2]\n")
        fh.write(b'{"type": "scalar", "tag": "loss", "value": 9.0}\n')           # no step
        fh.write(b'{"type": "scalar", "tag": "loss", "step": 5, "value": "x"}\n')
        fh.write(b'{"type": "scalar", "tag": 7, "step": 5, "value": 1.0}\n')
        fh.write(b'{"type": "scalar", "tag": "loss", "step": 6, "value": 0.5}\n')
        fh.write(b'{"type": "scalar", "tag": "loss", "step": 7, "val')          # torn tail
    assert scalar_series(path) == {"loss": [(1, 2.0), (6, 0.5)]}


def test_a_missing_log_is_no_series(tmp_path):
    assert scalar_series(tmp_path / "none.jsonl") == {}


def test_long_series_are_thinned_evenly_keeping_the_last_point(tmp_path):
    path = tmp_path / "events.jsonl"
    with EventLog(path) as log:
        for step in range(1000):
            log.scalar("loss", float(step), step)
        log.scalar("lr", 0.1, 0)
    series = scalar_series(path, max_points=100)
    assert len(series["loss"]) == 100
    assert series["loss"][0] == (0, 0.0) and series["loss"][-1] == (999, 999.0)
    steps = [step for step, _ in series["loss"]]
    assert steps == sorted(steps) and steps[1] - steps[0] == 10
    assert series["lr"] == [(0, 0.1)]
    assert len(read_events(path, type="scalar", tag="loss")) == 1000  # the file is untouched


def test_histogram_series_by_tag_in_step_order_thinned_and_lenient(tmp_path):
    from world2vec.engine.events import histogram_series

    path = tmp_path / "events.jsonl"
    with EventLog(path, bins=4) as log:
        for step in (3, 1, 2, 4, 5):
            log.histogram("weights/W", [0.0, 1.0, 2.0, float(step)], step=step)
        log.histogram("gradients/W", [], step=1)          # nothing to bin: skipped
        log.scalar("loss", 1.0, 1)
    with open(path, "ab") as fh:
        fh.write(b'{"type": "histogram", "tag": "weights/W", "step": 9, "edges": [0], "counts": [1]}\n')
        fh.write(b"{torn")
    series = histogram_series(path)
    assert list(series) == ["weights/W"]
    steps = [h["step"] for h in series["weights/W"]]
    assert steps == [1, 2, 3, 4, 5]
    first = series["weights/W"][0]
    assert first["count"] == 4 and sum(first["counts"]) == 4 and len(first["edges"]) == 5
    thinned = histogram_series(path, max_steps=2)["weights/W"]
    assert [h["step"] for h in thinned] == [1, 5]          # evenly spaced, the last kept
    assert histogram_series(tmp_path / "missing.jsonl") == {}
