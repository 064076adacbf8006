"""What gunicorn serves: ``gunicorn wsgi:app``."""

import os

# igraph's OpenMP threads spin against each other on shared cores and make whole-graph
# measures 20-30x slower (bench/RESULTS.md, issue 5): one thread per worker unless set.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from portal import create_app

app = create_app()
