"""Entity pages, the watchlist and its notifications."""
