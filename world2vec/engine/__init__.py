"""world2vec's training engine: the lowest layer, knowing nothing of the others.

Tensors with define-by-run autodiff, losses, optimizers, a generic trainer with
learning-rate schedules, atomic checkpoints, a JSON-lines event log and graph
export. See docs/ARCHITECTURE.md (engine) for the Task protocol the trainer runs.
"""

from .checkpoint import (CheckpointError, latest_checkpoint, list_checkpoints, load_checkpoint,
                         save_checkpoint)
from .events import EventLog, read_events, scalars, truncate_events
from .progress import Progress, track
from .schedules import Constant, CosineDecay, LinearDecay, Schedule
from .trainer import FitResult, Task, Trainer

__all__ = [
    "CheckpointError", "latest_checkpoint", "list_checkpoints", "load_checkpoint",
    "save_checkpoint", "EventLog", "read_events", "scalars", "truncate_events", "Progress",
    "track", "Constant", "CosineDecay", "LinearDecay", "Schedule", "FitResult", "Task", "Trainer",
]
