"""/favicon.ico, which browsers ask for on every site whatever the pages link: the SVG icon in static/
(every browser we support draws an SVG favicon whatever the address ends in), cached for a day."""

from flask import Flask, current_app, send_from_directory


def favicon():
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400)


def init_app(app: Flask) -> None:
    app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=favicon)
