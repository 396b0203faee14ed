"""A small in-memory stand-in for the service's collections, snapshots, relations and models
routes, answering in the shapes DESIGN.md promises, as a FakeServer handler.

It keeps real state (items written are read back, a scroll cursor follows ids, a deleted
collection is gone), so a client test can check what a user would see across several
calls, not just what one request carried. Vectors for texts come from hashing their words,
enough for "the item about cats ranks first for a query about cats".
"""

from __future__ import annotations

import io
import re
import tarfile
import zlib
from typing import Any
from urllib.parse import unquote

import numpy as np
from client_fake import Reply, Seen, problem

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
DIM = 8


def text_vector(text: str, dim: int = DIM) -> np.ndarray:
    vec = np.zeros(dim, dtype=np.float32)
    for word in re.findall(r"\w+", text.lower()):
        vec[zlib.crc32(word.encode()) % dim] += 1.0
    return vec


def matches(item: dict, flt: dict | None) -> bool:
    """The contract's filter language: kind, tags all/any/none, payload, or, not."""
    if not flt:
        return True
    if "kind" in flt and item.get("kind", "fact") != flt["kind"]:
        return False
    tags = set(item.get("tags") or [])
    spec = flt.get("tags") or {}
    if not set(spec.get("all", [])) <= tags or (spec.get("any") and not tags & set(spec["any"])):
        return False
    if tags & set(spec.get("none", [])):
        return False
    payload = item.get("payload") or {}
    for key, want in (flt.get("payload") or {}).items():
        have = payload.get(key)
        if isinstance(want, dict):
            ops = {"gte": lambda a, b: a >= b, "gt": lambda a, b: a > b,
                   "lte": lambda a, b: a <= b, "lt": lambda a, b: a < b}
            if have is None or not all(ops[op](have, v) for op, v in want.items()):
                return False
        elif have != want:
            return False
    if "or" in flt and not any(matches(item, f) for f in flt["or"]):
        return False
    return not ("not" in flt and matches(item, flt["not"]))


class FakeService:
    """Routes of DESIGN.md over dicts. ``api_key``: writes need it; ``disk_full``: writes get 507."""

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.disk_full = False
        self.collections: dict[str, dict[str, Any]] = {
            "default": {"dim": DIM, "metric": "cosine", "model": "default", "items": {}}}
        self.snapshots: dict[str, dict[str, Any]] = {}
        self.relations = {"capital": {"name": "capital", "method": "offset", "pairs": 40,
                                      "accuracy": 0.8, "source": "model"}}
        self.models = {"default": {"name": "default", "dim": DIM, "words": 1000,
                                   "created_at": "2024-01-01T00:00:00Z"}}
        self.active = "default"
        self.jobs: dict[str, dict[str, Any]] = {}

    # -- plumbing -----------------------------------------------------------------------
    def __call__(self, req: Seen) -> Reply:
        body = req.json() if req.body else {}
        parts = [unquote(p) for p in req.path.strip("/").split("/")]
        write = req.method in ("POST", "DELETE", "PATCH") and not self._read_post(parts)
        if write and self.api_key and req.headers.get("authorization") != f"Bearer {self.api_key}":
            return problem(401, "Unauthorized", "this server needs an API key")
        if write and self.disk_full:
            reply = problem(507, "Insufficient Storage", "the disk is full; nothing was written")
            reply.body["type"] = "https://world2vec.dev/problems/insufficient-storage"
            return reply
        if parts[0] == "collections" and len(parts) >= 3:
            name = parts[1]
            if name not in self.collections:
                return problem(404, "Not Found", f"no collection named {name!r}")
            return self._memory(req.method, parts[2:], body, name)
        if parts[0] in ("memories", "search", "qa"):
            return self._memory(req.method, parts, body, "default")
        route = getattr(self, f"_{parts[0]}", None)
        if route is None:
            return problem(404, "Not Found", f"no route {req.path}")
        return route(req.method, parts[1:], body, req.query)

    @staticmethod
    def _read_post(parts: list[str]) -> bool:
        tail = parts[-2:] if parts[0] == "collections" else parts
        return tail[-1] in ("search", "qa") or tail[-2:] in (["memories", "scroll"],
                                                              ["memories", "count"],
                                                              ["memories", "get"])

    @staticmethod
    def _public(item: dict, with_vector: bool = False) -> dict:
        out = {k: v for k, v in item.items() if k != "vector"}
        if with_vector:
            out["vector"] = item["vector"].tolist()
        return out

    # -- collections ----------------------------------------------------------------------
    def _collection_row(self, name: str) -> dict:
        c = self.collections[name]
        return {"name": name, "dim": c["dim"], "metric": c["metric"], "model": c["model"],
                "items": len(c["items"])}

    def _collections(self, method: str, rest: list[str], body: dict, query: dict) -> Reply:
        if not rest and method == "GET":
            return Reply(200, {"collections": [self._collection_row(n) for n in self.collections]})
        if not rest and method == "POST":
            name = body.get("name")
            if not isinstance(name, str) or not NAME.fullmatch(name):
                return problem(400, "Bad Request", f"collection name {name!r} must match "
                                                   f"{NAME.pattern}")
            if name in self.collections:
                return problem(409, "Conflict", f"collection {name!r} exists")
            model = body.get("model", "default")
            dim = body.get("dim") or (DIM if model else None)
            if dim is None:
                return problem(400, "Bad Request", "a collection without a model needs a dim")
            self.collections[name] = {"dim": dim, "metric": body.get("metric", "cosine"),
                                      "model": model, "items": {}}
            return Reply(201, self._collection_row(name))
        name = rest[0]
        if name not in self.collections:
            return problem(404, "Not Found", f"no collection named {name!r}")
        if method == "DELETE":
            del self.collections[name]
            return Reply(200, {"deleted": name})
        row = self._collection_row(name)
        return Reply(200, {**row, "index": {"type": "flat"}, "bytes": 4 * row["dim"] * row["items"]})

    # -- memories -------------------------------------------------------------------------
    def _memory(self, method: str, parts: list[str], body: dict, name: str) -> Reply:
        col = self.collections[name]
        items: dict[str, dict] = col["items"]
        if parts == ["memories"] and method == "POST":
            return self._add(col, body)
        if parts == ["search"]:
            if "queries" in body:
                shared = {k: v for k, v in body.items() if k != "queries"}
                return Reply(200, {"batches": [self._search(col, {**shared, **q})
                                               for q in body["queries"]]})
            return Reply(200, self._search(col, body))
        if parts == ["qa"]:
            hits = self._search(col, {"text": body["question"], "k": body.get("k", 3),
                                      "filter": body.get("filter")})["results"]
            return Reply(200, {"answers": [{"id": h["id"], "answer": h.get("answer") or h["text"],
                                            "score": h["score"], "support": [h["id"]]}
                                           for h in hits]})
        op = parts[1] if len(parts) == 2 else None
        if method == "POST" and op == "get":
            return Reply(200, {"items": [self._public(items[i]) for i in body["ids"] if i in items],
                               "missing": [i for i in body["ids"] if i not in items]})
        if method == "POST" and op == "delete":
            doomed = body["ids"] if "ids" in body else [
                i for i, it in items.items() if matches(it, body["filter"])]
            gone = [items.pop(i) for i in doomed if i in items]
            return Reply(200, {"deleted": len(gone)})
        if method == "POST" and op == "count":
            return Reply(200, {"count": sum(matches(it, body.get("filter")) for it in items.values())})
        if method == "POST" and op == "scroll":
            after = body.get("cursor") or ""
            chosen = [i for i in sorted(items) if i > after and matches(items[i], body.get("filter"))]
            page = chosen[:body["limit"]]
            more = len(chosen) > len(page)
            return Reply(200, {"items": [self._public(items[i], body.get("with_vectors", False))
                                         for i in page], "next_cursor": page[-1] if more else None})
        if op is None or op not in items:
            return problem(404, "Not Found", f"no stored memory has id {op!r}")
        if method == "GET":
            return Reply(200, self._public(items[op], True))
        if method == "DELETE":
            del items[op]
            return Reply(200, {"deleted": op})
        item = items[op]  # PATCH
        item["payload"] = {**item.get("payload", {}), **body.get("payload", {})}
        item.update({k: body[k] for k in ("tags", "kind", "answer") if k in body})
        return Reply(200, self._public(item))

    def _add(self, col: dict, body: dict) -> Reply:
        ids = []
        for pos, it in enumerate(body["items"]):
            if it.get("vector") is None and (it.get("text") is None or col["model"] is None):
                return problem(400, "Bad Request", f"item {pos}: give a vector"
                                                   + ("" if col["model"] is None else " or a text"))
            if it.get("id") in col["items"] and not body.get("upsert", True):
                return problem(409, "Conflict", f"id {it['id']!r} exists")
        for it in body["items"]:
            vec = it.get("vector")
            vec = text_vector(it["text"], col["dim"]) if vec is None else np.asarray(vec, np.float32)
            item_id = it.get("id") or f"srv-{len(col['items'])}"
            col["items"][item_id] = {"id": item_id, "kind": it.get("kind", "fact"),
                                     "text": it.get("text"), "tags": it.get("tags", []),
                                     "payload": it.get("payload", {}), "answer": it.get("answer"),
                                     "vector": vec}
            ids.append(item_id)
        return Reply(200, {"ids": ids})

    def _search(self, col: dict, body: dict) -> dict:
        if "vector" in body:
            query = np.asarray(body["vector"], np.float32)
        else:
            query = text_vector(body.get("text") or body.get("concept"), col["dim"])
        scored = []
        for item in col["items"].values():
            if matches(item, body.get("filter")):
                denom = float(np.linalg.norm(query) * np.linalg.norm(item["vector"])) or 1.0
                scored.append((float(query @ item["vector"]) / denom, item))
        scored.sort(key=lambda s: -s[0])
        if body.get("score_threshold") is not None:
            scored = [s for s in scored if s[0] >= body["score_threshold"]]
        offset = body.get("offset") or 0
        return {"results": [{**self._public(it, body.get("with_vectors", False)), "score": score}
                            for score, it in scored[offset:offset + body.get("k", 10)]]}

    # -- snapshots ------------------------------------------------------------------------
    def _snapshots(self, method: str, rest: list[str], body: dict, query: dict) -> Reply:
        if not rest and method == "POST":
            name = f"snap-{len(self.snapshots) + 1}.tar"
            data = io.BytesIO()
            with tarfile.open(fileobj=data, mode="w") as tar:
                for cname, col in self.collections.items():
                    lines = "".join(f"{self._public(it)}\n" for it in col["items"].values())
                    info = tarfile.TarInfo(f"{cname}.jsonl")
                    info.size = len(lines.encode())
                    tar.addfile(info, io.BytesIO(lines.encode()))
            items = sum(len(c["items"]) for c in self.collections.values())
            self.snapshots[name] = {"name": name, "bytes": len(data.getvalue()), "items": items,
                                    "created_at": "2024-05-01T12:00:00Z", "data": data.getvalue()}
            return Reply(201, {k: v for k, v in self.snapshots[name].items() if k != "data"})
        if not rest:
            return Reply(200, {"snapshots": [{k: v for k, v in s.items() if k != "data"}
                                             for s in self.snapshots.values()]})
        if rest[0] not in self.snapshots:
            return problem(404, "Not Found", f"no snapshot named {rest[0]!r}")
        return Reply(200, self.snapshots[rest[0]]["data"], "application/x-tar")

    # -- relations ------------------------------------------------------------------------
    def _relations(self, method: str, rest: list[str], body: dict, query: dict) -> Reply:
        if method == "GET":
            return Reply(200, {"relations": list(self.relations.values())})
        if method == "DELETE":
            rel = self.relations.get(rest[0])
            if rel is None:
                return problem(404, "Not Found", f"no relation named {rest[0]!r}")
            if rel["source"] == "model":
                return problem(409, "Conflict", f"{rest[0]!r} is the model's own relation")
            del self.relations[rest[0]]
            return Reply(200, {"deleted": rest[0]})
        if body["name"] in self.relations and not body.get("replace"):
            return problem(409, "Conflict", f"relation {body['name']!r} exists")
        unknown = [w for pair in body["pairs"] for w in pair if w.startswith("zz")]
        if unknown or len(body["pairs"]) < 3:
            return problem(400, "Bad Request", f"unknown words: {unknown}" if unknown
                           else "at least 3 usable pairs are needed")
        rel = {"name": body["name"], "method": "offset" if body["method"] == "auto"
               else body["method"], "pairs": len(body["pairs"]), "accuracy": 0.75}
        self.relations[body["name"]] = {**rel, "source": "user"}
        return Reply(201, rel)

    def _transform(self, method: str, rest: list[str], body: dict, query: dict) -> Reply:
        relation, concept = query["relation"][0], query["concept"][0]
        if relation not in self.relations:
            return problem(404, "Not Found", f"no relation named {relation!r}")
        k = int(query.get("k", ["10"])[0])
        return Reply(200, {"results": [{"id": f"{relation}-of-{concept}-{i}", "score": 0.9 - i / 10,
                                        "kind": "concept"} for i in range(k)]})

    # -- models and jobs ------------------------------------------------------------------
    def _models(self, method: str, rest: list[str], body: dict, query: dict) -> Reply:
        if method == "GET":
            return Reply(200, {"active": self.active, "models": [
                {**m, "active": m["name"] == self.active} for m in self.models.values()]})
        if rest == ["train"]:
            self.models[body["name"]] = {"name": body["name"], "dim": DIM, "words": 1200,
                                         "created_at": "2024-06-01T00:00:00Z"}
            return self._start("train", body["name"], fails="bad" in body["name"])
        if rest[0] not in self.models:
            return problem(404, "Not Found", f"no model named {rest[0]!r}")
        if "gate" in rest[0] and not body.get("force"):
            return problem(409, "Conflict", f"model {rest[0]!r} failed its evaluation gate")
        self.active = rest[0]
        return self._start("activate", rest[0], fails=False)

    def _start(self, kind: str, model: str, fails: bool) -> Reply:
        job_id = f"job-{len(self.jobs) + 1}"
        self.jobs[job_id] = {"id": job_id, "kind": kind, "state": "queued", "progress": 0.0,
                             "detail": None, "result": None, "polls": 0, "fails": fails}
        return Reply(202, {"job": job_id})

    def _jobs(self, method: str, rest: list[str], body: dict, query: dict) -> Reply:
        job = self.jobs.get(rest[0])
        if job is None:
            return problem(404, "Not Found", f"no job {rest[0]!r}")
        job["polls"] += 1  # each poll moves the job on: queued, running, then done or failed
        if job["polls"] == 2:
            job.update(state="running", progress=0.5, detail="epoch 1 of 2")
        elif job["polls"] >= 3:
            if job["fails"]:
                job.update(state="failed", detail="the corpus holds no known words")
            else:
                job.update(state="done", progress=1.0, detail="finished",
                           result={"gate": {"passed": True, "figures": {"analogy": 0.61}}})
        return Reply(200, {k: v for k, v in job.items() if k not in ("polls", "fails")})

    def _health(self, method: str, rest: list[str], body: dict, query: dict) -> Reply:
        return Reply(200, {"status": "ok", "model": self.active, "dim": DIM,
                           "items": len(self.collections["default"]["items"])})
