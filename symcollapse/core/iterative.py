r"""Iterative mixing: each generation re-labels fresh synthetic inputs with the previous model.

**Iterative** (docs/theory/linear.md §5), linear model: with D_t = ŵ_t − w1 (D_0 = δ) and fresh
data each generation, the per-coordinate second moments m_t = d·E[D_tD_tᵀ] and the
correlation with the signal ν_t = d·E[D_tw1ᵀ] (diagonal in the common eigenbasis) follow

.. math::
    \nu_t = -\lambda K^{-1}\theta + p_2e_2K^{-1}\Sigma_2\nu_{t-1},\qquad
    m_t = \mathcal L[B_t],

    B_t = \lambda^2\theta + \varphi\sum_jp_j\sigma_j^2e_j^2\Sigma_j + p_2^2e_2^2\Sigma_2^2m_{t-1}
          + c_t\Sigma_2 - 2\lambda p_2e_2\Sigma_2\nu_{t-1},

    c_t = p_2e_2^2\varphi\bigl(\operatorname{tr}(m_{t-1}\Sigma_2)
          - 2p_2e_2\operatorname{tr}(m_{t-1}\Sigma_2^2K^{-1})\bigr)
          + 2\lambda p_2e_2^2\varphi\operatorname{tr}(K^{-1}\Sigma_2\nu_{t-1}),

with e, K of the plain fixed point and 𝓛[B] the deterministic equivalent of RBR.  The
map B ↦ 𝓛[B] is not written here: the pencil engine derives it from the model's own
resolvent with its probe moved from Σ1 to a per-coordinate diagonal B
(:meth:`~symcollapse.models.base.Model.probe_system`, :func:`probe_map`), which gives
:math:`\mathcal L[B] = K^{-1}(B + \sum_la_lu_l(B)\Sigma_l)K^{-1}`, :math:`(I - M)u = b(B)`,
:math:`M_{jl} = \gamma_je_j^2a_l\operatorname{tr}(\Sigma_j\Sigma_lK^{-2})`,
:math:`b_j = \gamma_je_j^2\operatorname{tr}(\Sigma_jBK^{-2})`; E_test(t) = tr(Σ1 m_t).
The map is homogeneous of degree 0 in (e, λ), so the ridgeless interpolating side
(e = λε) is the same map at (ε, λ = 1).  Written once with plain arithmetic on per-atom
arrays, it runs on mpmath numbers (any precision) and on SymPy symbols (one isotropic atom: the closed form of ``iterative_isotropic``).
By linearity in the sources the error splits per generation into the part driven by w1
(``bias``), by the noise (``variance``) and by the initial shift δ (``zeta``).  As t → ∞,
ν∞ = −λθ/(p1e1Σ1 + λ) and m∞ solves (I − A)m = r with A = diagonal + rank 2
(:func:`affine_limit`); it exists iff the spectral radius of A is < 1.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

import mpmath as mp
import numpy as np
import sympy as sp

from symcollapse import models
from symcollapse.core import determinism as sym, equations as eq
from symcollapse.core.compiled import compile_system, to_mpf
from symcollapse.core.equations import PARTS
from symcollapse.core.errors import ConfigError, UnsupportedError
from symcollapse.core.regimes import group_unknowns, parameter_values, select
from symcollapse.core.solve import solve_point
from symcollapse.core.spec import parse, to_number


@dataclass
class Context:
    """Per-atom arrays (numpy object arrays of mpf or SymPy) and the plain fixed point."""

    w: object
    s1: object
    s2: object
    theta: object
    delta: object
    e1: object
    e2: object
    lam: object          # λ, or 1 on the rescaled (interpolating) side
    phi: object
    p2: object
    sigma1: object
    sigma2: object

    @property
    def p1(self):
        return 1 - self.p2

    K_given: object = None  # an explicit K (a symbol on the isotropic atom), else built
    #: (a1, a2, γ1, γ2) of a weighted generation; None: plain weights (p1, p2, φ, φ)
    weights: object = None
    #: the weighted generation's α (the derived map's parameter); None for plain weights
    alpha: object = None

    @property
    def a1(self):
        return self.p1 if self.weights is None else self.weights[0]

    @property
    def a2(self):
        return self.p2 if self.weights is None else self.weights[1]

    @property
    def g1(self):
        return self.phi if self.weights is None else self.weights[2]

    @property
    def g2(self):
        return self.phi if self.weights is None else self.weights[3]

    @functools.cached_property
    def K(self):
        if self.K_given is not None:
            return self.K_given
        return self.a1 * self.e1 * self.s1 + self.a2 * self.e2 * self.s2 + self.lam

    def tr(self, f):
        return (self.w * f).sum()

    @functools.cached_property
    def feedback(self):
        r"""(β, κ): the previous generation's moments m enter :math:`B_t` as
        :math:`\beta m + \operatorname{tr}(\kappa m)\Sigma_2`, with
        :math:`\beta = a_2^2e_2^2\Sigma_2^2` and :math:`\kappa = a_2e_2^2\gamma_2(\Sigma_2 -
        2a_2e_2\Sigma_2^2K^{-1})` (the labels of the synthetic rows are the previous fit's)."""
        a2, e2, s2 = self.a2, self.e2, self.s2
        return (a2 ** 2 * e2 ** 2 * s2 ** 2,
                a2 * e2 ** 2 * self.g2 * (s2 - 2 * a2 * e2 * s2 ** 2 / self.K))

    @functools.cached_property
    def kernels(self):
        r"""The derived map B ↦ 𝓛[B] at this fixed point (:func:`probe_map`):
        ``(C⁻¹, g, ℓ₀, ℓ)`` with 𝓛[B] = ℓ₀B + Σ_l ℓ_l u_l and u = −C⁻¹(tr(g_jB))_j."""
        C, g, ell0, ell = probe_map("plain" if self.weights is None else "weighted")
        at = functools.partial(_evaluate, self)
        return (_inverse([[at(x) for x in row] for row in C]), [at(x) for x in g], at(ell0),
                [at(x) for x in ell])

    def rates(self, B):
        """The rates u of the fixed point along the probe B (per-atom array)."""
        Cinv, g, _ell0, _ell = self.kernels
        r = [self.tr(gj * B) for gj in g]
        return [-sum(Cinv[l][j] * r[j] for j in range(len(r))) for l in range(len(Cinv))]

    def L(self, B):
        r"""𝓛[B] = ℓ₀B + Σ_l ℓ_l u_l(B), for the linear model K⁻¹(B + a₁u₁Σ₁ + a₂u₂Σ₂)K⁻¹
        (derivations/linear.md §3), as the engine derives it along the probe B."""
        _Cinv, _g, ell0, ell = self.kernels
        return ell0 * B + sum(l_ * u for l_, u in zip(ell, self.rates(B)))


@functools.lru_cache(maxsize=None)
def probe_map(strategy: str):
    r"""The map B ↦ 𝓛[B] of one generation, from the linear model's resolvent differentiated
    along a probe B (:meth:`~symcollapse.models.base.Model.probe_system`), as symbolic
    kernels ``(C, g, ℓ₀, ℓ)``: the rate equations C u + (tr(g_jB))_j = 0 and the density
    𝓛[B] = ℓ₀B + Σ_l ℓ_l u_l.  The rate equations are taken on the first-order solution
    (:func:`on_shell`: 1 + γ_j tr(Σ_jK⁻¹) = 1/e_j), which makes the map homogeneous of
    degree 0 in (e, λ) (the rescaled ridgeless side is the same map at (ε, 1)), and each is
    multiplied by its denominator (no division by γ₂, which is 0 for a weighted generation
    at α = 1, nor by p₂).  Every split is checked symbolically (linear in u and B, no other
    terms)."""
    system = models.get("linear").probe_system(strategy)
    n = len(system.unknowns) // 2
    rates = system.unknowns[n:]
    B = eq.PROBE
    eqs = [sp.fraction(e)[0] for e in on_shell(system.equations[n:], system.equations[:n])]
    zero = {u: 0 for u in rates}
    C = [[sp.diff(e, u) for u in rates] for e in eqs]
    g = []
    for e, row in zip(eqs, C):
        r = e.xreplace(zero)
        _check_zero(e - r - sum(c * u for c, u in zip(row, rates)),
                    "a rate equation is not linear in the rates")
        g.append(_kernel(r, B))
    ell = sp.sympify(system.densities["L"])
    ell0 = sp.diff(ell, B)
    ells = [sp.diff(ell, u) for u in rates]
    _check_zero(ell - ell0 * B - sum(c * u for c, u in zip(ells, rates)),
                "𝓛[B] is not linear in B and the rates")
    return C, g, ell0, ells


def on_shell(equations, first_order) -> list:
    """``equations`` with, for each first-order equation affine in exactly one of their
    traces, that trace replaced by its value from the equation (e.g.
    tr(Σ_j/K) = (1 − e_j)/(φe_j)): the same equations on the first-order solution."""
    found = set().union(*[sp.sympify(e).atoms(eq.tr) for e in equations])
    values = {}
    for f in first_order:
        f = sp.sympify(f)
        mine = [t for t in f.atoms(eq.tr) if t in found]
        if len(mine) == 1:
            T = sp.Symbol("_trace")
            affine = f.xreplace({mine[0]: T})
            if sp.diff(affine, T, 2) == 0 and sp.diff(affine, T) != 0:
                values[mine[0]] = sp.solve(affine, T)[0]
    return [eq.cancelled(sp.sympify(e).xreplace(values)) for e in equations]


def _kernel(r, B):
    r"""g with r = tr(gB): r a sum of traces linear in B (and factors free of B)."""
    traces = [t for t in r.atoms(eq.tr) if t.has(B)]
    T = sp.symbols(f"_kernel0:{len(traces)}")
    outer = r.xreplace(dict(zip(traces, T)))
    g = sum(sp.diff(outer, Ti) * sp.diff(t.args[0], B) for Ti, t in zip(T, traces))
    lin = sum(sp.diff(outer, Ti) * Ti for Ti in T)
    _check_zero(outer - lin, "a rate equation's source is not linear in the traces of B")
    for t in traces:
        _check_zero(t.args[0] - sp.diff(t.args[0], B) * B, "a trace is not linear in B")
    return eq.cancelled(g)


def _check_zero(expr, what: str):
    if not eq.vanishes(expr):
        raise AssertionError(f"iterative mixing: {what}")


def _evaluate(c: Context, expr):
    """A kernel expression at a context: each trace summed over its atoms, the rest an
    array over the atoms (or a number), in the context's arithmetic (mpmath or SymPy)."""
    expr = sp.sympify(expr)
    traces = sorted(expr.atoms(eq.tr), key=sp.default_sort_key)
    T = sp.symbols(f"_trace0:{len(traces)}")
    outer = expr.xreplace(dict(zip(traces, T)))
    return _array(c, outer, [c.tr(_array(c, t.args[0], [])) for t in traces], T)


def _array(c: Context, expr, extra: list, names=()):
    sympy = isinstance(c.phi, sp.Basic)
    f = _lambdified(expr, tuple(names), "sympy" if sympy else "mpmath")
    values = {eq.S1: c.s1, eq.S2: c.s2, eq.phi: c.phi, eq.p2: c.p2, eq.lam: c.lam,
              eq.e1: c.e1, eq.e2: c.e2, eq.alpha: c.alpha, _ONE_MINUS_P2: c.p1,
              _ONE_MINUS_ALPHA: c.a2 if c.alpha is not None else None}
    return f(*[values[a] for a in _ARGS], *extra)


#: The complements 1 − p2 and 1 − α as arguments of their own (1 − α of a weighted
#: generation is its exact a₂, not a difference of rounded numbers).
_ONE_MINUS_P2, _ONE_MINUS_ALPHA = sp.symbols("_one_minus_p2 _one_minus_alpha")
#: The symbols a derived kernel may hold (then the traces' values).
_ARGS = (eq.S1, eq.S2, eq.phi, eq.p2, eq.lam, eq.e1, eq.e2, eq.alpha, _ONE_MINUS_P2,
         _ONE_MINUS_ALPHA)


@functools.lru_cache(maxsize=None)
def _lambdified(expr, names: tuple, modules: str):
    expr = expr.xreplace({1 - eq.p2: _ONE_MINUS_P2, eq.p2 - 1: -_ONE_MINUS_P2,
                          1 - eq.alpha: _ONE_MINUS_ALPHA, eq.alpha - 1: -_ONE_MINUS_ALPHA})
    left = expr.free_symbols - set(_ARGS) - set(names)
    if left:
        raise AssertionError(f"iterative mixing: the derived map holds {sorted(map(str, left))}")
    return sp.lambdify([*_ARGS, *names], expr, modules=modules)


def _inverse(C):
    """C⁻¹ (a small list-of-rows matrix) in the arithmetic of its entries."""
    if any(isinstance(x, sp.Basic) for row in C for x in row):
        return sp.Matrix(C).inv().tolist()
    inv = mp.inverse(mp.matrix(C))
    return [[inv[i, j] for j in range(len(C))] for i in range(len(C))]


def step(c: Context, m, nu, *, signal=True, noise=True):
    """One generation: (m_{t−1}, ν_{t−1}) → (m_t, ν_t).  ``signal``/``noise`` switch the
    sources λ²θ, −λθ/K (w1) and the label noise on or off (for the split by source).

    A weighted generation (a_j, γ_j of :func:`~symcollapse.core.equations.mixture_weights`) is
    the same map with p_j → a_j in the loss weights and φ → γ_j in the 1/n_j-type terms
    (docs/theory/linear.md §2, step 5): (a2²/n2)Tr = a2γ2 tr, (a_j²/n_j)σ_j² → a_jγ_jσ_j²."""
    a1, a2, g1, g2, e1, e2, lam, K = c.a1, c.a2, c.g1, c.g2, c.e1, c.e2, c.lam, c.K
    beta, kappa = c.feedback
    coef = c.tr(kappa * m) + 2 * lam * a2 * e2 ** 2 * g2 * c.tr(c.s2 * nu / K)
    B = beta * m + coef * c.s2 - 2 * lam * a2 * e2 * c.s2 * nu
    nu_new = a2 * e2 * c.s2 * nu / K
    if signal:
        B = B + lam ** 2 * c.theta
        nu_new = nu_new - lam * c.theta / K
    if noise:
        B = B + (a1 * g1 * c.sigma1 ** 2 * e1 ** 2 * c.s1 + a2 * g2 * c.sigma2 ** 2 * e2 ** 2 * c.s2)
    return c.L(B), nu_new


def affine_limit(c: Context, *, signal=True, noise=True):
    r"""The fixed point (m∞, ν∞) of the affine map, or None when the map's linear part A
    has spectral radius ≥ 1.

    ν∞ = −λθ/(K − a2e2Σ2) per atom.  With B's feedback βm + tr(κm)Σ2 (:attr:`Context.feedback`)
    and the derived map 𝓛[B] = ℓ₀B + Σ_l ℓ_l u_l(B), u = −C⁻¹(tr(g_jB))_j
    (:attr:`Context.kernels`), the linear part is diagonal plus low rank:

    .. math:: Am = Dm + U_0\,\operatorname{tr}(\kappa m) + \sum_j U_j\operatorname{tr}(g_jeta m),
              \quad D = \ell_0eta,\ U_0 = \mathcal L[\Sigma_2],\ U_j = -\sum_l\ell_l(C^{-1})_{lj};

    with r the affine part, m = (r + Σ_i U_it_i)/(1 − D), and applying the functionals
    t_i to both sides leaves a (1 + #rates)-square linear system.
    """
    zero = c.theta * 0
    nu = (-c.lam * c.theta / (c.K - c.a2 * c.e2 * c.s2)) if signal else zero
    # r = the affine part at ν∞: one step from m = 0 with ν = ν∞, minus ν's own update
    r, _ = step(c, zero, nu, signal=signal, noise=noise)
    beta, kappa = c.feedback
    Cinv, g, ell0, ell = c.kernels
    D = ell0 * beta
    funcs = [kappa] + [gj * beta for gj in g]
    U = [c.L(c.s2)] + [-sum(ell[l] * Cinv[l][j] for l in range(len(ell))) for j in range(len(g))]

    def tau(v):
        return [c.tr(f * v) for f in funcs]

    base = tau(r / (1 - D))
    cols = [tau(u / (1 - D)) for u in U]
    k = len(funcs)
    A = [[(1 if i == j else 0) - cols[j][i] for j in range(k)] for i in range(k)]
    t = _solve_linear(A, base)
    m = (r + sum(u * ti for u, ti in zip(U, t))) / (1 - D)
    return m, nu


def _solve_linear(A, b):
    if isinstance(b[0], sp.Basic):
        sol = sp.Matrix(A).LUsolve(sp.Matrix(b))
        return [sym.factor(sp.cancel(v)) for v in sol]
    M = mp.matrix(A)
    return list(mp.lu_solve(M, mp.matrix(b)))


def spectral_radius(c: Context, iterations: int = 400):
    """Power iteration on the linear part of the map (sources off, ν = 0)."""
    v = c.s1 * 0 + 1
    zero = c.theta * 0
    r = mp.mpf(0)
    for _ in range(iterations):
        v2, _ = step(c, v, zero, signal=False, noise=False)
        nrm = max(abs(x) for x in v2)
        if nrm == 0:
            return mp.mpf(0)
        r = nrm / max(abs(x) for x in v)
        v = v2 / nrm
    return r


def context(spec, dps):
    """The fixed point of one generation (regime, solve) as a :class:`Context` in mpmath:
    plain weights, or the weighted fixed point when ``spec.strategy`` is ``"weighted"``
    (a1 = α, a2 = 1 − α, γ_j = a_jφ/p_j)."""
    weighted = spec.strategy == "weighted"
    plain = spec.replace(generations=None) if weighted else spec.replace(strategy="plain", generations=None)
    regime = select(plain)
    if regime.system is None or regime.delegate is not None or regime.null_atoms or regime.exact_zero:
        raise UnsupportedError(f"iterative mixing: regime {regime.name!r} is not derived; use lam > 0")
    c = compile_system(regime.system)
    sol = solve_point(c, parameter_values(plain), regime.atoms, dps=dps)
    x = dict(zip(map(str, c.unknowns), sol.x))
    (n1, scaled1), (n2, scaled2) = group_unknowns(regime.system)
    scaled = scaled1 or scaled2
    e1, e2 = x.get(n1, mp.mpf(0)), x.get(n2, mp.mpf(0))
    if spec.p2 == 0:
        e2 = e1 if spec.atoms else e2
    if spec.p2 == 1:
        e1 = e2
    arr = lambda key: np.array([to_mpf(getattr(a, key)) for a in regime.atoms], dtype=object)  # noqa: E731
    ctx = Context(w=arr("weight"), s1=arr("s1"), s2=arr("s2"), theta=arr("theta"), delta=arr("delta"),
               e1=e1, e2=e2, lam=mp.mpf(1) if scaled else to_mpf(spec.lam), phi=to_mpf(spec.phi),
               p2=to_mpf(spec.p2), sigma1=to_mpf(spec.sigma1), sigma2=to_mpf(spec.sigma2))
    if weighted:  # a_j, γ_j of the weighted strategy, exact at the config's values
        w = eq.mixture_weights("weighted")
        at = {eq.alpha: sp.Rational(spec.alpha), eq.p2: sp.Rational(spec.p2),
              eq.phi: sp.Rational(spec.phi)}
        values = [sp.sympify(w[k]).xreplace(at) for k in (eq.a1, eq.a2, eq.gamma1, eq.gamma2)]
        if not all(v.is_Rational for v in values):
            raise ZeroDivisionError(f"weighted generation at p2 = {spec.p2}: a group without rows")
        ctx.weights = tuple(to_mpf(Fraction(v.p, v.q)) for v in values)
        ctx.alpha = to_mpf(spec.alpha)
    return ctx, regime, sol


def schedule_specs(spec, schedule, T=None) -> list:
    r"""The per-generation specs of a schedule ``{"p2": [...]}`` and/or ``{"alpha": [...]}``
    (lists over t = 1..T): generation t draws n2 = p2(t)·n synthetic rows and, with
    ``alpha``, weights the real rows by α(t) (weighted loss of docs/setting.md; needs
    0 < p2(t) < 1).  Values missing from the schedule are the config's.  Raises
    :class:`~symcollapse.core.errors.ConfigError` naming the key and the allowed range."""
    if not isinstance(schedule, dict) or not schedule or set(schedule) - {"p2", "alpha"}:
        raise ConfigError('schedule: allowed a dict with keys "p2" and/or "alpha" (lists over '
                          'generations 1..T)')
    lengths = set()
    vals = {}
    for key, seq in schedule.items():
        if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__") or len(seq) < 1:
            raise ConfigError(f"schedule {key}: allowed a non-empty list of numbers in [0, 1]")
        out = []
        for v in seq:
            num = _schedule_number(key, v)
            if not 0 <= num <= 1:
                raise ConfigError(f"schedule {key} = {v!r} is out of range: allowed 0 <= {key} <= 1")
            out.append(num)
        vals[key] = out
        lengths.add(len(out))
    if len(lengths) != 1:
        raise ConfigError("schedule: the p2 and alpha lists must have the same length (T)")
    n_gen = lengths.pop()
    if T is not None and T != n_gen:
        raise ConfigError(f"schedule: {n_gen} values but generations = {T}: allowed equal lengths")
    specs = []
    for t in range(n_gen):
        p2t = vals["p2"][t] if "p2" in vals else spec.p2
        if "alpha" in vals:
            if not 0 < p2t < 1:
                raise ConfigError(f"schedule p2 = {p2t} at generation {t + 1} is out of range: "
                                  "allowed 0 < p2 < 1 with an alpha schedule (both groups present)")
            specs.append(spec.replace(p2=p2t, strategy="weighted", alpha=vals["alpha"][t],
                                      generations=None))
        else:
            specs.append(spec.replace(p2=p2t, strategy="plain", alpha=None, generations=None))
    return specs


def _schedule_number(key, v):
    try:
        return to_number(key, v)
    except ConfigError:
        raise ConfigError(f"schedule {key} = {v!r}: allowed numbers in [0, 1]") from None


def run_generations(contexts) -> dict:
    """Step the per-part moment states through generation t's map (``contexts[t]``),
    from m0 = 0 (bias, variance) and m0 = δ (ζ); lists of each part and their sum."""
    c0 = contexts[0]
    zero = c0.theta * 0
    states = {"bias": (zero, zero, True, False), "variance": (zero, zero, False, True),
              "zeta": (c0.delta, zero, False, False)}
    out = {k: [] for k in PARTS}
    for c in contexts:
        total = 0
        for part, (m, nu, sig, noi) in list(states.items()):
            m, nu = step(c, m, nu, signal=sig, noise=noi)
            states[part] = (m, nu, sig, noi)
            val = c.tr(c.s1 * m)
            out[part].append(val)
            total += val
        out["test_error"].append(total)
    return out


def limit_of(c):
    """(spectral radius, the parts of E_test(∞)) of repeating the map of ``c``: ζ's
    initial shift is forgotten; ∞ everywhere when the recursion diverges."""
    rho = spectral_radius(c)
    if rho < 1 - mp.mpf(10) ** -20:
        lim = {}
        for part, (sig, noi) in (("bias", (True, False)), ("variance", (False, True))):
            m, _nu = affine_limit(c, signal=sig, noise=noi)
            lim[part] = c.tr(c.s1 * m)
        lim["zeta"] = mp.mpf(0)
        lim["test_error"] = lim["bias"] + lim["variance"]
    else:
        lim = {k: mp.inf for k in PARTS}
    return rho, lim


def iterate(config, dps: int = 30, generations: int | None = None, schedule=None) -> dict:
    r"""The deterministic equivalent of iterative mixing (linear model), to ``dps`` digits.

    Returns lists over generations 1..T of ``test_error``, ``bias`` (driven by w1),
    ``variance`` (by the noise) and ``zeta`` (by the initial shift δ), and ``limit``
    (E_test(∞), ``mp.inf`` when the recursion diverges) with its split ``limit_parts``,
    ``spectral_radius`` of the map's linear part, ``regime`` and ``residual`` (of the
    plain fixed point).

    ``schedule`` (optional): ``{"p2": [p2(1), …, p2(T)]}`` and/or ``{"alpha": [α(1), …]}``
    — generation t uses its own share and/or weight (:func:`schedule_specs`), i.e. its own
    fixed point (e, K) in the same map (:func:`step`).  ``limit`` is then the limit of
    continuing with the last generation's values.  A constant schedule equal to the
    config gives the unscheduled result.
    """
    spec = parse(config)
    models.get(spec.model).require("iterative")
    if schedule is not None:
        return _iterate_schedule(spec, dps, generations, schedule)
    T = generations if generations is not None else spec.generations
    if T is None or isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ConfigError("generations is missing: it is required (an integer >= 1)")
    with mp.workdps(dps + 15):
        c, regime, sol = context(spec, dps)
        out = run_generations([c] * T)
        rho, lim = limit_of(c)
    with mp.workdps(dps):
        res = {k: [+v for v in out[k]] for k in PARTS}
        res["limit"] = +lim["test_error"]
        res["limit_parts"] = {k: +v for k, v in lim.items()}
        res["spectral_radius"] = +rho
        res["residual"] = +sol.residual
        res["newton_step"] = +sol.step
    res["dps"] = dps
    res["regime"] = regime.name + " (iterative)"
    return res


def _iterate_schedule(spec, dps, generations, schedule):
    """:func:`iterate` with a per-generation schedule: one context per distinct
    (p2, α), the states stepped through generation t's map."""
    T = generations if generations is not None else spec.generations
    specs = schedule_specs(spec, schedule, T)
    with mp.workdps(dps + 15):
        cache = {}
        ctxs = []
        for s_t in specs:
            key = (s_t.p2, s_t.alpha)
            if key not in cache:
                cache[key] = context(s_t, dps)
            ctxs.append(cache[key])
        out = run_generations([c for c, _regime, _sol in ctxs])
        c, regime, _sol = ctxs[-1]
        rho, lim = limit_of(c)
        residual = max(abs(s.residual) for _c, _r, s in cache.values())
    with mp.workdps(dps):
        res = {k: [+v for v in out[k]] for k in PARTS}
        res["limit"] = +lim["test_error"]
        res["limit_parts"] = {k: +v for k, v in lim.items()}
        res["spectral_radius"] = +rho
        res["residual"] = +residual
    res["dps"] = dps
    res["regime"] = regime.name + " (iterative, scheduled)"
    res["schedule"] = {"p2": [s.p2 for s in specs], "alpha": [s.alpha for s in specs]}
    return res
