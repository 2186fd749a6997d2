"""The 30 API actions: the documented camelCase name -> ``handler(state, options)``.

A handler returns JSON-able data in exactly the documented output shape (or, for
the big learner lists, the same already encoded as ``RawJSON``), or raises
``ApiError`` (validation 422s). ``CACHEABLE`` names the read actions whose answer
depends only on the state (not on the clock), so the app may reuse an encoded
answer until the state's revision changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ao_mcp.sandbox.actions.content import CONTENT
from ao_mcp.sandbox.actions.people import PEOPLE
from ao_mcp.sandbox.actions.reports import READS
from ao_mcp.sandbox.state import AcademyState
from ao_mcp.sandbox.validation import Options

__all__ = ["ACTIONS", "CACHEABLE", "READ_ONLY", "Handler"]

Handler = Callable[[AcademyState, Options], Any]

ACTIONS: dict[str, Handler] = dict(sorted({**READS, **PEOPLE, **CONTENT}.items()))

READ_ONLY: frozenset[str] = frozenset(READS)

CACHEABLE: frozenset[str] = READ_ONLY - {"learnersChurnAtContent"}  # churn depends on "now"
