"""Form pieces shared by every audience."""

from wtforms import Field, StringField
from wtforms.widgets import TextInput

from app.domain.errors import ValidationError
from app.money import MoneyFormatError, fen_to_yuan, yuan_to_fen
from app.web.errors import field_messages


class YuanField(StringField):
    """Shown and typed in yuan ("59.90"); ``data`` is integer fen."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return fen_to_yuan(self.data) if self.data is not None else ""

    def process_formdata(self, valuelist):
        self.raw_data = valuelist
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = yuan_to_fen(text)
        except MoneyFormatError as exc:
            self.data = None
            raise ValueError("请输入金额，如 59.90") from exc


def apply_domain_errors(form, error: ValidationError) -> None:
    """Show a domain ValidationError on the form fields it names (the rest on the form itself)."""
    for name, message in field_messages(error).items():
        field: Field | None = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
