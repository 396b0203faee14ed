"""Graph export (engine/graph.py): a small model as JSON and DOT, and to files."""

import json

import numpy as np
import pytest

from world2vec.engine import Tensor, graph_dict, save_graph, softmax_cross_entropy, to_dot, to_json


def _small_model():
    rng = np.random.default_rng(0)
    W = Tensor(rng.normal(size=(3, 4)), requires_grad=True, name="W")
    b = Tensor(np.zeros(4), requires_grad=True, name="b")
    x = Tensor(rng.normal(size=(2, 3)), name="x")
    loss = softmax_cross_entropy((x @ W + b).relu(), np.array([1, 2]))
    return W, b, x, loss


def test_graph_json_describes_the_model():
    W, b, x, loss = _small_model()
    graph = json.loads(to_json(loss))
    assert graph == graph_dict(loss)
    nodes = {n["id"]: n for n in graph["nodes"]}
    by_name = {n["name"]: n for n in graph["nodes"] if n["name"]}
    assert by_name["W"]["kind"] == "parameter" and by_name["W"]["shape"] == [3, 4]
    assert by_name["x"]["kind"] == "constant" and not by_name["x"]["requires_grad"]
    ops = [n["op"] for n in graph["nodes"] if n["kind"] == "op"]
    assert ops == ["matmul", "add", "relu", "softmax_cross_entropy", "sum", "mul"]  # mean = sum * 1/n
    out = nodes[graph["output"]]
    assert out["shape"] == [] and out["id"] == max(nodes)       # output comes last
    edges = {(e["from"], e["to"]) for e in graph["edges"]}
    matmul = next(n["id"] for n in graph["nodes"] if n["op"] == "matmul")
    assert (by_name["W"]["id"], matmul) in edges and (by_name["x"]["id"], matmul) in edges
    # topological: every edge points forward
    assert all(a < b for a, b in edges)


def test_graph_dot_and_files(tmp_path):
    *_, loss = _small_model()
    dot = to_dot(loss)
    assert dot.startswith('digraph "world2vec" {') and dot.rstrip().endswith("}")
    assert "matmul" in dot and '"W\\n(3, 4)"' in dot
    assert dot.count("->") == len(graph_dict(loss)["edges"])
    save_graph(loss, tmp_path / "g.dot")
    save_graph(loss, tmp_path / "g.json")
    assert (tmp_path / "g.dot").read_text() == dot
    assert json.loads((tmp_path / "g.json").read_text())["output"] == graph_dict(loss)["output"]
    with pytest.raises(ValueError, match=".dot"):
        save_graph(loss, tmp_path / "g.png")
