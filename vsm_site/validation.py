"""Declarative validation of untrusted payloads, shared by every writer (REST, websocket, tasks).

A spec maps field names to `Field` rules. `clean_payload` returns the cleaned values or raises
Django's `ValidationError` with one message list per field, so nothing is half-applied.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from vsm_site.ids import row_id


class FieldError(Exception):
    """Raised by a rule with the message for its field."""


@dataclass(frozen=True)
class Field:
    required: bool = False

    def clean(self, value: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Field):
    max_length: int = 200
    blank: bool = True

    def clean(self, value: Any) -> str:
        if value is None and not self.blank:
            value = ""  # "Must not be blank." below says more than "Must be a string."
        if not isinstance(value, str):
            raise FieldError("Must be a string.")  # null too: an empty text is ""
        if len(value) > self.max_length:
            raise FieldError(f"Must be at most {self.max_length} characters.")
        if "\x00" in value:
            raise FieldError("Must not contain NUL characters.")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate, e.g. from a "\ud800" JSON escape
                raise FieldError("Must be valid Unicode text.") from None
        value = value.strip()
        if not self.blank and not value:
            raise FieldError("Must not be blank.")
        return value


def finite_float(value: Any) -> float | None:
    """`value` as a finite float, or None: for anything but an int or a float (booleans too),
    for NaN and the infinities, and for an integer beyond any float (JSON may spell 10**400
    as a 401-digit literal, which `float()` refuses with OverflowError)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Number(Field):
    """A finite float within [minimum, maximum]; booleans and strings are refused."""

    minimum: float = 0.0
    maximum: float = 1e12
    nullable: bool = False

    def clean(self, value: Any) -> float | None:
        if value is None and self.nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FieldError("Must be a number.")
        number = finite_float(value)
        if number is None:
            raise FieldError("Must be a finite number.")
        if not self.minimum <= number <= self.maximum:
            raise FieldError(f"Must be between {self.minimum:g} and {self.maximum:g}.")
        return number


@dataclass(frozen=True)
class Integer(Field):
    minimum: int = 0
    maximum: int = 2**31 - 1

    def clean(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError("Must be an integer.")
        if not self.minimum <= value <= self.maximum:
            raise FieldError(f"Must be between {self.minimum} and {self.maximum}.")
        return value


@dataclass(frozen=True)
class Boolean(Field):
    def clean(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise FieldError("Must be true or false.")
        return value


@dataclass(frozen=True)
class Choice(Field):
    choices: tuple[str, ...] = ()

    def clean(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise FieldError(f"Must be one of: {', '.join(self.choices)}.")
        return value


_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Color(Field):
    def clean(self, value: Any) -> str:
        if not isinstance(value, str) or not _COLOR.match(value):
            raise FieldError("Must be a colour like #fde68a.")
        return value.lower()


@dataclass(frozen=True)
class Reference(Field):
    """The id of another object; its existence and scope are checked by the service. An id
    no row can have (beyond 2**63 - 1) is refused here, before any query."""

    nullable: bool = False

    def clean(self, value: Any) -> int | None:
        if value is None and self.nullable:
            return None
        if isinstance(value, str) or row_id(value) is None:
            raise FieldError("Must be the id of an existing object.")
        return int(value)


def clean_payload(
    spec: Mapping[str, Field],
    data: Any,
    *,
    partial: bool,
    read_only: Iterable[str] = (),
) -> dict[str, Any]:
    """Validate `data` against `spec`.

    Unknown keys are errors, except `read_only` ones, which are ignored (clients may echo a
    whole object back). With `partial` False, every required field must be present.
    """
    if not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": ["Expected an object."]})
    ignored = set(read_only)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in data.items():
        if name in ignored:
            continue
        rule = spec.get(name)
        if rule is None:
            errors[str(name)[:100]] = ["Unknown field."]
            continue
        try:
            cleaned[name] = rule.clean(value)
        except FieldError as error:
            errors[name] = [str(error)]
    if not partial:
        for name, rule in spec.items():
            if rule.required and name not in data:
                errors[name] = ["This field is required."]
    if errors:
        raise ValidationError(errors)
    return cleaned
