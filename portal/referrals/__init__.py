"""Content referrals and removal orders: the ministries' side and the platforms' side."""
