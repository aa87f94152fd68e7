"""Stage: reports members submit (CSV/TSV/xlsx) → raw store → judged, staged rows → receipt.

Owns reading files (``read``), judging rows (``check``), the one intake used by the CLI,
the watcher, the flow and the demo (``intake.ingest_submission``), the warehouse writes
(``write``) and what a resubmission replaces (``replacement``), receipts and their mail,
the month overview, the template, the inbox watcher and the submission event.
May import ``renkei.core``, ``transforms`` and ``warehouse``; no other stage (the watcher
is handed the next stage, normalise, by the application).
"""
