"""The pure rules: IBAN, BIC, creditor identifier, masking, collection dates."""

import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marmots.debits import rules

VALID_IBANS = [
    "FR7630006000011234567890189",
    "FR1420041010050500013M02606",
    "DE89370400440532013000",
    "GB29NWBK60161331926819",
    "BE71096123456769",
    "NL91ABNA0417164300",
    "CH9300762011623852957",
    "NO9386011117947",
    "MT84MALT011000012345MTLCAST001S",
    "IT60X0542811101000000123456",
]


@pytest.mark.parametrize("iban", VALID_IBANS)
def test_valid_ibans(iban):
    assert rules.iban_error(iban) == ""


def test_spaces_and_case_do_not_matter():
    assert rules.iban_error(" fr76 3000 6000 0112 3456 7890 189 ") == ""
    assert rules.compact("fr76 3000-6000.0112") == "FR76300060000112"


@pytest.mark.parametrize(
    "iban, message",
    [
        ("", "Indiquez l'IBAN."),
        ("FR7630006000011234567890188", "clé de contrôle"),  # last digit changed
        ("FR7630006000011234567809189", "clé de contrôle"),  # two digits swapped
        ("DE89370400440532013001", "clé de contrôle"),
        ("FR763000600001123456789018", "Un IBAN FR compte 27 caractères, celui-ci en a 26."),
        ("US64SVBKUS6S3300958879", "Le pays US ne fait pas partie de la zone SEPA."),
        ("7630006000011234567890189", "commence par le code du pays"),
        ("FR76300060000112345678901€9", "commence par le code du pays"),
    ],
)
def test_invalid_ibans(iban, message):
    assert message in rules.iban_error(iban)


@given(st.sampled_from(VALID_IBANS), st.data())
def test_any_single_digit_change_is_caught(iban, data):
    """MOD 97-10 catches every substitution of one digit."""
    positions = [i for i, c in enumerate(iban) if c.isdigit() and i >= 2]
    position = data.draw(st.sampled_from(positions))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != iban[position]]))
    changed = iban[:position] + digit + iban[position + 1 :]
    assert rules.iban_error(changed) != ""


@pytest.mark.parametrize("bic", ["BNPAFRPP", "BNPAFRPPXXX", "agrifrpp881", "COBA DE FF XXX"])
def test_valid_bics(bic):
    assert rules.bic_error(bic) == ""


@pytest.mark.parametrize(
    "bic, message",
    [
        ("", "Indiquez le BIC."),
        ("BNPAFRP", "8 ou 11 caractères"),
        ("BNPAFRPPXX", "8 ou 11 caractères"),
        ("BNP1FRPP", "n'est pas valide"),
        ("BNPA12PP", "n'est pas valide"),
    ],
)
def test_invalid_bics(bic, message):
    assert message in rules.bic_error(bic)


@pytest.mark.parametrize("ics", ["FR72ZZZ123456", "fr72 zzz 123456", "DE98ZZZ09999999999"])
def test_valid_creditor_ids(ics):
    # DE98ZZZ09999999999 is the Bundesbank's published example.
    assert rules.creditor_id_error(ics) == ""


def test_the_business_code_is_not_checked():
    assert rules.creditor_id_error("FR72ABC123456") == ""


@pytest.mark.parametrize(
    "ics, message",
    [
        ("", "Indiquez l'identifiant créancier"),
        ("FR73ZZZ123456", "clé de contrôle"),
        ("FR72ZZZ123457", "clé de contrôle"),
        ("FR72ZZZ1234567", "13 caractères"),
        ("FRXXZZZ123456", "s'écrit comme FR72ZZZ123456"),
        ("US72ZZZ123456", "ne fait pas partie de la zone SEPA"),
    ],
)
def test_invalid_creditor_ids(ics, message):
    assert message in rules.creditor_id_error(ics)


def test_the_examples_the_messages_give_are_valid():
    shown = [rules.creditor_id_error("FRXXZZZ123456"), rules.creditor_id_error("FR72ZZZ1234567")]
    examples = {re.search(r"FR\d\dZZZ\d{6}", message).group() for message in shown}
    assert examples == {"FR72ZZZ123456"}
    assert rules.creditor_id_error("FR72ZZZ123456") == ""


def test_end_to_end_ids_name_the_invoice_and_the_batch():
    assert rules.end_to_end_id("FA-2026-00012", 7) == "FA-2026-00012-7"
    long = rules.end_to_end_id("R" * 40, 123456)
    assert len(long) == 35 and long.endswith("-123456")


def test_masked_and_formatted_ibans():
    assert rules.mask_iban("FR7630006000011234567890189") == "FR76 **** **** **** **** ***0 189"
    assert rules.mask_iban("de89 3704 0044 0532 0130 00") == "DE89 **** **** **** **30 00"
    assert rules.format_iban("FR7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"
    assert rules.mask_iban("FR76") == "****"


@given(st.sampled_from(VALID_IBANS))
def test_a_masked_iban_hides_the_account(iban):
    masked = rules.mask_iban(iban).replace(" ", "")
    assert masked[:4] == iban[:4] and masked[-4:] == iban[-4:]
    assert set(masked[4:-4]) == {"*"} and len(masked) == len(iban)


# Collection dates (TARGET2 business days)

D = datetime.date


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2026, 12, 10), True),  # Thursday
        (D(2026, 12, 12), False),  # Saturday
        (D(2026, 12, 25), False),  # Christmas
        (D(2026, 12, 26), False),  # Saturday anyway
        (D(2027, 3, 26), False),  # Good Friday 2027
        (D(2027, 3, 29), False),  # Easter Monday 2027
        (D(2027, 5, 1), False),  # Saturday, 1 May
        (D(2026, 5, 1), False),  # Friday, 1 May
        (D(2026, 7, 14), True),  # a French public holiday, but banks settle
        (D(2026, 11, 11), True),
    ],
)
def test_business_days(day, expected):
    assert rules.is_business_day(day) is expected


@pytest.mark.parametrize(
    "month, day, today, expected",
    [
        # November's invoices: the 10th of December, a Thursday.
        (D(2026, 11, 1), 10, D(2026, 12, 2), D(2026, 12, 10)),
        (D(2026, 11, 17), 10, D(2026, 12, 2), D(2026, 12, 10)),  # any day of the month
        # The 5th of December 2026 is a Saturday: Monday 7th.
        (D(2026, 11, 1), 5, D(2026, 12, 1), D(2026, 12, 7)),
        # December's invoices on the 1st of January (closed), the 2nd and 3rd a weekend.
        (D(2026, 12, 1), 1, D(2026, 12, 20), D(2027, 1, 4)),
        # February 2027's invoices on 26 March (Good Friday) -> Tuesday 30 March.
        (D(2027, 2, 1), 26, D(2027, 3, 2), D(2027, 3, 30)),
        # Made late: at the earliest the next business day.
        (D(2026, 11, 1), 10, D(2026, 12, 10), D(2026, 12, 11)),
        (D(2026, 11, 1), 10, D(2026, 12, 11), D(2026, 12, 14)),  # Friday -> Monday
        (D(2026, 10, 1), 10, D(2026, 12, 2), D(2026, 12, 3)),  # an old month
    ],
)
def test_collection_date(month, day, today, expected):
    assert rules.collection_date(month, day, today) == expected


def test_expected_date_moves_to_the_next_planned_collection():
    # November's invoice, still unpaid after the 10 December collection: 11 January 2027.
    assert rules.expected_date(D(2026, 11, 1), 10, D(2026, 12, 2)) == D(2026, 12, 10)
    assert rules.expected_date(D(2026, 11, 1), 10, D(2026, 12, 10)) == D(2027, 1, 11)
    assert rules.expected_date(D(2026, 9, 1), 10, D(2026, 12, 2)) == D(2026, 12, 10)


@given(
    st.dates(min_value=D(2024, 1, 1), max_value=D(2030, 12, 31)),
    st.integers(min_value=1, max_value=28),
    st.integers(min_value=-60, max_value=60),
)
def test_a_collection_date_is_always_a_coming_business_day(month, day, shift):
    today = month.replace(day=1) + datetime.timedelta(days=31 + shift)
    found = rules.collection_date(month, day, today)
    assert rules.is_business_day(found) and found > today
    assert found >= rules.planned_date(month, day)
    assert rules.expected_date(month, day, today) > today
