"""Invoice profiles (抬头管理): the titles a customer (by phone) has saved, one of them the default.

The portal offers them with one tap; a title used on an invoice request is saved here too. Services
flush; the caller commits.
"""

from sqlalchemy import select

from app.db import db
from app.domain.errors import NotFound, ValidationError
from app.domain.invoicing.models import InvoiceProfile
from app.domain.invoicing.titles import Title, clean
from app.text import N_

MAX_PROFILES = 20


def profiles_of(phone: str) -> list[InvoiceProfile]:
    """The phone's saved titles, the default first."""
    return list(db.session.scalars(select(InvoiceProfile).where(InvoiceProfile.phone == phone)
                                   .order_by(InvoiceProfile.is_default.desc(), InvoiceProfile.id)))


def save_profile(phone: str, title: Title, make_default: bool = False) -> InvoiceProfile:
    """Save ``title`` for ``phone`` (the same title again updates its e-mail); the first one saved, or
    one saved with ``make_default``, becomes the default."""
    title = clean(title)
    existing = profiles_of(phone)
    profile = next((each for each in existing if (each.title, each.tax_id) == (title.title, title.tax_id)), None)
    if profile is None:
        if len(existing) >= MAX_PROFILES:
            raise ValidationError({"title": N_("最多保存 20 个发票抬头")})
        profile = InvoiceProfile(phone=phone, title_type=title.title_type, title=title.title, tax_id=title.tax_id)
        db.session.add(profile)
    profile.email = title.email or profile.email
    if title.kind == "special":  # a 普票 request leaves the 专票 details saved earlier as they were
        profile.address, profile.tel, profile.bank, profile.account = title.address, title.phone, title.bank, title.account
    if make_default or not existing:
        _make_default(profile, existing)
    db.session.flush()
    return profile


def set_default(phone: str, profile_id: int) -> InvoiceProfile:
    existing = profiles_of(phone)
    profile = _owned(existing, profile_id)
    _make_default(profile, existing)
    db.session.flush()
    return profile


def delete_profile(phone: str, profile_id: int) -> None:
    """Forget a title; if it was the default, the oldest remaining one becomes the default."""
    existing = profiles_of(phone)
    profile = _owned(existing, profile_id)
    db.session.delete(profile)
    rest = [each for each in existing if each is not profile]
    if profile.is_default and rest:
        rest[0].is_default = True
    db.session.flush()


def as_title(profile: InvoiceProfile, kind: str = "normal") -> Title:
    return Title(profile.title_type, profile.title, profile.tax_id, profile.email, kind, profile.address,
                 profile.tel, profile.bank, profile.account)


def _owned(profiles: list[InvoiceProfile], profile_id: int) -> InvoiceProfile:
    """The phone's own profile: another phone's id is "not found", never someone else's title."""
    profile = next((each for each in profiles if each.id == profile_id), None)
    if profile is None:
        raise NotFound(N_("发票抬头不存在"))
    return profile


def _make_default(profile: InvoiceProfile, profiles: list[InvoiceProfile]) -> None:
    for each in profiles:
        each.is_default = False
    profile.is_default = True
