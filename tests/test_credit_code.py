"""The unified social credit code check (GB 32100), without a database."""
import pytest

from layers.credit_code import CHARSET, check_character, credit_code_problem

# Published codes: the standard's own example and two well-known companies.
REAL_CODES = ["91350100M000100Y43", "91110000802100433B", "91440300708461136T"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert credit_code_problem(code) is None


@pytest.mark.parametrize("code", REAL_CODES)
def test_any_other_check_character_is_refused(code):
    for wrong in CHARSET:
        if wrong != code[-1]:
            problem = credit_code_problem(code[:-1] + wrong)
            assert problem is not None and "check character" in problem and code[-1] in problem


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("9135010OM000100Y43", "character 8"),  # letter O is never used
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100Y433", "18 characters"),
        ("9135a100M000100Y43", "character 5"),
        ("91ABCDEFM000100Y43", "administrative division"),
    ],
)
def test_malformed_codes_say_what_is_wrong(code, fragment):
    problem = credit_code_problem(code)
    assert problem is not None and fragment in problem


def test_single_character_typos_are_caught():
    code = REAL_CODES[0]
    for position in range(17):
        for replacement in CHARSET:
            if replacement != code[position]:
                typo = code[:position] + replacement + code[position + 1 :]
                if typo[2:8].isdigit():
                    assert credit_code_problem(typo) is not None, typo


def test_check_character_is_in_charset():
    assert check_character("91230112000000001") in CHARSET
