"""Administration of organisations, users and the audit trail."""
