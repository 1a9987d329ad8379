"""Declarative validation of untrusted payloads, shared by every writer (REST, websocket, tasks).

A spec maps field names to `Field` rules. `clean_payload` returns the cleaned values or raises
Django's `ValidationError` with one message list per field, so nothing is half-applied.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from vsm_site.ids import row_id


def storable_text(data: Any) -> bool:
    """True when every string in the parsed JSON `data` is text UTF-8 can hold. JSON's
    "\\ud800" escapes can spell lone surrogates, which no database stores and no page shows;
    every reader of JSON from outside (REST bodies, socket frames) refuses them."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


# Messages in words -------------------------------------------------------------------------
# The API keeps one message list per field (`{"title": ["Must not be blank."]}`); where a
# person reads a rejection (the board, the workshop pages) it is said as a sentence with the
# field's name in words: "Title must not be blank." These are the names, one per field.

FIELD_LABELS = {
    # Board objects (streams.kinds)
    "title": "Title",
    "description": "Description",
    "team": "Team",
    "lane": "Lane",
    "x": "Horizontal position",
    "y": "Vertical position",
    "order": "Position in the flow",
    "process_time": "Process time",
    "wait_time": "Wait time",
    "pca": "%C&A",
    "lead_time_min": "Shortest lead time",
    "lead_time_max": "Longest lead time",
    "color": "Colour",
    "source": "Start of the link",
    "target": "End of the link",
    "text": "Text",
    "category": "Kind of waste",
    "activity": "Activity",
    "waste": "Waste",
    "current_condition": "Current condition",
    "future_condition": "Future condition",
    "measure": "How we will measure it",
    "breadth": "Breadth",
    "effort": "Effort",
    "difficulty": "Difficulty",
    "owner": "Owner",
    "status": "Status",
    "kind": "Kind",
    "version": "Version",
    # Streams
    "name": "Name",
    "stream_name": "Value stream",
    "state": "State",
    "based_on": "Based on",
    "workshop": "Workshop",
    "locked": "Locked",
    "votes_revealed": "Votes revealed",
    "starter": "Starter map",
    # Workshops, members, invitations, the timer
    "goal": "Goal",
    "choice_notes": "Why this value stream",
    "is_recent": "Recent",
    "is_real": "Real",
    "has_reach": "Reach",
    "is_representative": "Representative",
    "is_road_tested": "Road-tested",
    "phase": "Step",
    "role": "Role",
    "max_uses": "Number of uses",
    "expires_in_days": "Days until it expires",
    "seconds": "Timer",
    # Measured flow
    "flow_state": "Flow state",
    "match": "Match",
    "value": "Value",
    "flow_type": "Flow type",
    # Frames and bodies as a whole
    "op": "Change",
    "data": "Change",
}


def field_label(name: str) -> str:
    """The field's name in words ("process_time" -> "Process time")."""
    label = FIELD_LABELS.get(name)
    if label is None:
        label = str(name).replace("_", " ").strip().capitalize() or "This field"
    return label


def message_in_words(name: str, message: str) -> str:
    """One field's message as a sentence that names the field in words:
    ("title", "Must be at most 200 characters.") -> "Title must be at most 200 characters."
    A message that is a sentence of its own ("You have used all 5 of your dots.") is kept."""
    if name in ("non_field_errors", "__all__", ""):
        return message
    label = field_label(name)
    if message == "This field is required.":
        return f"{label} is required."
    if message == "Unknown field.":
        return f"“{str(name)[:100]}” is not something that can be set here."
    if message.startswith("Must "):
        return f"{label} m{message[1:]}"
    return message


def refusal_report(request: HttpRequest, error: ValidationError) -> None:
    """Each message of a service's refusal as a page message, a sentence in words ("Name
    must not be blank."), never a raw field name (the server-rendered pages' forms)."""
    for name, texts in error.message_dict.items():
        for text in texts:
            messages.error(request, message_in_words(name, text))


def errors_in_words(errors: Mapping[str, Iterable[str]]) -> str:
    """Every message of a ValidationError's `message_dict`, in words, one sentence each."""
    sentences = [
        message_in_words(name, str(message))
        for name, messages in errors.items()
        for message in messages
    ]
    return " ".join(sentences) or "The change is not valid."
