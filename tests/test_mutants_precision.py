"""The precision contract (symcollapse.core.precision), one statement per test: digits are
confirmed at two working precisions and released correctly rounded; a cancellation raises
the precision; a ball proves a zero; the caller's precision is restored; threads are
serialized.  (These tests also kill the module's mutants: tests/MUTATION.md.)"""
import threading

import mpmath as mp
import pytest

from symcollapse.core import precision as P
from symcollapse.core.errors import ConvergenceError


def mpf(text):
    with mp.workdps(80):
        return mp.mpf(text)


# ----------------------------------------------------------------------------- rounding

@pytest.mark.parametrize("value, dps, text", [
    ("0.123456789", 5, "0.12346"), ("0.123454999", 5, "0.12345"),
    ("9.99999999", 3, "10.0"), ("-2.71828182845904523536", 10, "-2.718281828"),
    ("1.2500001e-101", 2, "1.3e-101"), ("123456789012", 4, "1.235e+11")])
def test_rounded_is_the_correctly_rounded_decimal(value, dps, text):
    r = P.rounded(mpf(value), dps)
    assert mp.nstr(r, dps) == text
    with mp.workdps(dps):                   # the mpf nearest to that decimal
        assert r == mp.mpf(text)


def test_rounded_leaves_zero_and_infinities():
    assert P.rounded(mp.mpf(0), 5) == 0
    assert P.rounded(mp.inf, 5) == mp.inf and P.rounded(-mp.inf, 5) == -mp.inf


def test_round_values_walks_dicts_lists_tuples():
    v = {"a": mpf("0.123456"), "b": [mpf("1.98765"), None], "c": (mpf("2.5555"),), "d": "x"}
    out = P.round_values(v, 3)
    assert out["a"] == P.rounded(v["a"], 3) and mp.nstr(out["a"], 3) == "0.123"
    assert mp.nstr(out["b"][0], 3) == "1.99" and out["b"][0] == P.rounded(v["b"][0], 3)
    assert out["b"][1] is None and isinstance(out["c"], tuple) and out["d"] == "x"
    assert mp.nstr(out["c"][0], 3) == "2.56"


# ----------------------------------------------------------------------------- agreement

def test_digits_agree_needs_dps_plus_two_digits_and_the_same_rounding():
    b = mpf("0.1234567")
    assert P._digits_agree(mpf("0.12345670001"), b, 5)
    assert not P._digits_agree(mpf("0.1234580"), b, 5)          # differs at digit 6
    # agree to 7 digits but straddle a rounding boundary at 5 digits: refused (Ziv)
    assert not P._digits_agree(mpf("0.1234549999"), mpf("0.12345500001"), 5)
    assert P._digits_agree(mp.mpf(0), mp.mpf(0), 5)
    assert not P._digits_agree(mp.mpf(0), mpf("1e-40"), 5)
    assert not P._digits_agree(mpf("1e-40"), mp.mpf(0), 5)
    assert P._digits_agree(mp.inf, mp.inf, 5) and not P._digits_agree(mp.inf, mpf("1e300"), 5)
    assert not P._digits_agree(mp.nan, mp.nan, 5)


def test_agree_compares_structures():
    a = {"x": mpf("1.5"), "l": [mpf("2"), None], "s": "ok"}
    assert P._agree(a, {"x": mpf("1.5"), "l": [mpf("2"), None], "s": "ok"}, 10)
    assert not P._agree(a, {"x": mpf("1.5"), "l": [mpf("2")], "s": "ok"}, 10)      # length
    assert not P._agree(a, {"x": mpf("1.5"), "l": [mpf("2"), None]}, 10)          # keys
    assert not P._agree(a, {"x": mpf("1.6"), "l": [mpf("2"), None], "s": "ok"}, 10)
    assert not P._agree({"x": None}, {"x": mpf("1")}, 10)
    assert not P._agree({"x": "a"}, {"x": "b"}, 10) and P._agree({"x": "a"}, {"x": "a"}, 10)
    assert not P._agree({"x": mpf("1")}, {"x": None}, 10)
    assert not P._agree([1], {"x": 1}, 10) and not P._agree(1, [1], 10)


# ----------------------------------------------------------------------------- confirmed

def _calls(values_by_w):
    """An evaluate() that returns values_by_w(w) and records the precisions and warms."""
    seen = []

    def evaluate(warm):
        seen.append((mp.mp.dps, warm))
        return values_by_w(mp.mp.dps), ("warm", mp.mp.dps)
    return evaluate, seen


def test_confirmed_runs_twice_and_rounds():
    ev, seen = _calls(lambda w: {"v": mp.mpf(1) / 3, "r": mp.mpf(10) ** -w / 3})
    out, w, warm = P.confirmed(ev, 20, unchecked=("r",))
    assert [d for d, _ in seen] == [35, 45] and w == 45
    assert seen[0][1] is None and seen[1][1] == ("warm", 35) and warm == ("warm", 45)
    assert mp.nstr(out["v"], 20) == "0.33333333333333333333"
    with mp.workdps(45):
        assert out["v"] == P.rounded(mp.mpf(1) / 3, 20)
    with mp.workdps(45):                                  # unchecked: last run, not rounded
        assert out["r"] == mp.mpf(10) ** -45 / 3


def test_confirmed_raises_the_precision_until_the_runs_agree():
    # digits good to w - 40 only: at dps 10 the runs (35, 45) disagree; (45, 60)? the
    # guard doubles: 25 -> 50 (w = 60) and 60 - 40 = 20 >= 10 + 2 digits at both
    ev, seen = _calls(lambda w: {"v": mp.mpf(1) / 7 + mp.mpf(10) ** (40 - w)})
    out, w, _ = P.confirmed(ev, 10)
    assert [d for d, _ in seen] == [25, 35, 60, 110]
    assert mp.nstr(out["v"], 10) == mp.nstr(mp.mpf(1) / 7, 10) and w == 110


def test_confirmed_gives_up_with_a_message():
    ev, _ = _calls(lambda w: {"v": mp.mpf(w)})
    with pytest.raises(ConvergenceError, match=r"^where: the digits could not be confirmed"):
        P.confirmed(ev, 10, what="where")


def test_short_of_digits_restarts_that_much_higher():
    seen = []

    def ev(warm):
        seen.append(mp.mp.dps)
        if len(seen) == 1:
            raise P.ShortOfDigits("cancellation", 30)
        return {"v": mp.mpf(2)}, None
    out, w, _ = P.confirmed(ev, 10)
    assert seen == [25, 65, 75] and out["v"] == 2


def test_short_of_digits_beyond_the_largest_guard():
    def ev(warm):
        raise P.ShortOfDigits("cancellation", 10 ** 4)
    with pytest.raises(ConvergenceError, match="could not be confirmed.*cancellation"):
        P.confirmed(ev, 10, what="x")
    assert P.max_guard(10) == 480 and P.max_guard(300) == 1200


# ----------------------------------------------------------------------------- balls

def test_check_balls_passes_narrow_balls_and_proves_zeros():
    one = (mp.mpf(1), mp.mpf(10) ** -40)
    assert P.check_balls({"a": one}, 30, 45) == set()
    zero = (mp.mpf(10) ** -200, mp.mpf(10) ** -150)             # contains 0, below 1e-120
    assert P.check_balls({"a": one, "z": zero}, 30, 200) == {"z"}
    assert P.zero_digits(30) == 120


def test_check_balls_asks_for_the_missing_digits():
    with pytest.raises(P.ShortOfDigits) as info:
        P.check_balls({"a": (mp.mpf(1), mp.mpf(10) ** -20)}, 30, 45)
    assert info.value.digits == 14                         # 10^-20 -> 10^-33, + 1
    with pytest.raises(P.ShortOfDigits) as info:           # a zero not yet proved
        P.check_balls({"a": (mp.mpf(1), mp.mpf(10) ** -40),
                       "z": (mp.mpf(0), mp.mpf(10) ** -100)}, 30, 45)
    assert info.value.digits == 21
    with pytest.raises(P.ShortOfDigits) as info:           # an infinite ball
        P.check_balls({"a": (mp.nan, mp.inf)}, 30, 45)
    assert info.value.digits == 45
    with pytest.raises(P.ShortOfDigits):                    # all zero: no scale
        P.check_balls({"z": (mp.mpf(0), mp.mpf(10) ** -100)}, 30, 45)


def test_check_balls_measures_all_zero_outputs_against_the_reference():
    """Outputs that are all 0 are proved 0 against the problem's scale ``reference``
    (below 10^-120 of it at dps 30); a nonzero output keeps the largest midpoint as the
    scale whatever the reference."""
    zero, noisy = (mp.mpf(0), mp.mpf(10) ** -452), (mp.mpf(0), mp.mpf(10) ** -100)
    assert P.check_balls({"b": zero, "v": (mp.mpf(0), mp.mpf(0))}, 30, 45, reference=3) == {"b"}
    with pytest.raises(P.ShortOfDigits):
        P.check_balls({"b": noisy}, 30, 45, reference=3)            # 1e-100 > 3e-120
    assert P.check_balls({"b": (mp.mpf(0), mp.mpf(10) ** -119)}, 30, 45,
                         reference=10) == {"b"}                       # 1e-119 = 10·1e-120
    with pytest.raises(P.ShortOfDigits):                              # scale 1e-200, not 3
        P.check_balls({"a": (mp.mpf(10) ** -200, mp.mpf(0)),
                       "b": (mp.mpf(0), mp.mpf(10) ** -300)}, 30, 45, reference=3)


# ----------------------------------------------------------------------------- the lock

def test_serialized_restores_the_precision_and_excludes_threads():
    inside = []

    @P.serialized
    def work(dps, fail=False):
        mp.mp.dps = dps
        inside.append(dps)
        if fail:
            raise ValueError("boom")
        return mp.mp.dps

    before = mp.mp.prec
    assert work(77) == 77 and mp.mp.prec == before
    with pytest.raises(ValueError):
        work(88, fail=True)
    assert mp.mp.prec == before and work.__name__ == "work"
    order = []

    @P.serialized
    def slow(tag):
        order.append(("in", tag))
        threading.Event().wait(0.05)
        order.append(("out", tag))
    threads = [threading.Thread(target=slow, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(order[i][0] == "in" and order[i + 1] == ("out", order[i][1])
               for i in range(0, 6, 2))


# ----------------------------------------------------------------------------- second pass
# (the boundaries of the contract: a ball exactly 10^-(dps+3) wide or touching 0, the
# largest guard itself, the messages, and a restart that forgets the earlier run)

def test_check_balls_boundaries_and_every_ball_is_judged():
    with mp.workdps(60):
        edge = (mp.mpf(1), mp.mpf(10) ** -33)            # exactly 10^-(dps+3): not wider
    assert P.check_balls({"a": edge}, 30, 45) == set()
    touching = (mp.mpf(10) ** -150, mp.mpf(10) ** -150)  # [0, 2e-150]: contains 0
    one = (mp.mpf(1), mp.mpf(10) ** -40)
    assert P.check_balls({"t": touching, "a": one}, 30, 200) == {"t"}
    with pytest.raises(P.ShortOfDigits) as info:         # a zero, then a wide ball
        P.check_balls({"z": (mp.mpf(0), mp.mpf(10) ** -150),
                       "a": (mp.mpf(1), mp.mpf(10) ** -20)}, 30, 45)
    assert info.value.digits == 14
    assert str(info.value) == "the outputs need 14 more digits than 45"
    with pytest.raises(P.ShortOfDigits) as info:         # an infinite ball, then a very wide one
        P.check_balls({"i": (mp.nan, mp.inf), "a": (mp.mpf(1), mp.mpf(10) ** 27)}, 30, 45)
    assert info.value.digits == 61
    with pytest.raises(P.ShortOfDigits) as info:         # no scale, then a very wide ball
        P.check_balls({"z": (mp.mpf(0), mp.mpf(10) ** -100),
                       "a": (mp.mpf(0), mp.mpf(1))}, 30, 45)
    assert info.value.digits == 45
    assert str(info.value) == "the outputs need 45 more digits than 45"


def test_confirmed_messages_name_the_precision_reached():
    ev, _ = _calls(lambda w: {"v": mp.mpf(w)})
    with pytest.raises(ConvergenceError) as info:
        P.confirmed(ev, 10, what="where")
    assert str(info.value) == ("where: the digits could not be confirmed (working precision "
                               "up to 410 digits gave different values)")

    def short(warm):
        raise P.ShortOfDigits("cancellation", 10 ** 4)
    with pytest.raises(ConvergenceError) as info:
        P.confirmed(short, 10, what="x")
    assert str(info.value) == ("x: the digits could not be confirmed (cancellation, beyond "
                               "490 digits)")


def test_confirmed_tries_the_largest_guard_itself():
    # dps 200: max_guard = 800 and the doubling guard reaches exactly 800 (w = 1000)
    ev, seen = _calls(lambda w: {"v": mp.mpf(w)})
    with pytest.raises(ConvergenceError):
        P.confirmed(ev, 200)
    assert [d for d, _ in seen] == [215, 225, 250, 300, 400, 600, 1000]
    # a cancellation that lifts the guard to exactly max_guard(10) = 480: w = 490 is run
    seen = []

    def ev2(warm):
        seen.append(mp.mp.dps)
        if len(seen) == 1:
            raise P.ShortOfDigits("cancellation", 455)
        return {"v": mp.mpf(2)}, None
    with pytest.raises(ConvergenceError):
        P.confirmed(ev2, 10)
    assert seen == [25, 490]


def test_a_restart_after_a_cancellation_is_confirmed_afresh():
    seen = []

    def ev(warm):
        seen.append(mp.mp.dps)
        if len(seen) == 2:
            raise P.ShortOfDigits("cancellation", 5)
        return {"v": mp.mpf(2)}, None
    out, w, _ = P.confirmed(ev, 10)
    assert seen == [25, 35, 50, 60] and w == 60 and out["v"] == 2


def test_unchecked_keys_need_not_be_present():
    ev, _ = _calls(lambda w: {"v": mp.mpf(1) / 3})
    out, _, _ = P.confirmed(ev, 5, unchecked=("r",))
    assert set(out) == {"v"}


def test_a_nan_never_confirms_a_number():
    """nan against a number (either side) is a disagreement, not a match of two 'nan' texts."""
    from symcollapse.core import precision as P
    assert not P._digits_agree(mp.nan, mp.mpf(1), 10)
    assert not P._digits_agree(mp.mpf(1), mp.nan, 10)
    assert not P._agree({"x": mp.nan}, {"x": mp.mpf(2)}, 10)


def test_digits_agree_near_one_and_at_its_thresholds():
    """Numbers next to 1 are compared by their digits (1 is not a special value); the
    agreement threshold is exactly |b|·10^-(dps+2), inclusive."""
    with mp.workdps(60):
        near = 1 + mp.mpf(10) ** -40
        assert P._digits_agree(near, mp.mpf(1), 30) and P._digits_agree(mp.mpf(1), near, 30)
    with mp.workdps(15):
        # gap = 1 = 10^4 · 10^-4 exactly: on the threshold, agreeing (both read 1.0e+4)
        assert P._digits_agree(mp.mpf(10001), mp.mpf(10000), 2)
        # gaps of 8e-5 and 5e-5 of b at dps 2 are within 10^-4: the same two digits
        assert P._digits_agree(mp.mpf("1.00008"), mp.mpf(1), 2)
        assert P._digits_agree(mp.mpf("1.00005"), mp.mpf(1), 2)
        assert not P._digits_agree(mp.mpf("1.00011"), mp.mpf(1), 2)


def test_check_balls_thresholds_are_inclusive():
    """A radius exactly 10^-(dps+3) of its midpoint passes; one exactly at the zero level
    proves 0; 10^-(dps+1) of the midpoint does not pass."""
    with mp.workdps(60):
        mid = mp.mpf(10) ** 33
        edge = mid * mp.mpf(10) ** -33                              # = 1 exactly
        assert edge == 1 and P.check_balls({"a": (mid, edge)}, 30, 60) == set()
        scale = mp.mpf(10) ** 120
        level = scale * mp.mpf(10) ** (-P.zero_digits(30))
        assert P.check_balls({"a": (scale, mp.mpf(0)), "z": (mp.mpf(0), level)},
                             30, 60) == {"z"}
        with pytest.raises(P.ShortOfDigits) as info:
            P.check_balls({"a": (mp.mpf(1), mp.mpf(10) ** -31)}, 30, 60)
        assert info.value.digits == 3


def test_confirmed_names_the_answer_by_default():
    def ev(warm):
        raise P.ShortOfDigits("cancellation", 10 ** 4)
    with pytest.raises(ConvergenceError, match="^the answer: the digits could not be confirmed"):
        P.confirmed(ev, 10)
