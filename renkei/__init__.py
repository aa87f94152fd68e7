"""renkei (連携): gather member activities, publish the council's newsletter and open data."""

import os as _os

__version__ = "0.1.0"

# Polars allocates through its own jemalloc, which it configures to keep freed pages for
# half a second (polars/__init__.py; ``_RJEM_MALLOC_CONF`` is its documented override,
# appended to its defaults). A normalise of a million rows frees as fast as it allocates,
# so half a second of freed pages showed as RSS: 1.75 GB instead of 1.4 GB after building
# the activities. Freed pages go back at once instead (bench/normalize.py measures both).
# Read when Polars is first imported, so it takes effect where renkei is imported first
# (every renkei entry point); an operator's own setting wins.
_os.environ.setdefault(
    "_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:0,muzzy_decay_ms:0"
)
