"""Sampling tables for the SGNS kernel, and its cache-prefetch intrinsic.

Kept apart from ``sgns.py`` (which re-exports :func:`alias_table` and
:func:`keep_probabilities`) so the kernel module holds only the kernel. Both
tables are uint32 thresholds compared with a uniform 32-bit draw, so the kernel
needs no floating-point random numbers; ``prefetch`` is a numba intrinsic the
kernel inlines (it must be importable by ``sgns.py``'s cache=True functions).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic


def alias_table(counts: np.ndarray, power: float = 0.75) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias tables for sampling word ids with probability ~ count**power.

    Returns ``(threshold, alias)``: draw ``i`` uniformly, then keep ``i`` when a
    uniform 32-bit number is below ``threshold[i]``, else take ``alias[i]``.
    """
    weights = np.asarray(counts, dtype=np.float64) ** power
    n = len(weights)
    if n == 0 or weights.sum() <= 0:
        raise ValueError("cannot build a noise distribution from an empty vocabulary")
    prob = weights * (n / weights.sum())
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if prob[i] < 1.0]
    large = [i for i in range(n) if prob[i] >= 1.0]
    while small and large:
        s = small.pop()
        g = large[-1]
        alias[s] = g
        prob[g] -= 1.0 - prob[s]
        if prob[g] < 1.0:
            large.pop()
            small.append(g)
    for i in small + large:  # numerical leftovers are certain picks
        prob[i] = 1.0
    threshold = np.minimum(prob * 4294967296.0, 4294967295.0).astype(np.uint32)
    return threshold, alias


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """word2vec's subsampling: P(keep w) = (sqrt(f/(s*T)) + 1) * (s*T)/f, capped at 1.

    Returned as uint32 thresholds (compared with a uniform 32-bit draw) so the
    kernel needs no floating-point random numbers.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0 or counts.sum() == 0:
        return np.full(len(counts), 4294967295, dtype=np.uint32)
    threshold_count = sample * counts.sum()
    with np.errstate(divide="ignore"):
        p = (np.sqrt(counts / threshold_count) + 1.0) * threshold_count / np.maximum(counts, 1.0)
    p = np.minimum(p, 1.0)
    return np.minimum(p * 4294967296.0, 4294967295.0).astype(np.uint32)


@intrinsic
def prefetch(typingctx, matrix, row, col):
    """Hint the CPU to fetch the cache line of ``matrix[row, col]`` for writing.

    Why: a negative's output row is a random, usually cache-missing read;
    asking for it as soon as the negative is drawn overlaps the miss with the
    remaining draws and dot products. A hint only: results never depend on it."""
    if not (isinstance(matrix, types.Array) and matrix.ndim == 2
            and isinstance(row, types.Integer) and isinstance(col, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        idx = [context.cast(builder, v, t, types.intp) for v, t in zip(args[1:], signature.args[1:])]
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, idx, wraparound=False)
        i32 = ir.IntType(32)
        i8p = ir.IntType(8).as_pointer()
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 1), ir.Constant(i32, 3),
                          ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(matrix, row, col), codegen
