"""The dice of a healthy arithmetic request, rolled quickly: replay rolls millions.

`request_rng` seeds a fresh `random.Random` from a string (SHA-512 and the Mersenne
Twister's seeding, twice: once by the constructor from the string's hash, once by
`seed`), then `canary.arithmetic` and `request_draws` draw from it through random.py's
Python methods. `ArithmeticDice` draws the very same numbers: one generator reseeded
in C with the integer `seed` would make of the string, and random.py's `randint`
(`_randbelow_with_getrandbits`) and `gauss` worked out inline. Those are the standard
library's, which may change with Python: `exact()` compares both ways on a handful of
requests, and replay falls back on the slow way where they differ.
"""

from __future__ import annotations

import _random
import math
import random
from datetime import datetime, timedelta
from hashlib import sha512

from monitor.probing import canary
from monitor.scenarios.simulator.behaviour import request_draws, request_rng
from monitor.scenarios.spec import ModelBehaviour

_TWOPI = 2.0 * math.pi  # random.TWOPI
_LOW, _SPAN = 100, 900  # canary.arithmetic's randint(100, 999)
_BITS = _SPAN.bit_length()
# What one roll gives: the two operands' sum (the expected answer), the fault draw, the
# error draw, time to first token and total, in seconds (`request_draws`).
Roll = tuple[int, float, float, float, float]
_seed = _random.Random.seed
_sqrt, _log, _cos, _sin, _exp = math.sqrt, math.log, math.cos, math.sin, math.exp


class ArithmeticDice:
    """`request_rng`, `canary.arithmetic` and `request_draws` for one scenario seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._generator = random.Random(0)
        # By (model, region): the seed string's start, and the model's timing parameters.
        self._known: dict[tuple[str, str], tuple[str, float, float, float, float]] = {}

    def roll(
        self, model: ModelBehaviour, region: str, at: datetime, text: str | None = None
    ) -> Roll:
        """`text`: `at.isoformat()`, where the caller has it (writing it costs as much as
        a quarter of the roll)."""
        known = self._known.get((model.id, region))
        if known is None:
            jitter = model.jitter
            known = self._known[model.id, region] = (
                f"{self.seed}|{model.id}|{region}|",
                jitter,
                jitter * jitter / 2.0,
                model.ttft_ms / 1000.0,
                (model.latency_ms - model.ttft_ms) / 1000.0,
            )
        prefix, jitter, shift, ttft_base, generation_base = known
        generator = self._generator
        # random.Random.seed(str), version 2: the string's bytes and their SHA-512, as one
        # big-endian integer, handed to the C seeding.
        key = (prefix + (text or at.isoformat())).encode()
        _seed(generator, int.from_bytes(key + sha512(key).digest()))
        getrandbits, uniform = generator.getrandbits, generator.random
        a = getrandbits(_BITS)
        while a >= _SPAN:
            a = getrandbits(_BITS)
        b = getrandbits(_BITS)
        while b >= _SPAN:
            b = getrandbits(_BITS)
        fault_draw, error_draw = uniform(), uniform()
        if jitter <= 0:
            ttft, generation = ttft_base * 1.0, generation_base * 1.0
        else:
            # random.gauss's first call draws a pair; the second returns its other half.
            x2pi = uniform() * _TWOPI
            g2rad = _sqrt(-2.0 * _log(1.0 - uniform()))
            first, second = 0.0 + _cos(x2pi) * g2rad, 0.0 + _sin(x2pi) * g2rad
            ttft = ttft_base * _exp(jitter * first - shift)
            generation = generation_base * _exp(jitter * second - shift)
        return a + b + 2 * _LOW, fault_draw, error_draw, ttft, ttft + generation

    def exact(self, model: ModelBehaviour, regions: tuple[str, ...], start: datetime) -> bool:
        """Whether `roll` draws what the slow way draws, for a few requests to `model`."""
        for step, region in enumerate(regions[:3] or ("local",)):
            at = start + timedelta(seconds=61.25 * step, microseconds=step * 7)
            rng = request_rng(self.seed, model.id, region, at)
            question = canary.make_question(rng, "arithmetic")
            slow = (int(question.expected), *request_draws(model, rng))
            if self.roll(model, region, at) != slow:
                return False
        return True
