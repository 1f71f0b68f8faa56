"""Answer scoring: lenient about form, strict about the value (issue 10)."""

import random

import pytest

from monitor.probing.canary import Question, Verdict, grade, make_question, score, solve

SUM = Question("arithmetic", "What is 400 + 519? Reply with the number only.", "919")
BIG_SUM = Question("arithmetic", "What is 617 + 617? Reply with the number only.", "1234")
EVEN = Question("parity", "Is 4242 an even number? Reply with yes or no only.", "yes")
FORMAT = Question(
    "format",
    "Write the word mountain in capital letters, wrapped in square brackets, and nothing else.",
    "[MOUNTAIN]",
)
STRICT = Question("strict_format", FORMAT.prompt, FORMAT.expected)
BACKWARDS = Question(
    "script", "Spell the word apple backwards. Reply with the letters only.", "elppa"
)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        (SUM, "919"),
        (SUM, "The answer is 919."),
        (SUM, "400 + 519 = 919"),
        (SUM, "**919**"),
        (BIG_SUM, "1,234"),
        (BIG_SUM, "1234.0"),
        (EVEN, "Yes."),
        (EVEN, "Yes, 4242 is even."),
        (FORMAT, "[MOUNTAIN]"),
        (FORMAT, "**[MOUNTAIN]**"),
        (FORMAT, "Here it is: [MOUNTAIN]"),
        (STRICT, "[MOUNTAIN]"),
        (STRICT, "The answer is [MOUNTAIN]."),  # its value; its form is `grade`'s
        (BACKWARDS, "elppa"),
        (BACKWARDS, "apple backwards is: elppa"),
    ],
)
def test_a_right_value_in_other_words_is_correct(question, answer):
    assert score(question, answer) is Verdict.CORRECT


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        (SUM, "918"),
        (SUM, "919 or maybe 920"),
        (SUM, "The answer is 9190."),
        (BIG_SUM, "1,235"),
        (EVEN, "No."),
        (EVEN, "yes and no"),
        (FORMAT, "[mountain]"),
        (FORMAT, "MOUNTAIN"),
        (FORMAT, "[MOUNTAIN] [RIVER]"),
        (STRICT, "[RIVER]"),
        (BACKWARDS, "apple"),
        (BACKWARDS, "elppa or lepap"),
    ],
)
def test_a_missing_or_contradicted_value_is_wrong(question, answer):
    assert score(question, answer) is Verdict.WRONG


@pytest.mark.parametrize(
    ("question", "answer", "graded"),
    [
        (STRICT, "[MOUNTAIN]", (Verdict.CORRECT, True)),
        (STRICT, " [MOUNTAIN]\n", (Verdict.CORRECT, True)),
        # The right value in another form: a right answer whose form was not kept.
        (STRICT, "The answer is [MOUNTAIN].", (Verdict.CORRECT, False)),
        (STRICT, "**[MOUNTAIN]**", (Verdict.CORRECT, False)),
        (STRICT, "[mountain]", (Verdict.WRONG, False)),
        (STRICT, "", (Verdict.EMPTY, False)),
        # Every other check records whether the value was right, whatever the form.
        (FORMAT, "The answer is [MOUNTAIN].", (Verdict.CORRECT, True)),
        (SUM, "The answer is 919.", (Verdict.CORRECT, True)),
        (SUM, "918", (Verdict.WRONG, False)),
    ],
)
def test_only_the_exact_form_item_records_whether_the_form_was_kept(question, answer, graded):
    assert grade(question, answer) == graded


def test_empty_and_garbled_answers_keep_their_own_verdicts():
    assert score(SUM, "  ") is Verdict.EMPTY
    assert score(SUM, "919 答案") is Verdict.GARBLED


def test_strict_format_is_its_own_item_with_the_format_question():
    question = make_question(random.Random(3), "strict_format")
    assert question.check == "strict_format"
    assert question.prompt.startswith("Write the word ")
    assert score(question, solve(question.prompt) or "") is Verdict.CORRECT


@pytest.mark.parametrize("check", ["arithmetic", "parity", "format", "strict_format", "script"])
def test_the_oracles_answer_to_every_item_is_correct(check):
    for seed in range(50):
        question = make_question(random.Random(seed), check)
        assert score(question, solve(question.prompt) or "") is Verdict.CORRECT
