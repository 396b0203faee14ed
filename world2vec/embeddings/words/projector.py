"""Export for TensorBoard's embedding projector (and the standalone projector.tensorflow.org).

Why these three files: the projector reads a tensor as TSV (one vector per line,
values separated by tabs, no header) and labels from a second TSV, one line per
vector, which for a single column must have no header line (with a header the
first word would be taken as a column name and every label shifted by one).
``projector_config.pbtxt`` names both, so ``tensorboard --logdir DIR`` shows the
embedding under the model's name; the standalone projector takes the two TSVs
through its "Load" button.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from world2vec.engine.progress import Progress

VECTORS_FILE = "vectors.tsv"
METADATA_FILE = "metadata.tsv"
CONFIG_FILE = "projector_config.pbtxt"


def _label(word: str) -> str:
    """One TSV cell: a tab or line break inside a word would break the row count."""
    return word.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _pbtxt_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_projector(words: Sequence[str], vectors: np.ndarray, directory: str | os.PathLike,
                    name: str = "world2vec", progress: bool | None = False) -> dict[str, str]:
    """Write vectors.tsv, metadata.tsv and projector_config.pbtxt into ``directory``.

    The directory is created when missing; the three files are replaced when present.
    Returns the paths written, by role (``vectors``, ``metadata``, ``config``).
    """
    if len(words) != len(vectors):
        raise ValueError(f"{len(words)} words but {len(vectors)} vectors")
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    paths = {"vectors": os.path.join(directory, VECTORS_FILE),
             "metadata": os.path.join(directory, METADATA_FILE),
             "config": os.path.join(directory, CONFIG_FILE)}
    dim = int(vectors.shape[1]) if len(vectors) else 0
    row_fmt = "\t".join(["%.9g"] * dim)
    block = 4096
    with open(paths["vectors"], "w", encoding="utf-8", newline="\n") as vf, \
            open(paths["metadata"], "w", encoding="utf-8", newline="\n") as mf, \
            Progress(total=len(words), desc="export", unit="words", enabled=progress) as bar:
        for a in range(0, len(words), block):
            chunk = np.asarray(vectors[a:a + block], dtype=np.float32)
            vf.write("".join(row_fmt % tuple(row.tolist()) + "\n" for row in chunk))
            mf.write("".join(_label(w) + "\n" for w in words[a:a + block]))
            bar.update(len(chunk))
    with open(paths["config"], "w", encoding="utf-8") as cf:
        cf.write("embeddings {\n"
                 f"  tensor_name: {_pbtxt_string(name)}\n"
                 f"  tensor_path: {_pbtxt_string(VECTORS_FILE)}\n"
                 f"  metadata_path: {_pbtxt_string(METADATA_FILE)}\n"
                 "}\n")
    return paths
