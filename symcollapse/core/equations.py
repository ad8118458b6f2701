r"""Fixed-point systems and error functionals, as SymPy data.

A deterministic equivalent is a :class:`System`: unknowns (e.g. :math:`e_1, e_2, u_1,
u_2`), residual equations :math:`F(x) = 0` and outputs (Bias, Var, ζ, E_test), written
with normalized traces :math:`\operatorname{tr}(f) = \sum_k w_k f(\text{atom}_k)`
(docs/setting.md, "atoms").  The trace is the unevaluated function :class:`tr` of a per-atom
integrand in the atom symbols :data:`S1` (eigenvalue of Σ1), :data:`S2` (of Σ2),
:data:`THETA` (energy of w1) and :data:`DELTA` (energy of δ).  The same system serves
symbolic atoms (:meth:`System.expand_traces`, closed forms) and numeric ones
(:mod:`symcollapse.core.compiled`, lambdified once).

The models' systems are derived from their expressions in Gaussian blocks by the pencil
engine (:mod:`symcollapse.pencil.derived`); this module holds what every system shares: the
symbols, the :class:`System` type, the reparametrization of a family for the ridgeless
limit (:func:`rescale`, :func:`limit_at_zero`), the group weights of the mixing strategies
(:func:`mixture_weights`) and the assembly of the training errors (:func:`training_errors`,
docs/theory/training.md).

>>> e = e1 * (1 + phi * tr(S1 / (e1 * S1 + lam))) - 1
>>> System(name="one group", unknowns=(e1,), equations=(e,), densities={}).parameters
(lambda, phi)
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field

import sympy as sp

from symcollapse.core import determinism as sym

# ----------------------------------------------------------------------------- symbols
#: Atom symbols: per-coordinate eigenvalues of Σ1, Σ2 and energies of w1 (θ) and δ.
S1, S2, THETA, DELTA = sp.symbols("Sigma_1 Sigma_2 Theta Delta", nonnegative=True)
ATOM = (S1, S2, THETA, DELTA)
#: The atom key of each atom symbol (docs/setting.md names).
ATOM_KEYS = {S1: "s1", S2: "s2", THETA: "theta", DELTA: "delta"}


class Field(sp.Symbol):
    r"""A per-coordinate field of a space other than d (for example a neuron's slope on
    the space m2): a symbol whose value comes with each atom, like the four atom symbols.

    An atom is then a coordinate of every space at once (the product of the spaces'
    coordinate laws): :math:`\operatorname{tr}` of a function of one space's fields is
    that space's normalized trace, since the other spaces' weights sum to 1."""


#: A per-coordinate diagonal on d along which a resolvent is differentiated (the probe B of
#: the map B ↦ 𝓛[B] that iterative mixing applies each generation).
PROBE = Field("B")


def coordinate_symbols(expr) -> tuple:
    """The atom symbols and :class:`Field` symbols in ``expr`` (atom symbols first, fields
    by name)."""
    free = sp.sympify(expr).free_symbols
    return tuple(a for a in ATOM if a in free) + tuple(
        sorted((s for s in free if isinstance(s, Field)), key=str))


def depends_on_coordinates(expr) -> bool:
    """Whether ``expr`` varies from atom to atom (an atom symbol or a :class:`Field`)."""
    return bool(coordinate_symbols(expr))

#: The parts every prediction reports: E_test = Bias + Var + ζ (docs/setting.md).
PARTS = ("test_error", "bias", "variance", "zeta")

# Problem parameters (docs/setting.md names; the toolkit's own symbols).
phi = sp.Symbol("phi", positive=True)
psi = sp.Symbol("psi", positive=True)
p2 = sp.Symbol("p2", nonnegative=True)
lam = sp.Symbol("lambda", nonnegative=True)
sigma1 = sp.Symbol("sigma1", nonnegative=True)
sigma2 = sp.Symbol("sigma2", nonnegative=True)
alpha = sp.Symbol("alpha", nonnegative=True)
#: The config key of each parameter symbol.
PARAM_KEYS = {phi: "phi", psi: "psi", p2: "p2", lam: "lam", sigma1: "sigma1",
              sigma2: "sigma2", alpha: "alpha"}

# Group weights a_j and effective ratios γ_j = a_j φ / p_j (docs/theory/linear.md §0).
a1, a2 = sp.symbols("a1 a2", nonnegative=True)
gamma1, gamma2 = sp.symbols("gamma1 gamma2", nonnegative=True)

# Unknowns.
e1, e2 = sp.symbols("e1 e2", positive=True)
u1, u2 = sp.symbols("u1 u2")
#: Probe variable for the differentiation that yields second-order quantities.
t_probe = sp.Symbol("t")


class tr(sp.Function):
    r"""Normalized trace :math:`\operatorname{tr}(f) = (1/d)\operatorname{Tr} f(\Sigma_1,
    \Sigma_2, \Theta, \Delta) = \sum_k w_k f(\text{atom}_k)`.

    It is linear (sums split, factors free of the atom symbols come out), ``tr(c) = c``
    for a constant c (weights sum to 1), and :math:`\partial_x \operatorname{tr} f =
    \operatorname{tr} \partial_x f`.  Integrands must not contain traces themselves.

    >>> x = sp.Symbol("x")
    >>> tr(2*x*S1 + 3)
    2*x*tr(Sigma_1) + 3
    >>> sp.diff(tr(S1/(x*S1 + 1)), x)
    -tr(Sigma_1**2/(Sigma_1*x + 1)**2)
    """

    nargs = 1

    @classmethod
    def eval(cls, f):
        coords = coordinate_symbols(f)
        if not coords:
            return f
        if f.is_Add:
            return sp.Add(*[cls(term) for term in f.args])
        if f.is_Mul:
            const, dep = f.as_independent(*coords, as_Add=False)
            if const != 1:
                return const * cls(dep)
        return None

    def _eval_derivative(self, x):
        return tr(sp.diff(self.args[0], x))

    def _latex(self, printer):
        return r"\operatorname{tr}\left(%s\right)" % printer._print(self.args[0])


def traces_in(expr) -> set:
    """The :class:`tr` atoms of an expression."""
    return set(sp.sympify(expr).atoms(tr))


# ----------------------------------------------------------------------------- systems

@dataclass(frozen=True)
class System:
    r"""A deterministic equivalent as data.

    ``unknowns`` solve ``equations`` (residuals, = 0).  ``densities`` maps each output name
    to its per-atom density ρ, the output being :math:`\operatorname{tr}(\rho)`; constants
    (like Var) are densities free of the atom symbols.  ``positive`` lists the unknowns
    that must stay > 0 in a solve.  ``scale`` records a rescaling ``{old: expression}``
    (e.g. :math:`e_j = \lambda\varepsilon_j`) that maps the unknowns back.
    ``unique_root``: at λ > 0 the equations have one solution with the ``positive``
    unknowns > 0 (so a solve may start anywhere in that domain rather than follow λ down
    from a large ridge); set by the model (:class:`~symcollapse.models.base.Model`), not kept by
    :func:`rescale`.
    ``parent``: ``(base, mapping)`` when the equations are ``base``'s with parameters
    substituted by ``mapping`` (values free of the unknowns), so that the Jacobian is
    ``base``'s under the same substitution (:func:`~symcollapse.core.compiled.compile_system`
    checks the claim before it uses it).
    """

    name: str
    unknowns: tuple
    equations: tuple
    densities: dict
    positive: tuple = ()
    scale: dict = field(default_factory=dict)
    guess: dict = field(default_factory=dict)
    note: str = ""
    unique_root: bool = False
    parent: tuple = field(default=(), compare=False, repr=False)

    def __hash__(self):
        return hash((self.name, self.unknowns, self.equations, tuple(self.densities.items()),
                     self.positive, tuple(self.scale.items()), tuple(self.guess.items()),
                     self.unique_root))

    def guess_value(self, unknown, values: dict):
        """The starting value of ``unknown`` at a large ridge (``values``: parameter
        symbol → number), from :attr:`guess` (0 when absent)."""
        expr = sp.sympify(self.guess.get(unknown, 0))
        if expr.is_Number:
            return expr
        f = _guess_function(expr, tuple(sorted(expr.free_symbols, key=str)))
        return f(*[values[s] for s in sorted(expr.free_symbols, key=str)])

    @property
    def outputs(self) -> dict:
        """Each output as an expression in traces: ``{name: tr(density)}``."""
        return {k: tr(v) for k, v in self.densities.items()}

    @property
    def parameters(self) -> tuple:
        """Free symbols other than unknowns and atom symbols, sorted by name."""
        free = set()
        for e in self.equations:
            free |= e.free_symbols
        for d in self.densities.values():
            free |= sp.sympify(d).free_symbols
        free -= set(self.unknowns) | set(ATOM)
        return tuple(sorted((s for s in free if not isinstance(s, Field)), key=str))

    def replace_name(self, name: str) -> "System":
        return dataclasses.replace(self, name=name)

    def subs(self, mapping: dict, name: str | None = None) -> "System":
        """Substitute parameters (not unknowns) everywhere; prune what no longer matters."""
        eqs = tuple(sp.sympify(e).subs(mapping) for e in self.equations)
        dens = {k: sp.sympify(v).subs(mapping) for k, v in self.densities.items()}
        guess = {k: sp.sympify(v).subs(mapping) for k, v in self.guess.items()}
        out = dataclasses.replace(self, equations=eqs, densities=dens, guess=guess,
                                  name=name or self.name)
        return out.prune()

    def prune(self) -> "System":
        """Drop unknowns (and their equations) that no output depends on, directly or
        through the equations of the unknowns it needs.  Equation i belongs to unknown i.
        A system without outputs keeps all its unknowns."""
        if not self.densities:
            return self
        needed = set()
        for d in self.densities.values():
            needed |= sp.sympify(d).free_symbols & set(self.unknowns)
        deps = {x: eq.free_symbols & set(self.unknowns)
                for x, eq in zip(self.unknowns, self.equations)}
        frontier = list(needed)
        while frontier:
            x = frontier.pop()
            for y in deps[x]:
                if y not in needed:
                    needed.add(y)
                    frontier.append(y)
        keep = [i for i, x in enumerate(self.unknowns) if x in needed]
        if len(keep) == len(self.unknowns):
            return self
        return dataclasses.replace(
            self,
            unknowns=tuple(self.unknowns[i] for i in keep),
            equations=tuple(self.equations[i] for i in keep),
            positive=tuple(x for x in self.positive if x in needed))

    def expand_traces(self, atoms) -> "System":
        """Replace every trace by its weighted sum over ``atoms`` (a sequence of objects
        with ``weight, s1, s2, theta, delta`` attributes, values numbers or SymPy)."""
        def total(f):
            return sp.Add(*[sp.sympify(a.weight) * f.xreplace(atom_values(a)) for a in atoms])

        def expand(expr):
            return sp.sympify(expr).replace(tr, total)

        return dataclasses.replace(
            self, equations=tuple(expand(e) for e in self.equations),
            densities={k: total(sp.sympify(v)) for k, v in self.densities.items()})

    def residual_expressions(self) -> tuple:
        return self.equations


@functools.lru_cache(maxsize=None)
def _guess_function(expr, args):
    return sp.lambdify(args, expr, modules="mpmath")


def atom_values(atom) -> dict:
    """``{S1: s1, S2: s2, THETA: theta, DELTA: delta}`` for one atom (SymPy values)."""
    return {sym: sp.sympify(getattr(atom, key)) for sym, key in ATOM_KEYS.items()}


# ----------------------------------------------------------------------------- derivation


def rescale(system: System, substitution: dict, small, name: str) -> System:
    r"""Reparametrize a system and divide each equation by its leading power of ``small``.

    ``substitution`` maps unknowns to new expressions (e.g. :math:`e_j \to
    \lambda\varepsilon_j`; the new symbols replace the old in ``unknowns``).  Inside each
    trace the powers of ``small`` are factored out; then each equation is divided by the
    lowest power :math:`\lambda^k` with which it vanishes, so that the rescaled family is
    exact for λ > 0 and has a finite, non-degenerate member at λ = 0: the limiting
    (ridgeless) system.  Outputs are rescaled the same way and must stay finite as λ → 0.
    """
    new_unknowns = []
    for x in system.unknowns:
        if x in substitution:
            new = substitution[x].free_symbols - {small} - set(system.parameters)
            new_unknowns.append(next(iter(new)))
        else:
            new_unknowns.append(x)

    def move(expr):
        expr = sp.sympify(expr).xreplace(substitution)
        if not substitution:
            return expr.replace(tr, lambda f: tr(sp.factor_terms(f)))
        return expr.replace(tr, lambda f: tr(sp.factor_terms(sp.together(f))))

    def leading(expr):
        expr = move(expr)
        traces = sorted(traces_in(expr), key=sp.default_sort_key)
        dummies = [sp.Dummy(f"T{i}") for i in range(len(traces))]
        opaque = expr.xreplace(dict(zip(traces, dummies)))
        num, den = sp.fraction(sp.together(opaque))
        num = sp.expand(num / small ** _low_degree(num, small))
        den = sp.expand(den / small ** _low_degree(den, small))
        return (num / den).xreplace(dict(zip(dummies, traces)))

    eqs = [leading(eq) for eq in system.equations]
    dens = {}
    for key, d in system.densities.items():
        dens[key] = sp.factor_terms(move(d))
    positive = tuple(new_unknowns[i] for i, x in enumerate(system.unknowns) if x in system.positive)
    guess = {}
    for old, new in zip(system.unknowns, new_unknowns):
        g = sp.sympify(system.guess.get(old, 0))
        guess[new] = sym.solve(sp.Eq(substitution[old], g), new)[0] if old in substitution else g
    return System(name=name, unknowns=tuple(new_unknowns), equations=tuple(eqs), densities=dens,
                  positive=positive, scale=dict(substitution), guess=guess, note=system.note)


def _low_degree(poly_expr, x) -> int:
    terms = sp.Add.make_args(sp.expand(poly_expr))  # 0 is the one term 0: degree 0
    return min(sp.degree(sp.Poly(t, x)) if t.has(x) else 0 for t in terms)


def limit_at_zero(system: System, small, name: str) -> System:
    """The member of a (rescaled) family at ``small`` = 0."""
    eqs = tuple(sp.sympify(e).subs(small, 0) for e in system.equations)
    dens = {k: sp.sympify(v).subs(small, 0) for k, v in system.densities.items()}
    guess = {}
    for k, v in system.guess.items():
        g = sp.sympify(v).subs(small, 0)
        guess[k] = g if g.is_finite is not False and not g.has(sp.zoo, sp.nan) else v
    return dataclasses.replace(system, name=name, equations=eqs, densities=dens,
                               guess=guess).prune()


# ----------------------------------------------------------------------------- mixture models

#: Effective ridge of the random projections model, and its rate along the probe.
L_eff = sp.Symbol("L", positive=True)
b_rate = sp.Symbol("b")


#: Rates of the unknowns along the probe A = Σ2 (the synthetic group's own error).
v1, v2 = sp.symbols("v1 v2")
b2_rate = sp.Symbol("b_2")


def training_errors(test_error, outputs: dict, p2_value, sigma1_value, sigma2_value,
                    p1_value=None, groups=None) -> dict:
    r"""Assemble E_train,real, E_train,synthetic and E_train from a solved training system.

    ``outputs`` holds ``g2``, ``shrink1``, ``shrink2`` (and ``df``); ``test_error`` is the
    complete E_test = G1; ``p1_value`` (default 1 − p2) is p1 computed exactly where p2 is
    close to 1, and ``groups`` (default: from p2) says exactly which groups have rows.  A
    group without rows (p2 = 0 or p2 = 1) has no training error
    of its own: its entry is None and E_train is the other group's.
    """
    has_real, has_synthetic = groups if groups is not None else (p2_value != 1, p2_value != 0)
    real = outputs["shrink1"] * (test_error + sigma1_value ** 2) if has_real else None
    synthetic = outputs["shrink2"] * (outputs["g2"] + sigma2_value ** 2) if has_synthetic else None
    if real is None:
        total = synthetic
    elif synthetic is None:
        total = real
    else:
        p1 = 1 - p2_value if p1_value is None else p1_value
        total = p1 * real + p2_value * synthetic
    return {"train_error": total, "train_error_real": real, "train_error_synthetic": synthetic}


def mixture_weights(strategy: str) -> dict:
    r"""The group weights a_j and ratios γ_j = a_jφ/p_j of a mixing strategy.

    plain: :math:`a_j = p_j`, :math:`\gamma_j = \varphi`; weighted:
    :math:`a_1 = \alpha`, :math:`a_2 = 1-\alpha`, :math:`\gamma_1 = \alpha\varphi/(1-p_2)`,
    :math:`\gamma_2 = (1-\alpha)\varphi/p_2`.
    """
    if strategy in ("plain", "iterative"):
        return {a1: 1 - p2, a2: p2, gamma1: phi, gamma2: phi}
    if strategy == "weighted":
        return {a1: alpha, a2: 1 - alpha, gamma1: alpha * phi / (1 - p2),
                gamma2: (1 - alpha) * phi / p2}
    raise ValueError(strategy)


def vanishes(expr) -> bool:
    """Whether ``expr`` is 0 as a rational function of its traces, each distinct trace an
    opaque symbol (an identity that holds whatever the spectrum)."""
    expr = sp.sympify(expr)
    traces = sorted(expr.atoms(tr), key=sp.default_sort_key)
    opaque = expr.xreplace({t: sp.Symbol(f"_opaque{i}") for i, t in enumerate(traces)})
    return sp.cancel(opaque) == 0


def cancelled(expr):
    r"""``expr`` cancelled as a rational function of its traces (each trace kept as it is),
    with each complement 1 − x of a parameter in [0, 1] (p1 = 1 − p2, 1 − α) kept as one
    symbol while it is cancelled: (p2 − 1)/(1 − p2) = −1, and no 1 − p2 is expanded into a
    difference that loses digits as p2 → 1."""
    expr = sp.sympify(expr)
    traces = sorted(expr.atoms(tr), key=sp.default_sort_key)
    dummies = [sp.Dummy(f"T{i}") for i in range(len(traces))]
    opaque = expr.xreplace(dict(zip(traces, dummies)))
    complements = {}
    for x in (p2, alpha):
        q = sp.Dummy(f"one_minus_{x}")
        complements[q] = 1 - x
        opaque = opaque.xreplace({1 - x: q, x - 1: -q})
    return sp.cancel(opaque).xreplace(complements).xreplace(dict(zip(dummies, traces)))
