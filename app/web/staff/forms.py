"""Form pieces every staff page shares: the required-field check, query-string forms, warehouse
choices, and putting a domain ValidationError onto the fields it names (rows of line tables included)."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.i18n import translations
from wtforms import FieldList, Form, IntegerField
from wtforms.validators import InputRequired

from app.domain.errors import ValidationError
from app.domain.reference import queries as reference
from app.web.errors import field_messages

REQUIRED = InputRequired(_l("此项必填"))


def optional_int(value):
    return int(value) if value not in (None, "", "None") else None


def int_field(label, default=None):
    return IntegerField(label, default=default, validators=[REQUIRED], render_kw={"inputmode": "numeric"})


class SubForm(Form):
    """A form without a CSRF token of its own (query-string filters, rows inside a FlaskForm) that
    still speaks Chinese: WTForms' built-in messages come from Flask-WTF's translations."""

    class Meta:
        def get_translations(self, form):
            return translations


def translated_choices(labels: dict) -> list[tuple[str, object]]:
    """Select choices from a domain label table (N_-marked Chinese msgids), shown in the user's language:
    WTForms prints option labels itself, past the templates' label translation."""
    return [(str(key), _l(label)) for key, label in labels.items()]


def warehouse_choices() -> list[tuple[int, str]]:
    return [(w.id, f"{w.code} {w.name}") for w in reference.warehouses()]


#: Domain field paths → form field names, where they differ by more than "." → "_".
FIELD_ALIASES = {"channel": "channel_id"}
LINE_PATH = re.compile(r"^lines\[(\d+)\]\.(\w+)$")
LINE_FIELDS = {"sku": "sku", "qty": "quantity", "unit_price": "unit_price"}


def show_domain_errors(form, error: ValidationError, line_rows: list[int] = ()) -> None:
    """Put each error of a domain ValidationError on the field it names, the rest on the form.

    ``line_rows[i]`` is the form row behind the domain's ``lines[i]`` (blank rows were left out).
    """
    for path, message in field_messages(error).items():
        field = _field_for(form, path, list(line_rows))
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


def _field_for(form, path: str, line_rows: list[int]):
    match = LINE_PATH.match(path)
    if match and hasattr(form, "lines"):
        index, name = int(match.group(1)), LINE_FIELDS.get(match.group(2), match.group(2))
        if index < len(line_rows) and line_rows[index] < len(form.lines):
            return getattr(form.lines[line_rows[index]].form, name, None)
        return None
    name = FIELD_ALIASES.get(path, path.replace(".", "_"))
    field = getattr(form, name, None)
    return field if hasattr(field, "errors") and not isinstance(field, FieldList) else None
