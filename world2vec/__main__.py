"""``python -m world2vec``: the ``world2vec`` command, for when the script is not on PATH."""

import sys

from world2vec.cli import main

if __name__ == "__main__":
    sys.exit(main())
