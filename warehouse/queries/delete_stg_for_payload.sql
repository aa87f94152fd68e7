-- Before a re-parse replaces them: the rows staged from one raw payload.
DELETE FROM stg_items WHERE raw_sha256 = $sha256;
