"""Trainer behaviour: schedules over work spans, checkpoint/resume equivalence,
event log contents, fit summary, clear errors for bad settings."""

import math

import numpy as np
import pytest

from world2vec.engine.checkpoint import CheckpointError, list_checkpoints
from world2vec.engine.events import read_events, scalars
from world2vec.engine.schedules import Constant, CosineDecay, LinearDecay
from world2vec.engine.trainer import Trainer


class Crash(Exception):
    pass


class RegressionTask:
    """Least squares with momentum SGD on random mini-batches drawn from the seed.

    Batches differ in size (work), the momentum lives in ``state()`` so resume must
    restore it, and ``crash_at`` simulates the process dying at a global step.
    """

    def __init__(self, crash_at=None, n_batches=5):
        data_rng = np.random.default_rng(0)
        self.X = data_rng.normal(size=(200, 4))
        self.y = self.X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * data_rng.normal(size=200)
        self.w = np.zeros(4)
        self.velocity = np.zeros(4)
        self.n_batches = n_batches
        self.crash_at = crash_at
        self.calls = []
        self.last_grad = np.zeros(4)

    def parameters(self):
        return {"w": self.w}

    def num_batches(self):
        return self.n_batches

    def batch_work(self, index):
        return 10 + 5 * index

    def train_batch(self, epoch, index, lr_start, lr_end, seed):
        if self.crash_at is not None and len(self.calls) == self.crash_at:
            raise Crash()
        self.calls.append((epoch, index, lr_start, lr_end, seed))
        rng = np.random.default_rng(seed)
        rows = rng.integers(0, len(self.X), size=self.batch_work(index))
        X, y = self.X[rows], self.y[rows]
        residual = X @ self.w - y
        grad = X.T @ residual / len(rows)
        self.last_grad = grad
        self.velocity *= 0.5
        self.velocity += grad
        self.w -= 0.5 * (lr_start + lr_end) * self.velocity
        return {"loss": float(np.mean(residual ** 2)), "words": len(rows)}

    def state(self):
        return {"velocity": self.velocity.copy(), "calls": len(self.calls)}

    def load_state(self, state):
        self.velocity[...] = state["velocity"]

    def gradients(self):
        return {"w": self.last_grad}


def test_learning_rate_is_the_schedule_over_each_batch_span_of_work():
    task = RegressionTask()
    Trainer(task, epochs=3, schedule=LinearDecay(0.1, 0.001), progress=False).fit()
    starts = np.array([c[2] for c in task.calls])
    ends = np.array([c[3] for c in task.calls])
    assert starts[0] == pytest.approx(0.1)
    assert ends[-1] == pytest.approx(0.001)
    np.testing.assert_allclose(ends[:-1], starts[1:])      # contiguous spans
    total = 3 * sum(task.batch_work(i) for i in range(5))
    # second batch starts after the first batch's 10 units of work
    assert starts[1] == pytest.approx(0.1 + (0.001 - 0.1) * 10 / total)
    assert np.all(np.diff(starts) < 0)


def test_schedules_values():
    assert Constant(0.3)(0.7) == 0.3
    assert LinearDecay(1.0, 0.0)(0.25) == pytest.approx(0.75)
    cos = CosineDecay(1.0, 0.0, warmup=0.2)
    assert cos(0.1) == pytest.approx(0.5)
    assert cos(0.2) == pytest.approx(1.0)
    assert cos(0.6) == pytest.approx(0.5)
    assert cos(1.0) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        LinearDecay(-1.0)


def test_training_reduces_loss_and_reports_a_summary(tmp_path):
    task = RegressionTask()
    result = Trainer(task, epochs=6, schedule=0.2, progress=False).fit()
    assert result.epochs == 6 and result.steps == 30
    assert result.work == 6 * sum(task.batch_work(i) for i in range(5))
    assert result.seconds >= 0 and result.resumed_step is None
    assert result.loss < 0.1        # converged close to the noise floor (0.01)
    np.testing.assert_allclose(task.w, [1.0, -2.0, 0.5, 3.0], atol=0.1)


def _straight(epochs=4):
    task = RegressionTask()
    Trainer(task, epochs=epochs, schedule=LinearDecay(0.05, 0.001), seed=7,
            progress=False).fit()
    return task


@pytest.mark.parametrize("crash_at,every", [(10, 0), (13, 3), (7, 1)])
def test_resume_after_a_crash_gives_the_same_parameters(tmp_path, crash_at, every):
    reference = _straight()
    ckpt = tmp_path / "ckpt"
    crashed = RegressionTask(crash_at=crash_at)
    with pytest.raises(Crash):
        Trainer(crashed, epochs=4, schedule=LinearDecay(0.05, 0.001), seed=7,
                checkpoint_dir=ckpt, checkpoint_every=every, progress=False).fit()
    assert list_checkpoints(ckpt)
    fresh = RegressionTask()           # a new process: parameters start from scratch
    result = Trainer(fresh, epochs=4, schedule=LinearDecay(0.05, 0.001), seed=7,
                     checkpoint_dir=ckpt, checkpoint_every=every, progress=False).fit()
    assert result.resumed_step is not None and result.resumed_step <= crash_at
    assert result.steps == 20 - result.resumed_step
    np.testing.assert_array_equal(fresh.w, reference.w)
    np.testing.assert_array_equal(fresh.velocity, reference.velocity)
    # the resumed run saw exactly the batches, rates and seeds the straight run did
    assert fresh.calls == reference.calls[result.resumed_step:]


def test_two_epochs_then_resume_for_two_more_matches_four_straight(tmp_path):
    reference = _straight()
    first = RegressionTask(crash_at=10)          # dies right after epoch 2's checkpoint
    with pytest.raises(Crash):
        Trainer(first, epochs=4, schedule=LinearDecay(0.05, 0.001), seed=7,
                checkpoint_dir=tmp_path, progress=False).fit()
    second = RegressionTask()
    result = Trainer(second, epochs=4, schedule=LinearDecay(0.05, 0.001), seed=7,
                     checkpoint_dir=tmp_path, progress=False).fit()
    assert result.resumed_step == 10
    np.testing.assert_array_equal(second.w, reference.w)


def test_a_finished_run_does_not_train_again(tmp_path):
    task = RegressionTask()
    Trainer(task, epochs=2, seed=3, checkpoint_dir=tmp_path, progress=False).fit()
    again = RegressionTask()
    result = Trainer(again, epochs=2, seed=3, checkpoint_dir=tmp_path, progress=False).fit()
    assert result.steps == 0 and again.calls == []
    np.testing.assert_array_equal(again.w, task.w)     # parameters restored from the end


def test_checkpoint_of_another_model_is_refused(tmp_path):
    Trainer(RegressionTask(), epochs=1, checkpoint_dir=tmp_path, progress=False).fit()

    class Other(RegressionTask):
        def parameters(self):
            return {"w": self.w, "b": np.zeros(1)}

    with pytest.raises(CheckpointError, match="parameters"):
        Trainer(Other(), epochs=1, checkpoint_dir=tmp_path, progress=False).fit()


def test_event_log_holds_scalars_by_step_and_histograms(tmp_path):
    path = tmp_path / "events.jsonl"
    task = RegressionTask()
    Trainer(task, epochs=2, schedule=LinearDecay(0.05, 0.0), events=path,
            histogram_every=4, progress=False).fit()
    steps, losses = scalars(path, "loss")
    assert steps.tolist() == list(range(1, 11))
    assert losses[-1] < losses[0]
    lr_steps, lrs = scalars(path, "lr")
    np.testing.assert_allclose(lrs, [c[2] for c in task.calls])
    _, throughput = scalars(path, "throughput")
    assert np.all(throughput > 0)
    _, words = scalars(path, "words")
    assert words.tolist() == [10, 15, 20, 25, 30] * 2
    hist = read_events(path, type="histogram")
    tags = {(h["tag"], h["step"]) for h in hist}
    assert {("weights/w", 4), ("weights/w", 8), ("gradients/w", 4), ("weights/w", 5),
            ("weights/w", 10)} <= tags
    one = next(h for h in hist if h["tag"] == "weights/w" and h["step"] == 10)
    assert one["count"] == 4 and sum(one["counts"]) == 4
    assert one["min"] == pytest.approx(task.w.min()) and one["max"] == pytest.approx(task.w.max())


def test_resumed_event_log_has_each_step_once(tmp_path):
    path = tmp_path / "events.jsonl"
    with pytest.raises(Crash):
        Trainer(RegressionTask(crash_at=8), epochs=3, events=path, checkpoint_dir=tmp_path / "c",
                checkpoint_every=3, progress=False).fit()
    Trainer(RegressionTask(), epochs=3, events=path, checkpoint_dir=tmp_path / "c",
            checkpoint_every=3, progress=False).fit()
    steps, _ = scalars(path, "loss")
    assert steps.tolist() == list(range(1, 16))


@pytest.mark.parametrize("kwargs", [{"epochs": 0}, {"epochs": 1.5}, {"seed": -1},
                                    {"checkpoint_every": -2}, {"log_every": 0}])
def test_bad_settings_are_clear_errors(kwargs):
    with pytest.raises(ValueError):
        Trainer(RegressionTask(), progress=False, **kwargs)


def test_an_object_that_is_not_a_task_is_refused():
    with pytest.raises(TypeError, match="no parameters"):
        Trainer(object(), progress=False)


def test_task_without_loss_still_trains():
    class Quiet(RegressionTask):
        def train_batch(self, *args):
            super().train_batch(*args)
            return {}

    result = Trainer(Quiet(), epochs=1, progress=False).fit()
    assert result.steps == 5 and math.isnan(result.loss)


def test_two_trainings_share_one_log_by_prefix(tmp_path):
    path = tmp_path / "events.jsonl"
    Trainer(RegressionTask(), epochs=2, events=path, progress=False).fit()
    with pytest.raises(Crash):
        Trainer(RegressionTask(crash_at=6), epochs=2, events=path, prefix="second/",
                checkpoint_dir=tmp_path / "c", checkpoint_every=2, progress=False).fit()
    Trainer(RegressionTask(), epochs=2, events=path, prefix="second/",
            checkpoint_dir=tmp_path / "c", checkpoint_every=2, progress=False).fit()
    assert scalars(path, "loss")[0].tolist() == list(range(1, 11))      # first run untouched
    assert scalars(path, "second/loss")[0].tolist() == list(range(1, 11))
    tags = {e["tag"] for e in read_events(path, type="histogram")}
    assert {"weights/w", "second/weights/w"} <= tags


def test_progress_line_shows_loss_learning_rate_and_throughput(capsys, monkeypatch):
    monkeypatch.setenv("WORLD2VEC_PROGRESS", "1")
    Trainer(RegressionTask(), epochs=1, schedule=0.01, progress=None, desc="fit",
            unit="rows").fit()
    err = capsys.readouterr().err
    assert "fit" in err and "100.0%" in err and "rows/s" in err
    assert "loss=" in err and "lr=0.01" in err


def test_progress_can_be_turned_off(capsys):
    Trainer(RegressionTask(), epochs=1, progress=False).fit()
    assert capsys.readouterr().err == ""


def test_checkpoint_from_different_data_is_refused_without_touching_parameters(tmp_path):
    Trainer(RegressionTask(n_batches=5), epochs=1, checkpoint_dir=tmp_path, progress=False).fit()
    other = RegressionTask(n_batches=4)
    with pytest.raises(CheckpointError, match="5 batches per epoch"):
        Trainer(other, epochs=1, checkpoint_dir=tmp_path, progress=False).fit()
    assert np.all(other.w == 0)


def test_any_callable_is_a_schedule_and_a_bad_rate_is_refused():
    task = RegressionTask()
    Trainer(task, epochs=1, schedule=lambda p: 0.1 * (1 - p) ** 2, progress=False).fit()
    assert task.calls[0][2] == pytest.approx(0.1) and task.calls[-1][3] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="learning rate"):
        Trainer(RegressionTask(), schedule=float("nan"), progress=False)
