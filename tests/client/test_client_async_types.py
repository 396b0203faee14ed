"""The async client's static types: what a user's type checker reads of ``AsyncClient``.

Its methods are the sync ones returning coroutines at run time, so the types come from
world2vec_client/async_client.pyi. These tests keep that stub in step with ``Client``
and ``Collection`` (names, parameters, result types) and with the runtime classes, and
run mypy on code using both clients to see that ``await c.search(...)`` type-checks to
``Hits`` while a forgotten ``await`` is still caught.
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import world2vec_client
from world2vec_client import AsyncClient, AsyncCollection, Client, Collection

PACKAGE = Path(world2vec_client.__file__).parent
STUB = PACKAGE / "async_client.pyi"

# Declared as plain ``def`` in the stub: no request is sent (collection, the properties)
# or the result is iterated rather than awaited (iter_items, an async generator).
NOT_AWAITED = {"collection", "iter_items", "url", "format"}


def stub_classes() -> dict[str, dict[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Each class of the stub with its methods, its stub base classes' included."""
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    classes: dict[str, dict[str, ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
            for base in node.bases:
                methods.update(classes[ast.unparse(base)])
            methods.update({f.name: f for f in node.body
                            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))})
            classes[node.name] = methods
    return classes


def stub_params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple]:
    """(name, kind, default, annotation) for each parameter, as inspect would list them."""
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [inspect.Parameter.empty] * (len(positional) - len(a.defaults)) + [
        ast.literal_eval(d) for d in a.defaults]
    kinds = ([inspect.Parameter.POSITIONAL_ONLY] * len(a.posonlyargs)
             + [inspect.Parameter.POSITIONAL_OR_KEYWORD] * len(a.args))
    out = [(p.arg, k, d, p.annotation) for p, k, d in zip(positional, kinds, defaults)]
    if a.vararg:
        out.append((a.vararg.arg, inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.empty,
                    a.vararg.annotation))
    for p, d in zip(a.kwonlyargs, a.kw_defaults):
        out.append((p.arg, inspect.Parameter.KEYWORD_ONLY,
                    inspect.Parameter.empty if d is None else ast.literal_eval(d), p.annotation))
    if a.kwarg:
        out.append((a.kwarg.arg, inspect.Parameter.VAR_KEYWORD, inspect.Parameter.empty,
                    a.kwarg.annotation))
    return [(n, k, d, "" if ann is None else ast.unparse(ann)) for n, k, d, ann in out]


def runtime_params(fn) -> list[tuple]:
    """The same for a runtime method; its annotations are strings (``from __future__
    import annotations`` in every client module), written as the stub writes them."""
    target = fn.fget if isinstance(fn, property) else fn
    return [(p.name, p.kind, p.default,
             "" if p.annotation is inspect.Parameter.empty else str(p.annotation))
            for p in inspect.signature(target).parameters.values()]


def public_names(cls) -> set[str]:
    return {n for n in dir(cls) if not n.startswith("_")}


def async_return(sync_return: str) -> str:
    """The result type the async twin of a sync method declares."""
    text = re.sub(r"^C$", "Collection", sync_return)  # AdminOps[Collection].create_collection
    text = re.sub(r"\bCollection\b", "AsyncCollection", text)
    return re.sub(r"\bIterator\b", "AsyncIterator", text)


@pytest.mark.parametrize("sync,aio", [(Client, AsyncClient), (Collection, AsyncCollection)])
def test_stub_declares_every_sync_method_with_its_parameters(sync, aio):
    declared = stub_classes()[aio.__name__]
    assert public_names(sync) - set(declared) == set(), "missing from async_client.pyi"
    assert {n for n in declared if not n.startswith("_")} == public_names(sync)
    for name in sorted(public_names(sync)):
        method = inspect.getattr_static(sync, name)
        fn = declared[name]
        assert stub_params(fn) == runtime_params(method), name
        awaited = name not in NOT_AWAITED
        assert isinstance(fn, ast.AsyncFunctionDef) == awaited, \
            f"{name} should be {'async def' if awaited else 'def'} in the stub"
        target = method.fget if isinstance(method, property) else method
        want = async_return(inspect.signature(target).return_annotation)
        assert ast.unparse(fn.returns) == want, name


@pytest.mark.parametrize("aio", [AsyncClient, AsyncCollection])
def test_stub_matches_the_runtime_async_classes(aio):
    declared = stub_classes()[aio.__name__]
    assert {n for n in declared if not n.startswith("_")} == public_names(aio)
    for name in [*public_names(aio), "__init__"]:
        assert stub_params(declared[name]) == runtime_params(
            inspect.getattr_static(aio, name)), name
    # what `async with` needs is declared, and awaited
    if aio is AsyncClient:
        assert isinstance(declared["__aenter__"], ast.AsyncFunctionDef)
        assert isinstance(declared["__aexit__"], ast.AsyncFunctionDef)


def test_stub_is_shipped_in_the_package():
    cfg = configparser.ConfigParser()
    cfg.read(PACKAGE.parent / "setup.cfg")
    patterns = [p.strip() for p in cfg["options.package_data"]["world2vec_client"].split(",")]
    assert any(fnmatch.fnmatch(STUB.name, p) for p in patterns)
    assert any(fnmatch.fnmatch("py.typed", p) for p in patterns)


# -- mypy on code that uses the clients --------------------------------------------------

ASYNC_USE = '''
import asyncio
from world2vec_client import AsyncClient

async def main() -> None:
    async with AsyncClient("http://127.0.0.1:8000") as c:
        reveal_type(await c.search("a cat", k=5))  # R: world2vec_client.models.Hits
        reveal_type(await c.add([{"text": "a cat"}]))  # R: list[str]
        async for item in c.iter_items(page_size=10):
            reveal_type(item)  # R: world2vec_client.models.Item
        notes = c.collection("notes")
        reveal_type(notes)  # R: world2vec_client.async_client.AsyncCollection
        reveal_type(await notes.count())  # R: int
        reveal_type(await notes.add_many([{"text": "x"}]))  # R: world2vec_client.batch.BatchReport
        reveal_type(await notes.info())  # R: world2vec_client.resources.CollectionInfo
        made = await c.create_collection("more", dim=4, model=None)
        reveal_type(made)  # R: world2vec_client.async_client.AsyncCollection
        reveal_type(await c.wait(await c.train("m2", texts=["a b"])))  # R: world2vec_client.resources.Job
        both = await asyncio.gather(c.health(), c.count())
        reveal_type(both)  # R: tuple[world2vec_client.models.Health, int]
        task = asyncio.create_task(c.similar("cat"))
        reveal_type(await task)  # R: world2vec_client.models.Hits
'''

SYNC_USE = '''
from world2vec_client import Client

def main() -> None:
    with Client("http://127.0.0.1:8000") as c:
        reveal_type(c.search("a cat", k=5))  # R: world2vec_client.models.Hits
        reveal_type(c.add([{"text": "a cat"}]))  # R: list[str]
        for item in c.iter_items(page_size=10):
            reveal_type(item)  # R: world2vec_client.models.Item
        notes = c.collection("notes")
        reveal_type(notes)  # R: world2vec_client.client.Collection
        reveal_type(notes.count())  # R: int
        reveal_type(notes.add_many([{"text": "x"}]))  # R: world2vec_client.batch.BatchReport
        reveal_type(notes.info())  # R: world2vec_client.resources.CollectionInfo
        made = c.create_collection("more", dim=4, model=None)
        reveal_type(made)  # R: world2vec_client.client.Collection
        reveal_type(c.wait(c.train("m2", texts=["a b"])))  # R: world2vec_client.resources.Job
'''

# Mistakes a checker must still catch, each on its own line: the results are not
# interchangeable between the two clients.
MISUSE = '''
from world2vec_client import AsyncClient, Client, Hits

async def main(a: AsyncClient, s: Client) -> None:
    hits: Hits = a.search("a cat")  # E: assignment
    await s.search("a cat")  # E: misc
    for item in a.iter_items():  # E: attr-defined
        pass
    await a.search("a cat", k="five")  # E: arg-type
    a.collection("notes").upsert([{"text": "x"}], upsert=False)  # E: call-arg
'''


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory) -> Path:
    """One cache for the module's mypy runs, so numpy's stubs are analysed once."""
    return tmp_path_factory.mktemp("mypy_cache")


def run_mypy(tmp_path: Path, cache: Path, code: str) -> list[str]:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install -e '.[dev]' brings it)")
    source = tmp_path / "use.py"
    source.write_text(code, encoding="utf-8")
    # MYPYPATH puts this checkout's client ahead of any installed copy;
    # --follow-imports=silent reports only what is wrong in the snippet.
    env = {**os.environ, "MYPYPATH": str(PACKAGE.parent)}
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file=", "--follow-imports=silent",
         "--no-error-summary", "--show-error-codes", "--cache-dir", str(cache),
         str(source)],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr + done.stdout
    return done.stdout.splitlines()


def expected(code: str, tag: str) -> dict[int, str]:
    """Line number -> what the ``# <tag>: ...`` comment on that line expects."""
    return {i: line.split(f"# {tag}: ", 1)[1].strip()
            for i, line in enumerate(code.splitlines(), 1) if f"# {tag}: " in line}


@pytest.mark.parametrize("code", [ASYNC_USE, SYNC_USE], ids=["async", "sync"])
def test_mypy_types_both_clients(tmp_path, mypy_cache, code):
    lines = run_mypy(tmp_path, mypy_cache, code)
    assert [line for line in lines if ": error:" in line] == []
    revealed = {}
    for line in lines:
        m = re.match(r".*use\.py:(\d+): note: Revealed type is \"(.*)\"$", line)
        if m:
            revealed[int(m[1])] = m[2].replace("builtins.", "")  # mypy 1.x: builtins.int
    assert revealed == expected(code, "R")


def test_mypy_still_catches_misuse(tmp_path, mypy_cache):
    lines = run_mypy(tmp_path, mypy_cache, MISUSE)
    found = {}
    for line in lines:
        m = re.match(r".*use\.py:(\d+): error: .*\[([a-z-]+)\]$", line)
        if m:
            found.setdefault(int(m[1]), m[2])
    assert found == expected(MISUSE, "E")
