"""Stage: the open dataset (水平展開): releases, data package, events list, calendar,
Atom feed, statistics, the archive of sent issues.

May import ``renkei.core``, ``renkei.newsletter`` (the archive renders sent issues),
``transforms`` and ``warehouse``; not delivery.
"""

from renkei.dataset.release import publish_release

__all__ = ["publish_release"]
