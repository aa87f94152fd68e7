"""The open dataset (水平展開): releases, data package, events list, calendar, feed, stats."""

from renkei.dataset.release import publish_release

__all__ = ["publish_release"]
