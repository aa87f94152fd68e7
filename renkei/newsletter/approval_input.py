"""The typed answer a paused ``compile_newsletter`` run waits for (a Prefect RunInput).

Kept apart from renkei.newsletter.approval so the CLI and the library load Prefect only when
a run is actually resumed (importing Prefect costs over a second on every `renkei` command).

The Prefect UI draws its resume form from this model's JSON schema: each field's ``title``
is the label, its ``description`` the help text (markdown), and a field with a default is
labelled "(Optional)" by the UI. So the model holds only what a reviewer fills in — the
decision, their name, a comment — and nothing the program sets for itself.

"Already recorded" travels beside the form, not in it: `renkei approve` / `reject` write the
warehouse record first, then store the answer they recorded under ``RECORDED_KEY`` (a flow
run input of its own, which the form neither shows nor lets anyone set: the schema forbids
extra fields), then resume the run with an ordinary form answer. The waking run looks for
that key before anything else, so it never records an answer twice, and a form answer can
never claim to be recorded.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from prefect.input import RunInput
from pydantic import Field

Decision = Literal["承認する", "差し戻す"]
APPROVE: Decision = "承認する"
REJECT: Decision = "差し戻す"
RECORDED_KEY = "renkei-recorded-answer"


class Approval(RunInput):
    """What the secretariat answers in the Prefect UI (or `renkei approve/reject` sends)."""

    decision: Decision = Field(
        title="判断",
        description=(
            "「承認する」を選ぶと、この内容ハッシュの原稿が配信されます。"
            "直してほしい点があれば「差し戻す」を選び、理由をコメントに書いてください。"
        ),
    )
    reviewer: str = Field(
        title="確認者の氏名",
        description=(
            "承認・差し戻しをした人として記録されます（例：事務局 山田）。空欄では記録しません。"
        ),
    )
    comment: str = Field(
        default="",
        title="コメント",
        description="承認では任意。差し戻すときは理由を書いてください（監査記録に残ります）。",
    )

    @property
    def approved(self) -> bool:
        return self.decision == APPROVE


def answer(*, approved: bool, reviewer: str, comment: str = "") -> Approval:
    return Approval(decision=APPROVE if approved else REJECT, reviewer=reviewer, comment=comment)


def form_schema() -> dict[str, Any]:
    """The JSON schema the paused run stores for the UI's form (as Prefect builds it)."""
    from prefect._internal.pydantic.v2_schema import create_v2_schema

    return create_v2_schema(Approval.__name__, model_base=Approval)


def resume_recorded(flow_run_id: UUID, recorded: Approval) -> None:
    """Resume a waiting run with an answer the caller has already written to the warehouse.

    The marker goes first: once resumed, the run may look for it at any moment. A marker
    left by an earlier attempt whose resume failed is kept (that answer was recorded too)."""
    from prefect.exceptions import ObjectAlreadyExists, PrefectHTTPStatusError
    from prefect.flow_runs import resume_flow_run
    from prefect.input.actions import create_flow_run_input

    try:
        create_flow_run_input(RECORDED_KEY, recorded.model_dump(), flow_run_id=flow_run_id)
    except ObjectAlreadyExists:
        pass
    except PrefectHTTPStatusError as exc:
        if exc.response.status_code != 409:
            raise
    resume_flow_run(flow_run_id, run_input=recorded.model_dump())


def recorded_answer(flow_run_id: UUID) -> Approval | None:
    """The answer `renkei approve` / `reject` recorded before resuming this run, if any."""
    from prefect.input.actions import read_flow_run_input

    value: dict[str, Any] | None = read_flow_run_input(  # type: ignore[assignment]
        RECORDED_KEY, flow_run_id=flow_run_id
    )  # sync: async_dispatch returns the value here, not a coroutine
    return Approval(**value) if value else None
