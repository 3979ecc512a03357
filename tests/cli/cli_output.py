"""Reading what the `kam` command printed."""

import json
import math
from typing import Any


def parse_json(text: str) -> Any:
    """A --json command's standard output, parsed strictly: a NaN or an infinity fails."""

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in the JSON output")

    data = json.loads(text, parse_constant=refuse)
    _assert_finite(data)
    return data


def _assert_finite(value: Any) -> None:
    if isinstance(value, float):
        assert math.isfinite(value), value
    elif isinstance(value, dict):
        for item in value.values():
            _assert_finite(item)
    elif isinstance(value, list):
        for item in value:
            _assert_finite(item)
