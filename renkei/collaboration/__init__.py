"""Stage: from reading to collaborating — consultation requests about an activity, the
secretariat's introductions and their outcomes over time, reminders, and the aggregate
figures that show whether the bulletin leads to collaboration; and the answer to a member's
request from the portal (marked done, its sender told by mail).

May import ``renkei.core``, ``renkei.newsletter`` (dates in Japanese),
``renkei.submissions`` (member requests), ``warehouse``;
``renkei.dataset`` and the application import it.
"""
