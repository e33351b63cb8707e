"""Session-wide settings and the synthesized sample deployment shared by the tests."""

from __future__ import annotations

import os

# jsii prints a banner on every process start under Node.js 20; it says nothing about our code.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CHECKPOINT_DISABLE", "1")
