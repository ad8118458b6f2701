r"""Kinds of synthetic data at equal quality c² = Tr Δ, and which kind hurts most.

A *kind* is a way the synthetic group D2 differs from the real one (docs/setting.md): a label
shift δ with E[δδᵀ] = Δ placed somewhere in the spectrum of Σ1, extra label noise
(σ2 > σ1), a covariate shift (Σ2 ≠ Σ1), or a combination.  On a base spectrum (atoms
list, docs/setting.md format) the constructors build each kind at a given c² = Tr Δ =
Σ_k w_k δ_k (exactly, in rationals):

* :func:`top_shift` — δ on the atom(s) with the largest eigenvalues of Σ1;
* :func:`tail_shift` — δ on the atom(s) with the smallest eigenvalues of Σ1;
* :func:`even_shift` — Δ ∝ I (``profile="identity"``, δ_k = c²) or Δ ∝ Θ
  (``profile="theta"``, δ_k = c² θ_k / r²);
* :func:`label_noise` — Δ = 0 and σ2² = σ1² + c²: the same label-error energy
  E_{x∼Σ2}(y2 − xᵀw1)² − σ1² = tr(δΣ2) + σ2² − σ1² as Δ ∝ I when tr Σ2 = 1;
* :func:`covariate_shift` — Δ = 0 and Σ2 ≠ Σ1 with tr Σ2 = tr Σ1 (``"reverse"``: the
  eigenvalues of Σ1 in reverse order, so synthetic covariates excite the tail;
  ``"flat"``: Σ2 = (tr Σ1)·I);
* :func:`combine` — a shift kind plus noise and/or a covariate shift.

**The floor and its weights.**  ζ is linear in Δ at every n (Δ enters the error
functional linearly and the fixed point not at all), and so is its n → ∞ limit at fixed
p2, λ (and m/d): floor_ζ = Σ_k w_k δ_k G_k, with G_k independent of δ.  For the linear
model the large-n system (:func:`~symcollapse.analysis.limits.large_n_system`) has e_j = 1,
u_j = 0, and SymPy gives (:func:`floor_weight_closed_form`)

.. math:: G(s_1, s_2) = \frac{p_2^2 s_1 s_2^2}{(p_1s_1 + p_2s_2 + \lambda)^2},
    \qquad \text{ridgeless, } \Sigma_2 = \Sigma_1:\ G = p_2^2 s .

Per unit c² a kind costs the δ-weighted mean of G (:func:`hurt_per_unit_c2`); the worst
kind at fixed c² is the vertex of the simplex Σ_k w_k δ_k = c², δ ≥ 0 with the largest G:
the top of the spectrum (cost p2² s_max per unit c²), the tail the least (p2² s_min),
Δ ∝ I in between (p2² tr Σ).  Label noise has no floor (its variance term vanishes like
φ), a covariate shift alone has ζ ≡ 0.  For random projections the weights G_k are read
from the floor itself with unit probes (:func:`floor_weights`; exact by linearity).

**When the synthetic term takes over** (:func:`takeover`): along φ = d/n (d fixed; for
random projections m/d fixed), coming from n = ∞ where ζ → floor_ζ > 0 and Bias + Var →
the clean floor, n_ζ is the first sample size (the largest φ*) at which ζ = Bias + Var;
for n > n_ζ the synthetic term is the larger part of the error.  :func:`doubling` gives
n₂, where the error reaches twice its floor.  Both are bracketed on a float64 path
(:func:`~symcollapse.curve`) and solved by ``mpmath.findroot`` on
:func:`~symcollapse.predict` in log φ.

>>> from fractions import Fraction as F
>>> g = top_shift(STAIRCASE, 1)
>>> sum(a["weight"] * a["delta"] for a in g.atoms)
Fraction(1, 1)
>>> cfg = g.config(BASE_CONFIG)
>>> float(hurt_per_unit_c2(cfg))  # p2²·s_max = 0.04·5/2
0.1
"""
from __future__ import annotations

import dataclasses
import functools
import functools as ft
import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath as mp
import sympy as sp

from symcollapse import models
from symcollapse.analysis import scaling
from symcollapse.analysis.limits import floor, large_n_system
from symcollapse.core import determinism as sym, equations as eq
from symcollapse.core.decomposition import curve, predict
from symcollapse.core.errors import ConfigError
from symcollapse.core.regimes import model_family
from symcollapse.core.spec import parse, to_number
from symcollapse.simulation.design import round_half_up

#: A base spectrum: four equally weighted atoms, Σ1 = Σ2, eigenvalues 5/2, 1, 2/5, 1/10
#: (tr Σ = 1), signal θ = 2, 1, 1/2, 1/2 (r² = 1), no shift.
STAIRCASE = [{"weight": Fraction(1, 4), "s1": s, "s2": s, "theta": t, "delta": 0}
             for s, t in ((Fraction(5, 2), 2), (Fraction(1), 1), (Fraction(2, 5), Fraction(1, 2)),
                          (Fraction(1, 10), Fraction(1, 2)))]

#: The base config of the comparisons: linear, ridgeless, φ = 1/2, p2 = 1/5, σ1 = σ2 = 1/2.
BASE_CONFIG = {"phi": Fraction(1, 2), "p2": Fraction(1, 5), "lam": 0, "sigma1": Fraction(1, 2),
               "sigma2": Fraction(1, 2), "atoms": STAIRCASE}

_KEYS = ("weight", "s1", "s2", "theta", "delta")


# ----------------------------------------------------------------------------- constructors

@dataclass(frozen=True)
class Generator:
    """A synthetic-data generator: its atoms (docs/setting.md format) and σ2 (None: keep the
    base config's).  ``config(base)`` is the base config with these put in."""

    name: str
    description: str
    atoms: tuple
    sigma2: object = None

    def config(self, base: dict) -> dict:
        cfg = dict(base)
        cfg["atoms"] = [dict(a) for a in self.atoms]
        if self.sigma2 is not None:
            cfg["sigma2"] = self.sigma2
        return cfg

    @property
    def c2(self):
        """Tr Δ = Σ_k w_k δ_k (exact)."""
        return sum(Fraction(a["weight"]) * Fraction(a["delta"]) for a in self.atoms) / _total(self.atoms)


def _total(atoms):
    return sum(Fraction(a["weight"]) for a in atoms)


def _base(atoms, name="atoms"):
    """The base atoms as exact Fractions, weights renormalized to sum to 1 (parse checks them)."""
    spec = parse({"phi": 1, "p2": 0, "lam": 0, "atoms": list(atoms)})
    if not spec.atoms:
        raise ConfigError(f"{name}: allowed a non-empty list of atoms")
    return [dict(zip(_KEYS, (a.weight, a.s1, a.s2, a.theta, a.delta))) for a in spec.atoms]


def _c2(c2):
    v = to_number("c2", c2)
    if not v > 0:
        raise ConfigError(f"c2 = {c2!r} is out of range: allowed c2 > 0")
    return v


def _on(atoms, chosen, c2):
    """δ spread evenly (per coordinate) over the chosen atoms, zero elsewhere, Tr Δ = c2."""
    mass = sum(atoms[k]["weight"] for k in chosen)
    return [dict(a, delta=(c2 / mass if k in chosen else Fraction(0))) for k, a in enumerate(atoms)]


def _ordered(atoms, key="s1"):
    return sorted(range(len(atoms)), key=lambda k: (atoms[k][key], -k))


def _count(count, atoms):
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= len(atoms):
        raise ConfigError(f"count = {count!r} is out of range: allowed integers 1 <= count <= {len(atoms)}")
    return count


def top_shift(atoms, c2, count: int = 1) -> Generator:
    """δ on the ``count`` atoms with the largest eigenvalues of Σ1, Tr Δ = c2."""
    base, c = _base(atoms), _c2(c2)
    chosen = set(_ordered(base)[::-1][:_count(count, base)])
    return Generator("top", f"shift on the top {count} atom(s) of Σ1", tuple(_on(base, chosen, c)))


def tail_shift(atoms, c2, count: int = 1) -> Generator:
    """δ on the ``count`` atoms with the smallest eigenvalues of Σ1, Tr Δ = c2."""
    base, c = _base(atoms), _c2(c2)
    chosen = set(_ordered(base)[:_count(count, base)])
    return Generator("tail", f"shift on the bottom {count} atom(s) of Σ1", tuple(_on(base, chosen, c)))


def even_shift(atoms, c2, profile: str = "identity") -> Generator:
    """Δ ∝ I (δ_k = c2) or Δ ∝ Θ (δ_k = c2 θ_k / r²), Tr Δ = c2."""
    base, c = _base(atoms), _c2(c2)
    if profile == "identity":
        out = [dict(a, delta=c) for a in base]
    elif profile == "theta":
        r2 = sum(a["weight"] * a["theta"] for a in base)
        if r2 == 0:
            raise ConfigError("profile = \"theta\" needs ‖w1‖² > 0: allowed atoms with some theta > 0")
        out = [dict(a, delta=c * a["theta"] / r2) for a in base]
    else:
        raise ConfigError(f"profile = {profile!r} is not allowed: allowed \"identity\", \"theta\"")
    return Generator(f"even ({profile})", f"shift Δ ∝ {'I' if profile == 'identity' else 'Θ'}", tuple(out))


def _noise_sigma2(sigma1, c2):
    s1 = to_number("sigma1", sigma1)
    if s1 < 0:
        raise ConfigError(f"sigma1 = {sigma1!r} is out of range: allowed sigma1 >= 0")
    with mp.workdps(60):
        v = mp.sqrt(exact_mpf(s1 * s1 + c2))
    return to_number("sigma2", v)


def label_noise(atoms, c2, sigma1) -> Generator:
    """Δ = 0 and σ2² = σ1² + c2 (to 1e-55: σ2 is the 60-digit square root, as a Fraction)."""
    base, c = _base(atoms), _c2(c2)
    return Generator("noise", "label noise σ2² = σ1² + c², Δ = 0",
                     tuple(dict(a, delta=Fraction(0)) for a in base), _noise_sigma2(sigma1, c))


def _covariates(base, how):
    if how == "reverse":
        order = _ordered(base)
        vals = [base[k]["s1"] for k in order][::-1]
        s2 = [None] * len(base)
        for k, v in zip(order, vals):
            s2[k] = v
    elif how == "flat":
        s2 = [Fraction(1)] * len(base)
    else:
        raise ConfigError(f"covariates = {how!r} is not allowed: allowed \"reverse\", \"flat\"")
    tr1 = sum(a["weight"] * a["s1"] for a in base)
    tr2 = sum(a["weight"] * v for a, v in zip(base, s2))
    scale = tr1 / tr2 if tr2 else Fraction(1)
    return [dict(a, s2=v * scale) for a, v in zip(base, s2)]


def covariate_shift(atoms, how: str = "reverse") -> Generator:
    """Δ = 0 and Σ2 ≠ Σ1 with tr Σ2 = tr Σ1 (``how``: "reverse" or "flat")."""
    base = _covariates(_base(atoms), how)
    return Generator(f"covariate ({how})", f"covariate shift Σ2 = {how}(Σ1), Δ = 0",
                     tuple(dict(a, delta=Fraction(0)) for a in base))


def combine(shift: Generator, *, sigma1=None, c2_noise=None, covariates: str | None = None) -> Generator:
    """A shift kind plus label noise σ2² = σ1² + c2_noise and/or a covariate shift
    (Σ2 from ``covariates``; the shift keeps its δ)."""
    atoms = [dict(a) for a in shift.atoms]
    name, sigma2 = shift.name, shift.sigma2
    if covariates is not None:
        moved = _covariates(_base(atoms), covariates)
        atoms = [dict(a, s2=m["s2"]) for a, m in zip(atoms, moved)]
        name += f" + covariate ({covariates})"
    if c2_noise is not None:
        if sigma1 is None:
            raise ConfigError("combine: c2_noise needs sigma1 (the real noise level): allowed sigma1 >= 0")
        sigma2 = _noise_sigma2(sigma1, _c2(c2_noise))
        name += " + noise"
    return Generator(name, name, tuple(atoms), sigma2)


def catalogue(atoms=STAIRCASE, c2=1, sigma1=Fraction(1, 2)) -> list:
    """The kinds (a)–(e) and three combinations at one c², on one base spectrum."""
    top = top_shift(atoms, c2)
    return [top, tail_shift(atoms, c2), even_shift(atoms, c2, "identity"), even_shift(atoms, c2, "theta"),
            label_noise(atoms, c2, sigma1), covariate_shift(atoms, "reverse"),
            combine(even_shift(atoms, c2), sigma1=sigma1, c2_noise=c2),
            combine(top, covariates="reverse"), combine(tail_shift(atoms, c2), covariates="reverse")]


# ----------------------------------------------------------------------------- the closed form

p1_sym = 1 - sp.Symbol("p2", nonnegative=True)


@functools.lru_cache(maxsize=None)
def floor_weight_closed_form() -> dict:
    r"""The n → ∞ floor of the linear model on one atom, derived by SymPy.

    The large-n system (:func:`~symcollapse.analysis.limits.large_n_system`) of the plain linear
    family is solved (e_j = 1, u_j = 0: its equations are linear) and substituted into
    the densities.  Returns SymPy expressions in the atom symbols Σ1, Σ2, Θ, Δ and p2, λ:
    ``zeta`` and ``bias`` (floor densities), ``G`` = ∂ζ/∂Δ (the weight of the shift),
    ``G_cospectral`` (Σ2 = Σ1 = s, λ = 0: p2²s), ``dG_ds2`` and ``dG_ds1`` (factored),
    ``s1_star`` (the Σ1 eigenvalue that maximizes G at fixed Σ2) and ``G_max`` (its value).
    """
    lim = large_n_system(model_family("linear", "plain", (), ()))
    sol = sym.solve(list(lim.equations), list(lim.unknowns), dict=True)
    if len(sol) != 1:
        raise AssertionError("large-n system: expected one solution")
    sol = sol[0]
    if any(sp.sympify(f).xreplace(sol) != 0 for f in lim.equations):
        raise AssertionError("large-n system: the solution does not solve it")
    dens = {k: sym.factor(sp.sympify(lim.densities[k]).xreplace(sol)) for k in ("zeta", "bias", "variance")}
    G = sym.factor(sp.diff(dens["zeta"], eq.DELTA))
    if sym.simplify(dens["zeta"] - G * eq.DELTA) != 0:
        raise AssertionError("the floor of ζ is not linear in Δ")
    s = sp.Symbol("s", positive=True)
    G_co = sym.factor(G.subs({eq.S2: s, eq.S1: s, eq.lam: 0}))
    dG2 = sym.factor(sp.diff(G, eq.S2))
    dG1 = sym.factor(sp.diff(G, eq.S1))
    crit = sym.solve(sp.numer(sp.together(dG1)), eq.S1)
    crit = [c for c in crit if c != 0]
    if len(crit) != 1:
        raise AssertionError(f"∂G/∂s1 = 0: expected one nonzero root, got {crit}")
    s1_star = sym.factor(crit[0])
    G_max = sym.factor(sym.simplify(G.subs(eq.S1, s1_star)))
    return {"zeta": dens["zeta"], "bias": dens["bias"], "variance": dens["variance"], "G": G,
            "G_cospectral": G_co, "s": s, "dG_ds2": dG2, "dG_ds1": dG1, "s1_star": s1_star,
            "G_max": G_max, "solution": sol}


@functools.lru_cache(maxsize=None)
def _G_mp():
    G = floor_weight_closed_form()["G"]
    return sp.lambdify((eq.S1, eq.S2, eq.p2, eq.lam), G, modules="mpmath")


def exact_mpf(x):
    x = Fraction(x)
    return mp.mpf(x.numerator) / x.denominator


def closed_form_weights(config, dps: int = 30) -> list:
    """G_k of the linear model's floor (:func:`floor_weight_closed_form`) for each atom of
    a config, mpf at ``dps`` digits (plain mixing)."""
    spec = parse(config)
    if not models.get(spec.model).answers("floor_closed_form") or spec.strategy != "plain":
        raise ConfigError("closed_form_weights: allowed model \"linear\" with strategy \"plain\" "
                          "(use floor_weights for the others)")
    f = _G_mp()
    with mp.workdps(dps + 10):
        out = [f(exact_mpf(a.s1), exact_mpf(a.s2), exact_mpf(spec.p2), exact_mpf(spec.lam)) for a in spec.atoms]
    with mp.workdps(dps):
        return [+g for g in out]


def floor_weights(config, dps: int = 30) -> list:
    """G_k = floor_ζ(δ = unit probe on atom k) for any model (per unit of w_k δ_k), from
    :func:`~symcollapse.analysis.limits.floor`: floor_ζ = Σ_k w_k δ_k G_k exactly (ζ is linear in Δ)."""
    spec = parse(config)
    out = []
    for k, a in enumerate(spec.atoms):
        probe = tuple(dataclasses.replace(b, delta=(1 / a.weight if j == k else Fraction(0)))
                      for j, b in enumerate(spec.atoms))
        out.append(floor(spec.replace(atoms=probe), dps=dps)["zeta"])
    return out


def hurt_per_unit_c2(config, dps: int = 30, closed_form: bool | None = None):
    """floor_ζ / c² = Σ_k w_k δ_k G_k / Σ_k w_k δ_k: what one unit of Tr Δ of this kind costs
    as n → ∞ (the closed form for the linear model with plain mixing, unit probes of the
    floor otherwise; ``closed_form`` forces one or the other).  0 when Δ = 0."""
    spec = parse(config)
    c2 = sum(a.weight * a.delta for a in spec.atoms)
    if c2 == 0:
        return mp.mpf(0)
    use_closed = (models.get(spec.model).answers("floor_closed_form") and spec.strategy == "plain"
                  if closed_form is None else closed_form)
    G = closed_form_weights(spec, dps) if use_closed else floor_weights(spec, dps)
    with mp.workdps(dps + 5):
        val = sum(exact_mpf(a.weight * a.delta) * g for a, g in zip(spec.atoms, G)) / exact_mpf(c2)
    with mp.workdps(dps):
        return +val


# ----------------------------------------------------------------------------- along n

def _path(spec, phi):
    """The spec at φ (an exact Fraction), with m/d fixed for random projections."""
    phi = Fraction(phi)
    if spec.psi is None:
        return spec.replace(phi=phi)
    return spec.replace(phi=phi, psi=spec.psi / spec.phi * phi)


def _cap(spec):
    """The largest φ scanned: just below the ridgeless interpolation threshold of the path
    (linear φ = 1; projections min(φ, ψ) = 1 with the other ≥ 1, i.e. φ = 1/min(1, m/d)),
    φ = 50 with a ridge."""
    if spec.lam > 0:
        return Fraction(50)
    edge = Fraction(1) if spec.psi is None else 1 / min(Fraction(1), spec.psi / spec.phi)
    return edge * Fraction(19, 20)


PHI_MIN = Fraction(1, 10 ** 8)


def _grid(spec, per_decade=6):
    lo, hi = math.log10(PHI_MIN), math.log10(_cap(spec))
    k = int(math.ceil((hi - lo) * per_decade))
    return [Fraction(10 ** (lo + (hi - lo) * i / k)).limit_denominator(10 ** 12) for i in range(k + 1)]


def _float_path(spec, phis, parts):
    kw = {"phi": phis}
    if spec.psi is not None:
        kw["psi"] = [spec.psi / spec.phi * p for p in phis]
    out = curve(spec, **kw)
    return {k: out[k] for k in parts}


def _solve_on_path(spec, h, grid_values, phis, dps):
    """The first crossing of h ≥ 0 → h < 0 as φ rises from PHI_MIN: a grid bracket, then
    mpmath findroot (Anderson–Björk, bracketing) on h(log φ) with predict.  Returns
    (φ*, status) with status "solved", "never" (h < 0 already at PHI_MIN) or "throughout"
    (h ≥ 0 on the whole path up to the cap)."""
    if not grid_values[0] >= 0:
        return mp.mpf(0), "never"
    k = next((i for i, v in enumerate(grid_values) if v < 0), None)
    if k is None:
        return exact_mpf(phis[-1]), "throughout"

    def f(u):
        phi = _to_fraction(mp.exp(u))
        return h(_path(spec, phi))

    with mp.workdps(dps + 10):
        a, b = mp.log(exact_mpf(phis[k - 1])), mp.log(exact_mpf(phis[k]))
        fa, fb = f(a), f(b)
        if fa == 0:
            return mp.exp(a), "solved"
        if not fa > 0 > fb:  # the float64 bracket is refined at high precision
            raise AssertionError(f"takeover: the bracket [{phis[k - 1]}, {phis[k]}] does not hold at "
                                 f"high precision ({mp.nstr(fa, 5)}, {mp.nstr(fb, 5)})")
        u = mp.findroot(f, (a, b), solver="anderson", tol=mp.mpf(10) ** (-(dps + 5)))
        root = mp.exp(u)
    with mp.workdps(dps):
        return +root, "solved"


def _to_fraction(x):
    return to_number("phi", x)


def takeover(config, dps: int = 20) -> dict:
    r"""n_ζ: where ζ = Bias + Var along φ = d/n, coming from n = ∞ (module docstring).

    Returns ``phi`` (φ*; 0 when ζ never takes over, the cap when it dominates on the whole
    path), ``n_over_d`` = 1/φ*, ``status`` ("solved", "never", "throughout"), ``n`` (the
    sample size d/φ* with d = round(φ·n) when the config has ``n``) and the parts at φ*.
    """
    spec = parse(config)
    phis = _grid(spec)
    fl = _float_path(spec, phis, ("bias", "variance", "zeta"))
    vals = [z - (b + v) for z, b, v in zip(fl["zeta"], fl["bias"], fl["variance"])]
    if all(z == 0 for z in fl["zeta"]):
        vals = [-1.0] * len(vals)  # ζ ≡ 0 (Δ = 0 or no synthetic weight): it never takes over

    def h(s):
        r = predict(s, dps=dps + 10)
        return r["zeta"] - r["bias"] - r["variance"]

    phi, status = _solve_on_path(spec, h, vals, phis, dps)
    return _n_result(spec, phi, status, dps)


def doubling(config, dps: int = 20) -> dict:
    """n₂: where the error reaches twice its n → ∞ floor along φ = d/n (first crossing from
    n = ∞); ``status`` "never" when the floor is 0 (the error keeps falling)."""
    spec = parse(config)
    fl0 = floor(spec, dps=dps + 10)["test_error"]
    phis = _grid(spec)
    if fl0 == 0:
        return _n_result(spec, mp.mpf(0), "never", dps, floor=fl0)
    E = _float_path(spec, phis, ("test_error",))["test_error"]
    vals = [2 * float(fl0) - e for e in E]

    def h(s):
        return 2 * fl0 - predict(s, dps=dps + 10)["test_error"]

    phi, status = _solve_on_path(spec, h, vals, phis, dps)
    return _n_result(spec, phi, status, dps, floor=fl0)


def _n_result(spec, phi, status, dps, **extra):
    out = {"phi": phi, "status": status, "n_over_d": (mp.inf if phi == 0 else 1 / phi), **extra}
    if spec.n is not None:
        d = round_half_up(spec.phi * spec.n)
        out["d"] = d
        out["n"] = mp.inf if phi == 0 else d / phi
    return out


def label_excess(config):
    """E_{x∼Σ2}(y2 − xᵀw1)² − σ1² = tr(δΣ2) + σ2² − σ1²: the label-error energy of D2."""
    spec = parse(config)
    return sum(a.weight * a.delta * a.s2 for a in spec.atoms) + spec.sigma2 ** 2 - spec.sigma1 ** 2


def profile(config, dps: int = 20) -> dict:
    """zeta, bias, variance, test_error at the config; the n → ∞ ``floor`` (and
    ``floor_zeta``, ``floor_clean`` = floor − floor_ζ); ``hurt_per_unit_c2``; ``takeover``
    (n_ζ, :func:`takeover`) with ``takeover_n_over_d``; ``doubling`` (n₂); ``c2`` and
    ``label_excess``."""
    spec = parse(config)
    r = predict(spec, dps=dps)
    fl = floor(spec, dps=dps)
    t = takeover(spec, dps=dps)
    dbl = doubling(spec, dps=dps)
    c2 = sum(a.weight * a.delta for a in spec.atoms)
    return {"zeta": r["zeta"], "bias": r["bias"], "variance": r["variance"], "test_error": r["test_error"],
            "floor": fl["test_error"], "floor_zeta": fl["zeta"], "floor_clean": fl["test_error"] - fl["zeta"],
            "hurt_per_unit_c2": hurt_per_unit_c2(spec, dps), "c2": c2, "label_excess": label_excess(spec),
            "takeover": t, "takeover_n_over_d": t["n_over_d"], "doubling": dbl,
            "doubling_n_over_d": dbl["n_over_d"], "regime": r["regime"]}


# ----------------------------------------------------------------------------- ranking

def _candidate_config(cand, base_config):
    if isinstance(cand, Generator):
        return cand.name, cand.config(base_config)
    if isinstance(cand, dict) and "atoms" in cand and "phi" in cand:
        return cand.get("name", "config"), {k: v for k, v in cand.items() if k != "name"}
    if isinstance(cand, tuple) and len(cand) == 2:
        atoms, sigma2 = cand
        cfg = dict(base_config, atoms=list(atoms))
        if sigma2 is not None:
            cfg["sigma2"] = sigma2
        return "atoms", cfg
    if isinstance(cand, list):
        return "atoms", dict(base_config, atoms=list(cand))
    raise ConfigError("rank: a candidate must be a Generator, a config, an atoms list or "
                      "(atoms, sigma2)")


def rank(candidates, base_config=BASE_CONFIG, dps: int = 20, tie: float = 1e-15) -> list:
    """Rank synthetic-data generators, worst first: by the n → ∞ floor of the test error,
    ties (relative gap < ``tie``) broken by ζ at the config's n, then by the test error.
    Returns rows ``{rank, name, floor, floor_zeta, zeta, test_error, c2, hurt_per_unit_c2}``."""
    rows = []
    for cand in candidates:
        name, cfg = _candidate_config(cand, base_config)
        spec = parse(cfg)
        r, fl = predict(spec, dps=dps), floor(spec, dps=dps)
        c2 = sum(a.weight * a.delta for a in spec.atoms)
        rows.append({"name": name, "floor": fl["test_error"], "floor_zeta": fl["zeta"], "zeta": r["zeta"],
                     "test_error": r["test_error"], "c2": c2,
                     "hurt_per_unit_c2": (fl["zeta"] / exact_mpf(c2)) if c2 else mp.mpf(0)})

    def close(a, b):
        return abs(a - b) <= tie * max(abs(a), abs(b), mp.mpf(10) ** -dps)


    def cmp(x, y):
        for key in ("floor", "zeta", "test_error"):
            if not close(x[key], y[key]):
                return -1 if x[key] > y[key] else 1
        return 0

    rows.sort(key=ft.cmp_to_key(cmp))
    for i, row in enumerate(rows):
        row["rank"] = i + 1
    return rows


# ----------------------------------------------------------------------------- power laws

def power_law_hurt(beta, gamma_delta, p2, sigma1=0, sigma2=0, dps: int = 20) -> dict:
    r"""The d ≫ n ridgeless floor on a co-spectral power law (:func:`symcollapse.analysis.scaling.floor`),
    per unit c² = c0 ζ(γδ): ``zeta_per_c2`` = (p2² + p1p2(β − 1))·ζ(γδ + β)/ζ(γδ), increasing
    in γδ (concentrated on the top) towards p2² + p1p2(β − 1) (all on i = 1, s = 1); and
    ``noise_floor`` = σ̄²(β − 1): in that regime label noise *does* leave a floor (the
    interpolator keeps it)."""
    beta, gamma_delta = float(beta), float(gamma_delta)
    law = scaling.PowerLaw(beta=beta, gamma=max(gamma_delta, 1.5), gamma_delta=gamma_delta, c0=1)
    fl = scaling.floor(law, p2, sigma1, sigma2, dps=dps)
    with mp.workdps(dps + 5):
        c2 = mp.zeta(mp.mpf(gamma_delta))
        out = {"zeta": fl["zeta"], "c2": c2, "zeta_per_c2": fl["zeta"] / c2, "noise_floor": fl["variance"]}
    return out


# ----------------------------------------------------------------------------- summary

def notebook_summary(dps: int = 20) -> dict:
    """The numbers behind the one-sentence answer, on :data:`BASE_CONFIG` with c² = 1:
    the ranking of :func:`catalogue` by floor, the per-unit cost of top / even / tail
    shifts against p2²·(s_max, tr Σ, s_min), and ``sentence``."""
    cat = catalogue(STAIRCASE, 1, BASE_CONFIG["sigma1"])
    rows = rank(cat, BASE_CONFIG, dps=dps)
    p2 = exact_mpf(BASE_CONFIG["p2"])
    s = [exact_mpf(a["s1"]) for a in STAIRCASE]
    expect = {"top": p2 ** 2 * max(s), "even (identity)": p2 ** 2 * sum(s) / len(s), "tail": p2 ** 2 * min(s)}
    per = {r["name"]: r["hurt_per_unit_c2"] for r in rows}
    worst = rows[0]
    shifts_only = [r for r in rows if r["name"] in ("top", "tail", "even (identity)", "even (theta)")]
    sentence = (f"At equal c² = Tr Δ the worst synthetic data is a label shift on the top eigendirections "
                f"of Σ1 ('{worst['name']}'): its floor costs {mp.nstr(worst['hurt_per_unit_c2'], 6)} per unit c² "
                f"= p2²·s_max, against {mp.nstr(per['even (identity)'], 6)} for Δ ∝ I (p2²·tr Σ) and "
                f"{mp.nstr(per['tail'], 6)} on the tail (p2²·s_min); label noise and a covariate shift alone "
                f"leave no floor.")
    return {"order": [r["name"] for r in rows], "rows": rows, "per_unit": per, "expected": expect,
            "worst": worst["name"], "shift_order": [r["name"] for r in shifts_only], "sentence": sentence}
