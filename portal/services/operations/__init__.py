"""Running the portal: readiness, metrics, the audit trail's anchors, backups and key rotation."""
