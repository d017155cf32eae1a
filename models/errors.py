"""The project's one exception tree.

    PlannerError                 anything the planner reports to a person
    ├── InputError               a household folder, DataFrame or trade list is malformed
    └── PlanError                a plan cannot be made
        └── InfeasiblePlan       the rules cannot all be met; says which and why

The command line turns each into a one-line message and exit status 2.
"""
from __future__ import annotations


class PlannerError(Exception):
    """Base of every error the planner reports to a person."""


class InputError(PlannerError, ValueError):
    """Bad input, located to the file, row and column, with what was expected.

    ``row`` is the line number in the file as a spreadsheet shows it: the header is row 1,
    the first data row is row 2. ``row`` and ``column`` are None where the error concerns a
    whole file or a whole table.
    """

    def __init__(self, file: str, message: str, row: int | None = None,
                 column: str | None = None) -> None:
        self.file, self.row, self.column, self.message = file, row, column, message
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column '{column}'"
        super().__init__(f"{where}: {message}")


class PlanError(PlannerError):
    """A plan could not be made."""


class InfeasiblePlan(PlanError):
    """The plan's rules cannot all be met at once.

    ``rule`` names the rule (for example ``band``), ``reasons`` explain why in words a
    person can act on.
    """

    def __init__(self, rule: str, reasons: list[str]) -> None:
        self.rule, self.reasons = rule, reasons
        super().__init__(f"infeasible: {rule}: " + "; ".join(reasons))
