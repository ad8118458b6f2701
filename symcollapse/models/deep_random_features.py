r"""Deep random features: h1 = σ(S1x), h2 = σ(S2h1), f(x) = v̂ᵀh2(x) with S1 ∈ R^{m1×d} iid
N(0, 1/d), S2 ∈ R^{m2×m1} iid N(0, 1/m1), only v̂ trained (ridge, λ > 0), m_l = ψ_l n.

**Theory** (docs/theory/deep-random-features.md): Gaussian equivalence layer by layer, per
group; neuron i of layer 2 sees layer 1's mean as an offset μ0_j(S2 1)_i, so its slope β_j and
noise power ℓ_j are diagonals B_j, Λ_j on m2 (Fields, over the Gauss–Hermite law of
(S2 1)_i ~ N(0, 1)); F_j = (a_jX_jS1ᵀ + √k_j Z1_j)S2ᵀB_j + Z2_jΛ_j^{1/2}, and the pencil of
R_t = (Σ_j c_jF_jᵀF_j + λ + tQ)⁻¹ (Q: the test covariance of h2) carries Bias, Var and ζ."""
import functools
import types
from fractions import Fraction as F

from symcollapse.models.base import Model, register

_HERE = "symcollapse.models.deep_random_features"
_ATOMS = [{"weight": F(1, 2), "s1": F(3, 2), "s2": F(1, 2), "theta": 1, "delta": F(1, 2)},
          {"weight": F(1, 2), "s1": F(1, 2), "s2": F(3, 2), "theta": F(1, 2), "delta": 1}]
_ONLY_LINEAR = ' the {} is derived for model "linear" only (not for deep random features)'

MODEL = register(Model(
    name="deep_random_features",
    position=3,
    summary="ridge regression on m2 = psi2*n features of two random layers",
    keys={"psi1": "the width m1/n of layer 1", "psi2": "the width m2/n of layer 2 (trained)",
          "activation": "the activation of both layers"},
    choices={"activation": ("relu", "tanh")},
    example={"model": "deep_random_features", "activation": "tanh", "psi1": F(7, 10), "psi2": F(3, 5),
             "phi": F(1, 2), "p2": F(1, 5), "lam": F(1, 10), "sigma1": F(1, 2), "sigma2": F(1, 2),
             "atoms": _ATOMS},
    ridgeless_example={"lam": 0},
    cache_system=True,
    refusals={
        "ridgeless": "ridgeless: deep random features need lam > 0",
        "floor_closed_form": 'the n -> oo floor weights are in closed form for model "linear" only',
        "iterative": 'strategy "iterative":' + _ONLY_LINEAR.format("recursion"),
        **{k: f'strategy "{k}": the self-consuming loop is derived for the one-layer models '
              "(not for deep random features)" for k in ("replace", "accumulate")},
        "simulate:iterative": 'simulate: strategy "iterative" is available for model "linear"',
        **dict.fromkeys(("simulate:replace", "simulate:accumulate"), 'simulate: the '
                        "self-consuming loops are simulated for the one-layer models"),
        "training": "training error: the training-error probe is not posed for deep random features",
        "certify": "certify: the layer-2 constants of deep random features have no proven balls",
    },
    hooks={k: f"{_HERE}:{f}" for k, f in (("system", "system"), ("regime", "regime"), ("simulate", "simulate"),
                                           ("parameters", "parameters"), ("pair_sources", "sources"))},
))


@functools.lru_cache(maxsize=1)
def _lib():
    """The theory's modules, imported on first use of a hook (the declaration stays light)."""
    import mpmath as mp
    import numpy as np
    import sympy as sp

    from symcollapse.core import equations as eq, errors, regimes, spectra, system_cache
    from symcollapse.pencil import (expr, gaussian_equivalence as ge, linearization, operator_valued,
                                    rf_support)
    from symcollapse.simulation import design as ds, random_features as rf
    return types.SimpleNamespace(mp=mp, np=np, sp=sp, eq=eq, errors=errors, regimes=regimes, spectra=spectra,
                                 system_cache=system_cache, expr=expr, ge=ge, linearization=linearization,
                                 rf_support=rf_support, operator_valued=operator_valued, ds=ds, rf=rf)


def _symbols():
    sp, Field = _lib().sp, _lib().eq.Field
    pos, nonneg = dict(positive=True), dict(nonnegative=True)
    return {"psi1": sp.Symbol("psi1", **pos), "psi2": sp.Symbol("psi2", **pos),
            "a": sp.symbols("mu_a1 mu_a2", **pos), "k": sp.symbols("kappa_a1 kappa_a2", **nonneg),
            "beta": (Field("beta_1", **pos), Field("beta_2", **pos)),
            "ell": (Field("ell_1", **nonneg), Field("ell_2", **nonneg))}


def sources():
    r"""The probed pencil of R_t and its outputs: Bias = −∂_t Σ_jk c_jc_k/(a_ja_k)
    tr Θ(L⁻¹)_{s_js_k}, Var = −Σ_j σ_j²c_j²n_j ∂_t tr(L⁻¹)_{r_jr_j},
    ζ = −c_2²/a_2² ∂_t tr Δ(L⁻¹)_{s_2s_2} (s_j: the d-block of S1ᵀ next to X_jᵀ)."""
    L = _lib()
    sp, eq, t, PairOutput = L.sp, L.eq, L.operator_valued.t_probe, L.rf_support.PairOutput
    Diag, Gaussian, Identity, dim_symbol = L.expr.Diag, L.expr.Gaussian, L.expr.Identity, L.expr.dim_symbol
    y = _symbols()
    a, k = y["a"], y["k"]
    n = (dim_symbol("n1"), dim_symbol("n2"))
    Sig = (Diag("Sigma1", "d"), Diag("Sigma2", "d"))
    B, Lam = (Diag("B1", "m2"), Diag("B2", "m2")), (Diag("Lambda1", "m2"), Diag("Lambda2", "m2"))
    X = [Gaussian(f"X{j}", f"n{j}", "d", covariance=Sig[j - 1]) for j in (1, 2)]
    S1 = Gaussian("S1", "m1", "d", variance=1 / dim_symbol("d"))
    S2 = Gaussian("S2", "m2", "m1", variance=1 / dim_symbol("m1"))
    Fj = [(a[j] * X[j] @ S1.T + sp.sqrt(k[j]) * Gaussian(f"Z1_{j + 1}", f"n{j + 1}", "m1")) @ S2.T @ B[j]
          + Gaussian(f"Z2_{j + 1}", f"n{j + 1}", "m2", covariance=Lam[j]) for j in (0, 1)]
    c = (eq.a1 / n[0], eq.a2 / n[1])
    gram = Fj[0].T @ Fj[0] * c[0] + Fj[1].T @ Fj[1] * c[1] + eq.lam * Identity("m2")
    Q = B[0] @ S2 @ (a[0] ** 2 * S1 @ Sig[0] @ S1.T + k[0] * Identity("m1")) @ S2.T @ B[0] + Lam[0]
    P0 = L.linearization.linearize(L.expr.inverse(gram))
    pos, linked = P0.positions, dict(P0.entries)
    u = [next(i for i, _, _, tp in pos[f"X{j}"] if tp) for j in (1, 2)]     # X_jᵀ in row u_j
    s = [next(i for i, _, _, tp in pos["S1"] if tp and (u[j], i) in linked) for j in (0, 1)]
    m1 = [next(kk for i, kk, _, tp in pos["S1"] if tp and i == s[j]) for j in (0, 1)]
    r = [P0.blocks.index(f"n{j}") for j in (1, 2)]
    P = L.rf_support.with_probe(P0, {P0.row: t * Lam[0], m1[0]: t * k[0] * Identity("m1"),
                                     u[0]: t * a[0] ** 2 * Sig[0]}, expr=L.expr.inverse(gram + t * Q))
    bias = [PairOutput((s[i], s[j]), eq.THETA, -c[i] * c[j] / (a[i] * a[j]), True)
            for i in (0, 1) for j in (0, 1)]
    var = [PairOutput((r[j], r[j]), 1, -sig ** 2 * c[j] ** 2 * n[j], True)
           for j, sig in ((0, eq.sigma1), (1, eq.sigma2))]
    zeta = PairOutput((s[1], s[1]), eq.DELTA, -c[1] ** 2 / a[1] ** 2, True)
    return P, {"bias": bias, "variance": var, "zeta": zeta, "test_error": bias + var + [zeta]}


@functools.lru_cache(maxsize=None)
def system(strategy: str = "plain"):
    """The System the pencil engine derives, at a mixing strategy's per-sample weights."""
    return _lib().rf_support.at_sample_weights(_per_sample(), strategy, name=f"{MODEL.name}/{strategy}")


@functools.lru_cache(maxsize=1)
def _per_sample():
    """The probed pencil's fixed point with the groups' per-sample weights c_j as symbols,
    differentiated along the probe; derived once for every strategy, kept in the cache."""
    L, y = _lib(), _symbols()
    ratios = {"n1": 1 - L.eq.p2, "n2": L.eq.p2, "d": L.eq.phi, "m1": y["psi1"], "m2": y["psi2"], "n": 1}
    fields = {"B1": y["beta"][0], "B2": y["beta"][1], "Lambda1": y["ell"][0], "Lambda2": y["ell"][1]}

    def derive():
        P, outputs = sources()            # the Diags B_j, Λ_j on m2 are the neurons' fields β_j, ℓ_j
        raw = L.rf_support.pair_system(P, outputs, ratios=ratios, name=MODEL.name, diag_symbols=fields)
        return L.rf_support.with_parameters(raw, L.rf_support.GROUP_WEIGHTS_BY_SAMPLE,
                                            probe=L.operator_valued.t_probe, derivative=tuple(raw.densities))
    return L.system_cache.cached(MODEL.name, "per-sample", derive)


def _variances(spec):
    """Per group j: r1_j = tr Σ_j (exact) — the pre-activation variance of layer 1."""
    return [sum(F(a.weight) * F(getattr(a, key)) for a in spec.atoms) for key in ("s1", "s2")]


NEURON_NODES = 48      #: Gauss–Hermite nodes of the law of c = (S2 1)_i where layer 1 has a mean


def regime(spec):
    """The engine's system at λ > 0, the atoms of d times the law of layer 2's neurons."""
    R = _lib().regimes
    return R.weight_zero_regime(spec, MODEL.name) or R.Regime(
        name=f"{MODEL.name}/ridge/{spec.strategy}", description="ridge lam > 0: the engine's system",
        system=R.model_family(MODEL.name, spec.strategy, R.fixed_parameters(spec)),
        atoms=_lib().spectra.with_fields(spec.atoms, neuron_law(spec)))


def neuron_law(spec) -> list:
    """[(weight, {β_j, ℓ_j field name: value})]: layer 2's constants over the law of c = (S2 1)_i
    (:func:`~symcollapse.pencil.gaussian_equivalence.neuron_law`; one node where layer 1 has
    no mean: μ0 = 0 for tanh, odd, and for the centred relu at r1_j = 1)."""
    L, y, r1 = _lib(), _symbols(), _variances(spec)
    offset = spec.activation == "relu" and any(r1[j] != 1 for j in L.regimes.present_groups(spec))
    law = L.ge.neuron_law(spec.activation, r1, NEURON_NODES if offset else 1, MODEL.refusals["certify"])
    return [(w, {y[key][j].name: per_group[j][i] for j in (0, 1) for i, key in enumerate(("beta", "ell"))})
            for w, per_group in law]


def parameters(spec) -> dict:
    """Layer 1's constants of both groups, at the precision where they are used (no balls)."""
    L, y, out = _lib(), _symbols(), {}
    for j, r1 in enumerate(_variances(spec)):
        for key, which in (("a", 1), ("k", 2)):
            out[y[key][j]] = L.ge.AtWorkingPrecision(
                lambda r1=r1, which=which: L.ge.layer_constants(spec.activation, r1)[0][which] * L.mp.mpf(1),
                None, MODEL.refusals["certify"])
    return out


def simulate(spec, n: int, trials: int, seed: int = 0, *, progress=None) -> dict:
    """Monte Carlo of the two-layer network (as :func:`symcollapse.simulate`): C = E[h2h2ᵀ],
    G = E[h2xᵀ] from 8·max(m2, d, 500) test inputs x ~ N(0, Σ1), so the test error and Bias,
    Var, ζ given (X, S1, S2) are unbiased (as for one layer: ``conditional_parts``)."""
    L = _lib()
    np, ds, rf = L.np, L.ds, L.rf
    sz = ds.sizes(spec, int(n))
    n1, n2, d = sz["n1"], sz["n2"], sz["d"]
    m1, m2 = (ds.round_half_up(spec.size(k) * n) for k in ("psi1", "psi2"))
    if min(m1, m2) < 1:
        raise L.errors.ConfigError(f"n = {n} gives m1 = {m1}, m2 = {m2}: allowed n with m1, m2 >= 1")
    ds.check_sizes(spec, dict(sz, m=max(m1, m2)))
    cols, sigma = ds.coordinates(spec, d), rf.activation_function(spec.activation)
    c_rows = ds.row_weights(spec, n1, n2, n1 + n2)
    noise = np.concatenate([np.full(n1, float(spec.sigma1)), np.full(n2, float(spec.sigma2))])

    def trial(rng):
        X, w1, delta, eps, S1 = ds.draw_design(cols, n1, n2, m1, rng)
        S2 = rng.standard_normal((m2, m1)) / np.sqrt(m1)
        Xt = rng.standard_normal((8 * max(m2, d, 500), d)) * np.sqrt(cols["s1"])
        feats, test = (sigma(sigma(Z @ S1.T) @ S2.T) for Z in (X, Xt))
        U, g, V = ds.fit_map(feats, c_rows, float(spec.lam))
        A = (V * g[None, :]) @ (U.T * (np.sqrt(c_rows) / np.sqrt(n1 + n2))[None, :])
        fit = {"A": A, "C": test.T @ test / len(Xt), "G": test.T @ Xt / len(Xt), "sigma": noise}
        y = rf.labels(X, w1, delta, eps, noise, n1)
        v, r2 = A @ y, (feats @ (A @ y) - y) ** 2
        return ((rf.test_expectation(fit, cols["s1"], w1, v),) + rf.conditional_parts(fit, cols, X, n1)
                + (r2.mean(), r2[:n1].mean() if n1 else np.nan, r2[n1:].mean() if n2 else np.nan))
    rows = ds.run_trials(trial, trials, seed, "simulate deep_random_features", progress)
    return ds.feature_summary(rows, dict(d=d, n=sz["n"], m1=m1, m2=m2, n1=n1, n2=n2), trials, seed)
