"""``python -m scripts.deploy``: runs the command line of ``scripts.deploy.cli``."""

import sys

from scripts.deploy.cli import main

if __name__ == "__main__":
    sys.exit(main())
