"""Creating staff users and checking their passwords. Callers commit."""

from functools import cache

from sqlalchemy import select

from app.auth.models import User
from app.auth.passwords import hash_password, needs_rehash, verify_password
from app.auth.roles import Role
from app.db import db, utcnow
from app.domain.errors import ValidationError
from app.text import N_, Text

MIN_PASSWORD_LENGTH = 8


@cache
def _dummy_hash() -> str:
    """Verifying against this when the user does not exist keeps a wrong name as slow as a wrong password."""
    return hash_password("orderhub-timing-equaliser")


def create_user(username: str, role: str, password: str, display_name: str = "") -> User:
    """Add a staff user. Raises ValidationError for a taken name, an unknown role or a short password."""
    errors = {}
    username = username.strip()
    if not username:
        errors["username"] = N_("请输入用户名")
    elif db.session.scalar(select(User.id).where(User.username == username)):
        errors["username"] = Text(N_("用户名 %(username)s 已存在"), username=username)
    if role not in set(Role):
        errors["role"] = Text(N_("未知角色: %(role)s"), role=role)
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = Text(N_("密码至少 %(length)s 位"), length=MIN_PASSWORD_LENGTH)
    if errors:
        raise ValidationError(errors)
    user = User(username=username, role=role, display_name=display_name or username,
                password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, display_name: str, role: str, active: bool, acting_user_id: int) -> list[str]:
    """Change a staff account's name, role or whether it may sign in; returns what changed.

    A new role or a disabled account ends the user's sessions, so the old rights stop at once. Admins
    cannot disable themselves or drop their own admin role: someone must be left to undo it.
    """
    errors = {}
    if role not in set(Role):
        errors["role"] = Text(N_("未知角色: %(role)s"), role=role)
    if user.id == acting_user_id and (not active or role != Role.ADMIN):
        errors["active" if not active else "role"] = N_("不能停用自己的账号或取消自己的管理员角色")
    if errors:
        raise ValidationError(errors)
    changes = [name for name, old, new in (("display_name", user.display_name, display_name or user.username),
                                            ("role", user.role, role), ("active", user.active, active))
               if old != new]
    user.display_name, user.role, user.active = display_name or user.username, role, active
    if "role" in changes or "active" in changes:
        end_all_sessions(user)
    db.session.flush()
    return changes


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.username)))


def set_password(user: User, password: str) -> None:
    """A new password ends every session the user has, wherever it was started."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError({"password": Text(N_("密码至少 %(length)s 位"), length=MIN_PASSWORD_LENGTH)})
    user.password_hash = hash_password(password)
    end_all_sessions(user)


def reset_password(user: User, password: str) -> None:
    """An admin's reset: the password works once, to sign in and choose a new one."""
    set_password(user, password)
    user.must_change_password = True


def change_own_password(user: User, password: str, repeated: str) -> None:
    if password != repeated:
        raise ValidationError({"repeated": N_("两次输入的密码不一致")})
    if verify_password(user.password_hash, password):
        raise ValidationError({"password": N_("新密码不能与原密码相同")})
    set_password(user, password)
    user.must_change_password = False


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember cookie of ``user`` (they carry the old session version)."""
    user.session_version += 1


def authenticate(username: str, password: str) -> User | None:
    """The active user with this name and password, or None; both failures take the same time."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user
