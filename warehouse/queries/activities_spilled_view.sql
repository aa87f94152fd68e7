-- Full normalise, its build spilled (renkei.normalize.payload): the ``batch`` the activity
-- writes read, as activities_kept_view makes it, from the kept columns (registered as
-- ``built``: merged ones included and marked by a false _kept; the category after the
-- secretariat's overrides; first_seen_at over the merge group) and the rest of each row
-- read back from the Parquet parts (``payload``, every version built: ``_row`` picks the
-- one kept).
CREATE OR REPLACE TEMP VIEW batch AS
SELECT p.* EXCLUDE (_row, category, category_rule),
       b.category, b.category_rule, b.first_seen_at
FROM payload AS p
JOIN built AS b USING (_row)
WHERE b._kept;
