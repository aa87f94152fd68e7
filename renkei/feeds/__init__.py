"""Stage: member RSS/Atom feeds → raw store → staged rows.

Owns which feeds are due (``due``: schedule, backoff, 410 Gone), the HTTP fetch
(``fetch``: per-feed and per-run deadlines), which addresses it may reach (``guard``:
public ones only unless allowed), parsing stored bytes (``parse``), parsing only the
items that changed (``diff``, which also applies the item limit), writing a run
(``ingest``: raw index, fetch log, staged rows, feed state in one commit), replaying
stored bodies (``reparse``) and the health table (``health``).
May import ``renkei.core``, ``transforms`` and ``warehouse``; no other stage.
"""
