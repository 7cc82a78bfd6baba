"""The invoice PDF, laid out like a 数电 invoice, rendered by WeasyPrint (in a worker, never in a request).

Chinese renders in Noto CJK (Debian's fonts-noto-cjk, found through fontconfig); WeasyPrint embeds the
subset it uses, so the PDF reads the same anywhere. The QR code (segno) is inline SVG carrying the
platform's verification content. The URL fetcher serves only files under the app's own ``static/``
directory: an invoice field that smuggled in a URL can make the renderer fetch nothing else.
"""

from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from app.domain.invoicing import tax
from app.domain.invoicing.models import Invoice
from app.money import fen_to_yuan

SHANGHAI = ZoneInfo("Asia/Shanghai")
DIGITS = "零壹贰叁肆伍陆柒捌玖"
SECTIONS = ("", "万", "亿", "万亿")
TITLES = {"normal": "电子发票（普通发票）", "special": "电子发票（增值税专用发票）"}


class AssetRefused(ValueError):
    """The renderer asked for something outside the app's own assets."""


def amount_in_words(fen: int) -> str:
    """Money in capital Chinese numerals: 18800 → 壹佰捌拾捌圆整, 10050 → 壹佰圆伍角, 5 → 零圆零伍分;
    a red invoice's negative amount reads 负…."""
    sign, fen = ("负", -fen) if fen < 0 else ("", fen)
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    text = _integer_words(yuan) + "圆"
    if not cents:
        return f"{sign}{text}整"
    if jiao:
        text += DIGITS[jiao] + "角"
    if fen_digit:
        text += ("零" if not jiao else "") + DIGITS[fen_digit] + "分"
    return sign + text


def _integer_words(number: int) -> str:
    if number == 0:
        return "零"
    groups = []
    while number:
        number, group = divmod(number, 10_000)
        groups.append(group)
    text, gap = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            gap = bool(text)
            continue
        if text and (gap or group < 1000):
            text += "零"
        text += _group_words(group) + SECTIONS[index]
        gap = False
    return text


def _group_words(group: int) -> str:
    text, zero = "", False
    for place, unit in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        digit = group // place % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += DIGITS[digit] + unit
    return text


def storage_dir(instance_path: str) -> Path:
    return Path(instance_path) / "invoices"


def html(invoice: Invoice, seller, template_dir: str | Path) -> str:
    """The invoice as HTML. Like the 数电 layout, 单价 and 金额 are excluding tax; 税额 beside them."""
    env = Environment(loader=FileSystemLoader(str(template_dir)), autoescape=select_autoescape(["html"]))
    issued: datetime = invoice.issued_at or invoice.created_at
    qr = segno.make(invoice.verify_content or invoice.number or invoice.request_no, error="m")
    return env.get_template("pdf/invoice.html").render(
        invoice=invoice, seller=seller, title=TITLES[invoice.kind], yuan=fen_to_yuan, rate=_rate_label,
        unit_price=lambda line: tax.unit_price_text(line.excluding_fen, line.quantity) if line.quantity else "",
        issued_on=issued.astimezone(SHANGHAI).strftime("%Y年%m月%d日"), words=amount_in_words(invoice.total_fen),
        qr_svg=qr.svg_inline(scale=2, border=0), reverses=invoice.reverses,
    )


def render(invoice: Invoice, seller, template_dir: str | Path, static_dir: str | Path) -> bytes:
    static_root = Path(static_dir).resolve()
    return HTML(string=html(invoice, seller, template_dir), base_url=static_root.as_uri() + "/",
                url_fetcher=AssetFetcher(static_root)).write_pdf()


def write(invoice: Invoice, seller, out_dir: Path, template_dir: str | Path, static_dir: str | Path) -> str:
    """Render and store the PDF; returns its file name (under ``out_dir``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"{invoice.number or invoice.request_no}.pdf"
    temporary = out_dir / f".{name}.part"
    temporary.write_bytes(render(invoice, seller, template_dir, static_dir))
    temporary.replace(out_dir / name)  # a reader never sees half a file
    return name


class AssetFetcher(URLFetcher):
    """WeasyPrint's fetcher limited to files under ``static_root`` (no network, no other file)."""

    def __init__(self, static_root: Path):
        super().__init__(allowed_protocols={"file"}, allow_redirects=False, fail_on_errors=True)
        self.static_root = static_root

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        path = Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" else None
        if path is None or not path.is_relative_to(self.static_root) or not path.is_file():
            raise AssetRefused(f"not an OrderHub asset: {url}")
        return super().fetch(url, headers)


def _rate_label(rate_bp: int) -> str:
    return "免税" if rate_bp == 0 else f"{rate_bp // 100}%"
