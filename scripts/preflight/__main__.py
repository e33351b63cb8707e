"""``python -m scripts.preflight``: runs the command line of ``scripts.preflight.cli``."""

import sys

from scripts.preflight.cli import main

if __name__ == "__main__":
    sys.exit(main())
