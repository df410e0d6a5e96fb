"""Customs codes: pure checks of MRNs, CN codes, countries and units. Each returns the normalised value
or raises `ValueError` with a message for people."""

from __future__ import annotations

import re
import string

from pa_client.domain.units import UNIT_CODES, UNIT_NAMES, USUAL_MISTAKES

_MRN = re.compile(r"^[0-9]{2}[A-Z]{2}[A-Z0-9]{13}[A-Z0-9]$")
_CN = re.compile(r"^[0-9]{8}$")
_EORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")

# ISO 6346 letter values: A=10 and up, skipping the multiples of 11.
_LETTER_VALUES: dict[str, int] = {}
_value = 10
for _letter in string.ascii_uppercase:
    if _value % 11 == 0:
        _value += 1
    _LETTER_VALUES[_letter] = _value
    _value += 1

# ISO 3166-1 alpha-2 (officially assigned codes) and XI (Northern Ireland in EU customs data).
_COUNTRY_LIST = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI
    BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN
    CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK
    FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK
    ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW XI XK
"""
COUNTRIES = frozenset(_COUNTRY_LIST.split())


def mrn_check_character(first17: str) -> str:
    """The check character of an MRN: ISO 6346 over the first 17 characters (weights 2^0…2^16),
    remainder of the division by 11, a remainder of 10 giving 0."""
    total = 0
    for position, char in enumerate(first17):
        value = int(char) if char.isdigit() else _LETTER_VALUES[char]
        total += value * (1 << position)
    return str(total % 11 % 10)


def check_mrn(value: str) -> str:
    """An 18-character Movement Reference Number with a correct check character."""
    mrn = value.strip().upper()
    if len(mrn) != 18:
        raise ValueError(f"an MRN has 18 characters, not {len(mrn)}")
    if not _MRN.match(mrn):
        raise ValueError(
            "an MRN is 2 digits (year), 2 letters (country), 13 letters or digits, 1 check character"
        )
    expected = mrn_check_character(mrn[:17])
    if mrn[17] != expected:
        raise ValueError(f"wrong check character '{mrn[17]}' (expected '{expected}')")
    return mrn


def check_cn_code(value: str) -> str:
    """A Combined Nomenclature code: exactly 8 digits (spaces and dots as people write them are removed)."""
    code = value.replace(" ", "").replace(".", "")
    if not _CN.match(code):
        raise ValueError("a CN code has exactly 8 digits")
    return code


def cn_to_int(code: str) -> int:
    return int(check_cn_code(code))


def format_cn_code(code: str) -> str:
    """A CN code as customs write it, "4012 20 00" (anything that is not 8 digits as it is)."""
    if len(code) == 8 and code.isdigit():
        return f"{code[:4]} {code[4:6]} {code[6:]}"
    return code


def int_to_cn(code: int) -> str:
    """The ledger stores CN codes as integers; people read them with their leading zeros."""
    return f"{code:08d}"


def check_country(value: str) -> str:
    country = value.strip().upper()
    if country not in COUNTRIES:
        raise ValueError("not an ISO 3166-1 alpha-2 country code")
    return country


def check_eori(value: str) -> str:
    eori = value.strip().upper()
    if not _EORI.match(eori):
        raise ValueError("an EORI number is a country code followed by up to 15 letters or digits")
    return eori


def check_unit(value: str) -> str:
    """A UN/ECE Recommendation 20 code (e.g. KGM, NAR, LTR), from the list in `units`."""
    unit = value.strip().upper()
    if unit in UNIT_CODES:
        return unit
    meant = USUAL_MISTAKES.get(unit)
    if meant is not None:
        raise ValueError(f"not a UN/ECE Recommendation 20 unit code; write {meant} ({UNIT_NAMES[meant]})")
    raise ValueError("not a UN/ECE Recommendation 20 unit code (e.g. KGM, NAR, LTR, MTR, MTK, MTQ)")
