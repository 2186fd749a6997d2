"""Toolset "certificates": issued certificates and course certificate templates."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from ao_mcp.actions._types import (
    ActionInput,
    DoneOutput,
    Email,
    Item,
    MaxItems,
    Text,
)
from ao_mcp.shapes import as_dict, done_shape, wrong_kind
from ao_mcp.spec import ListOutput, ToolOutput, ToolSpec

TOOLSET = "certificates"

# --------------------------------------------------------------------------- certificates


class CertificatesInput(ActionInput):
    email: Email = Field(description="Learner email")
    max_items: MaxItems = None


class Certificate(ToolOutput):
    issued_date: str | None = Field(None, description="Issued, ISO 8601 UTC.")
    course_name: str | None = Field(None, description="Course name.")
    url_to_pdf: str | None = Field(None, description="PDF URL.")
    url_to_image: str | None = Field(None, description="Image URL.")


class CertificatesOutput(ListOutput):
    certificates: list[Certificate] = Field(description="The learner's certificates.")


# --------------------------------------------------------------------------- template variables


class CourseIdInput(ActionInput):
    course_id: Text = Field(description="Course id (not the slug)")


class CertificateVariable(ToolOutput):
    code: str = Field(description="Variable code.")
    name: str | None = Field(None, description="Variable name.")
    type: str | None = Field(None, description="text or image_url.")
    value: str | None = Field(None, description="Current value, or null.")


class CertificateVariablesOutput(ToolOutput):
    template_id: int | str | None = Field(None, description="Certificate template id.")
    certificate_variables: list[CertificateVariable] = Field(description="Variables of the template.")


def _shape_template(raw: Any, args: Any) -> dict[str, Any]:
    action = "courseCertificateVariables"
    answer = as_dict(action, raw)
    variables = answer.get("certificate_variables", [])
    if variables == {}:
        variables = []
    if not isinstance(variables, list):
        raise wrong_kind(action, variables, "list of certificate variables")
    return {**answer, "certificate_variables": variables}


# The table says "text, img_url"; both samples and the courseCertificateVariables answer
# use "image_url", so that is what is advertised and sent, and img_url is read as it.
def _image_url(value: Any) -> Any:
    return "image_url" if value == "img_url" else value


class NewCertificateVariable(Item):
    code: Text = Field(description="Variable code, from course_certificate_variables")
    name: Text = Field(description="Variable name")
    type: Annotated[Literal["text", "image_url"], BeforeValidator(_image_url)] = Field(description="text or image_url")
    # "Must be present, but can be null": required, and null is a value.
    value: str | None = Field(description="New value; null to clear")


class UpdateVariablesInput(ActionInput):
    course_id: Text = Field(description="Course id (not the slug)")
    certificate_variables: list[NewCertificateVariable] = Field(min_length=1, description="Variables to update")

    def to_options(self) -> dict[str, Any]:
        # The inherited dump drops None; here a null value must reach the API as null
        # (in a JSON body; a form body cannot carry null and drops the pair, as PHP does).
        options = super().to_options()
        options["certificate_variables"] = [variable.model_dump(mode="json") for variable in self.certificate_variables]
        return options


TOOLS = [
    ToolSpec(
        name="certificates",
        title="Learner certificates",
        description=(
            "Certificates a learner received, with course name, date and PDF/image links.\n"
            "Use to verify or share a learner's certificates."
        ),
        toolset=TOOLSET,
        action="certificates",
        input=CertificatesInput,
        output=CertificatesOutput,
        list_field="certificates",
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="course_certificate_variables",
        title="Certificate template variables",
        description=(
            "A course's certificate template id and its variables (code, name, type, value).\n"
            "Use before update_course_certificate_variables to see the codes."
        ),
        toolset=TOOLSET,
        action="courseCertificateVariables",
        input=CourseIdInput,
        output=CertificateVariablesOutput,
        shape=_shape_template,
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    ToolSpec(
        name="update_course_certificate_variables",
        title="Update certificate variables",
        description=(
            "Overwrites values of a course's certificate template variables (texts, image URLs).\n"
            "Use to change certificate texts or images; read current ones with course_certificate_variables."
        ),
        toolset=TOOLSET,
        action="updateCourseCertificateVariables",
        input=UpdateVariablesInput,
        output=DoneOutput,
        shape=done_shape("updateCourseCertificateVariables"),
        read_only=False,
        destructive=True,
        # Writing the same values again leaves the same template.
        idempotent=True,
    ),
]
