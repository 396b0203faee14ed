"""The ``world2vec`` command's wiring: help, version, unknown and unbuilt commands."""

from __future__ import annotations

import subprocess
import sys

import pytest

from world2vec import __version__, cli

DESIGN_COMMANDS = ["serve", "train", "eval", "import", "export", "load"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "world2vec.cli", *args],
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


def test_a_command_not_built_yet_says_so_and_exits_2(monkeypatch, capsys):
    monkeypatch.setitem(cli.COMMANDS, "dream", ("no_such_module", "not a real command"))
    assert cli.main(["dream"]) == 2
    assert "not built yet" in capsys.readouterr().err


def test_usage_error_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path):
    module = tmp_path / "w2v_fake_cmd.py"
    module.write_text(
        "from world2vec.cli import UsageError\n"
        "def add_arguments(p):\n    p.add_argument('--x')\n"
        "def run(args):\n    raise UsageError('no such file: ' + str(args.x))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(cli.COMMANDS, "fake", ("fake", "fake"))
    monkeypatch.setattr(cli, "_load_command",
                        lambda name: __import__("w2v_fake_cmd"))
    assert cli.main(["fake", "--x", "a.txt"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "world2vec fake: error: no such file: a.txt"


@pytest.mark.parametrize("name", DESIGN_COMMANDS)
def test_each_command_has_help(name):
    result = run_cli(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: world2vec" in result.stdout
