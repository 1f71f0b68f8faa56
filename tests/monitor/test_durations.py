import pytest

from monitor.durations import parse_duration, parse_offset


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ("90s", 90),
        ("5m", 300),
        ("24h", 86400),
        ("7d", 604800),
        ("1h30m", 5400),
        ("2h45m", 9900),
        ("1d12h", 129600),
        ("1h 30m 15s", 5415),
        ("2.5h", 9000),
        ("500ms", 0.5),
        ("+2h", 7200),
        (30, 30),
        (1.5, 1.5),
    ],
)
def test_a_duration_is_read_in_seconds(written, seconds):
    assert parse_duration(written) == seconds


def test_an_offset_reads_compound_forms_with_or_without_a_plus():
    assert parse_offset("+2h45m") == parse_offset("2h45m") == 9900
    assert parse_offset("+0s") == 0


@pytest.mark.parametrize("written", ["-30s", "-1h30m", -30, -0.5])
def test_a_negative_duration_says_it_must_be_positive(written):
    with pytest.raises(ValueError, match="must be positive"):
        parse_duration(written)


def test_a_quoted_number_without_a_unit_says_how_to_write_it():
    with pytest.raises(ValueError) as caught:
        parse_duration("30")
    message = str(caught.value)
    assert "'30s'" in message and "without quotes (30)" in message


@pytest.mark.parametrize("written", ["soon", "30x", "1h30", "30m1h", "1h1h", "", "h", True])
def test_anything_else_names_the_forms_it_takes(written):
    with pytest.raises(ValueError, match=r"expected a duration like|largest first"):
        parse_duration(written)


@pytest.mark.parametrize("written", [float("nan"), float("inf")])
def test_a_duration_is_finite(written):
    with pytest.raises(ValueError, match="finite"):
        parse_duration(written)
