"""Mail in (MIME parsing) and mail out (the outbox)."""
