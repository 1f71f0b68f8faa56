"""Known-answer questions ("canaries") and how answers are scored.

Every probe asks one question with fresh random operands so a cached or
memorised answer cannot pass. The expected answer is short and checkable, so
a wrong, empty or garbled reply is evidence about model *quality*, separate
from availability.

Scoring is lenient about form and strict about the value: "The answer is 919.",
"1,234" for 1234 and "**[MOUNTAIN]**" are correct (the right value is present
and no other value contradicts it), because a fluent model that adds words has
not changed in quality. Exact form is its own item, `strict_format`, recorded
under its own `check` so its pass rate can be judged against its own baseline:
`grade` gives its value verdict (the lenient one, as for "format") and, apart,
whether the form was exact. A right value in the wrong form is an ok probe with
`answer_correct` False (monitor/results.py, FORM_CHECKS): not a failed probe,
not a wrong answer, not a quality incident by itself.

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

from monitor.results import FORM_CHECKS


class Verdict(StrEnum):
    CORRECT = "correct"
    WRONG = "wrong"
    GARBLED = "garbled"  # characters of a script the question never asked for
    EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class Question:
    # Which item of the suite: "arithmetic", "parity", "format", "strict_format", "script".
    check: str
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


def exact_format(rng: random.Random) -> Question:
    """The format question scored on its exact form: "[MOUNTAIN]" and nothing else."""
    question = strict_format(rng)
    return Question("strict_format", question.prompt, question.expected)


def reverse_word(rng: random.Random) -> Question:
    word = rng.choice(_WORDS)
    return Question(
        "script", f"Spell the word {word} backwards. Reply with the letters only.", word[::-1]
    )


# The every-probe question is "arithmetic"; the others form the lower-rate suite
# (the prober's rotation: monitor/probing/scheduler.py, DEFAULT_SUITE).
SUITE: dict[str, Callable[[random.Random], Question]] = {
    "arithmetic": arithmetic,
    "parity": parity,
    "format": strict_format,
    "script": reverse_word,
    "strict_format": exact_format,
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
    judge = _JUDGES.get(question.check, _same_words)
    return Verdict.CORRECT if judge(question, answer) else Verdict.WRONG


def grade(question: Question, text: str) -> tuple[Verdict, bool]:
    """The answer's verdict on its value (`score`, lenient about form) and what the
    probe records as `answer_correct`: whether the value was right, or for a check of
    form only (FORM_CHECKS) whether the exact form was kept."""
    verdict = score(question, text)
    if question.check not in FORM_CHECKS:
        return verdict, verdict is Verdict.CORRECT
    return verdict, verdict is Verdict.CORRECT and text.strip() == question.expected


# A number as a model writes it: 1234, 1,234, 919.0; the sentence's full stop is no decimal.
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_WORD = re.compile(r"[a-z]+")
_BRACKETED = re.compile(r"\[([^\[\]]*)\]")


def _numbers(text: str) -> set[float]:
    return {float(n.replace(",", "")) for n in _NUMBER.findall(text)}


def _sum_is_there(question: Question, answer: str) -> bool:
    # The question's own operands may be repeated ("400 + 519 = 919"); any other number
    # contradicts the answer.
    found, expected = _numbers(answer), float(question.expected)
    return expected in found and found <= {expected, *_numbers(question.prompt)}


def _yes_or_no(question: Question, answer: str) -> bool:
    words = set(_WORD.findall(answer.lower()))
    other = "no" if question.expected == "yes" else "yes"
    return question.expected in words and other not in words


def _bracketed_word(question: Question, answer: str) -> bool:
    # Markdown around the brackets or spaces inside them change nothing; the word must be
    # the capitals asked for, and no other bracketed word may compete with it.
    inside = {token.strip(" *_`") for token in _BRACKETED.findall(answer)}
    return inside == {question.expected[1:-1]}


def _spelled_backwards(question: Question, answer: str) -> bool:
    expected = question.expected.lower()
    words = set(_WORD.findall(answer.lower()))
    # Another arrangement of the same letters is a competing answer; the word forwards
    # is the question being repeated.
    rivals = {
        w for w in words if w != expected and w != expected[::-1] and sorted(w) == sorted(expected)
    }
    return expected in words and not rivals


def _same_words(question: Question, answer: str) -> bool:
    return answer.strip(" .\"'`*").lower() == question.expected.lower()


_JUDGES: dict[str, Callable[[Question, str], bool]] = {
    "arithmetic": _sum_is_there,
    "parity": _yes_or_no,
    "format": _bracketed_word,
    # Its value is judged as "format" judges it; its exact form by `grade`.
    "strict_format": _bracketed_word,
    "script": _spelled_backwards,
}


def _foreign_script(text: str) -> bool:
    """True if the text holds letters outside Latin: our questions and answers are ASCII."""
    for char in text:
        if char.isalpha() and not char.isascii():
            name = unicodedata.name(char, "")
            if not name.startswith("LATIN"):
                return True
    return False
