"""Reading action options the way the service's Laravel validation does.

Options arrive from two encodings: PHP bracket forms (everything is a string,
booleans are "1"/"0", ``null`` and empty arrays are simply absent) and JSON
(real types). ``Options`` reads both and raises ``ApiError`` with Laravel-style
messages that name the option, so the sandbox answers 422 instead of crashing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["ApiError", "Options", "invalid", "is_email", "not_found"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_INTEGER = re.compile(r"\s*[-+]?\d{1,18}\s*")
_TRUE = (True, 1, "1", "true", "True", "TRUE", "on", "yes")
_FALSE = (False, 0, "0", "false", "False", "FALSE", "off", "no", "")


class ApiError(Exception):
    """An answer in the documented error shape: ``{"error": {"message": ...}}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_email(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 254 and _EMAIL.match(value) is not None


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def not_found(field: str, value: Any) -> ApiError:
    """422 naming the option and the value that matched nothing."""
    return ApiError(422, f'The selected {field} "{_show(value)}" does not exist.')


def invalid(message: str) -> ApiError:
    """422 with a validation message."""
    return ApiError(422, message)


class Options:
    """Typed, validated access to one request's ``options``."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw

    def present(self, name: str) -> bool:
        value = self.raw.get(name)
        return value is not None and value != "" and value != [] and value != {}

    def string(self, name: str, *, required: bool = False, field: str | None = None) -> str | None:
        """A scalar as text; JSON numbers are accepted because forms turn them into text anyway."""
        field = field or name
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise invalid(f"The {field} field is required.")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise invalid(f"The {field} field must be a string.")
        return str(value).strip() if isinstance(value, str) else str(value)

    def email(self, name: str = "email", *, required: bool = True) -> str | None:
        value = self.string(name, required=required)
        if value is not None and not is_email(value):
            raise invalid(f"The {name} field must be a valid email address.")
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.raw.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            value = value.strip()
        if value in _TRUE and not isinstance(value, float):
            return True
        if value in _FALSE and not isinstance(value, float):
            return False
        raise invalid(f"The {name} field must be true or false.")

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
        field: str | None = None,
    ) -> int | None:
        """An integer, from a JSON number or a digit string (forms send numbers as text)."""
        field = field or name
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise invalid(f"The {field} field is required.")
            return default
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (
            isinstance(value, str) and _INTEGER.fullmatch(value)
        ):
            number = int(value)
        if number is None:
            raise invalid(f"The {field} field must be an integer.")
        if minimum is not None and maximum is not None and not minimum <= number <= maximum:
            raise invalid(f"The {field} field must be between {minimum} and {maximum}.")
        if minimum is not None and number < minimum:
            raise invalid(f"The {field} field must be at least {minimum}.")
        if maximum is not None and number > maximum:
            raise invalid(f"The {field} field must not be greater than {maximum}.")
        return number

    def array(self, name: str, *, required: bool = False, field: str | None = None) -> list[Any]:
        """A list; a PHP form cannot send an empty one, so absent and empty read alike."""
        field = field or name
        value = self.raw.get(name)
        if value is None or value == [] or value == "":
            if required:
                raise invalid(f"The {field} field is required.")
            return []
        if isinstance(value, dict) and all(isinstance(k, str) and k.isdigit() for k in value):
            # A form with gaps in its indexes (emails[0], emails[2]) decodes as a map.
            return [value[k] for k in sorted(value, key=int)]
        if not isinstance(value, list):
            raise invalid(f"The {field} field must be an array.")
        return value

    def strings(
        self, name: str, *, required: bool = False, emails: bool = False, field: str | None = None
    ) -> list[str]:
        """A list of non-empty strings (of email addresses when ``emails``)."""
        field = field or name
        items = self.array(name, required=required, field=field)
        result = []
        for index, item in enumerate(items):
            if isinstance(item, bool) or not isinstance(item, str | int) or item == "":
                raise invalid(f"The {field}.{index} field must be a string.")
            text = str(item).strip()
            if emails and not is_email(text):
                raise invalid(f"The {field}.{index} field must be a valid email address.")
            result.append(text)
        return result

    def mapping(self, name: str, *, required: bool = False) -> dict[str, Any]:
        value = self.raw.get(name)
        if value is None or value == [] or value == {} or value == "":
            if required:
                raise invalid(f"The {name} field is required.")
            return {}
        if not isinstance(value, dict):
            raise invalid(f"The {name} field must be an array.")
        return value

    def choice(self, name: str, allowed: Mapping[str, str], *, default: str) -> str:
        """One of ``allowed``'s keys, mapped to its canonical value."""
        value = self.string(name)
        if value is None:
            return default
        if value not in allowed:
            raise invalid(f"The selected {name} is invalid.")
        return allowed[value]
