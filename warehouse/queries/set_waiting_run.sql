UPDATE newsletter_issues SET waiting_flow_run_id = $flow_run_id WHERE issue_id = $issue_id;
