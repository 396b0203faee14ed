"""One module per ``world2vec`` subcommand: ``add_arguments(parser)`` and ``run(args) -> int``.

A module that serves two commands (``convert``: import and export) names them
``add_import_arguments``/``run_import`` and so on. Raise
``world2vec.commands.errors.UsageError`` for the caller's mistakes: the CLI prints
it as one line and exits 2.
"""
