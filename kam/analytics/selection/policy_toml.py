"""A selection policy as TOML text: written here by hand, read with tomllib.

Writing needs no dependency: the policy holds only strings, numbers, lists and tables, and
a JSON string literal is a valid TOML basic string. Reading checks every key and type and
raises PolicyError naming the bad key (``criteria[3].weight``) or, for a syntax error,
tomllib's line and column.
"""

import json
import tomllib
from collections.abc import Callable
from typing import Any, TypeVar

from kam.analytics.selection.policy import (
    Criterion,
    CriterionSource,
    Dimension,
    HighPotentialRule,
    PolicyError,
    Scale,
    ScaleKind,
    SelectionPolicy,
    Tier,
    TierRule,
)

E = TypeVar("E")


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _number(value: float) -> str:
    return repr(float(value))


def _strings(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_string(v) for v in values) + "]"


def policy_to_toml(policy: SelectionPolicy) -> str:
    """The policy as TOML text that ``policy_from_toml`` reads back to an equal policy."""
    hp = policy.high_potential_rule
    lines = [
        "# kam selection policy: criteria, weights, scales and classification rules.",
        "# Points run 1–5; a dimension's score is the weighted mean of its present criteria.",
        f"name = {_string(policy.name)}",
        f"version = {policy.version}",
        f"key_account_share = {_number(policy.key_account_share)}",
        f"as_of_months = {policy.as_of_months}",
        f"revenue_criterion = {_string(policy.revenue_criterion)}",
        f"potential_criteria = {_strings(policy.potential_criteria)}",
        f"growth_criterion = {_string(policy.growth_criterion)}",
        f"future_value_criterion = {_string(policy.future_value_criterion)}",
        "# A trend below declining_trend (a share a year) flags the account declining.",
        f"declining_trend = {_number(policy.declining_trend)}",
        "# Hysteresis, as shares of the key-set size N: a key account stays while it ranks",
        "# within N × (1 + keep_band), a newcomer enters only within N × (1 - entry_band);",
        "# a proposal removing more than max_churn of the key accounts is flagged.",
        f"keep_band = {_number(policy.keep_band)}",
        f"entry_band = {_number(policy.entry_band)}",
        f"max_churn = {_number(policy.max_churn)}",
    ]
    if policy.quadrant_cut is None:
        lines.append("# quadrant_cut unset: each axis is cut at the key accounts' mean.")
    else:
        lines.append(f"quadrant_cut = {_number(policy.quadrant_cut)}")
    lines += [
        "",
        "# Non-key accounts with revenue points below the max, potential at least the min and",
        "# a trend of at least min_growth a year; at most max_share of customers, largest",
        "# predicted future value first.",
        "[high_potential]",
        f"max_revenue_points = {_number(hp.max_revenue_points)}",
        f"min_potential_points = {_number(hp.min_potential_points)}",
        f"max_share = {_number(hp.max_share)}",
        f"min_growth = {_number(hp.min_growth)}",
    ]
    for rule in policy.tier_rules:
        lines += [
            "",
            "[[tiers]]",
            f"tier = {_string(rule.tier.value)}",
            f"min_revenue_points = {_number(rule.min_revenue_points)}",
            f"min_potential_points = {_number(rule.min_potential_points)}",
        ]
    for c in policy.criteria:
        bounds = "[" + ", ".join(_number(b) for b in c.scale.bounds) + "]"
        lines += [
            "",
            "[[criteria]]",
            f"key = {_string(c.key)}",
            f"label = {_string(c.label)}",
            f"source = {_string(c.source.value)}",
            f"dimension = {_string(c.dimension.value)}",
            f"weight = {_number(c.weight)}",
            f"scale = {{ kind = {_string(c.scale.kind.value)}, bounds = {bounds} }}",
        ]
        if c.feature is not None:
            lines.append(f"feature = {_string(c.feature)}")
        if c.optional:
            lines.append("optional = true")
        lines.append(f"description = {_string(c.description)}")
    return "\n".join(lines) + "\n"


class _Reader:
    """Typed access to one TOML table, naming the key path in every error."""

    def __init__(self, table: Any, where: str) -> None:
        if not isinstance(table, dict):
            raise PolicyError(f"{where}: must be a table")
        self.table = table
        self.where = where
        self.used: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        self.used.add(key)
        if key not in self.table:
            if default is ...:
                raise PolicyError(f"{self._name(key)}: missing")
            return default
        value = self.table[key]
        # bool is an int in Python but never a number in a policy
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise PolicyError(f"{self._name(key)}: expected {_kind_name(kind)}, got {value!r}")
        if not isinstance(value, kind):
            raise PolicyError(f"{self._name(key)}: expected {_kind_name(kind)}, got {value!r}")
        return value

    def number(self, key: str, default: Any = ...) -> float:
        return float(self.get(key, (int, float), default))

    def enum(self, key: str, enum: Callable[[str], E], default: Any = ...) -> E:
        raw = self.get(key, str, default)
        try:
            return enum(raw)
        except ValueError:
            choices = ", ".join(e.value for e in enum)  # type: ignore[attr-defined]
            raise PolicyError(f"{self._name(key)}: {raw!r} is not one of {choices}") from None

    def done(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise PolicyError(f"{self._name(unknown[0])}: unknown key")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if set(kinds) == {int, float}:
        return "a number"
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _criterion(raw: Any, where: str) -> Criterion:
    reader = _Reader(raw, where)
    scale_reader = _Reader(reader.get("scale", dict), f"{where}.scale")
    bounds = scale_reader.get("bounds", list, [])
    if not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds):
        raise PolicyError(f"{where}.scale.bounds: every bound must be a number")
    scale = Scale(scale_reader.enum("kind", ScaleKind), tuple(float(b) for b in bounds))
    scale_reader.done()
    criterion = Criterion(
        key=reader.get("key", str),
        label=reader.get("label", str),
        source=reader.enum("source", CriterionSource),
        dimension=reader.enum("dimension", Dimension),
        weight=reader.number("weight"),
        scale=scale,
        feature=reader.get("feature", str, None),
        description=reader.get("description", str, ""),
        optional=reader.get("optional", bool, False),
    )
    reader.done()
    return criterion


def policy_from_toml(text: str) -> SelectionPolicy:
    """Read a policy written by ``policy_to_toml`` (or by hand); PolicyError names what is bad."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"not valid TOML: {error}") from None
    top = _Reader(data, "")
    criteria_raw = top.get("criteria", list)
    criteria = tuple(_criterion(raw, f"criteria[{i}]") for i, raw in enumerate(criteria_raw))
    tiers = []
    for index, raw in enumerate(top.get("tiers", list, [])):
        reader = _Reader(raw, f"tiers[{index}]")
        tiers.append(
            TierRule(
                reader.enum("tier", Tier),
                reader.number("min_revenue_points"),
                reader.number("min_potential_points"),
            )
        )
        reader.done()
    hp_reader = _Reader(top.get("high_potential", dict, {}), "high_potential")
    default_hp = HighPotentialRule()
    high_potential = HighPotentialRule(
        hp_reader.number("max_revenue_points", default_hp.max_revenue_points),
        hp_reader.number("min_potential_points", default_hp.min_potential_points),
        hp_reader.number("max_share", default_hp.max_share),
        hp_reader.number("min_growth", default_hp.min_growth),
    )
    hp_reader.done()
    potential = top.get("potential_criteria", list, None)
    if potential is not None and not all(isinstance(k, str) for k in potential):
        raise PolicyError("potential_criteria: must be a list of criterion keys")
    fields: dict[str, Any] = {
        "name": top.get("name", str),
        "version": top.get("version", int),
        "criteria": criteria,
        "key_account_share": top.number("key_account_share", 0.15),
        "quadrant_cut": (
            top.number("quadrant_cut")
            if top.get("quadrant_cut", (int, float), None) is not None
            else None
        ),
        "as_of_months": top.get("as_of_months", int, 12),
        "revenue_criterion": top.get("revenue_criterion", str, "revenue_12m"),
        "high_potential_rule": high_potential,
    }
    defaults = SelectionPolicy.__dataclass_fields__
    for name in ("growth_criterion", "future_value_criterion"):
        fields[name] = top.get(name, str, defaults[name].default)
    for name in ("declining_trend", "keep_band", "entry_band", "max_churn"):
        fields[name] = top.number(name, defaults[name].default)
    if "tiers" in data:
        fields["tier_rules"] = tuple(tiers)
    if potential is not None:
        fields["potential_criteria"] = tuple(potential)
    top.done()
    return SelectionPolicy(**fields)
