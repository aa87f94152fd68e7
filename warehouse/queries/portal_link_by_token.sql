SELECT * FROM portal_links WHERE token_sha256 = $token_sha256;
