"""The one exception a command raises for the caller's mistakes.

Why a module of its own: every command raises it and ``world2vec.cli`` catches it.
Kept apart from cli.py, the commands import it without importing the module that
imports them (no hidden cycle), and ``python -m world2vec.cli`` catches the very
class the commands raise: the ``__main__`` copy of cli.py imports it from here too.
"""


class UsageError(Exception):
    """A mistake by the caller: printed as one line, exit code 2."""
