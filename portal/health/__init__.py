"""Probes and metrics for the machines that run the portal: /healthz, /readyz, /metrics."""
