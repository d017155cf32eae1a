"""Reading one cell of a custodian's export: money, quantities, dates, account types.

Every function takes the cell's text and a ``where`` (file, row, column) and raises
:class:`models.InputError` naming them when the text cannot be read. Custodians write
``$1,234.56``, ``-$1,234.56``, ``($1,234.56)``, ``1,234.56``, ``--`` (no value) and percentages;
a thousands separator must separate well-formed groups of three digits (``380,5`` is not a
number: a decimal comma would be misread by a factor of ten).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from ..enums import AccountType
from ..errors import InputError

MISSING = {"", "--", "-", "n/a", "na", "none"}
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$")
DEFAULT_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d")


@dataclass(frozen=True)
class Where:
    file: str
    row: int
    column: str

    def fail(self, message: str):
        raise InputError(self.file, message, self.row, self.column)


def is_missing(text: str | None) -> bool:
    return text is None or text.strip().lower() in MISSING


def number(text: str | None, where: Where, required: bool = True) -> float | None:
    """``$1,234.56`` -> 1234.56; ``($5.00)`` and ``-$5.00`` -> -5.0; ``--`` -> None (or an
    error when ``required``)."""
    if is_missing(text):
        if required:
            where.fail(f"expected a number, found '{(text or '').strip()}' (no value)")
        return None
    raw = text.strip()
    body = raw.replace(" ", "")
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1]
    if body[:1] in "+-":
        negative, body = negative ^ (body[0] == "-"), body[1:]
    body = body.removeprefix("$").removesuffix("%")
    if body[:1] in "+-":                    # $-5.00
        negative, body = negative ^ (body[0] == "-"), body[1:]
    if not _NUMBER.match(body):
        hint = (" (a thousands separator must be followed by three digits; write a decimal "
                "point, not a comma)" if "," in body else "")
        where.fail(f"expected a number such as 1,234.56 or $1,234.56, found '{raw}'{hint}")
    value = float(body.replace(",", ""))
    return -value if negative else value


def day(text: str | None, where: Where, formats: tuple[str, ...] = DEFAULT_DATE_FORMATS) -> date:
    """A date in one of ``formats`` (default MM/DD/YYYY, then ISO)."""
    if is_missing(text):
        where.fail("expected a date, found no value")
    raw = text.strip()
    for fmt in formats:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    where.fail(f"expected a date as {' or '.join(_human(f) for f in formats)}, found '{raw}'")


def _human(fmt: str) -> str:
    return fmt.replace("%m", "MM").replace("%d", "DD").replace("%Y", "YYYY").replace("%y", "YY")


# Names custodians give account types, reduced to letters and digits, -> the planner's type.
ACCOUNT_TYPE_NAMES = {
    AccountType.TAXABLE: ["taxable", "individual", "joint", "jtwros", "jointtenants", "brokerage",
                          "individualbrokerage", "jointbrokerage", "trust", "individualtod",
                          "jointtod", "cash", "margin", "personal", "custodial", "utma", "ugma"],
    AccountType.TRADITIONAL: ["traditional", "ira", "traditionalira", "rolloverira", "rollover",
                              "contributoryira", "sepira", "simpleira", "inheritedira",
                              "beneficiaryira", "401k", "403b", "457b", "traditional401k",
                              "solo401k", "individual401k"],
    AccountType.ROTH: ["roth", "rothira", "roth401k", "rothcontributoryira", "rothconversionira",
                       "roth403b", "inheritedrothira"],
    AccountType.HSA: ["hsa", "healthsavingsaccount", "healthsavings"],
}
_BY_NAME = {name: t for t, names in ACCOUNT_TYPE_NAMES.items() for name in names}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def account_type(text: str, where: Where) -> AccountType:
    """``Roth IRA``, ``401(k)``, ``Individual`` ... -> the planner's account type."""
    found = _BY_NAME.get(_key(text))
    if found is None:
        where.fail(f"unknown account type '{text}'; expected taxable, traditional, roth or hsa, "
                   f"or a custodian's name for one (Individual, Joint, Rollover IRA, 401(k), "
                   f"Roth IRA, HSA, ...)")
    return found


def guess_account_type(label: str) -> AccountType | None:
    """The type a custodian's account label names (``Roth Contributory IRA ...456``), if any."""
    words = _key(label)
    if "roth" in words:
        return AccountType.ROTH
    if "hsa" in words or "healthsavings" in words:
        return AccountType.HSA
    if any(w in words for w in ("ira", "401k", "403b", "457b")):
        return AccountType.TRADITIONAL
    if any(w in words for w in ("individual", "joint", "brokerage", "trust")):
        return AccountType.TAXABLE
    return None
