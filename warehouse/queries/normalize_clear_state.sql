-- A normalise whose state is not kept (another build function): the next one is full.
DELETE FROM normalize_rows;
DELETE FROM normalize_groups;
