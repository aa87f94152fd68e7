-- After the full normalise's activity writes (activities_kept_view or
-- activities_spilled_view).
DROP VIEW IF EXISTS batch;
DROP VIEW IF EXISTS payload;
