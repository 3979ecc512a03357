"""Gaussian hypergeometric pieces of the Pareto/NBD and BG/NBD, arranged to stay finite.

Textbook Pareto/NBD code evaluates 2F1(r+s+x, s+1; r+s+x+1; z) or
2F1(r+s+x, r+x; r+s+x+1; z) and divides by (alpha + t)^(r+s+x): for a heavy buyer (large
x) the first factor overflows long before the quotient does. We use instead the
normalised integral

    G(p, q, a, b, y) = (p + q) (a + y)^p (b + y)^q  Int_y^inf (a + u)^-(p+1) (b + u)^-q du

which lies in [0, (p+q)/p] for every input. Substituting t = (a + y) / (a + u) turns it
into Euler's integral for 2F1, and an Euler transformation leaves only functions of the
form 2F1(1, b'; c; z) with c - 1 - b' > 0 or a (1 - z) factor, all bounded on [0, 1):

    a <= b:  z = (b - a) / (b + y),  G = 2F1(1, q; p + q + 1; z)
    a >  b:  z = (a - b) / (a + y),  G = (1 - z) 2F1(1, p + 1; p + q + 1; z)

(Fader & Hardie 2005, "A Note on Deriving the Pareto/NBD Model and Related Expressions",
eqs. 19-23, rearranged.)

For z <= 1/4 (alpha and beta within a factor of about 1.3 of each other, as in most real
data) we sum the power series, whose terms fall at least fourfold each: a few dozen terms
give the value and exact derivatives in b', c and z in one pass. For 1/4 < z <= 0.9
SciPy's hyp2f1 is accurate to 1e-10 over the parameters that occur; there the
z-derivative is analytic and the derivatives in b', c are central differences of log 2F1
(relative step 1e-5, accurate to about 1e-8). Closer to z = 1 SciPy returns NaN for large
b' (a heavy buyer) and loses digits when c - 1 - b' is an integer, so there we integrate

    2F1(1, b; c; z) = (c - 1) Int_0^inf exp(-(c-1) u) (1 - z + z e^-u)^-b du

by Gauss-Legendre quadrature. The log-integrand is concave, so the mass sits in one
window around its mode; we find the window's ends (where the log-integrand is 50 below
its peak) by bisection and put 128 nodes on each of [start, mode], [mode, kink],
[kink, kink + 30] and [kink + 30, end], where the kink u* = log(z / (1 - z)) is where slow
decay turns fast. The derivatives in b, c and z are integrals over the same nodes, exact
for the quadrature. Values agree with adaptive quadrature to 1e-12 over b up to 5000 and
1 - z down to 1e-12 (checked when this was written; the tests keep a sample).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import hyp2f1

Floats = npt.NDArray[np.float64]

_PARAM_STEP = 1e-5
_SCIPY_MAX_Z = 0.9
_SERIES_MAX_Z = 0.25
_PANELS = 16
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(8)
_DROP = 50.0  # log-integrand drop that ends the window: e^-50 is below double precision
_CHUNK = 2048


def log_hyp2f1_unit(
    b: Floats,
    c: Floats,
    z: Floats,
    log_one_minus_z: Floats | None = None,
    *,
    derivatives: bool = True,
) -> tuple[Floats, Floats, Floats, Floats]:
    """log 2F1(1, b; c; z) for c > 1, 0 <= z < 1, and its derivatives in b, c and z.

    ``log_one_minus_z`` lets callers pass log(1 - z) computed without cancellation. With
    ``derivatives`` False the SciPy branch skips them (they are then zeros).
    """
    b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (b, c, z)))
    shape = b.shape
    if log_one_minus_z is None:
        log_one_minus_z = np.log1p(-z)
    log_eps = np.broadcast_to(np.asarray(log_one_minus_z, dtype=np.float64), shape).ravel()
    b, c, z = b.ravel(), c.ravel(), z.ravel()
    out = [np.empty(b.shape) for _ in range(4)]
    near_one = z > _SCIPY_MAX_Z
    small = z <= _SERIES_MAX_Z
    middle = ~near_one & ~small
    for target, piece in zip(out, _series_pieces(b[small], c[small], z[small]), strict=True):
        target[small] = piece
    if middle.any():
        pieces = _scipy_pieces(b[middle], c[middle], z[middle], derivatives)
        for target, piece in zip(out, pieces, strict=True):
            target[middle] = piece
    for start in range(0, int(near_one.sum()), _CHUNK):
        rows = np.flatnonzero(near_one)[start : start + _CHUNK]
        pieces = _quadrature_pieces(b[rows], c[rows], z[rows], log_eps[rows])
        for target, piece in zip(out, pieces, strict=True):
            target[rows] = piece
    return (
        out[0].reshape(shape),
        out[1].reshape(shape),
        out[2].reshape(shape),
        out[3].reshape(shape),
    )


def _series_pieces(b: Floats, c: Floats, z: Floats) -> tuple[Floats, Floats, Floats, Floats]:
    """log 2F1(1, b; c; z) and its derivatives from the series sum_n (b)_n / (c)_n z^n.

    For z <= 1/4 the terms fall at least fourfold each (c > b + ... keeps (b+n)/(c+n) < 1),
    so a few dozen suffice for double precision, and the derivatives in b, c and z are
    exact sums over the same terms: d t_n/db = t_n sum_{k<n} 1/(b+k), d t_n/dc = -t_n
    sum_{k<n} 1/(c+k), d t_n/dz = n t_n / z.
    """
    if len(z) == 0:
        return z.copy(), z.copy(), z.copy(), z.copy()
    z_max = float(z.max())
    terms = 1 if z_max == 0.0 else int(np.ceil(np.log(1e-17) / np.log(z_max))) + 4
    total = np.ones_like(z)
    sum_b, sum_c = np.zeros_like(z), np.zeros_like(z)
    d_b, d_c, d_z = np.zeros_like(z), np.zeros_like(z), np.zeros_like(z)
    over_z = b / c  # t_n / z, kept so that z = 0 needs no division
    for n in range(1, terms + 1):
        inv_b, inv_c = 1.0 / (b + (n - 1)), 1.0 / (c + (n - 1))
        sum_b += inv_b
        sum_c += inv_c
        if n > 1:
            over_z = over_z * ((b + (n - 1)) * inv_c) * z
        term = over_z * z
        total += term
        d_b += term * sum_b
        d_c += term * sum_c
        d_z += n * over_z
    return np.log(total), d_b / total, -d_c / total, d_z / total


def _scipy_pieces(
    b: Floats, c: Floats, z: Floats, derivatives: bool
) -> tuple[Floats, Floats, Floats, Floats]:
    value = hyp2f1(1.0, b, c, z)
    if not derivatives:
        zeros = np.zeros_like(value)
        return np.log(value), zeros, zeros, zeros
    d_z = (b / c) * hyp2f1(2.0, b + 1.0, c + 1.0, z) / value
    hb = _PARAM_STEP * np.maximum(1.0, b)
    hc = _PARAM_STEP * np.maximum(1.0, c)
    d_b = (np.log(hyp2f1(1.0, b + hb, c, z)) - np.log(hyp2f1(1.0, b - hb, c, z))) / (2 * hb)
    d_c = (np.log(hyp2f1(1.0, b, c + hc, z)) - np.log(hyp2f1(1.0, b, c - hc, z))) / (2 * hc)
    return np.log(value), d_b, d_c, d_z


def _log_integrand(
    u: Floats, b: Floats, c: Floats, log_z: Floats, log_eps: Floats
) -> tuple[Floats, Floats]:
    """(log of the integrand without the constant c-1, log(1 - z + z e^-u))."""
    log_base = np.logaddexp(log_eps, log_z - u)
    return -(c - 1.0) * u - b * log_base, log_base


def _window_end(
    lo: Floats, hi: Floats, b: Floats, c: Floats, log_z: Floats, log_eps: Floats, peak: Floats
) -> Floats:
    """Bisection for where the (monotone on [lo, hi]) log-integrand is _DROP below peak."""
    lo_value = _log_integrand(lo, b, c, log_z, log_eps)[0]
    inside_at_lo = lo_value > peak - _DROP
    a, z_ = lo.copy(), hi.copy()
    for _ in range(60):
        mid = 0.5 * (a + z_)
        inside = _log_integrand(mid, b, c, log_z, log_eps)[0] > peak - _DROP
        a = np.where(inside == inside_at_lo, mid, a)
        z_ = np.where(inside == inside_at_lo, z_, mid)
    return z_


def _quadrature_pieces(
    b: Floats, c: Floats, z: Floats, log_eps: Floats
) -> tuple[Floats, Floats, Floats, Floats]:
    log_z = np.log(z)
    # Mode of the concave log-integrand: where b z e^-u / (1 - z + z e^-u) = c - 1.
    k = np.minimum((c - 1.0) / np.maximum(b, 1e-300), 1.0)
    with np.errstate(divide="ignore"):
        mode = np.where(b * z > c - 1.0, log_z + np.log1p(-k) - np.log(k) - log_eps, 0.0)
    mode = np.maximum(mode, 0.0)
    peak = _log_integrand(mode, b, c, log_z, log_eps)[0]
    far = mode + (log_z - log_eps) + 2.0 * _DROP / (c - 1.0) + 2.0 * _DROP
    right = _window_end(mode, far, b, c, log_z, log_eps, peak)
    left = np.where(
        mode > 0, _window_end(mode, np.zeros_like(mode), b, c, log_z, log_eps, peak), 0.0
    )
    left = np.minimum(left, mode)
    # Segments [left, mode], [mode, kink], [kink, kink + 30], [kink + 30, right]: around the
    # kink u* = log(z/(1-z)) the integrand turns from slow to fast decay over a few units
    # of u, while the far tail is a plain exponential that wide panels integrate exactly.
    kink = np.clip(log_z - log_eps, mode, np.maximum(right, mode))
    bend = np.minimum(kink + 30.0, np.maximum(right, kink))
    edges = np.linspace(0.0, 1.0, _PANELS + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    half = 0.5 / _PANELS
    t = (centres[:, None] + half * _NODES[None, :]).ravel()
    w = np.tile(half * _WEIGHTS, _PANELS)
    starts = np.stack([left, mode, kink, bend], axis=1)
    lengths = np.stack(
        [mode - left, kink - mode, bend - kink, np.maximum(right, bend) - bend], axis=1
    )
    u = (starts[:, :, None] + lengths[:, :, None] * t[None, None, :]).reshape(len(b), -1)
    weights = (lengths[:, :, None] * w[None, None, :]).reshape(len(b), -1)
    bb, cc = b[:, None], c[:, None]
    log_f, log_base = _log_integrand(u, bb, cc, log_z[:, None], log_eps[:, None])
    top = log_f.max(axis=1, keepdims=True)
    mass = np.exp(log_f - top) * weights
    total = mass.sum(axis=1)
    log_value = np.log(c - 1.0) + top[:, 0] + np.log(total)
    d_b = -(mass * log_base).sum(axis=1) / total
    d_c = 1.0 / (c - 1.0) - (mass * u).sum(axis=1) / total
    d_z = (mass * (bb * -np.expm1(-u) / np.exp(log_base))).sum(axis=1) / total
    return log_value, d_b, d_c, d_z


def log_survival_integral(
    p: npt.ArrayLike,
    q: npt.ArrayLike,
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    gradient: bool = True,
) -> tuple[Floats, Floats, Floats, Floats, Floats]:
    """log G(p, q, a, b, y) (see module docstring) and its derivatives in p, q, a, b.

    All arguments broadcast. Returns (log G, d/dp, d/dq, d/da, d/db); the derivatives are
    zeros when ``gradient`` is False.
    """
    p, q, a, b, y = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (p, q, a, b, y)))
    c = p + q + 1.0
    a_le_b = a <= b
    ay = a + y
    by = b + y
    z = np.where(a_le_b, (b - a) / by, (a - b) / ay)
    log_ratio = np.log(ay) - np.log(by)
    log_one_minus_z = np.where(a_le_b, log_ratio, -log_ratio)
    b_param = np.where(a_le_b, q, p + 1.0)
    log_f, f_b, f_c, f_z = log_hyp2f1_unit(b_param, c, z, log_one_minus_z, derivatives=gradient)
    log_g = np.where(a_le_b, log_f, log_f - log_ratio)
    if not gradient:
        zeros = np.zeros_like(log_g)
        return log_g, zeros, zeros, zeros, zeros
    # Chain rule through b' (q or p+1), c = p+q+1 and z(a, b).
    d_p = np.where(a_le_b, f_c, f_b + f_c)
    d_q = np.where(a_le_b, f_b + f_c, f_c)
    d_a = np.where(a_le_b, -f_z / by, -1.0 / ay + f_z * by / ay**2)
    d_b = np.where(a_le_b, f_z * ay / by**2, 1.0 / by - f_z / ay)
    return log_g, d_p, d_q, d_a, d_b


def bgnbd_expectation_numerator(
    r: float, alpha: float, a: float, b: float, x: Floats, T: Floats, t: Floats
) -> Floats:
    """The numerator of FHL (2005) eq. 10: expected purchases in (T, T+t] if still alive.

    (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)] with
    z = t / (alpha+T+t). The Euler transformation rewrites the bracket as
    1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), whose parameters no longer grow with x,
    so a customer with hundreds of purchases does not overflow. At a = 1 the quotient is
    0/0 (a removable singularity); within 1e-4 of it we interpolate linearly between
    a = 1 -/+ 1e-4, an error of order 1e-9.
    """
    if min(a, b) >= _HOMOGENEOUS_DROPOUT:
        return _homogeneous_dropout_numerator(r, alpha, a, b, x, T, t)
    if abs(a - 1.0) < _A_NEAR_ONE:
        lo = _bgnbd_numerator(r, alpha, 1.0 - _A_NEAR_ONE, b, x, T, t)
        hi = _bgnbd_numerator(r, alpha, 1.0 + _A_NEAR_ONE, b, x, T, t)
        weight = (a - (1.0 - _A_NEAR_ONE)) / (2 * _A_NEAR_ONE)
        return np.asarray((1.0 - weight) * lo + weight * hi, dtype=np.float64)
    return _bgnbd_numerator(r, alpha, a, b, x, T, t)


_A_NEAR_ONE = 1e-4

# Past this, the beta mixing distribution of the dropout probability is so narrow that its
# limit (every customer drops out with the same p) is exact to about 1e-4 relative, while
# the hypergeometric form overflows (inf - inf) — seen when nobody in the data stops buying.
_HOMOGENEOUS_DROPOUT = 1000.0


def _homogeneous_dropout_numerator(
    r: float, alpha: float, a: float, b: float, x: Floats, T: Floats, t: Floats
) -> Floats:
    """The same expectation in the limit a, b -> inf: p = a / (a + b + x) for everyone.

    With dropout probability p after each purchase and rate lambda, purchases in t number
    (1 - exp(-lambda p t)) / p in expectation; averaged over lambda's Gamma(r + x, alpha + T)
    posterior that is (1 - ((alpha + T) / (alpha + T + p t))^(r + x)) / p.
    """
    x, T, t = (np.asarray(v, dtype=np.float64) for v in (x, T, t))
    p = a / (a + b + x)
    return np.asarray(-np.expm1(-(r + x) * np.log1p(p * t / (alpha + T))) / p)


def _bgnbd_numerator(
    r: float, alpha: float, a: float, b: float, x: Floats, T: Floats, t: Floats
) -> Floats:
    x = np.asarray(x, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    z = t / (alpha + T + t)
    log_one_minus_z = np.log(alpha + T) - np.log(alpha + T + t)
    hyper = hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
    bracket = -np.expm1((a - 1.0) * log_one_minus_z + np.log(hyper))
    return np.asarray((a + b + x - 1.0) / (a - 1.0) * bracket, dtype=np.float64)
