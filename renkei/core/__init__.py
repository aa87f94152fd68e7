"""Core: what every stage shares.

Owns the typed settings (read once at the entry point), the expected errors, the member
registry (and loading it into the warehouse), the raw store (bytes by sha256), charset
detection, run records, the audit log, the staging writes, the mail transport (outbox or
SMTP: receipts, alerts and the bulletin all go through it), the passwords read at run
time (``secrets``: a Prefect Secret block or an environment variable), pipeline steps and their
retries, and the event-emission leaf (``events``).

May import ``transforms`` and ``warehouse`` only: never a stage, the orchestration layer
or the application.
"""
