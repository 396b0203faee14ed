"""The generic training loop: epochs, learning-rate schedule, RNG, progress,
checkpoints and the event log, around a *task* that owns parameters and work.

Why this split: word2vec's fused numba kernels, the Tensor-built sentence encoder
and the memory reader all train differently inside a batch, but share everything
around it. Keeping the loop here means each gets exact checkpoint/resume, the
same logs and the same progress bar for free (see docs/ARCHITECTURE.md, engine).

Determinism: the seed handed to each batch is drawn from the trainer's RNG, whose
state goes into every checkpoint with the position (epoch, batch). A task that
derives all of its randomness from that seed and runs single-threaded therefore
ends with the same parameters whether or not training was interrupted.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .checkpoint import CheckpointError, latest_checkpoint, load_checkpoint, save_checkpoint
from .events import EventLog, truncate_events
from .progress import Progress
from .schedules import Constant, Schedule

__all__ = ["Task", "Trainer", "FitResult"]


@runtime_checkable
class Task(Protocol):
    """What the trainer needs from a model. Optional extras, used when present:
    ``state() -> dict`` / ``load_state(dict)`` (extra state such as optimizer
    moments, checkpointed) and ``gradients() -> dict[str, np.ndarray]`` (logged
    as histograms)."""

    def parameters(self) -> dict[str, np.ndarray]: ...

    def num_batches(self) -> int: ...

    def batch_work(self, index: int) -> int: ...

    def train_batch(self, epoch: int, index: int, lr_start: float, lr_end: float,
                    seed: int) -> dict[str, float]: ...


@dataclass
class FitResult:
    """What :meth:`Trainer.fit` did. ``loss`` is the work-weighted mean loss of the
    last epoch trained by this call (NaN if the task reports none); ``resumed_step``
    is the step the run resumed from (None for a fresh start)."""

    epochs: int
    steps: int
    work: int
    seconds: float
    loss: float
    resumed_step: int | None = None


def _positive_int(name: str, value: int, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or value < (0 if allow_zero else 1):
        need = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {need} integer, got {value!r}")
    return int(value)


class Trainer:
    """Run ``task`` for ``epochs`` epochs. See the module docstring.

    ``events`` is an :class:`EventLog` or a path to one (then opened and closed
    here). Scalars ``loss``, ``lr``, ``throughput`` (work units per second) and any
    other number the task returns are logged every ``log_every`` steps; parameter
    (and gradient) histograms every ``histogram_every`` steps (0: end of each epoch
    only). ``checkpoint_every`` batches (0: only at epoch ends) a checkpoint is
    written to ``checkpoint_dir``; ``fit()`` resumes from the latest one there.
    ``prefix`` goes before every tag (e.g. ``"sentence/"``) so several trainings can
    share one log; a resumed run drops only its own later events.
    """

    def __init__(self, task: Task, epochs: int = 5,
                 schedule: Schedule | Callable[[float], float] | float = 0.025,
                 seed: int = 1, checkpoint_dir: str | os.PathLike | None = None,
                 checkpoint_every: int = 0, events: EventLog | str | os.PathLike | None = None,
                 progress: bool | None = True, log_every: int = 1, histogram_every: int = 0,
                 keep_checkpoints: int = 2, desc: str = "train", unit: str = "words",
                 prefix: str = "") -> None:
        for name in ("parameters", "num_batches", "batch_work", "train_batch"):
            if not callable(getattr(task, name, None)):
                raise TypeError(f"task {type(task).__name__} has no {name}() method")
        self.task = task
        self.epochs = _positive_int("epochs", epochs)
        # a Schedule, any callable progress -> lr, or a number (a constant rate)
        self.schedule = schedule if callable(schedule) else Constant(schedule)
        self.seed = _positive_int("seed", seed, allow_zero=True)
        self.checkpoint_dir = os.fspath(checkpoint_dir) if checkpoint_dir is not None else None
        self.checkpoint_every = _positive_int("checkpoint_every", checkpoint_every, True)
        self.log_every = _positive_int("log_every", log_every)
        self.histogram_every = _positive_int("histogram_every", histogram_every, True)
        self.keep_checkpoints = _positive_int("keep_checkpoints", keep_checkpoints)
        self.events = events
        self.progress = progress
        self.desc, self.unit, self.prefix = desc, unit, str(prefix)
        self.rng = np.random.default_rng(self.seed)
        self.epoch = 0          # epoch in progress (== epochs once finished)
        self.batch = 0          # next batch index within the epoch
        self.step = 0           # batches done overall
        self.work_done = 0      # work units done overall

    # -- checkpoints -----------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "position": {"epoch": self.epoch, "batch": self.batch, "step": self.step,
                         "work_done": self.work_done, "epochs": self.epochs,
                         "num_batches": int(self.task.num_batches())},
            "rng": self.rng.bit_generator.state,
            "parameters": {k: np.asarray(v) for k, v in self.task.parameters().items()},
        }
        if callable(getattr(self.task, "state", None)):
            state["task"] = self.task.state()
        return state

    def save(self) -> str | None:
        """Checkpoint now (no-op without a checkpoint_dir); returns the path."""
        if self.checkpoint_dir is None:
            return None
        return save_checkpoint(self.checkpoint_dir, self.step, self._state(),
                               keep=self.keep_checkpoints)

    def _restore(self, path: str) -> None:
        state = load_checkpoint(path)
        pos = state["position"]
        batches = int(self.task.num_batches())
        if int(pos.get("num_batches", batches)) != batches:
            raise CheckpointError(f"{path} was made with {pos['num_batches']} batches per epoch, "
                                  f"the task now has {batches}: different data? start a fresh "
                                  "checkpoint folder")
        params = self.task.parameters()
        saved = state.get("parameters", {})
        if set(saved) != set(params):
            raise CheckpointError(f"{path} holds parameters {sorted(saved)}, "
                                  f"the task has {sorted(params)}")
        for name, value in saved.items():
            if params[name].shape != value.shape:
                raise CheckpointError(f"{path}: parameter {name!r} has shape {value.shape}, "
                                      f"the task's is {params[name].shape}")
        for name, value in saved.items():
            params[name][...] = value      # in place: the task keeps its own arrays
        if "task" in state and callable(getattr(self.task, "load_state", None)):
            self.task.load_state(state["task"])
        self.rng.bit_generator.state = state["rng"]
        self.epoch, self.batch = int(pos["epoch"]), int(pos["batch"])
        self.step, self.work_done = int(pos["step"]), int(pos["work_done"])

    # -- logging ---------------------------------------------------------------
    def _histograms(self, log: EventLog) -> None:
        for name, value in self.task.parameters().items():
            log.histogram(f"{self.prefix}weights/{name}", value, self.step)
        grads = getattr(self.task, "gradients", None)
        if callable(grads):
            for name, value in (grads() or {}).items():
                if value is not None:
                    log.histogram(f"{self.prefix}gradients/{name}", value, self.step)

    # -- the loop --------------------------------------------------------------
    def fit(self) -> FitResult:
        """Train to the end (resuming from the latest checkpoint if there is one)."""
        resumed: int | None = None
        if self.checkpoint_dir is not None:
            latest = latest_checkpoint(self.checkpoint_dir)
            if latest is not None:
                self._restore(latest)
                resumed = self.step
        n_batches = _positive_int("task.num_batches()", self.task.num_batches())
        works = [int(self.task.batch_work(i)) for i in range(n_batches)]
        if any(w < 0 for w in works):
            raise ValueError("task.batch_work() returned a negative amount of work")
        offsets = np.concatenate([[0], np.cumsum(works)])
        epoch_work = int(offsets[-1])
        total_work = max(epoch_work * self.epochs, 1)

        log: EventLog | None = None
        owns_log = False
        if isinstance(self.events, EventLog):
            log = self.events
            if resumed is not None:
                log.truncate_after(resumed, self.prefix)
        elif self.events is not None:
            if resumed is not None:
                truncate_events(self.events, resumed, self.prefix)
            log = EventLog(self.events)
            owns_log = True

        started = time.perf_counter()
        start_step, start_work = self.step, self.work_done
        epoch_loss, epoch_loss_work = 0.0, 0
        bar = Progress(total=max(total_work - self.work_done, 0), desc=self.desc,
                       unit=self.unit, enabled=self.progress)
        try:
            while self.epoch < self.epochs:
                epoch_loss, epoch_loss_work = 0.0, 0
                while self.batch < n_batches:
                    index = self.batch
                    begin = self.epoch * epoch_work + int(offsets[index])
                    lr_start = self.schedule(begin / total_work)
                    lr_end = self.schedule((begin + works[index]) / total_work)
                    seed = int(self.rng.integers(0, 2**31 - 1))
                    tick = time.perf_counter()
                    out = self.task.train_batch(self.epoch, index, lr_start, lr_end, seed) or {}
                    seconds = time.perf_counter() - tick
                    self.batch += 1
                    self.step += 1
                    self.work_done += works[index]
                    loss = float(out["loss"]) if "loss" in out else math.nan
                    if not math.isnan(loss):
                        epoch_loss += loss * max(works[index], 1)
                        epoch_loss_work += max(works[index], 1)
                    throughput = works[index] / seconds if seconds > 0 else 0.0
                    bar.update(works[index], loss=loss, lr=lr_start)
                    if log is not None and self.step % self.log_every == 0:
                        tag = self.prefix
                        log.scalar(tag + "loss", loss, self.step)
                        log.scalar(tag + "lr", lr_start, self.step)
                        log.scalar(tag + "throughput", throughput, self.step)
                        for key, value in out.items():
                            if key != "loss" and isinstance(value, (int, float, np.number)):
                                log.scalar(tag + key, float(value), self.step)
                    if log is not None and self.histogram_every \
                            and self.step % self.histogram_every == 0:
                        self._histograms(log)
                    if self.checkpoint_every and self.step % self.checkpoint_every == 0 \
                            and self.batch < n_batches:
                        if log is not None:
                            log.flush()
                        self.save()
                self.epoch += 1
                self.batch = 0
                if log is not None:
                    if not self.histogram_every or self.step % self.histogram_every:
                        self._histograms(log)
                    log.flush()
                self.save()
        finally:
            bar.close()
            if owns_log and log is not None:
                log.close()
        return FitResult(epochs=self.epochs, steps=self.step - start_step,
                         work=self.work_done - start_work,
                         seconds=time.perf_counter() - started,
                         loss=epoch_loss / epoch_loss_work if epoch_loss_work else math.nan,
                         resumed_step=resumed)
