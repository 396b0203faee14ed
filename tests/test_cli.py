"""The ``world2vec`` command's wiring: help, version, unknown commands, usage errors."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from world2vec import __version__, cli

DESIGN_COMMANDS = ["serve", "train", "eval", "import", "export", "load", "dump", "restore"]


def run_cli(*args: str, module: str = "world2vec.cli") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args],
                          capture_output=True, text=True, timeout=120)


def test_help_lists_every_command_of_the_design():
    result = run_cli("--help")
    assert result.returncode == 0
    for name in DESIGN_COMMANDS:
        assert f"    {name} " in result.stdout, name


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_no_command_prints_help_and_exits_2():
    result = run_cli()
    assert result.returncode == 2
    assert "COMMAND" in result.stdout


def test_unknown_command_is_a_usage_error():
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_usage_error_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path):
    module = tmp_path / "w2v_fake_cmd.py"
    module.write_text(
        "from world2vec.commands.errors import UsageError\n"
        "def add_arguments(p):\n    p.add_argument('--x')\n"
        "def run(args):\n    raise UsageError('no such file: ' + str(args.x))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(cli.COMMANDS, "fake", ("fake", "fake"))
    monkeypatch.setattr(cli, "_load_command",
                        lambda name: __import__("w2v_fake_cmd"))
    assert cli.main(["fake", "--x", "a.txt"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "world2vec fake: error: no such file: a.txt"


def test_python_dash_m_world2vec_is_the_same_command():
    result = run_cli("--version", module="world2vec")
    assert result.returncode == 0, result.stderr
    assert __version__ in result.stdout


@pytest.mark.parametrize("module", ["world2vec.cli", "world2vec"])
def test_a_command_usage_error_under_python_dash_m_is_one_line_and_exit_2(module, tmp_path):
    result = run_cli("eval", "--model", str(tmp_path), module=module)
    assert result.returncode == 2
    assert result.stderr.startswith("world2vec eval: error: nothing to evaluate")
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_imports_no_heavy_module():
    code = ("import sys; from world2vec import cli; cli.build_parser(); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'numpy', 'numba', 'faiss', 'flask', 'gunicorn'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("name", DESIGN_COMMANDS)
def test_each_command_has_help(name):
    result = run_cli(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: world2vec" in result.stdout


def test_train_help_shows_the_defaults():
    result = run_cli("train", "--help")
    assert result.returncode == 0, result.stderr
    help_text = " ".join(result.stdout.split())   # argparse wraps lines
    assert "--dim DIM vector dimensions (default: 100)" in help_text
    assert "(default: skipgram)" in help_text and "(default: 0.025)" in help_text


def subcommand_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.mark.parametrize("name", DESIGN_COMMANDS)
def test_every_option_with_a_default_shows_it_in_help(name):
    """An option left out takes a value; --help must say which (None means none, or says so)."""
    parser = subcommand_parsers()[name]
    for action in parser._actions:
        if not action.option_strings or action.required or action.nargs == 0:
            continue   # positionals, required options, flags and --help have no default to show
        shown = action.help % vars(action) if action.help else ""   # as argparse expands it
        if action.default is not None:
            assert f"default: {action.default}" in shown, (name, action.dest, shown)
        elif name == "serve":   # None there defers to WORLD2VEC_* or the configuration's default
            assert "default: " in shown, (name, action.dest, shown)
