"""Stage: from reading to collaborating — consultation requests about an activity, the
secretariat's introductions and their outcomes over time, reminders, and the aggregate
figures that show whether the bulletin leads to collaboration.

May import ``renkei.core``, ``renkei.newsletter`` (dates in Japanese), ``warehouse``;
``renkei.dataset`` and the application import it.
"""
