r"""Mixing strategies: weighted mixing (the weight α of the real data) and iterative mixing
(each generation re-labels fresh synthetic inputs with the previous model).

**Weighted** (MODEL.md; THEORY-linear.md §4): the same fixed point with group weights
a1 = α, a2 = 1 − α and ratios γ_j = a_jφ/p_j (:func:`symcollapse.core.equations.mixture_weights`),
for both models, through :func:`~symcollapse.predict`.  On top: :func:`optimal_alpha`
(α* by high-precision root finding of ∂E/∂α, the implicit-function-theorem derivative of
the SymPy system), :func:`compare` (weighted at α*, plain α = p1, real data only α = 1) and
:func:`weighted_floor_isotropic` (the n → ∞ floor as a function of α, derived by SymPy from
the n → ∞ expansion system).

**Iterative** (THEORY-linear.md §5), linear model: with D_t = ŵ_t − w1 (D_0 = δ) and fresh
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

with e, K of the plain fixed point and :math:`\mathcal L[B] = K^{-1}(B + \sum_la_l\dot e_l
(B)\Sigma_l)K^{-1}`, :math:`(I - M)\dot e = b(B)`, :math:`M_{jl} = \varphi e_j^2a_l
\operatorname{tr}(\Sigma_j\Sigma_lK^{-2})`, :math:`b_j = \varphi e_j^2\operatorname{tr}
(\Sigma_jBK^{-2})`; E_test(t) = tr(Σ1 m_t).  The map is homogeneous of degree 0 in (e, λ),
so the ridgeless interpolating side (e = λε) is the same map at (ε, λ = 1).  Written once
with plain arithmetic on per-atom arrays, it runs on mpmath numbers (any precision) and on
SymPy symbols (one isotropic atom: the closed form of :func:`iterative_isotropic`).
By linearity in the sources the error splits per generation into the part driven by w1
(``bias``), by the noise (``variance``) and by the initial shift δ (``zeta``).  As t → ∞,
ν∞ = −λθ/(p1e1Σ1 + λ) and m∞ solves (I − A)m = r with A = diagonal + rank 2
(:func:`_limit`); it exists iff the spectral radius of A is < 1.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

import mpmath as mp
import numpy as np
import sympy as sp

from symcollapse.core import determinism as sym
from symcollapse.core import equations as eq
from symcollapse.core.errors import ConfigError, ConvergenceError, UnsupportedError
from symcollapse.core.spec import parse

PARTS = ("test_error", "bias", "variance", "zeta")


# ----------------------------------------------------------------------------- weighted

def _weighted(config, alpha):
    spec = parse(config)
    if spec.strategy != "weighted":
        raise ConfigError('strategy must be "weighted" (with alpha) for the weighted tools')
    return spec.replace(alpha=alpha)


def real_only(config):
    """The config of training on the n1 = p1·n real samples alone (no synthetic rows):
    φ' = φ/p1 (and ψ' = ψ/p1), p2 = 0.  Weighted mixing at α = 1 equals it."""
    spec = parse(config)
    if not 0 < spec.p1:
        raise ConfigError("real_only: p2 = 1 leaves no real samples")
    changes = {"phi": spec.phi / spec.p1, "p2": Fraction(0), "strategy": "plain", "alpha": None}
    if spec.psi is not None:
        changes["psi"] = spec.psi / spec.p1
    return spec.replace(**changes)


def optimal_alpha(config, dps: int = 30, grid: int = 201) -> dict:
    r"""The weight α* ∈ [0, 1] of the real data that minimizes the derived test error.

    A float64 scan of E(α) (:func:`~symcollapse.curve`) brackets the minimum; α* is then the
    root of ∂E/∂α (implicit function theorem on the SymPy system,
    :func:`~symcollapse.core.decomposition.derivative`) by the Illinois method at ``dps`` digits,
    or an endpoint when E is monotone there.  Returns ``alpha_star``, ``error`` (E at α*),
    ``plain`` (α = p1), ``real_only`` (α = 1) and ``derivative`` (∂E/∂α at α*).
    """
    from symcollapse.core.decomposition import curve, derivative, predict
    spec = _weighted(config, Fraction(1, 2))
    cfg = spec.to_config()
    edge = 1e-12  # α = 0 or 1 removes a group (another regime): brackets stay inside
    alphas = np.unique(np.concatenate([np.linspace(edge, 1 - edge, grid),
                                       1 - np.geomspace(edge, 0.5, grid)]))
    E = curve(cfg, alpha=list(alphas))["test_error"]
    k = int(np.nanargmin(np.where(np.isfinite(E), E, np.inf)))
    f = lambda a: derivative(dict(cfg, alpha=a), "alpha", dps=dps + 5)["test_error"]  # noqa: E731
    with mp.workdps(dps + 10):
        if k in (0, len(alphas) - 1):  # monotone: the optimum is the end point
            a_star = mp.mpf(0) if k == 0 else mp.mpf(1)
            d = f(mp.mpf(float(alphas[k])))
        else:
            lo, hi = mp.mpf(float(alphas[k - 1])), mp.mpf(float(alphas[k + 1]))
            a_star = mp.findroot(f, (lo, hi), solver="illinois", tol=mp.mpf(10) ** (-dps - 2))
            d = f(a_star)
        err = predict(dict(cfg, alpha=a_star), dps=dps)["test_error"]
        plain = predict(dict(cfg, alpha=spec.p1), dps=dps)["test_error"]
        alone = predict(real_only(cfg), dps=dps)["test_error"] if spec.p1 > 0 else mp.inf
    with mp.workdps(dps):
        return {"alpha_star": +a_star, "error": +err, "plain": +plain, "real_only": +alone,
                "derivative": d}


def compare(config, dps: int = 30) -> dict:
    """Weighted at α*, plain mixing (α = p1) and real data only (α = 1), side by side."""
    return optimal_alpha(config, dps=dps)


@functools.lru_cache(maxsize=None)
def weighted_floor_isotropic():
    r"""The n → ∞ floor of weighted mixing on isotropic data, derived by SymPy.

    The n → ∞ expansion system (:func:`symcollapse.analysis.limits.expansion_system`, φ = τ → 0) of
    the weighted linear family, on one symbolic atom: its limit system has e_j = 1, u_j = 0,
    and the floor is :math:`s\,(\lambda^2r^2 + (1-\alpha)^2c^2s^2)/(s+\lambda)^2`, so
    (1 − α)²c²s ridgeless.  Returns ``(floor, ridgeless_floor, alpha_roots)`` where
    ``alpha_roots`` solves ridgeless floor = 0 for c² > 0: only α = 1 escapes it.
    """
    from symcollapse.analysis.limits import c2, expansion_system, r2, s_iso, tau, _IsoAtom
    from symcollapse.core.regimes import model_family
    family = model_family("linear", "weighted", (), ())
    system = expansion_system(family, ((eq.phi, tau),), (), family.name + "/n->oo")
    iso = system.expand_traces([_IsoAtom()])
    eqs = dict(zip(iso.unknowns, iso.equations))
    sol = {}
    for x in (eq.e1, eq.e2, eq.u1, eq.u2):
        if x in eqs:
            roots = sym.solve(eqs[x].xreplace(sol), x)
            if len(roots) != 1:
                raise AssertionError(f"weighted floor: {x} is not determined")
            sol[x] = roots[0]
    if sol.get(eq.e1) != 1 or sol.get(eq.u1, 0) != 0:
        raise AssertionError(f"weighted floor: unexpected limit {sol}")
    floor = sym.factor(sym.simplify(sp.sympify(iso.densities["test_error"]).xreplace(sol)))
    ridgeless = sym.factor(floor.subs(eq.lam, 0))
    roots = sym.solve(sp.Eq(ridgeless.subs({c2: sp.Symbol("c2", positive=True)}), 0), eq.alpha)
    return floor, ridgeless, roots


def weighted_floor(config, dps: int = 30) -> dict:
    """The n → ∞ floor of a weighted config, any spectrum (the n → ∞ expansion)."""
    from symcollapse.analysis.limits import expand
    return expand("n->oo", config, dps=dps)["value"]


# ----------------------------------------------------------------------------- iterative

@dataclass
class _Ctx:
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
    def M(self):
        """M_jl = γ_j e_j² a_l tr(Σ_jΣ_l K⁻²) (a = p, γ = φ for plain weights)."""
        S = (self.s1, self.s2)
        e = (self.e1, self.e2)
        a = (self.a1, self.a2)
        g = (self.g1, self.g2)
        K2 = self.K * self.K
        return [[g[j] * e[j] ** 2 * a[l] * self.tr(S[j] * S[l] / K2) for l in (0, 1)]
                for j in (0, 1)]

    def L(self, B):
        r"""𝓛[B] = K⁻¹(B + a1ė1Σ1 + a2ė2Σ2)K⁻¹ with (I − M)ė = b(B)."""
        K2 = self.K * self.K
        b1 = self.g1 * self.e1 ** 2 * self.tr(self.s1 * B / K2)
        b2 = self.g2 * self.e2 ** 2 * self.tr(self.s2 * B / K2)
        (m11, m12), (m21, m22) = self.M
        det = (1 - m11) * (1 - m22) - m12 * m21
        d1 = ((1 - m22) * b1 + m12 * b2) / det
        d2 = ((1 - m11) * b2 + m21 * b1) / det
        return (B + self.a1 * d1 * self.s1 + self.a2 * d2 * self.s2) / K2


def _step(c: _Ctx, m, nu, *, signal=True, noise=True):
    """One generation: (m_{t−1}, ν_{t−1}) → (m_t, ν_t).  ``signal``/``noise`` switch the
    sources λ²θ, −λθ/K (w1) and the label noise on or off (for the split by source).

    A weighted generation (a_j, γ_j of :func:`~symcollapse.core.equations.mixture_weights`) is
    the same map with p_j → a_j in the loss weights and φ → γ_j in the 1/n_j-type terms
    (THEORY-linear.md §2, step 5): (a2²/n2)Tr = a2γ2 tr, (a_j²/n_j)σ_j² → a_jγ_jσ_j²."""
    a1, a2, g1, g2, e1, e2, lam, K = c.a1, c.a2, c.g1, c.g2, c.e1, c.e2, c.lam, c.K
    coef = a2 * e2 ** 2 * g2 * (c.tr(m * c.s2) - 2 * a2 * e2 * c.tr(m * c.s2 ** 2 / K)) \
        + 2 * lam * a2 * e2 ** 2 * g2 * c.tr(c.s2 * nu / K)
    B = a2 ** 2 * e2 ** 2 * c.s2 ** 2 * m + coef * c.s2 - 2 * lam * a2 * e2 * c.s2 * nu
    nu_new = a2 * e2 * c.s2 * nu / K
    if signal:
        B = B + lam ** 2 * c.theta
        nu_new = nu_new - lam * c.theta / K
    if noise:
        B = B + (a1 * g1 * c.sigma1 ** 2 * e1 ** 2 * c.s1 + a2 * g2 * c.sigma2 ** 2 * e2 ** 2 * c.s2)
    return c.L(B), nu_new


def _limit(c: _Ctx, *, signal=True, noise=True):
    r"""The fixed point (m∞, ν∞) of the affine map, or None when the map's linear part A
    has spectral radius ≥ 1.

    ν∞ = −λθ/(K − p2e2Σ2) per atom.  A m = Dm + (Σ1/K²)z1 + (Σ2/K²)z2 with
    D = p2²e2²Σ2²/K² and z linear in the four functionals τ(m) = (tr(Σ2m), tr(Σ2²m/K),
    tr(Σ1Σ2²m/K²), tr(Σ2³m/K²)); with r the affine part, m = (r + Uz)/(1 − D) and applying τ
    to both sides leaves a 4 × 4 linear system.
    """
    zero = c.theta * 0
    nu = (-c.lam * c.theta / (c.K - c.a2 * c.e2 * c.s2)) if signal else zero
    # r = the affine part at ν∞: one step from m = 0 with ν = ν∞, minus ν's own update
    r, _ = _step(c, zero, nu, signal=signal, noise=noise)
    K2 = c.K * c.K
    D = (c.a2 * c.e2 * c.s2 / c.K) ** 2
    funcs = [c.s2, c.s2 ** 2 / c.K, c.s1 * c.s2 ** 2 / K2, c.s2 ** 3 / K2]

    def tau(v):
        return [c.tr(f * v) for f in funcs]

    def z_of(t):
        """(z1, z2) of the low-rank part, from τ(m) (A's definition through _step)."""
        a1, a2, e1, e2, g1, g2 = c.a1, c.a2, c.e1, c.e2, c.g1, c.g2
        coef = a2 * e2 ** 2 * g2 * (t[0] - 2 * a2 * e2 * t[1])
        b1 = g1 * e1 ** 2 * (a2 ** 2 * e2 ** 2 * t[2] + coef * c.tr(c.s1 * c.s2 / K2))
        b2 = g2 * e2 ** 2 * (a2 ** 2 * e2 ** 2 * t[3] + coef * c.tr(c.s2 * c.s2 / K2))
        (m11, m12), (m21, m22) = c.M
        det = (1 - m11) * (1 - m22) - m12 * m21
        d1 = ((1 - m22) * b1 + m12 * b2) / det
        d2 = ((1 - m11) * b2 + m21 * b1) / det
        return a1 * d1, coef + a2 * d2

    base = tau(r / (1 - D))
    u1, u2 = tau(c.s1 / K2 / (1 - D)), tau(c.s2 / K2 / (1 - D))
    # τ = base + u1 z1(τ) + u2 z2(τ); z is linear in τ: build its 2 × 4 matrix column by column
    cols = [z_of([1 if i == k else 0 for i in range(4)]) for k in range(4)]
    A = [[(1 if i == k else 0) - u1[i] * cols[k][0] - u2[i] * cols[k][1] for k in range(4)]
         for i in range(4)]
    t = _solve4(A, base)
    z1, z2 = z_of(t)
    m = (r + c.s1 / K2 * z1 + c.s2 / K2 * z2) / (1 - D)
    return m, nu


def _solve4(A, b):
    if isinstance(b[0], sp.Basic):
        sol = sp.Matrix(A).LUsolve(sp.Matrix(b))
        return [sym.factor(sp.cancel(v)) for v in sol]
    M = mp.matrix(A)
    return list(mp.lu_solve(M, mp.matrix(b)))


def _spectral_radius(c: _Ctx, iterations: int = 400):
    """Power iteration on the linear part of the map (sources off, ν = 0)."""
    v = c.s1 * 0 + 1
    zero = c.theta * 0
    r = mp.mpf(0)
    for _ in range(iterations):
        v2, _ = _step(c, v, zero, signal=False, noise=False)
        nrm = max(abs(x) for x in v2)
        if nrm == 0:
            return mp.mpf(0)
        r = nrm / max(abs(x) for x in v)
        v = v2 / nrm
    return r


def _context(spec, dps):
    """The fixed point of one generation (regime, solve) as a :class:`_Ctx` in mpmath:
    plain weights, or the weighted fixed point when ``spec.strategy`` is ``"weighted"``
    (a1 = α, a2 = 1 − α, γ_j = a_jφ/p_j)."""
    from symcollapse.core.compiled import to_mpf
    from symcollapse.core.regimes import parameter_values, select
    from symcollapse.core.compiled import compile_system
    from symcollapse.core.solve import solve_point
    weighted = spec.strategy == "weighted"
    plain = spec.replace(generations=None) if weighted else spec.replace(strategy="plain", generations=None)
    regime = select(plain)
    if regime.system is None or regime.delegate is not None or regime.null_atoms or regime.exact_zero:
        raise UnsupportedError(f"iterative mixing: regime {regime.name!r} is not derived; use lam > 0")
    c = compile_system(regime.system)
    sol = solve_point(c, parameter_values(plain), regime.atoms, dps=dps)
    x = dict(zip(map(str, c.unknowns), sol.x))
    scaled = eq.e1 in regime.system.scale or eq.e2 in regime.system.scale
    get = (lambda k: x.get(k, mp.mpf(0)))
    e1 = get("epsilon1") if scaled else get("e1")
    e2 = get("epsilon2") if scaled else get("e2")
    if spec.p2 == 0:
        e2 = e1 if spec.atoms else e2
    if spec.p2 == 1:
        e1 = e2
    arr = lambda key: np.array([to_mpf(getattr(a, key)) for a in regime.atoms], dtype=object)  # noqa: E731
    ctx = _Ctx(w=arr("weight"), s1=arr("s1"), s2=arr("s2"), theta=arr("theta"), delta=arr("delta"),
               e1=e1, e2=e2, lam=mp.mpf(1) if scaled else to_mpf(spec.lam), phi=to_mpf(spec.phi),
               p2=to_mpf(spec.p2), sigma1=to_mpf(spec.sigma1), sigma2=to_mpf(spec.sigma2))
    if weighted:
        al, p2m = to_mpf(spec.alpha), to_mpf(spec.p2)
        ctx.weights = (al, 1 - al, al * ctx.phi / (1 - p2m), (1 - al) * ctx.phi / p2m)
    return ctx, regime, sol


def schedule_specs(spec, schedule, T=None) -> list:
    r"""The per-generation specs of a schedule ``{"p2": [...]}`` and/or ``{"alpha": [...]}``
    (lists over t = 1..T): generation t draws n2 = p2(t)·n synthetic rows and, with
    ``alpha``, weights the real rows by α(t) (weighted loss of MODEL.md; needs
    0 < p2(t) < 1).  Values missing from the schedule are the config's.  Raises
    :class:`ConfigError` naming the key and the allowed range."""
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
    from symcollapse.core.spec import to_number
    try:
        return to_number(key, v)
    except ConfigError:
        raise ConfigError(f"schedule {key} = {v!r}: allowed numbers in [0, 1]") from None


def _run_generations(contexts) -> dict:
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
            m, nu = _step(c, m, nu, signal=sig, noise=noi)
            states[part] = (m, nu, sig, noi)
            val = c.tr(c.s1 * m)
            out[part].append(val)
            total += val
        out["test_error"].append(total)
    return out


def _limit_of(c):
    """(spectral radius, the parts of E_test(∞)) of repeating the map of ``c``: ζ's
    initial shift is forgotten; ∞ everywhere when the recursion diverges."""
    rho = _spectral_radius(c)
    if rho < 1 - mp.mpf(10) ** -20:
        lim = {}
        for part, (sig, noi) in (("bias", (True, False)), ("variance", (False, True))):
            m, _nu = _limit(c, signal=sig, noise=noi)
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
    fixed point (e, K) in the same map (:func:`_step`).  ``limit`` is then the limit of
    continuing with the last generation's values.  A constant schedule equal to the
    config gives the unscheduled result.
    """
    spec = parse(config)
    if spec.model != "linear":
        raise UnsupportedError('strategy "iterative": derived for model "linear" only in this '
                               'version (the random projections recursion is not derived)')
    if schedule is not None:
        return _iterate_schedule(spec, dps, generations, schedule)
    T = generations if generations is not None else spec.generations
    if T is None or isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ConfigError("generations is missing: it is required (an integer >= 1)")
    with mp.workdps(dps + 15):
        c, regime, sol = _context(spec, dps)
        out = _run_generations([c] * T)
        rho, lim = _limit_of(c)
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
                cache[key] = _context(s_t, dps)
            ctxs.append(cache[key])
        out = _run_generations([c for c, _regime, _sol in ctxs])
        c, regime, _sol = ctxs[-1]
        rho, lim = _limit_of(c)
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


@functools.lru_cache(maxsize=None)
def iterative_isotropic():
    r"""Iterative mixing on isotropic data, in closed form (SymPy), from the same map.

    On one symbolic atom the map is scalar: ν_t = −λθ/K + βν_{t−1}, β = p2e/s_MP-type,
    and E(t) = C0 + aE(t−1) + (cross term).  Returns ``a`` (the ζ-propagation factor, the
    map's spectral radius), ``beta``, the limit ``E_inf`` (the fixed point, a rational
    function of e), and ``E_1`` (one step from m0 = δ: the plain theorem), each in the
    symbols of :mod:`symcollapse.analysis.limits` (e the first-order unknown, s, r2, c2, φ, p2, λ,
    σ1, σ2).
    """
    from symcollapse.analysis.limits import c2, r2, s_iso
    e = sp.Symbol("e", positive=True)
    k = sp.Symbol("k", positive=True)     # K = e s + λ, kept as a symbol until the end
    one = lambda v: np.array([v], dtype=object)  # noqa: E731
    c = _Ctx(w=one(sp.Integer(1)), s1=one(s_iso), s2=one(s_iso), theta=one(r2), delta=one(c2),
             e1=e, e2=e, lam=k - e * s_iso, phi=eq.phi, p2=eq.p2, sigma1=eq.sigma1,
             sigma2=eq.sigma2, K_given=one(k))
    back = {k: e * s_iso + eq.lam}
    zero = one(sp.Integer(0))
    def done(expr):
        return sym.factor(sp.cancel(sym.factor(sp.cancel(expr)).xreplace(back)))

    m1, _ = _step(c, c.delta, zero)
    E1 = done(c.tr(c.s1 * m1))
    mz, _ = _step(c, one(sp.Integer(1)), zero, signal=False, noise=False)
    a_k = sym.factor(sp.cancel(c.tr(c.s1 * mz) / s_iso))
    beta_k = sym.factor(sp.cancel(c.p2 * c.e2 * s_iso / c.K[0]))
    # one atom: the linear part is m ↦ a·m, so m∞ = r/(1 − a) with r one step from m = 0 at ν∞
    nu_inf = -c.lam * c.theta / (c.K - c.p2 * c.e2 * c.s2)
    step_m, step_nu = _step(c, zero, nu_inf)
    if sp.cancel(step_nu[0] - nu_inf[0]) != 0:
        raise AssertionError("iterative: ν∞ is not the fixed point of the ν recursion")
    r_k = sym.factor(sp.cancel(c.tr(c.s1 * step_m)))
    E_inf = done(r_k / (1 - a_k))
    return {"a": done(a_k), "beta": done(beta_k), "E_inf": E_inf, "E_1": E1, "unknown": e}
