-- Which process runs a stage, so a run past its timeout is called `abandoned` only when its
-- process is known to be gone (or runs on another machine, where we cannot look).
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN host VARCHAR;
