/**
 * The bound-constrained quasi-Newton solver (src/optimise/solver.ts): against SciPy's L-BFGS-B on a
 * small dense fluence problem, and on problems whose constrained minimiser is derived here.
 *
 * SOLVER_REPORT=1 prints iterations and evaluations per iteration on the fluence problem.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { minimiseBounded, type IterationInfo, type SolverOptions, type ValueAndGradient } from '../../src/optimise/solver.js';
import { mulberry32 } from '../../src/phantom/prng.js';
import { TOOLS, have, runTool } from '../helpers/external.js';

const report = process.env.SOLVER_REPORT === '1';

/** Wraps fg: counts calls and records the smallest weight ever handed to it. */
function watched(fg: ValueAndGradient): { fg: ValueAndGradient; calls: () => number; smallest: () => number } {
  let calls = 0;
  let smallest = Infinity;
  return {
    fg: (x, g) => {
      calls++;
      for (let i = 0; i < x.length; i++) if (x[i]! < smallest || Number.isNaN(x[i]!)) smallest = x[i]!;
      return fg(x, g);
    },
    calls: () => calls,
    smallest: () => smallest,
  };
}

/** f = 1/2 ||x - c||^2. */
function distanceTo(c: Float64Array): ValueAndGradient {
  return (x, g) => {
    let f = 0;
    for (let i = 0; i < x.length; i++) {
      const d = x[i]! - c[i]!;
      g[i] = d;
      f += 0.5 * d * d;
    }
    return f;
  };
}

/** Rosenbrock's function of (x - sx, y - sy): unconstrained minimum 0 at (1 + sx, 1 + sy). */
function rosenbrock(sx: number, sy: number): ValueAndGradient {
  return (v, g) => {
    const x = v[0]! - sx;
    const y = v[1]! - sy;
    g[0] = -400 * x * (y - x * x) - 2 * (1 - x);
    g[1] = 200 * (y - x * x);
    return 100 * (y - x * x) ** 2 + (1 - x) ** 2;
  };
}

// ---------------------------------------------------------------------------------------------
// A small dense fluence problem: 300 points uniform in a disc of radius 50 mm; 8 beams 45 degrees
// apart with 10 beamlets each, 4 mm apart; beamlet dose = Gaussian lateral profile (sigma 4 mm)
// times an exponential depth attenuation (0.005 / mm), times a seeded 0.9 .. 1.1 factor. Target: a
// ring 10 .. 30 mm from the centre, squared under- and overdose to L = 1; organ: the points within
// 9 mm of the centre, inside the ring, squared overdose above Lo = 0.3, weight lambda = 1. Each term
// is a mean over its points. No beam can reach the ring without crossing the organ, so the optimum
// is a trade-off (f* of a few per cent) with many beamlets at 0.

interface FluenceProblem {
  readonly nPoints: number;
  readonly nBeamlets: number;
  /** Row-major nPoints x nBeamlets. */
  readonly d: Float64Array;
  readonly target: readonly number[];
  readonly organ: readonly number[];
  readonly level: number;
  readonly organLevel: number;
  readonly lambda: number;
}

function fluenceProblem(seed: number): FluenceProblem {
  const rng = mulberry32(seed);
  const nPoints = 300;
  const nBeams = 8;
  const perBeam = 10;
  const spacingMm = 4;
  const sigmaMm = 4;
  const nBeamlets = nBeams * perBeam;
  const px = new Float64Array(nPoints);
  const py = new Float64Array(nPoints);
  for (let p = 0; p < nPoints; p++) {
    // Uniform in the disc: radius by the square root of a uniform deviate.
    const r = 50 * Math.sqrt(rng.next());
    const phi = 2 * Math.PI * rng.next();
    px[p] = r * Math.cos(phi);
    py[p] = r * Math.sin(phi);
  }
  const d = new Float64Array(nPoints * nBeamlets);
  for (let b = 0; b < nBeams; b++) {
    const a = (b * Math.PI) / 4;
    const dirX = Math.cos(a);
    const dirY = Math.sin(a);
    for (let j = 0; j < perBeam; j++) {
      const centreMm = (j - (perBeam - 1) / 2) * spacingMm;
      const factor = 0.9 + 0.2 * rng.next();
      for (let p = 0; p < nPoints; p++) {
        const lateralMm = -px[p]! * dirY + py[p]! * dirX;
        const depthMm = 50 + px[p]! * dirX + py[p]! * dirY;
        const profile = Math.exp(-((lateralMm - centreMm) ** 2) / (2 * sigmaMm * sigmaMm));
        d[p * nBeamlets + b * perBeam + j] = factor * profile * Math.exp(-0.005 * depthMm);
      }
    }
  }
  const target: number[] = [];
  const organ: number[] = [];
  for (let p = 0; p < nPoints; p++) {
    const r = Math.hypot(px[p]!, py[p]!);
    if (r >= 10 && r < 30) target.push(p);
    else if (r < 9) organ.push(p);
  }
  return { nPoints, nBeamlets, d, target, organ, level: 1, organLevel: 0.3, lambda: 1 };
}

function fluenceObjective(pr: FluenceProblem): ValueAndGradient {
  const dose = new Float64Array(pr.nPoints);
  const dDose = new Float64Array(pr.nPoints);
  const { nBeamlets: nb, d } = pr;
  return (w, g) => {
    for (let p = 0; p < pr.nPoints; p++) {
      let s = 0;
      for (let b = 0; b < nb; b++) s += d[p * nb + b]! * w[b]!;
      dose[p] = s;
    }
    dDose.fill(0);
    let f = 0;
    const L = pr.level;
    const nt = pr.target.length;
    for (const p of pr.target) {
      const e = dose[p]! - L; // under- and overdose together: (d - L)^2 either side
      f += (e * e) / (nt * L * L);
      dDose[p] = dDose[p]! + (2 * e) / (nt * L * L);
    }
    const Lo = pr.organLevel;
    const no = pr.organ.length;
    for (const p of pr.organ) {
      const e = Math.max(0, dose[p]! - Lo);
      f += (pr.lambda * e * e) / (no * Lo * Lo);
      dDose[p] = dDose[p]! + (2 * pr.lambda * e) / (no * Lo * Lo);
    }
    for (let b = 0; b < nb; b++) {
      let s = 0;
      for (let p = 0; p < pr.nPoints; p++) s += d[p * nb + b]! * dDose[p]!;
      g[b] = s;
    }
    return f;
  };
}

const SCIPY_PY = `
import json, sys
import numpy as np
from scipy.optimize import minimize
pr = json.load(open(sys.argv[1]))
D = np.array(pr['d'], dtype=np.float64).reshape(pr['nPoints'], pr['nBeamlets'])
t = np.array(pr['target'], dtype=np.int64)
o = np.array(pr['organ'], dtype=np.int64)
L, Lo, lam = pr['level'], pr['organLevel'], pr['lambda']
def fg(w):
    dose = D @ w
    under = np.maximum(0.0, L - dose[t])
    over = np.maximum(0.0, dose[t] - L)
    oo = np.maximum(0.0, dose[o] - Lo)
    f = (np.sum(under**2) + np.sum(over**2)) / (len(t) * L * L) + lam * np.sum(oo**2) / (len(o) * Lo * Lo)
    dd = np.zeros_like(dose)
    dd[t] += (-2.0 * under + 2.0 * over) / (len(t) * L * L)
    dd[o] += 2.0 * lam * oo / (len(o) * Lo * Lo)
    return f, D.T @ dd
x0 = np.array(pr['x0'], dtype=np.float64)
n = len(x0)
tight = minimize(fg, x0, jac=True, method='L-BFGS-B', bounds=[(0, None)] * n,
                 options=dict(ftol=1e-15, gtol=1e-12, maxiter=20000, maxfun=100000))
default = minimize(fg, x0, jac=True, method='L-BFGS-B', bounds=[(0, None)] * n)
print(json.dumps({'fun': float(tight.fun), 'x': [float(v) for v in tight.x], 'nit': int(tight.nit), 'nfev': int(tight.nfev),
                  'message': str(tight.message), 'defaultFun': float(default.fun), 'defaultNit': int(default.nit),
                  'defaultNfev': int(default.nfev)}))
`;

interface ScipyAnswer {
  fun: number;
  x: number[];
  nit: number;
  nfev: number;
  message: string;
  defaultFun: number;
  defaultNit: number;
  defaultNfev: number;
}

describe.runIf(have(TOOLS.scipy))("fluence problem against SciPy's L-BFGS-B", () => {
  const pr = fluenceProblem(20_240_611);
  const x0 = new Float64Array(pr.nBeamlets).fill(0.1);

  it('reaches the same optimum objective within 1e-4 relative, and not worse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lattice-solver-'));
    let r: ReturnType<typeof runTool>;
    try {
      const file = join(dir, 'problem.json');
      writeFileSync(file, JSON.stringify({ ...pr, d: Array.from(pr.d), x0: Array.from(x0) }));
      r = runTool(TOOLS.scipy.command, ['-c', SCIPY_PY, file]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(r.status, r.stderr).toBe(0);
    const theirs = JSON.parse(r.stdout) as ScipyAnswer;

    const fg = fluenceObjective(pr);
    // The same function on both sides: our objective at SciPy's optimum is SciPy's value.
    const atTheirs = fg(Float64Array.from(theirs.x), new Float64Array(pr.nBeamlets));
    expect(Math.abs(atTheirs - theirs.fun) / theirs.fun).toBeLessThan(1e-12);
    expect(pr.target.length).toBeGreaterThan(30);
    expect(pr.organ.length).toBeGreaterThan(8);

    const w = watched(fg);
    const tightOptions = { gradientTolerance: 1e-12, relativeTolerance: 1e-15, maxIterations: 50_000, maxEvaluations: 100_000 };
    const tight = minimiseBounded(w.fg, x0, tightOptions);
    const rel = (tight.value - theirs.fun) / theirs.fun;

    // Default options: the realistic setting, where each evaluation costs about a second.
    const usual = minimiseBounded(fg, x0);
    if (report) {
      const line = (who: string, value: number, iterations: number, evaluations: number, why: string): string =>
        `${who} f = ${value.toPrecision(12)}, ${iterations} iterations, ${evaluations} evaluations ` +
        `(${(evaluations / Math.max(1, iterations)).toFixed(2)} per iteration), ${why}`;
      console.log(
        [
          `fluence problem ${pr.nPoints} points x ${pr.nBeamlets} beamlets (${pr.target.length} target, ${pr.organ.length} organ points)`,
          line('ours, tight:   ', tight.value, tight.iterations, tight.evaluations, `stop ${tight.stopReason}`),
          line('SciPy, tight:  ', theirs.fun, theirs.nit, theirs.nfev, theirs.message),
          line('ours, default: ', usual.value, usual.iterations, usual.evaluations, `stop ${usual.stopReason}`),
          line('SciPy, default:', theirs.defaultFun, theirs.defaultNit, theirs.defaultNfev, 'SciPy defaults'),
          `relative difference in objective (ours - SciPy) / SciPy: ${rel.toExponential(2)}`,
        ].join('\n'),
      );
    }
    expect(w.smallest()).toBeGreaterThanOrEqual(0);
    expect(tight.evaluations).toBe(w.calls());
    expect(Math.abs(rel), `ours ${tight.value}, SciPy ${theirs.fun}`).toBeLessThanOrEqual(1e-4);
    expect(rel).toBeLessThanOrEqual(1e-4);
    // At the optimum some beamlets are off (the organ side): the bound is active.
    expect(tight.x.some((v) => v === 0)).toBe(true);

    expect((usual.value - theirs.fun) / theirs.fun).toBeLessThan(5e-3);
    // Step 1 is accepted in most iterations: few evaluations per iteration.
    expect(usual.evaluations).toBeLessThanOrEqual(Math.ceil(1.3 * usual.iterations) + 5);
  });
});

describe('minimiseBounded on problems with a derived minimiser', () => {
  it('1/2 ||x - c||^2 with some c_i < 0 is minimised at max(c, 0) with value 1/2 sum of the negative c_i squared', () => {
    const c = Float64Array.from([1.5, -2, 3, -0.5, 0.25, -1e-3, 0, 7]);
    const w = watched(distanceTo(c));
    const x0 = new Float64Array(c.length).fill(1);
    const r = minimiseBounded(w.fg, x0, { gradientTolerance: 1e-12 });
    const expected = (2 * 2 + 0.5 * 0.5 + 1e-3 * 1e-3) / 2;
    for (let i = 0; i < c.length; i++) expect(r.x[i]).toBeCloseTo(Math.max(0, c[i]!), 12);
    expect(r.value).toBeCloseTo(expected, 12);
    expect(r.stopReason).toBe('gradient');
    expect(w.smallest()).toBeGreaterThanOrEqual(0);
    expect(Array.from(x0)).toEqual(new Array(c.length).fill(1));
  });

  it('honours a lower bound other than 0: the minimiser is max(c, lower)', () => {
    const c = Float64Array.from([2, -3, 0.4, 0.6]);
    const w = watched(distanceTo(c));
    const r = minimiseBounded(w.fg, Float64Array.from([-5, 5, 0.5, 0.5]), { lower: 0.5, gradientTolerance: 1e-12 });
    expect(Array.from(r.x, (v) => Number(v.toFixed(10)))).toEqual([2, 0.5, 0.5, 0.6]);
    expect(r.value).toBeCloseTo((3.5 * 3.5 + 0.1 * 0.1) / 2, 12);
    expect(w.smallest()).toBeGreaterThanOrEqual(0.5);
  });

  it('an ill-conditioned quadratic (condition 1e4) with active bounds is solved to 1e-8', () => {
    // f = 1/2 (x - x*)^T A (x - x*) + mu^T x, A = Q diag(lambda) Q^T with lambda log-spaced 1 .. 1e4
    // and Q a product of seeded Householder reflections; x* >= 0 has every third entry 0, mu > 0
    // there and 0 elsewhere. Then grad f(x*) = mu: zero on the free entries and positive on the
    // active ones (KKT), and f is strictly convex, so x* is the unique minimiser, f(x*) = mu^T x* = 0.
    const n = 24;
    const rng = mulberry32(7);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) a[i * n + i] = 10 ** ((4 * i) / (n - 1));
    const v = new Float64Array(n);
    const t = new Float64Array(n * n);
    for (let reflection = 0; reflection < 3; reflection++) {
      let norm = 0;
      for (let i = 0; i < n; i++) {
        v[i] = rng.normal();
        norm += v[i]! * v[i]!;
      }
      // A <- H A H with H = I - 2 v v^T / (v^T v).
      const h = (i: number, j: number): number => (i === j ? 1 : 0) - (2 * v[i]! * v[j]!) / norm;
      t.fill(0);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) t[i * n + j] += h(i, k) * a[k * n + j]!;
      a.fill(0);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] += t[i * n + k]! * h(k, j);
    }
    const xStar = new Float64Array(n);
    const mu = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (i % 3 === 0) mu[i] = 0.5 + rng.next();
      else xStar[i] = 0.5 + rng.next();
    }
    const fg: ValueAndGradient = (x, g) => {
      let f = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += a[i * n + j]! * (x[j]! - xStar[j]!);
        g[i] = s + mu[i]!;
        f += 0.5 * (x[i]! - xStar[i]!) * s + mu[i]! * x[i]!;
      }
      return f;
    };
    const w = watched(fg);
    const r = minimiseBounded(w.fg, new Float64Array(n).fill(1), { gradientTolerance: 1e-10, relativeTolerance: 0, maxIterations: 2000 });
    expect(r.stopReason).toBe('gradient');
    let err = 0;
    for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(r.x[i]! - xStar[i]!));
    expect(err).toBeLessThan(1e-8);
    expect(Math.abs(r.value)).toBeLessThan(1e-12);
    for (let i = 0; i < n; i += 3) expect(r.x[i]).toBe(0);
    expect(w.smallest()).toBeGreaterThanOrEqual(0);
  });

  it('Rosenbrock from the infeasible (-1.2, 1), projected to (0, 1), reaches its minimum (1, 1)', () => {
    const w = watched(rosenbrock(0, 0));
    const r = minimiseBounded(w.fg, Float64Array.from([-1.2, 1]), { gradientTolerance: 1e-10, relativeTolerance: 0, maxIterations: 500 });
    expect(r.x[0]).toBeCloseTo(1, 8);
    expect(r.x[1]).toBeCloseTo(1, 8);
    expect(r.value).toBeLessThan(1e-16);
    expect(w.smallest()).toBeGreaterThanOrEqual(0);
    expect(r.evaluations).toBe(w.calls());
    expect(r.evaluations).toBeLessThan(2 * r.iterations + 10);
  });

  it('shifted Rosenbrock with its unconstrained minimum at y = -2 stops on the bound y = 0 at the root of 400x^3 - 1198x - 2', () => {
    // f = 100 ((y + 3) - x^2)^2 + (1 - x)^2, unconstrained minimum (1, -2). On y = 0,
    // df/dx = 400 x^3 - 1198 x - 2 = 0 (root near sqrt 3, found here by bisection), and there
    // df/dy = 200 (3 - x^2) > 0: the bound y >= 0 is active.
    const cubic = (x: number): number => 400 * x ** 3 - 1198 * x - 2;
    let lo = 1.5;
    let hi = 2;
    for (let k = 0; k < 200; k++) {
      const mid = 0.5 * (lo + hi);
      if (cubic(mid) > 0) hi = mid;
      else lo = mid;
    }
    const xStar = 0.5 * (lo + hi);
    expect(200 * (3 - xStar * xStar)).toBeGreaterThan(0);
    const fStar = 100 * (3 - xStar * xStar) ** 2 + (1 - xStar) ** 2;
    const w = watched(rosenbrock(0, -3));
    const r = minimiseBounded(w.fg, Float64Array.from([0.2, 1.5]), { gradientTolerance: 1e-10, relativeTolerance: 0, maxIterations: 500 });
    expect(r.x[1]).toBe(0);
    expect(r.x[0]).toBeCloseTo(xStar, 8);
    expect(Math.abs(r.value - fStar) / fStar).toBeLessThan(1e-12);
    expect(w.smallest()).toBeGreaterThanOrEqual(0);
  });

  it('the fluence problem (no external tool): every evaluated point is feasible and the values never increase', () => {
    const pr = fluenceProblem(3);
    const w = watched(fluenceObjective(pr));
    const r = minimiseBounded(w.fg, new Float64Array(pr.nBeamlets).fill(0.1));
    expect(w.smallest()).toBeGreaterThanOrEqual(0);
    expect(r.history.length).toBe(r.iterations + 1);
    for (let k = 1; k < r.history.length; k++) expect(r.history[k]).toBeLessThanOrEqual(r.history[k - 1]!);
    expect(r.value).toBe(r.history[r.history.length - 1]);
    expect(r.value).toBeLessThan(0.2 * r.history[0]!);
  });

  it('is deterministic: two runs give bit-identical weights', () => {
    const pr = fluenceProblem(11);
    const x0 = new Float64Array(pr.nBeamlets).fill(0.1);
    const a = minimiseBounded(fluenceObjective(pr), x0, { maxIterations: 60 });
    const b = minimiseBounded(fluenceObjective(pr), x0, { maxIterations: 60 });
    expect(Buffer.from(a.x.buffer).equals(Buffer.from(b.x.buffer))).toBe(true);
    expect(a.history).toEqual(b.history);
    expect(a.evaluations).toBe(b.evaluations);
  });

  it('treats a non-finite value during the search as too long a step', () => {
    // f = sum exp(x_i) - 10 x_i, minimiser ln 10 in every entry, but NaN once any weight exceeds 4
    // (an overflow, say): the quasi-Newton model underestimates the growing curvature and overshoots.
    let nans = 0;
    const fg: ValueAndGradient = (x, g) => {
      if (x.some((v) => v > 4)) {
        nans++;
        return NaN;
      }
      let f = 0;
      for (let i = 0; i < x.length; i++) {
        f += Math.exp(x[i]!) - 10 * x[i]!;
        g[i] = Math.exp(x[i]!) - 10;
      }
      return f;
    };
    const r = minimiseBounded(fg, Float64Array.from([0, 0.5, 1]), { gradientTolerance: 1e-12, relativeTolerance: 0 });
    expect(nans).toBeGreaterThan(0);
    expect(r.stopReason).toBe('gradient');
    for (const v of r.x) expect(v).toBeCloseTo(Math.log(10), 10);
  });
});

describe('minimiseBounded stopping rules', () => {
  const pr = fluenceProblem(5);
  const fg = fluenceObjective(pr);
  const x0 = new Float64Array(pr.nBeamlets).fill(0.1);

  it('maxIterations: stops after exactly that many iterations; history has iterations + 1 values', () => {
    const r = minimiseBounded(fg, x0, { maxIterations: 4 });
    expect(r.stopReason).toBe('max-iterations');
    expect(r.iterations).toBe(4);
    expect(r.history.length).toBe(5);
    const none = minimiseBounded(fg, x0, { maxIterations: 0 });
    expect(none.stopReason).toBe('max-iterations');
    expect(none.evaluations).toBe(1);
    expect(none.history).toEqual([none.value]);
    expect(Array.from(none.x)).toEqual(Array.from(x0));
  });

  it('maxEvaluations: never calls f more often', () => {
    const w = watched(fg);
    const r = minimiseBounded(w.fg, x0, { maxEvaluations: 7 });
    expect(r.stopReason).toBe('max-evaluations');
    expect(w.calls()).toBe(r.evaluations);
    expect(r.evaluations).toBeLessThanOrEqual(7);
    expect(r.value).toBeLessThan(r.history[0]!);
  });

  it('onIteration sees iterations 0, 1, 2, ... and stops the run when it returns true', () => {
    const seen: IterationInfo[] = [];
    const r = minimiseBounded(fg, x0, {
      onIteration: (info) => {
        seen.push(info);
        return info.iteration === 3;
      },
    });
    expect(r.stopReason).toBe('callback');
    expect(r.iterations).toBe(3);
    expect(seen.map((s) => s.iteration)).toEqual([0, 1, 2, 3]);
    expect(seen.map((s) => s.value)).toEqual(r.history);
    for (let k = 1; k < seen.length; k++) expect(seen[k]!.evaluations).toBeGreaterThan(seen[k - 1]!.evaluations);
    expect(seen[3]!.projectedGradientNorm).toBe(r.projectedGradientNorm);
  });

  it('gradient: a start that is already optimal stops at iteration 0 after one evaluation', () => {
    const c = Float64Array.from([1, -1, 2]);
    const r = minimiseBounded(distanceTo(c), Float64Array.from([1, 0, 2]));
    expect(r.stopReason).toBe('gradient');
    expect(r.iterations).toBe(0);
    expect(r.evaluations).toBe(1);
    expect(r.projectedGradientNorm).toBe(0);
  });

  it('relative-decrease: a loose relative tolerance stops early, before the gradient test', () => {
    const r = minimiseBounded(fg, x0, { relativeTolerance: 1e-2, gradientTolerance: 0 });
    expect(r.stopReason).toBe('relative-decrease');
    const last = r.history[r.iterations]!;
    const prev = r.history[r.iterations - 1]!;
    expect((prev - last) / Math.max(prev, last)).toBeLessThanOrEqual(1e-2);
    for (let k = 1; k < r.iterations; k++) {
      const p = r.history[k - 1]!;
      const q = r.history[k]!;
      expect((p - q) / Math.max(p, q)).toBeGreaterThan(1e-2);
    }
  });
});

describe('minimiseBounded input errors', () => {
  const fg = distanceTo(Float64Array.from([1, 2]));
  const x0 = Float64Array.from([0, 0]);
  const expectInputError = (fn: () => unknown, fragment: string): void => {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as Error).message).toContain(fragment);
  };

  it('rejects non-finite or empty starting weights', () => {
    expectInputError(() => minimiseBounded(fg, Float64Array.from([0, NaN])), 'starting weight 1 is not finite');
    expectInputError(() => minimiseBounded(fg, Float64Array.from([Infinity, 0])), 'starting weight 0 is not finite');
    expectInputError(() => minimiseBounded(fg, new Float64Array(0)), 'empty');
  });

  it('rejects options out of range', () => {
    const bad: [SolverOptions, string][] = [
      [{ lower: -Infinity }, 'lower'],
      [{ lower: NaN }, 'lower'],
      [{ maxIterations: -1 }, 'maxIterations'],
      [{ maxIterations: 2.5 }, 'maxIterations'],
      [{ memory: 0 }, 'memory'],
      [{ memory: 101 }, 'memory'],
      [{ gradientTolerance: -1e-6 }, 'gradientTolerance'],
      [{ gradientTolerance: NaN }, 'gradientTolerance'],
      [{ relativeTolerance: Infinity }, 'relativeTolerance'],
      [{ maxEvaluations: 0 }, 'maxEvaluations'],
    ];
    for (const [options, name] of bad) expectInputError(() => minimiseBounded(fg, x0, options), name);
  });

  it('says so when the objective is not finite at the start', () => {
    expectInputError(() => minimiseBounded(() => NaN, x0), 'objective is not finite at the starting weights');
    expectInputError(() => minimiseBounded(() => Infinity, x0), 'objective is not finite at the starting weights');
    expectInputError(
      () =>
        minimiseBounded((_x, g) => {
          g[0] = NaN;
          return 1;
        }, x0),
      'gradient is not finite at the starting weights',
    );
  });
});
