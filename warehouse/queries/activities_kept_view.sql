-- Full normalise: the built activities (registered as ``built``, merged ones included and
-- marked by a false _kept) as the ``batch`` the activity writes read: the kept ones only.
-- DuckDB reads the frame in place, so the kept ones are never copied out in Python.
CREATE OR REPLACE TEMP VIEW batch AS SELECT * EXCLUDE (_kept) FROM built WHERE _kept;
