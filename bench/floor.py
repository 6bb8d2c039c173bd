"""The floor for HTTP benchmarks: a bare Flask endpoint returning a constant."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def constant():
    return "ok"
