"""The grid of a batch: households, the dotted keys to vary and their values, ranges, and the
seeded synthetic households it generates."""
from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from models import schema
from models.inputs import read_text
from models.loading import coerce_setting
from models.synthetic import SyntheticSpec, generate_household
from models.enums import FilingStatus
from models.errors import InputError
from models.settings import PlanSettings
from ..io import atomic_folder

DEFAULT_CHUNK_SIZE = 8        # runs per task: one program build amortized over up to 8 solves
TAX_AMOUNTS = schema.SCHEDULE_AMOUNTS   # schedule mode's dollars (SPEC §2b)
AMOUNTS = {"realized": "realized_", "carryforward": "carryover_"}   # section -> TaxProfile prefix


def coerce_key(key: str, value: Any, fail: Callable[[str], Any]) -> Any:
    """Check one dotted grid key and its value; return the value as stored in ``settings``."""
    section, _, name = key.partition(".")
    if not name:
        fail(f"expected a dotted key such as plan.band or tax.short_term_rate, got '{key}'")
    if section == "plan":
        if name not in PlanSettings.field_names():
            fail(f"unknown setting '{name}'; expected one of "
                 f"{', '.join(PlanSettings.field_names())}")
        value = coerce_setting(name, value, fail)
        return value.value if hasattr(value, "value") else value
    if section == "tax":
        if name == "filing_status":
            choices = [s.value for s in FilingStatus]
            if value not in choices:
                fail(f"expected one of {', '.join(choices)}, got {value!r}")
            return value
        if name == "schedule" and value in ("flat", "none", None):
            return None            # the flat rates; a year's tables are checked per household
        return schema.check("tax", name, value, fail)   # the one validator, as household.toml
    if section in AMOUNTS:
        return schema.check(section, name, value, fail)
    if section == "prices":
        number = _number(value, fail)
        if number <= 0:
            fail(f"expected a price multiplier above 0, got {number:g}")
        return number
    if section == "cashflow":
        return _number(value, fail)
    fail(f"unknown section '{section}'; expected plan, tax, realized, carryforward, prices or "
         "cashflow")


def _number(value: Any, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        fail(f"expected a number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Grid:
    """Households and the settings to vary. Build from TOML with :meth:`from_toml`.

    ``households`` are folders (relative to ``base``); ``vary`` maps a dotted key to its values
    (cartesian product, first key slowest); each mapping of ``zips`` is one more axis whose keys
    advance together; ``fixed`` applies to every run; ``generate`` holds
    :class:`models.synthetic.SyntheticSpec` households written under ``RESULTS/households``.
    """
    households: tuple[str, ...] = ()
    vary: Mapping[str, tuple] = field(default_factory=dict)
    zips: tuple[Mapping[str, tuple], ...] = ()
    fixed: Mapping[str, Any] = field(default_factory=dict)
    generate: tuple[Any, ...] = ()
    base: str = "."
    chunk_size: int = DEFAULT_CHUNK_SIZE
    source: str = "grid"

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "households", tuple(str(h) for h in self.households))
        put(self, "base", str(self.base))
        specs = []
        for item in self.generate:     # SyntheticSpec objects, or groups of them (one per seed)
            specs += list(item) if isinstance(item, (tuple, list)) else [item]
        put(self, "generate", tuple(specs))
        put(self, "fixed", {k: self._check(k, v) for k, v in dict(self.fixed).items()})
        put(self, "vary", {k: self._axis(k, v) for k, v in dict(self.vary).items()})
        zips = []
        for group in self.zips:
            group = {k: self._axis(k, v) for k, v in dict(group).items()}
            lengths = {len(v) for v in group.values()}
            if len(lengths) > 1:
                self._fail("zip", f"every key of a [[zip]] needs as many values; got lengths "
                           f"{sorted(lengths)} for {', '.join(group)}")
            zips.append(group)
        put(self, "zips", tuple(zips))
        seen = list(self.fixed)
        for key in [*self.vary, *(k for g in self.zips for k in g)]:
            if key in seen:
                self._fail(key, "the key is given twice (in [set], [vary] or [[zip]])")
            seen.append(key)
        if not isinstance(self.chunk_size, int) or isinstance(self.chunk_size, bool) or self.chunk_size < 1:
            self._fail("chunk_size", f"expected a whole number of at least 1, got {self.chunk_size!r}")
        if not self.households and not self.generate:
            self._fail("households", "the grid names no household (households = [...] or [[generate]])")

    def _fail(self, key: str, message: str):
        raise InputError(self.source, message, column=key)

    def _check(self, key: str, value: Any) -> Any:
        return coerce_key(key, value, lambda m: self._fail(key, m))

    def _axis(self, key: str, values: Any) -> tuple:
        if isinstance(values, Mapping):
            values = _range(values, lambda m: self._fail(key, m))
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            values = [values]
        values = tuple(self._check(key, v) for v in values)
        if not values:
            self._fail(key, "expected at least one value")
        return values

    @classmethod
    def from_toml(cls, path: str | Path) -> "Grid":
        path = Path(path)
        text = read_text(path, what="grid file")   # absent, unreadable, a folder, not UTF-8: named
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InputError(path.name, f"not valid TOML: {error}") from None
        return cls.from_dict(doc, base=path.resolve().parent, source=path.name)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], base: str | Path = ".", source: str = "grid") -> "Grid":
        def fail(key, message):
            raise InputError(source, message, column=key)

        known = {"households", "vary", "zip", "set", "generate", "batch"}
        for key in doc:
            if key not in known:
                fail(key, f"unknown key; expected {', '.join(sorted(known))}")
        households = doc.get("households", [])
        if isinstance(households, str):
            households = [households]
        if not isinstance(households, list) or not all(isinstance(h, str) for h in households):
            fail("households", "expected a list of household folders")
        zips = doc.get("zip", [])
        zips = [zips] if isinstance(zips, dict) else zips
        generate = doc.get("generate", [])
        generate = [generate] if isinstance(generate, dict) else generate
        batch = doc.get("batch", {})
        for key in batch:
            if key != "chunk_size":
                fail(key, "unknown key in [batch]; expected chunk_size")
        return cls(households=tuple(households), vary=doc.get("vary", {}), zips=tuple(zips),
                   fixed=doc.get("set", {}), generate=tuple(_specs(g, fail) for g in generate),
                   base=str(base), chunk_size=batch.get("chunk_size", DEFAULT_CHUNK_SIZE),
                   source=source)

    def keys(self) -> list[str]:
        """Every key a run may set, in grid order."""
        return [*self.fixed, *self.vary, *(k for g in self.zips for k in g)]

    def scenarios(self) -> list[dict[str, Any]]:
        """Every combination: one dict of dotted keys per run of each household."""
        axes = [[{k: v} for v in values] for k, values in self.vary.items()]
        axes += [[{k: vs[i] for k, vs in g.items()} for i in range(len(next(iter(g.values()))))]
                 for g in self.zips if g]
        out = []
        for combo in itertools.product(*axes):
            settings = dict(self.fixed)
            for part in combo:
                settings.update(part)
            out.append(settings)
        return out

    def folders(self, out: str | Path) -> list[tuple[str, Path]]:
        """(label, folder) of every household; synthetic ones are generated under ``out``."""
        listed = [(h, (Path(self.base) / h)) for h in self.households]
        made = []
        for spec in self.generate:
            name = f"synthetic-{spec.lots}lots-seed{spec.seed}"
            made.append((f"generated:{name}", _generate(spec, Path(out) / "households" / name)))
        return listed + made


def _range(spec: Mapping[str, Any], fail) -> list[float]:
    """{start, stop, step} (stop included when reached) or {start, stop, num} (evenly spaced)."""
    if set(spec) not in ({"start", "stop", "step"}, {"start", "stop", "num"}):
        fail("a range is {start, stop, step} or {start, stop, num}")
    start, stop = _number(spec["start"], fail), _number(spec["stop"], fail)
    if "num" in spec:
        if not isinstance(spec["num"], int) or spec["num"] < 1:
            fail("num must be a whole number of at least 1")
        values = np.linspace(start, stop, spec["num"])
    else:
        step = _number(spec["step"], fail)
        if step == 0 or (stop - start) / step < 0:
            fail("the step must lead from start to stop")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        values = start + step * np.arange(count)
    return [round(float(v), 12) for v in values]   # 0.30000000000000004 hashes as 0.3


def _specs(doc: Mapping[str, Any], fail) -> tuple:
    """One ``[[generate]]`` table: SyntheticSpec fields, with ``seeds`` or ``count``."""
    known = {f.name for f in fields(SyntheticSpec)}
    doc = dict(doc)
    seeds = doc.pop("seeds", None)
    count = doc.pop("count", None)
    for key in doc:
        if key not in known:
            fail(key, f"unknown key in [[generate]]; expected seeds, count or one of {', '.join(sorted(known))}")
    seed = doc.pop("seed", 0)
    if seeds is None:
        seeds = [seed + i for i in range(count if count is not None else 1)]
    specs = []
    for s in seeds:
        spec = SyntheticSpec(**doc, seed=s)
        try:
            spec.check()
        except ValueError as error:
            fail("generate", str(error))
        specs.append(spec)
    return tuple(specs)


def _generate(spec, folder: Path) -> Path:
    """Write a synthetic household once, whole or not at all (temporary folder, rename)."""
    if (folder / "household.toml").is_file():
        return folder
    return atomic_folder(folder, lambda tmp: generate_household(spec, tmp))
