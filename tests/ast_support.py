"""ast.parse for the structure tests, proof against a CPython 3.11 bug.

CPython 3.11 keeps the AST constructor's recursion depth in interpreter-wide state, so an
``ast.parse`` that overlaps another thread's AST work (a library's background thread in
the same test worker) can fail with "SystemError: AST constructor recursion depth
mismatch" although the source is fine (python/cpython#106905; not in 3.12). The parse is
tried again, a few times; a real syntax error is raised as it is.
"""

from __future__ import annotations

import ast
import time


def parse_source(text: str) -> ast.Module:
    for attempt in range(5):
        try:
            return ast.parse(text)
        except SystemError:
            if attempt == 4:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")
