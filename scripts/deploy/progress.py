"""What every step of ``make deploy`` and ``make destroy`` shares: the error, the progress lines
and the one question they ask."""

from __future__ import annotations

import sys


class DeployError(Exception):
    """A step of the deploy failed; the message says which and why (exit 1)."""


def say(message: str) -> None:
    """A progress line, on standard output as the steps' own output is."""
    print(f">> {message}", file=sys.stdout, flush=True)


def ask_yes(question: str, *, no_terminal: str, refused: str) -> None:
    """Ask ``question`` on the terminal; only ``yes`` goes on. Anything else, the end of input
    included, raises :class:`DeployError` with ``refused``; no terminal, with
    ``no_terminal``."""
    if not sys.stdin.isatty():
        raise DeployError(no_terminal)
    try:
        answer = input(f"{question} Only 'yes' is accepted: ")
    except EOFError:
        answer = ""
    if answer.strip() != "yes":
        raise DeployError(refused)
