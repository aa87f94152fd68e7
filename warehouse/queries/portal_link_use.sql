UPDATE portal_links SET used_at = $now WHERE token_sha256 = $token_sha256 AND used_at IS NULL;
