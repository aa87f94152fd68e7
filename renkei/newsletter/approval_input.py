"""The typed answer a paused ``compile_newsletter`` run waits for (a Prefect RunInput).

Kept apart from renkei.newsletter.approval so the CLI and the library load Prefect only when
a run is actually resumed (importing Prefect costs over a second on every `renkei` command).
"""

from __future__ import annotations

from prefect.input import RunInput


class Approval(RunInput):
    """What the secretariat answers in the Prefect UI (or `renkei approve/reject` sends)."""

    approved: bool = False
    reviewer: str = ""
    comment: str = ""
    recorded: bool = False  # set by the CLI, which has already written the warehouse record
