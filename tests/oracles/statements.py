r"""The hand-typed statements of docs/theory/linear.md §1, docs/theory/projections.md and
docs/theory/training.md, kept as oracles.

The toolkit's systems are derived by the pencil engine from each model's expressions in
Gaussian blocks (:mod:`symcollapse.pencil.derived`).  Here the same theory is encoded as
stated: the first-order fixed point typed by hand (:func:`first_order_linear`,
:func:`first_order_projection`), the second order by differentiating it along a probe
(:func:`differentiate_along`), and the error functional (:func:`error_functional`).
``tests/test_oracles.py`` checks that the two agree to 30 digits.

>>> sys = linear_system()
>>> [str(x) for x in sys.unknowns]
['e1', 'e2', 'u1', 'u2']
>>> sys.equations[0]
e1*(gamma1*tr(Sigma_1/(Sigma_1*a1*e1 + Sigma_2*a2*e2 + lambda)) + 1) - 1
"""
from __future__ import annotations

import dataclasses
import functools

import sympy as sp

from symcollapse.core import determinism as sym
from symcollapse.core.equations import (DELTA, S1, S2, THETA, L_eff, System, a1, a2, b2_rate,
                                        b_rate, e1, e2, gamma1, gamma2, lam, mixture_weights,
                                        phi, psi, sigma1, sigma2, t_probe, tr, u1, u2, v1, v2)


def differentiate_along(build, unknowns, rates, probe):
    r"""Second-order equations by differentiating a fixed point along a probe.

    ``build(extra)`` returns ``(equations, M, K)`` with ``extra`` added to the per-atom
    data term M (and so to K).  Replace :math:`M \to M + tA` (``probe`` = A, per atom) and
    each unknown :math:`x \to x + t\dot x` (``rates``), and differentiate the residuals
    at t = 0.  The result is linear in the rates :math:`\dot x`.  With :math:`K(t)^{-1}` the
    deterministic equivalent of the resolvent,
    :math:`RAR \simeq -\partial_t K(t)^{-1} = K^{-1}(\partial_t K)K^{-1} =: \mathcal L[A]`.

    Returns ``(equations, L_A, dM)`` with :math:`dM = \partial_t M(t)` (the effective
    probe :math:`\Sigma_1^{\rm eff}` when A = Σ1).
    """
    t = t_probe
    moved = {x: x + t * r for x, r in zip(unknowns, rates)}
    eqs_t, M_t, K_t = build(t * probe)
    out = tuple(sp.expand_mul(sp.diff(eq.xreplace(moved), t).subs(t, 0)) for eq in eqs_t)
    L_A = sp.factor_terms(-sp.diff(1 / K_t.xreplace(moved), t).subs(t, 0))
    dM = sp.factor_terms(sp.diff(M_t.xreplace(moved), t).subs(t, 0))
    return out, L_A, dM


def compact_zeta_density(density, rate):
    r"""Write a ζ density in the compact form in which every term is ≥ 0.

    The density is affine in the rate ``rate`` (:math:`u_2`); factor its slope and its
    value at 0:
    with :math:`K = a_1e_1\Sigma_1 + a_2e_2\Sigma_2 + \lambda`,
    :math:`1 - 2a_2e_2\Sigma_2/K + a_2^2e_2^2\Sigma_2^2/K^2 = (a_1e_1\Sigma_1+\lambda)^2/K^2`.
    The result is checked equal to the input (exact rational identity) before it is
    returned.
    """
    if sp.diff(density, rate, 2) != 0:
        raise AssertionError("the ζ density is not affine in the rate")
    slope = sym.factor(sp.together(sp.diff(density, rate)))
    rest = sym.factor(sp.together(density.subs(rate, 0)))
    compact = rest + rate * slope
    if sp.cancel(compact - density) != 0:  # a rational identity: cancel decides it
        raise AssertionError("compact ζ differs from the derived ζ")
    return compact


def first_order_linear(extra=0):
    r"""docs/theory/linear.md §1, first order (encoded as stated), with ``extra`` added to M:

    .. math:: M = a_1e_1\Sigma_1 + a_2e_2\Sigma_2,\quad K = M + \lambda, \qquad
              e_j\,(1 + \gamma_j \operatorname{tr}(\Sigma_j K^{-1})) = 1.

    Returns ``(equations, M, K)``.
    """
    M = a1 * e1 * S1 + a2 * e2 * S2 + extra
    K = M + lam
    eqs = (e1 * (1 + gamma1 * tr(S1 / K)) - 1,
           e2 * (1 + gamma2 * tr(S2 / K)) - 1)
    return eqs, M, K


def first_order_projection(extra=0):
    r"""docs/theory/projections.md, first order (encoded as stated), with ``extra`` added to M:

    .. math:: M = a_1e_1\Sigma_1 + a_2e_2\Sigma_2,\quad K = M + L,\qquad
              e_j\,(1 + \gamma_j\operatorname{tr}(\Sigma_jK^{-1})) = 1,\qquad
              L\,(\rho - \operatorname{tr}(MK^{-1})) = \lambda,

    with ρ = ψ/φ = m/d.  The linear model's fixed point at an effective ridge L, plus the
    equation that the average over the projection S adds for L.
    """
    M = a1 * e1 * S1 + a2 * e2 * S2 + extra
    K = M + L_eff
    eqs = (e1 * (1 + gamma1 * tr(S1 / K)) - 1,
           e2 * (1 + gamma2 * tr(S2 / K)) - 1,
           L_eff * (psi / phi - tr(M / K)) - lam)
    return eqs, M, K


def error_functional(M, K, L_B, dM_B, rates, probe_target=None):
    r"""The error functional of the mixture family for a diagonal test covariance B.

    ``L_B`` = :math:`\mathcal L[B] = -\partial_tK^{-1}` and ``dM_B`` =
    :math:`B^{\rm eff} = \partial_tM` come from :func:`differentiate_along` with probe
    A = B, ``rates`` are the rates of the unknowns along that probe (:math:`u_j` for
    B = Σ1).  Per-atom densities (docs/theory/training.md, "Statement"):

    .. math::
        \mathrm{Bias}_B = \Theta\,[B^{\rm eff} - 2MK^{-1}B^{\rm eff} + M^2\mathcal L[B]],
        \quad \mathrm{Var}_B = a_1\sigma_1^2u_1 + a_2\sigma_2^2u_2,

        \zeta_B = a_2^2e_2^2\,\Delta\Sigma_2^2\mathcal L[B]
              + a_2u_2\,[\Delta\Sigma_2 - 2a_2e_2\Delta\Sigma_2^2K^{-1}],

    the error ‖ŵ − w1‖²_B.  ``probe_target`` = B adds the target term of measuring against
    w2 = w1 + δ instead: :math:`\Delta B - 2a_2e_2\Delta B\Sigma_2K^{-1}`.  With B = Σ1 and
    target w1 this is the test-error functional of :func:`mixture_system`.
    """
    bias = sym.factor(THETA * (dM_B - 2 * M * dM_B / K + M ** 2 * L_B))
    variance = a1 * sigma1 ** 2 * rates[0] + a2 * sigma2 ** 2 * rates[1]
    zeta_derived = (a2 ** 2 * e2 ** 2 * DELTA * S2 ** 2 * L_B
                    + a2 * rates[1] * (DELTA * S2 - 2 * a2 * e2 * DELTA * S2 ** 2 / K))
    zeta = compact_zeta_density(zeta_derived, rates[1])
    parts = {"bias": bias, "variance": variance, "zeta": zeta}
    if probe_target is not None:
        parts["target"] = DELTA * probe_target - 2 * a2 * e2 * DELTA * probe_target * S2 / K
    return parts


def mixture_system(name, first_order, unknowns, rates, guess, note="") -> System:
    r"""A mixture model from its first-order fixed point: second order derived, then the
    error functional (one form for every model of this family).

    With :math:`\Sigma_1^{\rm eff} = \partial_tM` and :math:`\mathcal L =
    -\partial_tK^{-1}` along the probe A = Σ1 (:func:`differentiate_along`):

    .. math::
        \mathrm{Bias} = \operatorname{tr}\Theta\,[\Sigma_1^{\rm eff}
            - 2MK^{-1}\Sigma_1^{\rm eff} + M^2\mathcal L],\quad
        \mathrm{Var} = a_1\sigma_1^2u_1 + a_2\sigma_2^2u_2,

        \zeta = a_2^2e_2^2\operatorname{tr}(\Delta\Sigma_2^2\mathcal L)
              + a_2u_2\,[\operatorname{tr}(\Delta\Sigma_2)
              - 2a_2e_2\operatorname{tr}(\Delta\Sigma_2^2K^{-1})].

    Bias is :math:`\operatorname{Tr}\Theta(I - MP)\Sigma_1^{\rm eff}(I - PM)` with the
    smoother P ≍ K⁻¹ and :math:`P\Sigma_1^{\rm eff}P \simeq \mathcal L` (for the linear
    model :math:`I - MK^{-1} = \lambda K^{-1}` and it is :math:`\lambda^2\operatorname{tr}
    (\Theta\mathcal L)`); ζ is the two-point leave-out form of docs/theory/linear.md §2,
    rewritten in its compact non-negative form by :func:`compact_zeta_density`
    (:func:`error_functional` with B = Σ1).

    At λ > 0 the first-order map :math:`e_j \mapsto 1/(1 + \gamma_j\operatorname{tr}
    (\Sigma_jK^{-1}))` is positive, monotone and scalable (:math:`f(ce) < cf(e)` for
    c > 1: a standard interference function), so its positive fixed point is unique, and
    the rates solve a linear system: the system is marked ``unique_root``.  The projections
    model adds L, the effective ridge of the m-dimensional fit, whose positive root is
    likewise that of a Stieltjes-transform fixed point; tests/test_mutants_solve.py checks
    that a start at the target and the λ-continuation find the same root.
    """
    eqs1, M, K = first_order()
    eqs2, L1, dM = differentiate_along(first_order, unknowns, rates, S1)
    dens = error_functional(M, K, L1, dM, rates)
    dens["test_error"] = dens["bias"] + dens["variance"] + dens["zeta"]
    positive = tuple(x for x in unknowns)
    return System(name=name, unknowns=tuple(unknowns) + tuple(rates), equations=eqs1 + eqs2,
                  densities=dens, positive=positive, guess=guess, note=note, unique_root=True)


def training_system_of(system: System, first_order, unknowns, rates2) -> System:
    r"""The training error on the mixture (docs/theory/training.md), from the same fixed point.

    Each group's training error is its own-distribution error, noise included, shrunk by
    :math:`e_j^2` (:math:`1/e_j - 1` is the limit of a group-j row's leverage):

    .. math::
        E_{\rm train,1} \simeq e_1^2(E_{\rm test} + \sigma_1^2),\quad
        E_{\rm train,2} \simeq e_2^2(G_2 + \sigma_2^2),\quad
        E_{\rm train} = p_1E_{\rm train,1} + p_2E_{\rm train,2},

    with :math:`G_2 = \|\hat w - w_2\|^2_{\Sigma_2}`: the error functional with the test
    covariance B = Σ2 (second order along the probe Σ2, rates ``rates2``, derived by
    :func:`differentiate_along`) and the target w2 (:func:`error_functional`).  The
    degrees of freedom :math:`df/n = (1/n)\operatorname{Tr}\hat\Sigma(\hat\Sigma
    + \lambda)^{-1} \simeq \varphi\operatorname{tr}(MK^{-1})`, and its complement
    ``gap`` = 1 − df/n without the cancellation of that subtraction where df/n → 1: at the
    fixed point :math:`\operatorname{tr}(\Sigma_jK^{-1}) = (1/e_j - 1)/\gamma_j`, so
    :math:`\varphi\operatorname{tr}(MK^{-1}) = \sum_j (a_j\varphi/\gamma_j)(1 - e_j)` and,
    as :math:`\sum_j a_j\varphi/\gamma_j = p_1 + p_2 = 1` for every strategy,
    :math:`1 - df/n = \sum_j (a_j\varphi/\gamma_j)\,e_j = p_1e_1 + p_2e_2`.

    New densities: ``g2`` (G2), ``shrink1`` = e1², ``shrink2`` = e2², ``gap`` (constants),
    ``df``.
    The training errors themselves are assembled by :func:`training_errors` so that the
    test error used is the complete one (unseen coordinates included).
    """
    eqs1, M, K = first_order()
    eqs_b, L2, dM2 = differentiate_along(first_order, unknowns, rates2, S2)
    parts = error_functional(M, K, L2, dM2, rates2, probe_target=S2)
    dens = dict(system.densities)
    dens["g2"] = parts["bias"] + parts["variance"] + parts["zeta"] + parts["target"]
    dens["shrink1"] = e1 ** 2
    dens["shrink2"] = e2 ** 2
    dens["df"] = phi * M / K
    dens["gap"] = a1 * phi / gamma1 * e1 + a2 * phi / gamma2 * e2
    return dataclasses.replace(
        system, name=system.name + "/training", unknowns=system.unknowns + tuple(rates2),
        equations=system.equations + tuple(eqs_b), densities=dens,
        guess={**system.guess, **{r: 0 for r in rates2}},
        note=system.note + "; training error of docs/theory/training.md (G2 derived along Σ2)")


@functools.lru_cache(maxsize=None)
def linear_system() -> System:
    r"""The linear model on a two-group mixture, general weights a_j and ratios γ_j.

    Unknowns e1, e2 (first order, :func:`first_order_linear`) and u1, u2 = ė for the
    probe A = Σ1, so that :math:`\mathcal L[\Sigma_1] = \Sigma_1^{\rm eff}K^{-2}` with
    :math:`\Sigma_1^{\rm eff} = (1+a_1u_1)\Sigma_1 + a_2u_2\Sigma_2` and
    Bias = :math:`\lambda^2\operatorname{tr}(\Theta\mathcal L[\Sigma_1])`
    (docs/theory/linear.md §1; error functional of :func:`mixture_system`).
    """
    return mixture_system("linear", first_order_linear, (e1, e2), (u1, u2),
                          guess={e1: 1, e2: 1, u1: 0, u2: 0},
                          note="docs/theory/linear.md §1 (first order encoded, the rest derived)")


@functools.lru_cache(maxsize=None)
def projection_system() -> System:
    r"""The random projections model on a two-group mixture.

    Unknowns e1, e2, L (first order, :func:`first_order_projection`) and their rates
    u1, u2, b along the probe A = Σ1; b = L̇ is the sketch term, :math:`\mathcal L =
    (\Sigma_1^{\rm eff} + b)K^{-2}` and Bias = :math:`L^2\operatorname{tr}(\Theta
    \Sigma_1^{\rm eff}K^{-2}) + b\operatorname{tr}(\Theta M^2K^{-2})` (docs/theory/projections.md;
    derivations/projections.md).  Start at a large ridge: L ≈ λφ/ψ.
    """
    return mixture_system("random_projection", first_order_projection, (e1, e2, L_eff),
                          (u1, u2, b_rate),
                          guess={e1: 1, e2: 1, L_eff: lam * phi / psi, u1: 0, u2: 0, b_rate: 0},
                          note="docs/theory/projections.md (first order encoded, the rest derived)")


def linear_system_of(strategy: str) -> System:
    """The linear model's system with the group weights of a mixing strategy
    (:func:`mixture_weights`): the model's ``system`` hook."""
    return linear_system().subs(mixture_weights(strategy))


def projection_system_of(strategy: str) -> System:
    """The projections model's system with the group weights of a mixing strategy."""
    return projection_system().subs(mixture_weights(strategy))


@functools.lru_cache(maxsize=None)
def linear_training_system() -> System:
    """The linear model's system extended by the training error (rates v1, v2)."""
    return training_system_of(linear_system(), first_order_linear, (e1, e2), (v1, v2))


@functools.lru_cache(maxsize=None)
def projection_training_system() -> System:
    """The projections model's system extended by the training error (rates v1, v2, b2)."""
    return training_system_of(projection_system(), first_order_projection, (e1, e2, L_eff),
                              (v1, v2, b2_rate))


def iterative_map(c, B):
    r"""The map of iterative mixing as docs/theory/linear.md §5 states it, on a
    :class:`~symcollapse.core.iterative.Context` ``c`` (per-atom arrays) and a per-atom B:
    :math:`\mathcal L[B] = K^{-1}(B + a_1\dot e_1\Sigma_1 + a_2\dot e_2\Sigma_2)K^{-1}` with
    :math:`(I - M)\dot e = b(B)`, :math:`M_{jl} = \gamma_je_j^2a_l\operatorname{tr}(\Sigma_j
    \Sigma_lK^{-2})`, :math:`b_j = \gamma_je_j^2\operatorname{tr}(\Sigma_jBK^{-2})`."""
    S, e, a, g = (c.s1, c.s2), (c.e1, c.e2), (c.a1, c.a2), (c.g1, c.g2)
    K2 = c.K * c.K
    M = [[g[j] * e[j] ** 2 * a[l] * c.tr(S[j] * S[l] / K2) for l in (0, 1)] for j in (0, 1)]
    b = [g[j] * e[j] ** 2 * c.tr(S[j] * B / K2) for j in (0, 1)]
    (m11, m12), (m21, m22) = M
    det = (1 - m11) * (1 - m22) - m12 * m21
    d1 = ((1 - m22) * b[0] + m12 * b[1]) / det
    d2 = ((1 - m11) * b[1] + m21 * b[0]) / det
    return (B + a[0] * d1 * S[0] + a[1] * d2 * S[1]) / K2
