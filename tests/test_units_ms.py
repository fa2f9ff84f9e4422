"""format_ms: 3 significant digits, never scientific notation (the rule format_si and format_bytes follow)."""

from __future__ import annotations

import pytest

from archsel.units import format_ms


@pytest.mark.parametrize("exponent", [x / 10 for x in range(-40, 61)])
def test_format_ms_never_scientific(exponent: float) -> None:
    for mantissa in (1.0, 1.234, 4.9995, 9.995, 9.9999):
        value = mantissa * 10**exponent
        if 1e-4 <= value <= 1e6:
            assert "e" not in format_ms(value).lower(), value


@pytest.mark.parametrize(("value", "text"), [(16.5, "16.5"), (0.291, "0.291"), (999, "999"), (1.0, "1"),
                                             (42.123, "42.1"), (0.0001, "0.0001"), (1234.5, "1234"),
                                             (999.7, "1000")])
def test_format_ms_text(value: float, text: str) -> None:
    assert format_ms(value) == text


def test_format_ms_none_is_the_dash() -> None:
    assert format_ms(None) == "—" and format_ms(None, dash="") == ""
