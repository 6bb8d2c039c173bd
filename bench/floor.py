"""The floor for HTTP benchmarks: a bare Flask endpoint returning a constant."""

from flask import Flask

app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
def constant():
    return "ok"
