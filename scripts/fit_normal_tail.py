"""Fits the Chebyshev expansions used by src/ans/special.rs for the upper tail Q(z) of the
standard normal distribution, Q(z) = P(Z > z) for z >= 0.

Run with any Python that has mpmath: python3 scripts/fit_normal_tail.py
It prints Rust constant arrays. The pieces are

    [0, 1):   Q(z) = 1/2 - z * A(z^2)             A fitted on u = z^2 in [0, 1]
    [a, b):   Q(z) = exp(-z^2/2) * B(z)           B fitted on z in [a, b] for [1,2), [2,4), [4,8)
    [8, inf): Q(z) = exp(-z^2/2) / z * C(1/z^2)   C fitted on t = 1/z^2 in [0, 1/64]
"""
import mpmath as mp

mp.mp.dps = 60
N = 60  # nodes; far more than the kept degree


def Q(z):
    return mp.erfc(z / mp.sqrt(2)) / 2


def A(u):
    if u == 0:
        return 1 / mp.sqrt(2 * mp.pi)
    z = mp.sqrt(u)
    return (mp.mpf(1) / 2 - Q(z)) / z


def B(z):
    return Q(z) * mp.exp(z * z / 2)


def C(t):
    if t == 0:
        return 1 / mp.sqrt(2 * mp.pi)
    z = 1 / mp.sqrt(t)
    return Q(z) * z * mp.exp(z * z / 2)


def cheb(f, a, b, tol=mp.mpf("1e-18")):
    a, b = mp.mpf(a), mp.mpf(b)
    xs = []
    fs = []
    for k in range(N):
        th = mp.pi * (k + mp.mpf(1) / 2) / N
        x = (a + b) / 2 + (b - a) / 2 * mp.cos(th)
        fs.append(f(x))
        xs.append(th)
    cs = []
    for j in range(N):
        s = mp.fsum(fs[k] * mp.cos(j * xs[k]) for k in range(N))
        cs.append(2 * s / N)
    cs[0] /= 2
    scale = max(abs(c) for c in cs)
    while abs(cs[-1]) < tol * scale:
        cs.pop()
    return cs


def emit(name, cs):
    print(f"const {name}: [f64; {len(cs)}] = [")
    for c in cs:
        print(f"    {float(c)!r},")
    print("];")


emit("TAIL_A", cheb(A, 0, 1))
emit("TAIL_B1", cheb(B, 1, 2))
emit("TAIL_B2", cheb(B, 2, 4))
emit("TAIL_B3", cheb(B, 4, 8))
emit("TAIL_C", cheb(C, 0, mp.mpf(1) / 64))
