"""The national project code of domain guide section 7."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from approvals.cases.project_code import (
    CodeGeneration,
    code_generation,
    normalise_project_code,
    validate_project_code,
)
from tests.factories import ProjectFactory


@pytest.mark.parametrize(
    ("code", "generation"),
    [
        ("2509-140602-89-05-864976", CodeGeneration.NEW),  # issued September 2025
        ("2012-140000-04-01-000001", CodeGeneration.NEW),  # chars 3–4 = 12: the guide's rule
        ("2101-141100-89-01-123456", CodeGeneration.NEW),
        ("2019-140000-44-03-012345", CodeGeneration.OLD),  # a four-digit year
        ("2017-140700-26-03-000123", CodeGeneration.OLD),
    ],
)
def test_valid_codes_are_told_apart_by_generation(code, generation):
    validate_project_code(code)
    assert code_generation(code) == generation


@pytest.mark.parametrize(
    "code",
    [
        "2509-140602-89-05-86497",  # too short
        "2509-140602-89-05-8649761",  # too long
        "2509140602-89-05-864976-",  # dashes in the wrong places
        "25O9-140602-89-05-864976",  # a letter O
        "2509_140602_89_05_864976",
        "",
        # Digits of other scripts: a code is written in the digits the national platform
        # issues (full-width ones are folded to those by normalise_project_code).
        "٢٥٠٩-١٤٠٦٠٢-٨٩-٠٥-٨٦٤٩٧٦",  # Arabic-Indic
        "2509-140602-89-05-৮৬৪৯৭৬",  # Bengali: ৮ is 8, ৪ is 4 and looks like 8
        "2509-140602-89-05-864976\n",  # a line break after it
    ],
)
def test_wrong_shapes_are_refused_with_the_expected_shape(code):
    with pytest.raises(ValidationError) as error:
        validate_project_code(code)
    # the form in words with an example, never a pattern of d's
    assert "项目代码应为 2509-140602-89-05-864976 这样的格式" in str(error.value)
    assert "dddd" not in str(error.value)


def test_full_width_digits_and_dashes_are_normalised():
    assert normalise_project_code(" ２５０９－１４０６０２—８９-０５-８６４９７６ ") == (
        "2509-140602-89-05-864976"
    )


def test_the_model_form_validation_refuses_a_bad_code(zone):
    project = ProjectFactory.build(zone=zone, code="2509-1406-89-05-864976", enterprise=None)
    with pytest.raises(ValidationError) as error:
        project.full_clean()
    assert "code" in error.value.message_dict


def test_a_code_is_unique_when_present(zone):
    ProjectFactory(zone=zone, code="2509-140602-89-05-864976")
    with pytest.raises(IntegrityError):
        ProjectFactory(zone=zone, code="2509-140602-89-05-864976")


def test_a_duplicate_code_is_reported_by_validation(zone):
    ProjectFactory(zone=zone, code="2509-140602-89-05-864976")
    twin = ProjectFactory.build(zone=zone, code="2509-140602-89-05-864976", enterprise=None)
    with pytest.raises(ValidationError) as error:
        twin.full_clean()
    assert "code" in error.value.message_dict


def test_many_projects_may_wait_for_their_code(zone):
    ProjectFactory(zone=zone, code=None)
    ProjectFactory(zone=zone, code=None)
