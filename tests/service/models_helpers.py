"""Shared by the model tests: memories with distinct texts, a new text, jobs, readers.

A module of its own (not conftest.py), imported by name like service_server.py.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np
import requests
from service_model_fixture import FILLER, WORDS
from service_server import API_KEY

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "embeddings",
                                "continued"))
from continued_texts import fixture_text

AUTH = {"Authorization": f"Bearer {API_KEY}"}
__all__ = ["AUTH", "fixture_text", "memory_items", "load_items", "wait_job", "Readers",
           "own_text_found_first"]


def memory_items(n: int, seed: int = 3) -> list[dict]:
    """``n`` memories, each text five distinct content words of the fixture model (no two
    alike), and one item with only a vector."""
    rng = np.random.default_rng(seed)
    words = sorted(WORDS)
    seen: set[tuple[str, ...]] = set()
    items = []
    while len(items) < n:
        pick = tuple(sorted(rng.choice(words, 5, replace=False).tolist()))
        if pick in seen:
            continue
        seen.add(pick)
        text = " ".join([pick[0], FILLER[len(items) % len(FILLER)], *pick[1:]])
        items.append({"id": f"m{len(items):05d}", "text": text, "tags": ["t"]})
    return items


def load_items(url: str, items: list[dict], dim: int) -> None:
    for start in range(0, len(items), 500):
        r = requests.post(url + "/memories", json={"items": items[start:start + 500]},
                          headers=AUTH, timeout=60)
        assert r.status_code == 200, r.text
    vector = np.random.default_rng(9).standard_normal(dim).tolist()
    r = requests.post(url + "/memories", json={"items": [{"id": "vector-only", "vector": vector}]},
                      headers=AUTH, timeout=60)
    assert r.status_code == 200, r.text


def wait_job(url: str, job: str, timeout: float = 180.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = requests.get(f"{url}/jobs/{job}", timeout=30).json()
        if state["state"] in ("done", "failed"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"job {job} did not finish in {timeout} s: {state}")


def own_text_found_first(url: str, items: list[dict], sample: int = 40, seed: int = 1,
                         collection: str | None = None) -> list[str]:
    """The ids (of a sample) whose own text does NOT find them first with /search (of
    ``collection``, if given)."""
    rng = np.random.default_rng(seed)
    missed = []
    scope = f"/collections/{collection}" if collection else ""
    for i in rng.choice(len(items), min(sample, len(items)), replace=False):
        item = items[int(i)]
        hits = requests.post(url + scope + "/search", json={"text": item["text"], "k": 1},
                             timeout=30).json()["results"]
        if not hits or hits[0]["id"] != item["id"]:
            missed.append(item["id"])
    return missed


class Readers:
    """Three threads reading all the time (/search by an item's own text, /similar, /health);
    every failed request (not 200, an exception, an item not found first) is recorded."""

    def __init__(self, url: str, items: list[dict], threads: int = 3) -> None:
        self.url, self.items = url, items
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.requests = 0
        self.models: set[str] = set()
        self._threads = [threading.Thread(target=self._run, args=(k,), daemon=True)
                         for k in range(threads)]

    def __enter__(self) -> Readers:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self._threads:
            t.join(timeout=60)

    def _run(self, k: int) -> None:
        rng = np.random.default_rng(100 + k)
        session = requests.Session()
        while not self.stop.is_set():
            item = self.items[int(rng.integers(len(self.items)))]
            try:
                r = session.post(self.url + "/search", json={"text": item["text"], "k": 1},
                                 timeout=30)
                if r.status_code != 200 or r.json()["results"][0]["id"] != item["id"]:
                    self.failures.append(f"search {item['id']}: {r.status_code} {r.text[:200]}")
                r = session.get(self.url + "/similar", params={"concept": "cat", "k": 3},
                                timeout=30)
                if r.status_code != 200:
                    self.failures.append(f"similar: {r.status_code} {r.text[:200]}")
                r = session.get(self.url + "/health", timeout=30)
                if r.status_code != 200:
                    self.failures.append(f"health: {r.status_code}")
                else:
                    self.models.add(r.json()["model"])
                self.requests += 3
            except requests.RequestException as exc:
                self.failures.append(f"{type(exc).__name__}: {exc}")
