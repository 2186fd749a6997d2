"""Toolset "learners": find learners, count them by country, delete them."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from ao_mcp.actions._types import (
    ActionInput,
    Confirm,
    CountryCode,
    DatePair,
    DateText,
    Email,
    LearnerRecord,
    LearnersOutput,
    MaxItems,
    Operator,
    Text,
)
from ao_mcp.shapes import as_list, count_shape, wrong_kind
from ao_mcp.spec import ListOutput, ToolOutput, ToolSpec

TOOLSET = "learners"

# --------------------------------------------------------------------------- learners


class LearnersInput(ActionInput):
    email: Email | None = Field(None, description="Only the learner with this email")
    with_academy: bool | None = Field(None, description="Add the academy id and name")
    with_teams: bool | None = Field(None, description="Add the learner's team ids and names")
    # Not in the input table; the documentation's first example sends it.
    dates: DatePair | None = Field(None, description="Registered between [from, to]: YYYY-MM-DD[ HH:MM:SS]")
    max_items: MaxItems = None


# --------------------------------------------------------------------------- learnersWithScore


class LearnersWithScoreInput(ActionInput):
    score: int = Field(ge=0, le=100, description="Score to compare with, % of content completed")
    operator: Operator | None = Field(None, description="Comparison, learner score vs score; default =")
    max_items: MaxItems = None


# --------------------------------------------------------------------------- learnersRegisteredAt


class LearnersRegisteredAtInput(ActionInput):
    date: DateText | None = Field(None, description="Date to compare with: YYYY-MM-DD[ HH:MM:SS]")
    operator: Operator | None = Field(None, description="Comparison with date; default =")
    dates: DatePair | None = Field(None, description="Registered between [from, to]; instead of date")
    max_items: MaxItems = None

    @model_validator(mode="after")
    def _date_or_dates(self) -> LearnersRegisteredAtInput:
        # The API runs `dates` and silently ignores `date` when both are given:
        # refuse the ambiguous call rather than answer a question nobody asked.
        if self.date is None and self.dates is None:
            raise ValueError("give date (with an optional operator) or dates")
        if self.date is not None and self.dates is not None:
            raise ValueError("give date or dates, not both: the API would ignore date")
        if self.dates is not None and self.operator is not None:
            raise ValueError("operator applies to date only; with dates it would be ignored")
        return self


# --------------------------------------------------------------------------- countries


class LearnersFromCountryInput(ActionInput):
    country_iso_code: CountryCode = Field(description="ISO 3166 alpha-2 country code")
    max_items: MaxItems = None


class LearnersFromCountryOutput(ListOutput):
    country_iso_code: str | None = Field(None, description="ISO 3166 alpha-2 country code.")
    country: str | None = Field(None, description="Country name.")
    amount: int | None = Field(None, description="Learners from the country.")
    learners: list[LearnerRecord] = Field(description="Learners from the country.")


def _shape_from_country(raw: Any, args: LearnersFromCountryInput) -> dict[str, Any]:
    if isinstance(raw, list):
        if len(raw) == 1 and isinstance(raw[0], dict) and "learners" in raw[0]:
            raw = raw[0]  # the summary wrapped in a list
        else:  # the learners alone, or PHP's empty array when there are none
            return {"country_iso_code": args.country_iso_code, "amount": len(raw), "learners": raw}
    if not isinstance(raw, dict):
        raise wrong_kind("learnersFromCountry", raw, "object")
    return {**raw, "learners": as_list("learnersFromCountry", raw.get("learners", []))}


class AmountFromCountriesInput(ActionInput):
    country_iso_code: CountryCode | None = Field(None, description="Only this country (ISO 3166 alpha-2)")
    max_items: MaxItems = None


class CountryAmount(ToolOutput):
    country_iso_code: str | None = Field(None, description="ISO 3166 alpha-2 country code.")
    country: str | None = Field(None, description="Country name.")
    amount: int = Field(description="Learners from the country.")


class AmountFromCountriesOutput(ListOutput):
    countries: list[CountryAmount] = Field(description="Learner count per country.")


def _shape_countries(raw: Any, args: Any) -> dict[str, Any]:
    if isinstance(raw, dict) and "amount" in raw:  # a single country, unwrapped
        raw = [raw]
    return {"countries": as_list("learnersAmountFromCountries", raw, "countries")}


# --------------------------------------------------------------------------- passive, repeated


class NoOptionsListInput(ActionInput):
    max_items: MaxItems = None


class PassiveLearner(ToolOutput):
    registered_at: str | None = Field(None, description="Registration time, ISO 8601 UTC.")
    name: str | None = Field(None, description="Learner name.")
    email: str = Field(description="Learner email.")
    company: str | None = Field(None, description="Company link, or null.")


class PassiveLearnersOutput(ListOutput):
    learners: list[PassiveLearner] = Field(description="Learners who never opened a lesson.")


class RepeatedLogInsLearner(LearnerRecord):
    log_ins_amount: int | None = Field(None, description="Number of log-ins.")


class RepeatedLogInsOutput(ListOutput):
    learners: list[RepeatedLogInsLearner] = Field(description="Learners who logged in more than once.")


# --------------------------------------------------------------------------- deleteLearners


class DeleteLearnersInput(ActionInput):
    # Declared in the order of the documentation's sample, which is the order sent.
    is_permanently_delete: bool | None = Field(None, description="Delete irreversibly")
    emails: list[Email] | None = Field(None, min_length=1, description="Emails of learners to delete")
    ids: list[Text] | None = Field(None, min_length=1, description="Ids of learners to delete")
    confirm: Confirm = None

    @model_validator(mode="after")
    def _someone(self) -> DeleteLearnersInput:
        if not self.emails and not self.ids:
            raise ValueError("give emails or ids: name at least one learner to delete")
        return self


class DeletedOutput(ToolOutput):
    deleted: int = Field(description="Learners deleted.")


# --------------------------------------------------------------------------- specs

TOOLS = [
    ToolSpec(
        name="learners",
        title="List learners",
        description=(
            "Learners with profile, score and activity stats.\n"
            "Use to list learners, find one by email, or those registered between two dates."
        ),
        toolset=TOOLSET,
        action="learners",
        input=LearnersInput,
        output=LearnersOutput,
        list_field="learners",
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="learners_with_score",
        title="Learners by score",
        description=(
            "Learners whose score (% of all content completed) compares to a value.\n"
            "Use to find advanced or lagging learners, e.g. score 80 with operator >=."
        ),
        toolset=TOOLSET,
        action="learnersWithScore",
        input=LearnersWithScoreInput,
        output=LearnersOutput,
        list_field="learners",
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="learners_registered_at",
        title="Learners by registration date",
        description=(
            "Learners registered on, before or after a date, or within a date range.\n"
            "Use for sign-up cohorts; give date (+ operator) or dates."
        ),
        toolset=TOOLSET,
        action="learnersRegisteredAt",
        input=LearnersRegisteredAtInput,
        output=LearnersOutput,
        list_field="learners",
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="learners_from_country",
        title="Learners from a country",
        description=(
            "One country's learner count and its learners with their stats.\n"
            "Use for a country's audience; see learners_amount_from_countries for all countries."
        ),
        toolset=TOOLSET,
        action="learnersFromCountry",
        input=LearnersFromCountryInput,
        output=LearnersFromCountryOutput,
        list_field="learners",
        shape=_shape_from_country,
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="learners_amount_from_countries",
        title="Learner count by country",
        description=(
            "Number of learners per country.\n"
            "Use for the academy's geography; learners_from_country lists one country's learners."
        ),
        toolset=TOOLSET,
        action="learnersAmountFromCountries",
        input=AmountFromCountriesInput,
        output=AmountFromCountriesOutput,
        list_field="countries",
        shape=_shape_countries,
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="passive_learners",
        title="Passive learners",
        description=(
            "Learners who registered but never opened any content.\n"
            "Use to find sign-ups to re-engage."
        ),
        toolset=TOOLSET,
        action="passiveLearners",
        input=NoOptionsListInput,
        output=PassiveLearnersOutput,
        list_field="learners",
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="learners_repeated_log_ins",
        title="Returning learners",
        description=(
            "Learners who logged in more than once, with their stats and log-in count.\n"
            "Use to gauge returning, engaged learners."
        ),
        toolset=TOOLSET,
        action="learnersRepeatedLogIns",
        input=NoOptionsListInput,
        output=RepeatedLogInsOutput,
        list_field="learners",
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="delete_learners",
        title="Delete learners",
        description=(
            "Deletes learners by email or id; returns how many were deleted.\n"
            "Irreversible with is_permanently_delete. To block access but keep progress, use revoke_learners_access."
        ),
        toolset=TOOLSET,
        action="deleteLearners",
        input=DeleteLearnersInput,
        output=DeletedOutput,
        shape=count_shape("deleteLearners", "deleted"),
        read_only=False,
        destructive=True,
        # Deleting the same learners again deletes nothing more.
        idempotent=True,
        confirm=True,
    ),
]
