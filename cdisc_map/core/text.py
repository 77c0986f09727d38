"""Text every layer writes the same way: numbers as text, and "did you mean" suggestions.

A number turns into text in many places (a numeric value in a character variable,
IDVARVAL from --SEQ, a condition comparing text with 3, a finding's value), and a
reader must see the same text for the same number everywhere: 3.0 is "3", 2.5 is
"2.5", 1.2000000000000002 stays what it is (the shortest text that reads back as the
same double), never "1e-07" for 0.0000001. One function does it.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from cdisc_map.core.distinct import per_distinct

_NUMBER_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def is_number_text(text: Any) -> bool:
    """True for text that is a plain number ("3", "-0.25", "1e-3"); "<5", "NEGATIVE", "" are not."""
    return isinstance(text, str) and _NUMBER_TEXT.fullmatch(text.strip()) is not None


def number_text(value: Any) -> str:
    """One number as text: "" for missing, whole numbers without ".0", others in the shortest
    positional form that reads back as the same double (no exponent). Text passes through."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    number = float(value)
    if math.isnan(number):
        return ""
    if number.is_integer():
        return str(int(number))
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return np.format_float_positional(number, trim="-")


def numbers_as_text(values: pd.Series) -> pd.Series:
    """A column as text (object dtype, "" for missing): numbers by `number_text`, text as it is.

    Each distinct value is converted once.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return per_distinct(values, lambda distinct: distinct.map(number_text).astype(object))
    return values.astype(object).where(values.notna(), "").astype(str).astype(object)


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option the user most likely meant: a transposition ("form" for "from") first,
    then the nearest by similarity; None when nothing is near."""
    options = [str(option) for option in options]
    word = str(word)
    anagrams = [option for option in options if sorted(option) == sorted(word) and option != word]
    if anagrams:
        return anagrams[0]
    folded = {option.casefold(): option for option in options}
    if word.casefold() in folded and folded[word.casefold()] != word:
        return folded[word.casefold()]
    close = difflib.get_close_matches(word, options, n=1)
    return close[0] if close else None


def did_you_mean(word: str, options: Iterable[str], *, list_all: bool = False) -> str | None:
    """A hint for an unknown name: "did you mean 'from'?", else (with `list_all`) the names allowed."""
    options = list(options)
    guess = closest(word, options)
    if guess is not None:
        return f"did you mean {guess!r}?"
    if list_all and options:
        return f"write one of: {', '.join(map(str, options))}"
    return None
