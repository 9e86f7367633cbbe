"""Typed readers for environment variables that fail loudly at start-up.

Each reader names the variable and the expected form in its error, so a
misconfigured deployment stops with a message an operator can act on instead
of a stack trace deep inside Django.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit


class ImproperlyConfiguredEnvError(Exception):
    """An environment variable is present but malformed."""


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable as a string, or ``default`` when unset or empty."""
    value = _raw(name)
    return default if value is None else value


def env_secret(name: str, *, min_length: int) -> str | None:
    """Return a secret of at least ``min_length`` characters, or None when unset.

    The value is never echoed in the error.
    """
    value = _raw(name)
    if value is not None and len(value) < min_length:
        raise ImproperlyConfiguredEnvError(
            f"{name} is too short ({len(value)} characters): expected at least {min_length}, "
            "for example the output of `python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    return value


def env_bool(name: str, default: bool = False) -> bool:
    """Return a boolean written as 1/0, true/false, yes/no or on/off."""
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfiguredEnvError(
        f"{name}={value!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return an integer, checking optional lower and upper bounds."""
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfiguredEnvError(
            f"{name}={value!r} is not an integer: expected a whole number such as {default}."
        ) from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfiguredEnvError(f"{name}={number} is too small: expected >= {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfiguredEnvError(f"{name}={number} is too large: expected <= {maximum}.")
    return number


def env_float(
    name: str, default: float, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    """Return a number (such as a threshold), checking optional lower and upper bounds."""
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfiguredEnvError(
            f"{name}={value!r} is not a number: expected a value such as {default}."
        ) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ImproperlyConfiguredEnvError(f"{name}={value!r} is not a finite number.")
    if minimum is not None and number < minimum:
        raise ImproperlyConfiguredEnvError(f"{name}={number} is too small: expected >= {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfiguredEnvError(f"{name}={number} is too large: expected <= {maximum}.")
    return number


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Return a comma-separated list with blanks dropped."""
    value = _raw(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name: str, *, schemes: tuple[str, ...]) -> str | None:
    """Return a URL whose scheme is one of ``schemes``, or None when unset."""
    value = _raw(name)
    if value is None:
        return None
    parts = urlsplit(value)
    scheme = parts.scheme.split("+")[0]
    if scheme not in schemes:
        raise ImproperlyConfiguredEnvError(
            f"{name} has scheme {parts.scheme or '(none)'!r}: expected a URL such as "
            f"{schemes[0]}://user:password@host:port/name (one of: {', '.join(schemes)})."
        )
    return value


def env_database_url(name: str) -> str | None:
    """Return a PostgreSQL URL with a database name, or None when unset."""
    value = env_url(name, schemes=("postgres", "postgresql", "pgsql"))
    if value is None:
        return None
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ImproperlyConfiguredEnvError(
            f"{name} has a malformed port: expected postgresql://user:password@host:5432/name."
        ) from None
    if not parts.path.strip("/"):
        raise ImproperlyConfiguredEnvError(
            f"{name} names no database: expected postgresql://user:password@host:5432/name."
        )
    return value


def env_path(name: str, default: Path, *, must_exist: bool = False) -> Path:
    """Return an absolute path; with ``must_exist`` the path has to be there."""
    value = _raw(name)
    path = default if value is None else Path(value).expanduser()
    path = path.resolve()
    if must_exist and not path.exists():
        raise ImproperlyConfiguredEnvError(
            f"{name}={str(path)!r} does not exist: expected the path of an existing directory."
        )
    return path
