-- Rebuild: drop everything normalize derives from staging (overrides are kept).
DELETE FROM activities;
DELETE FROM activity_organisers;
DELETE FROM activity_merges;
DELETE FROM quarantine WHERE stage = 'normalize';
DELETE FROM related_activities;
