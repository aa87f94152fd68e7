-- After the full normalise's activity writes (activities_kept_view).
DROP VIEW IF EXISTS batch;
