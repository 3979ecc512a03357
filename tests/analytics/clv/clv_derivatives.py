"""The CLV fits' analytic Hessians against central differences of their own gradients."""

import numpy as np


def hessians(design, theta: np.ndarray, *, step: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """(analytic, numeric): ``design``'s Hessian at ``theta``, and the central difference of
    its gradient (``loglik(theta)[1]``) with a relative step of ``step`` per parameter."""
    design.loglik(theta)
    analytic = design.hessian(theta)
    numeric = np.empty((theta.size, theta.size))
    for j in range(theta.size):
        h = step * theta[j]
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        numeric[:, j] = (design.loglik(up)[1] - design.loglik(down)[1]) / (2 * h)
    return analytic, numeric
