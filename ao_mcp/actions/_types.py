"""Shared argument types, output records and answer shapers for the action modules.

Input types validate what the documentation states (email format, comparison
operators, ISO country codes, date pairs) and explain a rejection in plain words;
pydantic puts the field's path in front of each message. Output models are lenient:
fields the API may leave out are optional, numeric strings become numbers, and
unknown fields are kept.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from ao_mcp.spec import ListOutput, ToolInput, ToolOutput

class ActionInput(ToolInput):
    """Base of the action inputs (the generic layer compacts their advertised schema)."""


class Item(BaseModel):
    """Base of objects nested in an input (a learner to invite, a variable to set)."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- inputs

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


Email = Annotated[str, AfterValidator(_email)]

OPERATORS = ("=", ">", "<", ">=", "<=", "<>")
# The documentation's own example writes "=>"; a model copying it should not fail.
_OPERATOR_ALIASES = {"=>": ">=", "=<": "<="}


def _operator(value: Any) -> Any:
    if isinstance(value, str):
        value = _OPERATOR_ALIASES.get(value.strip(), value.strip())
        if value not in OPERATORS:
            raise ValueError(f"{value!r} is not a comparison operator; use one of {', '.join(OPERATORS)}")
    return value


Operator = Annotated[Literal["=", ">", "<", ">=", "<=", "<>"], BeforeValidator(_operator)]

# ISO 3166-1 alpha-2: the 249 officially assigned codes (ISO 3166 Maintenance Agency;
# the same list as Debian's iso-codes 4.15). User-assigned codes such as XK are not in it.
COUNTRY_CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """.split()
)
_COUNTRY_HINTS = {"UK": "GB", "EL": "GR"}  # reserved codes people use by habit


def _country(value: Any) -> Any:
    if isinstance(value, str):
        code = value.strip().upper()
        if code not in COUNTRY_CODES:
            hint = f" (use {_COUNTRY_HINTS[code]})" if code in _COUNTRY_HINTS else ""
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code{hint}")
        return code
    return value


CountryCode = Annotated[str, BeforeValidator(_country)]

_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def parse_date(value: str) -> datetime:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS")


def _date(value: str) -> str:
    # "T" between date and time (ISO style) is accepted and sent as the documented space.
    value = value.strip()
    if len(value) == 19 and value[10] == "T":
        value = f"{value[:10]} {value[11:]}"
    parse_date(value)
    return value


DateText = Annotated[str, AfterValidator(_date)]


def _ordered(pair: list[str]) -> list[str]:
    if parse_date(pair[0]) >= parse_date(pair[1]):
        raise ValueError(f"the first date ({pair[0]}) must be earlier than the second ({pair[1]})")
    return pair


DatePair = Annotated[list[DateText], Field(min_length=2, max_length=2), AfterValidator(_ordered)]

_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _snake(value: str) -> str:
    if not _SNAKE.match(value):
        raise ValueError(f"{value!r} is not snake_case (lower-case letters and digits joined by _)")
    return value


SnakeKey = Annotated[str, AfterValidator(_snake)]

Text = Annotated[str, Field(min_length=1)]
"""A non-empty string: ids, slugs, names."""

MaxItems = Annotated[int | None, Field(ge=1, le=1000, description="Most items to return, 1-1000")]
Confirm = Annotated[bool | None, Field(description="Set true only after the user agreed; never sent to the API")]

# --------------------------------------------------------------------------- outputs


def _empty_list_as_dict(value: Any) -> Any:
    # PHP's json_encode writes an empty associative array as [].
    return {} if value == [] else value


Number = Annotated[int | float, WithJsonSchema({"type": "number"})]
"""A number that may arrive as a numeric string ("5") or with a fraction (75.0)."""

PhpDict = BeforeValidator(_empty_list_as_dict)


class LearnerRecord(ToolOutput):
    """A learner as the learner listings return it."""

    name: str | None = Field(None, description="Learner name.")
    email: str = Field(description="Learner email.")
    registered_at: str | None = Field(None, description="Registration time, ISO 8601 UTC.")
    score: Number | None = Field(None, description="Completed share of all available content, %.")
    lessons_opened: int | None = Field(None, description="Contents opened.")
    lessons_completed: int | None = Field(None, description="Contents completed.")
    courses_completed: int | None = Field(None, description="Courses completed.")
    spent_time_in_academy: int | None = Field(None, description="Time spent in the academy, seconds.")
    certificates_amount: int | None = Field(None, description="Certificates issued.")
    company: str | None = Field(None, description="Company link, or null.")
    country: str | None = Field(None, description="Country name.")
    country_iso_code: str | None = Field(None, description="ISO 3166 alpha-2 country code.")
    city: str | None = Field(None, description="City.")
    os: str | None = Field(None, description="Operating system.")
    device: str | None = Field(None, description="Device.")
    browser: str | None = Field(None, description="Browser.")
    last_login_at: str | None = Field(None, description="Last login time, ISO 8601 UTC.")


class LearnersOutput(ListOutput):
    learners: list[LearnerRecord] = Field(description="Matching learners.")


class DoneOutput(ToolOutput):
    done: bool = Field(description="True when AcademyOcean accepted the request.")
