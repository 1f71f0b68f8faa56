"""Known-answer questions ("canaries") and how answers are scored.

Every probe asks one question with fresh random operands so a cached or
memorised answer cannot pass. The expected answer is short and checkable, so
a wrong, empty or garbled reply is evidence about model *quality*, separate
from availability.

The simulated provider uses `solve` as its oracle: it answers the same
questions the probe asks, correctly unless a scenario says otherwise.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    CORRECT = "correct"
    WRONG = "wrong"
    GARBLED = "garbled"  # characters of a script the question never asked for
    EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class Question:
    check: str  # which item of the suite: "arithmetic", "parity", "format", "script"
    prompt: str
    expected: str


_WORDS = ("apple", "river", "candle", "mountain", "silver", "garden", "window", "harbor")


def arithmetic(rng: random.Random) -> Question:
    a, b = rng.randint(100, 999), rng.randint(100, 999)
    return Question("arithmetic", f"What is {a} + {b}? Reply with the number only.", str(a + b))


def parity(rng: random.Random) -> Question:
    """Yes or no, right answer "yes" half the time: a model stuck on one word fails."""
    n = rng.randint(1000, 9999)
    return Question(
        "parity",
        f"Is {n} an even number? Reply with yes or no only.",
        "yes" if n % 2 == 0 else "no",
    )


def strict_format(rng: random.Random) -> Question:
    word = rng.choice(_WORDS)
    return Question(
        "format",
        f"Write the word {word} in capital letters, wrapped in square brackets, and nothing else.",
        f"[{word.upper()}]",
    )


def reverse_word(rng: random.Random) -> Question:
    word = rng.choice(_WORDS)
    return Question(
        "script", f"Spell the word {word} backwards. Reply with the letters only.", word[::-1]
    )


# The every-probe question is "arithmetic"; the others form the lower-rate suite.
SUITE: dict[str, Callable[[random.Random], Question]] = {
    "arithmetic": arithmetic,
    "parity": parity,
    "format": strict_format,
    "script": reverse_word,
}


def make_question(rng: random.Random, check: str = "arithmetic") -> Question:
    return SUITE[check](rng)


_SOLVERS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"^What is (\d+) \+ (\d+)\?"), lambda m: str(int(m[1]) + int(m[2]))),
    (re.compile(r"^Is (\d+) an even number\?"), lambda m: "yes" if int(m[1]) % 2 == 0 else "no"),
    (re.compile(r"^Write the word (\w+) in capital letters"), lambda m: f"[{m[1].upper()}]"),
    (re.compile(r"^Spell the word (\w+) backwards"), lambda m: m[1][::-1]),
)


def solve(prompt: str) -> str | None:
    """The right answer to one of our questions, or None for a prompt we did not write."""
    for pattern, answer in _SOLVERS:
        match = pattern.match(prompt)
        if match:
            return answer(match)
    return None


def score(question: Question, text: str) -> Verdict:
    answer = text.strip()
    if not answer:
        return Verdict.EMPTY
    if _foreign_script(answer):
        return Verdict.GARBLED
    if question.check == "format":
        return Verdict.CORRECT if answer == question.expected else Verdict.WRONG
    # Reasoning models sometimes add a trailing period or quotes; the value must match exactly.
    normalized = answer.strip(" .\"'`*").lower()
    return Verdict.CORRECT if normalized == question.expected.lower() else Verdict.WRONG


def _foreign_script(text: str) -> bool:
    """True if the text holds letters outside Latin: our questions and answers are ASCII."""
    for char in text:
        if char.isalpha() and not char.isascii():
            name = unicodedata.name(char, "")
            if not name.startswith("LATIN"):
                return True
    return False
