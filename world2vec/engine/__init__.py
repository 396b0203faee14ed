"""world2vec's training engine: the lowest layer, knowing nothing of the others.

Tensors with define-by-run autodiff, losses, optimizers, a generic trainer with
learning-rate schedules, atomic checkpoints, a JSON-lines event log and graph
export. See docs/ARCHITECTURE.md (engine) for the Task protocol the trainer runs.
"""

from .checkpoint import CheckpointError, latest_checkpoint, list_checkpoints, load_checkpoint, save_checkpoint
from .events import EventLog, read_events, scalars, truncate_events
from .graph import graph_dict, save_graph, to_dot, to_json
from .linalg import unit_rows
from .losses import margin_ranking_loss, negative_sampling_loss, softmax_cross_entropy
from .ops import (
                         concatenate,
                         cosine_similarity,
                         embedding,
                         exp,
                         log,
                         log_sigmoid,
                         log_softmax,
                         relu,
                         sigmoid,
                         softmax,
                         sqrt,
                         stack,
                         tanh,
)
from .optim import SGD, Adagrad, Adam, Optimizer
from .progress import Progress, track
from .schedules import Constant, CosineDecay, LinearDecay, Schedule
from .tasks import Minibatches, TensorTask, minibatches
from .tensor import RowSparse, Tensor, as_tensor
from .trainer import FitResult, Task, Trainer

__all__ = [
    "Tensor", "RowSparse", "as_tensor",
    "concatenate", "cosine_similarity", "embedding", "exp", "log", "log_sigmoid", "log_softmax",
    "relu", "sigmoid", "softmax", "sqrt", "stack", "tanh",
    "softmax_cross_entropy", "negative_sampling_loss", "margin_ranking_loss",
    "Optimizer", "SGD", "Adagrad", "Adam",
    "Trainer", "Task", "FitResult", "TensorTask", "Minibatches", "minibatches",
    "Schedule", "Constant", "LinearDecay", "CosineDecay",
    "CheckpointError", "save_checkpoint", "load_checkpoint", "latest_checkpoint",
    "list_checkpoints",
    "EventLog", "read_events", "scalars", "truncate_events",
    "graph_dict", "to_dot", "to_json", "save_graph",
    "Progress", "track",
    "unit_rows",
]
