"""Published figures as people read them: numbers, values with their units, scores, the
median and quartiles of a type. Pure; used by the cards and the metric tables alike."""

from __future__ import annotations


def national_text(
    median: float, low: float | None, high: float | None, units: str, word: str = "median"
) -> str:
    """`median 0.7% (quartiles 0.01% to 6.32%)`; word units once: `median 6.81 (…) out of 10`."""
    per_number = units == "%" or units.lower() in _BRACKETED
    show = (lambda x: value_text(x, units)) if per_number else number_text
    quartiles = "" if low is None or high is None else f" (quartiles {show(low)} to {show(high)})"
    tail = "" if per_number or not units else f" {units}"
    return f"{word} {show(median)}{quartiles}{tail}"


def number_text(x: float) -> str:
    """A published number as people read it: `33`, `28.09`, `1,234.5`."""
    r = round(x, 4)
    return f"{int(r):,}" if r.is_integer() else f"{r:,}"


def value_text(x: float, units: str) -> str:
    """A value with its units: `28.09%`, `6.95 out of 10`, `12 (count)`."""
    shown = number_text(x)
    if units == "%":
        return f"{shown}%"
    if units.lower() in _BRACKETED:
        return f"{shown} ({units.lower()})"
    return f"{shown} {units}" if units else shown


_BRACKETED = ("rate", "count", "number", "ratio")  # units shown after a number in brackets


def score_text(x: float | None) -> str:
    """Return an average score as printed everywhere: two decimals, '-' when missing."""
    return "-" if x is None else f"{x:.2f}"
