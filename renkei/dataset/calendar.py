"""events.ics: upcoming events as an RFC 5545 calendar members can subscribe to."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import polars as pl

JST = ZoneInfo("Asia/Tokyo")
MAX_EVENTS = 2000  # a calendar file people subscribe to stays small


def calendar_bytes(events: pl.DataFrame, *, uid_domain: str, name: str) -> bytes:
    """One VEVENT per event; UIDs come from the activity id, so they stay across publishes."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//renkei//中国地域産学官連携//JA")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Tokyo")
    for row in events.iter_rows(named=True):
        event = icalendar.Event()
        event.add("uid", f"{row['activity_id']}@{uid_domain}")
        event.add("dtstamp", row["updated_at"].astimezone(ZoneInfo("UTC")))
        start: datetime = row["starts_at"].astimezone(JST)
        end: datetime | None = row["ends_at"].astimezone(JST) if row["ends_at"] else None
        if row["all_day"]:
            event.add("dtstart", start.date())
            last = (end or start).date()
            event.add("dtend", last + timedelta(days=1))  # DTEND of a date is exclusive
        else:
            event.add("dtstart", start)
            event.add("dtend", end if end and end > start else start + timedelta(hours=1))
        event.add("summary", row["title"])
        organiser = f"主催: {row['member_name']}"
        summary = row["summary"]
        event.add("description", f"{summary}\n{organiser}" if summary else organiser)
        if row["venue"]:
            event.add("location", row["venue"])
        if row["url"]:
            event.add("url", row["url"])
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
