"""Background jobs (training, activation): one at a time, polled through ``GET /jobs/<id>``.

Why one at a time: a training job and a switch each take a machine's spare CPU and a
copy of the memory's worth of disk; two at once would starve the requests the service
is for, and a switch racing a training that reads the memory's texts gains nothing. A
second job while one is queued or running is refused (409) rather than queued, so a
caller never waits on work it cannot see.

Jobs live in memory: a restart forgets them (a training job's model is on disk once it
is done; a switch interrupted by a crash restarts on one side, see switch.py).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("world2vec.service")

STATES = ("queued", "running", "done", "failed")


class JobBusy(Exception):
    """Another job is queued or running (answered 409, naming it)."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"job {job.id} ({job.kind}) is {job.state}; one job runs at a time")
        self.job = job


class JobFailure(Exception):
    """A job's expected failure: its message becomes the job's ``detail`` (no traceback)."""


@dataclass
class Job:
    id: str
    kind: str
    state: str = "queued"
    progress: float = 0.0
    detail: str | None = None
    result: dict | None = None
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "state": self.state,
                "progress": round(float(self.progress), 4), "detail": self.detail,
                "result": self.result, "created_at": self.created_at,
                "finished_at": self.finished_at}

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


class JobHandle:
    """What a job's work sees of its job: report progress and what it is doing."""

    def __init__(self, board: JobBoard, job: Job) -> None:
        self._board, self.job = board, job

    def progress(self, fraction: float, detail: str | None = None) -> None:
        with self._board.lock:
            self.job.progress = min(max(float(fraction), self.job.progress), 1.0)
            if detail is not None:
                self.job.detail = detail


class JobBoard:
    """The jobs of this process, newest last (the last ``keep`` are remembered)."""

    def __init__(self, keep: int = 200) -> None:
        self.lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._keep = keep

    def start(self, kind: str, work: Callable[[JobHandle], dict]) -> Job:
        """Run ``work(handle) -> result`` in a background thread as a new job; ``JobBusy``
        if one is queued or running. A :class:`JobFailure` (or any error) fails the job."""
        with self.lock:
            for job in self._jobs.values():
                if not job.finished:
                    raise JobBusy(job)
            job = Job(uuid.uuid4().hex[:16], kind)
            self._jobs[job.id] = job
            while len(self._jobs) > self._keep:
                self._jobs.popitem(last=False)
        thread = threading.Thread(target=self._run, args=(job, work), daemon=True,
                                  name=f"world2vec-job-{kind}-{job.id}")
        thread.start()
        return job

    def _run(self, job: Job, work: Callable[[JobHandle], dict]) -> None:
        with self.lock:
            job.state = "running"
        try:
            result = work(JobHandle(self, job))
        except JobFailure as exc:
            self._finish(job, "failed", str(exc), None)
        except Exception as exc:  # a job must end failed, never hang running
            log.exception("job %s (%s) failed", job.id, job.kind)
            self._finish(job, "failed", f"{type(exc).__name__}: {exc}", None)
        else:
            self._finish(job, "done", job.detail, result)

    def _finish(self, job: Job, state: str, detail: str | None, result: dict | None) -> None:
        with self.lock:
            job.state, job.detail, job.result = state, detail, result
            if state == "done":
                job.progress = 1.0
            job.finished_at = time.time()

    def get(self, job_id: str) -> dict | None:
        with self.lock:
            job = self._jobs.get(job_id)
            return None if job is None else job.to_json()

    def list(self) -> list[dict]:
        with self.lock:
            return [job.to_json() for job in reversed(self._jobs.values())]

    def wait_idle(self, timeout: float) -> bool:
        """For tests and shutdown: True once no job is queued or running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(job.finished for job in self._jobs.values()):
                    return True
            time.sleep(0.05)
        return False
