-- 006: the approval gate. A compile flow waiting for approval in Prefect leaves its run id
-- here so `renkei approve` / `renkei reject` can resume it; the reviewer's comment is kept.
ALTER TABLE newsletter_issues ADD COLUMN approval_comment VARCHAR;
ALTER TABLE newsletter_issues ADD COLUMN waiting_flow_run_id VARCHAR;
