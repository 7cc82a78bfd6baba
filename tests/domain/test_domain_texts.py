"""Domain messages are data: N_-marked templates with named values, never sentences built in code.

The web layer translates a message from its template (app/web/errors.py), so a Chinese sentence put
together with an f-string, ``+`` or ``%`` in ``app/domain`` would reach an English page untranslated.
"""

import ast
import pickle
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.domain.errors import Conflict, ErrorKind, InvalidTransition, NotFound, OutOfStock, ValidationError
from app.text import N_, Text

ROOT = Path(__file__).resolve().parents[2]
CHECKED = [ROOT / "app" / "domain", ROOT / "app" / "auth"]
HAN = re.compile(r"[\u4e00-\u9fff]")
# Calls whose text arguments are messages: errors (DomainError family, adapter errors) and Text itself.
MESSAGE_CALL = re.compile(r"(Error|NotFound|Conflict|OutOfStock|InvalidTransition|PermissionDenied|ChannelOff|^Text)$")

# The invoice itself is a Chinese tax document whatever the reader's language: its goods names
# (`*运输服务*运费`) and the amount in words (壹佰捌拾捌圆整) are its content, not messages. Each entry
# must still match, so none goes stale.
INVOICE_CONTENT = {
    ("app/domain/invoicing/lines.py", "运费"),
    ("app/domain/invoicing/pdf.py", "圆"),
    ("app/domain/invoicing/pdf.py", "整"),
    ("app/domain/invoicing/pdf.py", "角"),
    ("app/domain/invoicing/pdf.py", "分"),
}


def _chinese(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(HAN.search(node.value))


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def built_sentences(source: str) -> list[tuple[int, str]]:
    """(line, code) of every Chinese sentence that ``source`` builds outside a translation marker."""
    tree = ast.parse(source)
    marked = {id(node) for call in ast.walk(tree) if isinstance(call, ast.Call) and _name(call) == "N_"
              for node in ast.walk(call)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and any(_chinese(part) for part in node.values) or isinstance(node, ast.BinOp) and (_chinese(node.left) or _chinese(node.right)):
            found.append(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _chinese(node.func.value):
            found.append(node)  # "…{}".format(…), "…".join(…)
        elif isinstance(node, ast.Raise | ast.Call) and (isinstance(node, ast.Raise) or MESSAGE_CALL.search(_name(node))):
            found += [text for text in ast.walk(node) if _chinese(text) and id(text) not in marked]
    return sorted({(node.lineno, ast.get_source_segment(source, node)) for node in found})


def _sources():
    for folder in CHECKED:
        for path in sorted(folder.rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_no_chinese_sentence_is_built_outside_a_translation_marker():
    offences, content_seen = [], set()
    for path, source in _sources():
        for line, code in built_sentences(source):
            content = {entry for entry in INVOICE_CONTENT if entry[0] == path and entry[1] in code}
            content_seen |= content
            if not content:
                offences.append(f"{path}:{line}: {code}")
    assert offences == []
    assert content_seen == INVOICE_CONTENT


@pytest.mark.parametrize("code", [
    'raise Conflict(f"订单 {no} 已出库")',
    'raise ValidationError({"sku": "商品不存在: " + code})',
    'message = "第 %s 行" % line',
    'raise NotFound("订单不存在")',
    'errors["x"] = Text("最多 %(n)s 位", n=3)',
    'label = "、".join(codes) + "未对应"',
])
def test_the_scan_catches_each_way_of_building_a_sentence(code):
    assert built_sentences(code)


@pytest.mark.parametrize("code", [
    'raise Conflict(N_("订单已出库，不能更换仓库"))',
    'raise NotFound(N_("订单 %(order_no)s 不存在"), order_no=no)',
    'errors["x"] = Text(N_("最多 %(n)s 位"), n=3)',
    'LABELS = {"a": N_("已支付")}',
])
def test_the_scan_accepts_marked_templates(code):
    assert built_sentences(code) == []


def test_every_marked_domain_text_has_an_english_translation():
    catalog = read_po((ROOT / "app/translations/en/LC_MESSAGES/messages.po").open("rb"))
    untranslated = set()
    for path, source in _sources():
        for call in ast.walk(ast.parse(source)):
            if isinstance(call, ast.Call) and _name(call) == "N_" and _chinese(call.args[0]):
                message = catalog.get(call.args[0].value)
                if message is None or not message.string:
                    untranslated.add(f"{path}: {call.args[0].value}")
    assert sorted(untranslated) == []


def test_an_error_keeps_its_template_values_kind_and_code():
    error = NotFound(N_("订单 %(order_no)s 不存在"), order_no="A1", details={"order_no": "A1"})

    assert (error.kind, error.code, error.details) == (ErrorKind.NOT_FOUND, "not_found", {"order_no": "A1"})
    assert error.message == "订单 A1 不存在" == str(error)
    assert (error.message.template, error.message.params) == ("订单 %(order_no)s 不存在", {"order_no": "A1"})
    assert (InvalidTransition.kind, OutOfStock.kind, Conflict.code) == (ErrorKind.CONFLICT, ErrorKind.CONFLICT,
                                                                        "conflict")


def test_validation_error_fields_are_texts_whatever_was_passed():
    error = ValidationError({"reason": N_("请填写原因"), "qty": Text(N_("最多 %(limit)s 件"), limit=5)})

    assert error.fields == {"reason": "请填写原因", "qty": "最多 5 件"}
    assert all(isinstance(message, Text) for message in error.fields.values())
    assert error.details == {"fields": error.fields} and error.message == "输入有误"
    assert (error.kind, error.code) == (ErrorKind.INVALID, "validation_error")


def test_a_text_survives_pickling_and_rewrapping_with_its_values():
    text = Text(N_("%(reason)s，但包裹已发出，请核实退货"), reason=Text(N_("平台订单已关闭（%(status)s）"), status="X"))

    for copy in (pickle.loads(pickle.dumps(text)), Text(text)):
        assert copy == "平台订单已关闭（X），但包裹已发出，请核实退货"
        assert copy.template == text.template and copy.params["reason"].params == {"status": "X"}


def test_a_template_without_values_is_left_as_written():
    assert Text(N_("税率须为 13%、9%、6%、5%、3%、1% 或 0")) == "税率须为 13%、9%、6%、5%、3%、1% 或 0"
