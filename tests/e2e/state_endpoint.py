"""The JSON state endpoints of the emulator's shims (``/_outposts/state``,
``/_codebuild/state``): ``GET`` answers the settable state, ``POST`` of a JSON object changes
it and answers the state after; a change the shim refuses is a ``400`` whose ``error`` says
why, and changes nothing."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def serve_state(
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    state: Callable[[], dict[str, Any]],
    update: Callable[[Mapping[str, Any]], None],
) -> list[bytes]:
    """Answer a state request: ``update`` (raising ``ValueError`` or ``TypeError`` to refuse)
    on ``POST``, then ``state()``."""
    status = "200 OK"
    try:
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            update(json.loads(environ["wsgi.input"].read(length) or b"{}"))
        body = json.dumps(state()).encode()
    except (ValueError, TypeError) as error:
        status, body = "400 Bad Request", json.dumps({"error": str(error)}).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def read_state(endpoint: str, path: str) -> dict[str, Any]:
    """``GET`` the state at ``path`` of the emulator at ``endpoint``."""
    with urllib.request.urlopen(f"{endpoint}{path}", timeout=10) as answer:
        state: dict[str, Any] = json.loads(answer.read())
        return state


def update_state(endpoint: str, path: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """``POST`` ``changes`` to the state at ``path``; the state after."""
    request = urllib.request.Request(
        f"{endpoint}{path}",
        data=json.dumps(dict(changes)).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        state: dict[str, Any] = json.loads(answer.read())
        return state
