"""Marks the fixed texts the domain defines (status, action and movement names …) for translation.

The domain may not use Flask-Babel (it runs outside requests too), so its label tables wrap each Chinese
text in ``N_``: that changes nothing at run time but lets ``make translations`` extract it, and the
templates translate every such label when they print it (``app/web/template_helpers.py``).
"""


def N_(text: str) -> str:
    return text
