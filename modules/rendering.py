"""JSON documents inside the configuration, written so that both of cdktf's outputs read them.

A JSON string that holds Terraform references (``"${aws_lb.x.arn_suffix}"``) is fine in the
Terraform JSON, but ``cdktf synth --hcl`` writes it with its quotes unescaped, which Terraform
cannot parse. The same document as a ``jsonencode(...)`` expression is read alike in both.
"""

from __future__ import annotations

from typing import Any

from cdktf import Fn


def json_document(value: Any) -> str:
    """``jsonencode(value)`` as a Terraform expression, for a document with references.

    cdktf writes the strings of ``value`` into the expression unescaped: one that holds a
    quote or a backslash would end it early, so it is refused here.
    """
    _check_strings(value, "document")
    return str(Fn.jsonencode(value))


def _check_strings(value: Any, where: str) -> None:
    if isinstance(value, str):
        if '"' in value or "\\" in value:
            raise ValueError(f"{where}: {value!r} holds a quote or a backslash")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, where)
            _check_strings(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_strings(item, f"{where}[{index}]")
