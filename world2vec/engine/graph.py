"""Export the computation graph behind a tensor as DOT (Graphviz) or JSON.

Why: the engine descends from the TensorFlow slides' "a graph you can look at".
A model's loss graph, exported once, shows what feeds what (and which tensors are
trained parameters) without any tool beyond a text editor or ``dot -Tsvg``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .tensor import Tensor

__all__ = ["graph_dict", "to_dot", "to_json", "save_graph"]


def _kind(node: Tensor) -> str:
    if node._parents:
        return "op"
    return "parameter" if node.requires_grad else "constant"


def graph_dict(root: Tensor) -> dict[str, Any]:
    """``{"nodes": [...], "edges": [...], "output": id}``; nodes are in topological
    order (inputs first) with ``id, kind, op, name, shape, dtype, requires_grad`` and the ``value`` of
    single-number inputs;
    an edge ``{"from": a, "to": b}`` says b was computed from a."""
    order = root.graph()
    number = {id(node): i for i, node in enumerate(order)}
    nodes = [{"id": number[id(n)], "kind": _kind(n), "op": n.op or None, "name": n.name,
              "shape": list(n.shape), "dtype": str(n.dtype), "requires_grad": n.requires_grad,
              "value": float(n.data.real.item()) if not n._parents and n.size == 1 else None}
             for n in order]
    edges = [{"from": number[id(p)], "to": number[id(n)]} for n in order for p in n._parents]
    return {"format": "world2vec-graph/1", "nodes": nodes, "edges": edges,
            "output": number[id(root)]}


def to_json(root: Tensor, indent: int | None = 2) -> str:
    return json.dumps(graph_dict(root), indent=indent)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(root: Tensor, title: str = "world2vec") -> str:
    """Graphviz source: parameters as boxes, constants as plain boxes, ops as ellipses."""
    graph = graph_dict(root)
    lines = [f"digraph {_quote(title)} {{", "  rankdir=LR;",
             '  node [fontname="Helvetica", fontsize=10];']
    styles = {"parameter": 'shape=box, style="rounded,filled", fillcolor="#cfe8ff"',
              "constant": 'shape=box, color="#888888"', "op": "shape=ellipse"}
    for node in graph["nodes"]:
        head = node["op"] if node["kind"] == "op" else (node["name"] or node["kind"])
        if node["kind"] == "constant" and not node["name"] and node["value"] is not None:
            head = f"{node['value']:g}"
        if node["kind"] == "op" and node["name"]:
            head = f"{node['name']}: {head}"
        label = f"{head}\n{tuple(node['shape'])}"
        extra = ", penwidth=2" if node["id"] == graph["output"] else ""
        lines.append(f"  n{node['id']} [label={_quote(label)}, {styles[node['kind']]}{extra}];")
    for edge in graph["edges"]:
        lines.append(f"  n{edge['from']} -> n{edge['to']};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def save_graph(root: Tensor, path: str | os.PathLike) -> str:
    """Write the graph to ``path``: ``.dot``/``.gv`` as DOT, ``.json`` as JSON."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext in (".dot", ".gv"):
        text = to_dot(root)
    elif ext == ".json":
        text = to_json(root)
    else:
        raise ValueError(f"graph file must end in .dot, .gv or .json, got {path!r}")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path
