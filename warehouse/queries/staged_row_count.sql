-- How many staged rows a full normalise will read (it spills the built activities' text
-- only when they are more than one part: renkei.normalize.activities).
SELECT count(*) AS n FROM stg_items;
