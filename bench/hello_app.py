"""The baseline for the throughput figure: a bare Flask app, served the same way as the portal.

``gunicorn -w 2 -b 127.0.0.1:PORT --chdir bench hello_app:app``
"""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    """The least work Flask can do for a request."""
    return "Hello, World!"
