"""Entity pages, watchlists, their notifications and e-mails."""
