"""Demo data: a synthetic world of ministries, platforms, people and bulletins for `seed-demo`."""
