"""A bare Flask app with one route: the floor that bench/portal_lookup.py measures the lookup against,
served by the same gunicorn command line (``gunicorn --pythonpath bench hello_wsgi:app``)."""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return "hello"
