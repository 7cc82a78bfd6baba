"""Marks the fixed texts the domain defines for translation, and carries messages built from them.

The domain may not use Flask-Babel (it runs outside requests too), so its label tables wrap each Chinese
text in ``N_``: that changes nothing at run time but lets ``make translations`` extract it, and the
templates translate every such label when they print it (``app/web/template_helpers.py``).

A message with values in it (``订单 %(order_no)s 不存在``) is a ``Text``: a ``str`` holding the Chinese
rendering, so logs, the CLI, stored records and the API's JSON read as before, that also keeps its
template and parameters, so the web layer can render it again in the reader's language
(``app/web/errors.py``). Chinese sentences are never built any other way in ``app/domain``
(``tests/domain/test_domain_texts.py`` checks).
"""


def N_(text: str) -> str:
    return text


class Text(str):
    """``Text(N_("订单 %(order_no)s 不存在"), order_no="A1")``: the Chinese sentence, plus how to rebuild it.

    A parameter that is itself a ``Text`` (a status label, say) is translated too when shown.
    """

    template: str
    params: dict

    def __new__(cls, template: str, /, **params) -> "Text":
        if isinstance(template, Text) and not params:  # re-wrapping keeps what the message was made of
            template, params = template.template, template.params
        text = super().__new__(cls, template % params if params else template)
        text.template, text.params = template, params
        return text
