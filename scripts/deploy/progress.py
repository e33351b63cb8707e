"""What every step of ``make deploy`` shares: its error and its progress lines."""

from __future__ import annotations

import sys


class DeployError(Exception):
    """A step of the deploy failed; the message says which and why (exit 1)."""


def say(message: str) -> None:
    """A progress line, on standard output as the steps' own output is."""
    print(f">> {message}", file=sys.stdout, flush=True)
