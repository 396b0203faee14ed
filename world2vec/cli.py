"""The ``world2vec`` command.

Each subcommand lives in its own module under ``world2vec.commands`` and
exposes ``add_arguments(parser)`` and ``run(args) -> int``. This file only wires
them together, so the parser is built without importing numba, FAISS or Flask
(``world2vec --help`` stays instant). A command raises
:class:`~world2vec.commands.errors.UsageError` for the caller's mistakes, printed
here as one line with exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from world2vec import __version__
from world2vec.commands.errors import UsageError  # also importable from here, as before

__all__ = ["COMMANDS", "UsageError", "build_parser", "main"]

# name -> (module under world2vec.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("serve", "run the REST service (gunicorn) on a model and a persistent memory"),
    "train": ("train", "train word/concept vectors on a corpus (and optional relation graph)"),
    "eval": ("evaluate", "score a model on word analogies and word-similarity sets"),
    "import": ("convert", "import vectors in word2vec text or binary format into a model directory"),
    "export": ("convert", "export a model's vectors in word2vec text or binary format"),
    "load": ("load", "bulk-load memory items from a JSONL file into a data directory"),
    "dump": ("backup", "write a collection's items (with vectors) as JSON lines on stdout"),
    "restore": ("backup", "make a new data directory from a snapshot archive (POST /snapshots)"),
}


def _load_command(name: str) -> ModuleType:
    module_name, _ = COMMANDS[name]
    return importlib.import_module(f"world2vec.commands.{module_name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="world2vec",
        description="world2vec: train, store and query thought vectors.",
    )
    parser.add_argument("--version", action="version", version=f"world2vec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module = _load_command(name)
        adder = getattr(module, f"add_{name}_arguments", None) or module.add_arguments
        adder(command_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    module = _load_command(args.command)
    runner = getattr(module, f"run_{args.command}", None) or module.run
    try:
        return int(runner(args) or 0)
    except UsageError as exc:
        print(f"world2vec {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"world2vec {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
