/**
 * Bound-constrained quasi-Newton minimisation for fluence (beamlet weight) optimisation: minimise
 * f(w) subject to w_i >= lower for every i (no upper bounds).
 *
 * Input: a function that returns f(w) and writes its gradient, starting weights (projected onto the
 * bound first, never modified), options. Output: the best weights found, their value, the stop reason
 * and per-iteration values. Every weight vector handed to f is feasible (w_i >= lower exactly).
 *
 * Algorithm: L-BFGS-B (Byrd, Lu, Nocedal & Zhu, SIAM J Sci Comput 16:1190, 1995), written for this
 * project from the paper and from Nocedal & Wright, Numerical Optimization, 2nd ed., Springer 2006:
 * 1. the limited-memory BFGS matrix in compact form B = theta I - W M W^T, W = [Y, theta S],
 *    M = [[-D, L^T], [L, theta S^T S]]^-1 (paper section 3; N&W 7.3);
 * 2. the generalized Cauchy point: the first local minimiser of the quadratic model along the
 *    projected steepest-descent path P(x - t g), breakpoints taken in order from a heap (paper 4);
 * 3. subspace minimisation of the model over the variables free at the Cauchy point (direct primal
 *    method, paper 5.1, the inverse by Sherman-Morrison-Woodbury), projected onto the bound, falling
 *    back to the feasible part of the step when the projected point is not a descent direction
 *    (Morales & Nocedal, ACM TOMS 38:7, 2011);
 * 4. a line search from x towards that point satisfying the strong Wolfe conditions, c1 = 1e-3,
 *    c2 = 0.9 as in L-BFGS-B (bracketing and zoom with safeguarded cubic interpolation, N&W 3.5);
 *    step 1 is tried first, except on the first iteration (no curvature yet), whose first trial moves
 *    a unit Euclidean length, as SciPy does.
 * A curvature pair is skipped when s^T y <= eps y^T y (eps = 2^-52). When the compact matrix cannot be
 * factored, the subspace step is not a descent direction or a line search fails, the memory is
 * cleared and the iteration restarts from steepest descent. A non-finite value or gradient at a
 * trial point counts as too long a step. A line search that runs out of trials (20) or of interval
 * accepts its best sufficient-decrease point if it has one.
 *
 * Stopping, checked at every iterate in this order (iteration 0 is the start):
 * - 'gradient': the projected gradient's max-norm, max_i |x_i - max(lower, x_i - g_i)|, is
 *   <= gradientTolerance * max(1, |f|) (the gradient's scale relative to f's, with an absolute
 *   floor for |f| < 1);
 * - 'relative-decrease': (f_prev - f) / max(|f_prev|, |f|, 1e-300) <= relativeTolerance, except
 *   after a step taken without curvature information (the first, or one after the memory was
 *   cleared: its unit length is arbitrary, so a small decrease there is no sign of convergence;
 *   SciPy does test it, and stops after one tiny step when the variables are large); also when,
 *   with curvature information, the next step promises a decrease -g^T d <= 10 eps |f| (below
 *   the rounding of f: no further progress is possible, whatever relativeTolerance says);
 * - 'callback': onIteration returned true (it is called at every iterate, iteration 0 included);
 * - 'max-iterations': maxIterations iterations done;
 * - 'max-evaluations': maxEvaluations evaluations done (a line search cut short by the budget
 *   accepts its best sufficient-decrease point as a last iteration, if it has one);
 * - 'line-search': no step with sufficient decrease was found even from steepest descent.
 * The result is always the best point found, with its value and gradient norm; history holds the
 * value at every iterate (non-increasing): history.length === iterations + 1.
 *
 * Cost per iteration besides the evaluations: O(m n) for the memory, O(m^2 n) for the subspace
 * system, O(m^2) per breakpoint passed; everything of length n is allocated once per run.
 */

import { InputError, fmt } from '../core/errors.js';

export interface SolverOptions {
  /** Lower bound of every variable (default 0); there is no upper bound. */
  readonly lower?: number;
  /** Most iterations (accepted steps), integer >= 0 (default 200). */
  readonly maxIterations?: number;
  /** Number of L-BFGS correction pairs kept, integer 1..100 (default 10). */
  readonly memory?: number;
  /** Stop when max_i |projected gradient_i| <= gradientTolerance * max(1, |f|) (default 1e-6). */
  readonly gradientTolerance?: number;
  /** Stop when (f_prev - f) / max(|f_prev|, |f|, 1e-300) <= relativeTolerance (default 1e-7). */
  readonly relativeTolerance?: number;
  /** Most calls of f, integer >= 1 (default 2 * maxIterations + 20). */
  readonly maxEvaluations?: number;
  /** Called at every iterate (iteration 0 = the start); return true to stop. */
  readonly onIteration?: (info: IterationInfo) => boolean | void;
  /**
   * Curvature memory carried from an earlier run on (nearly) the same function, from
   * createSolverMemory(n, memory): the run starts from its quasi-Newton model instead of steepest
   * descent, and leaves its own pairs in it for the next run. Its n and memory must match.
   */
  readonly curvature?: SolverMemory;
}

/** L-BFGS curvature pairs that outlive one run (see SolverOptions.curvature); opaque. */
export interface SolverMemory {
  readonly n: number;
  readonly m: number;
  /** Pairs stored. */
  readonly k: number;
}

/** An empty curvature memory for n variables and `memory` pairs (see SolverOptions.curvature). */
export function createSolverMemory(n: number, memory = 10): SolverMemory {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`solver: the curvature memory needs n >= 1 variables, got ${fmt(n)}`);
  if (!Number.isInteger(memory) || memory < 1 || memory > 100) throw new InputError(`solver: memory must be an integer in 1..100, got ${fmt(memory)}`);
  return new Memory(n, memory);
}

export interface IterationInfo {
  readonly iteration: number;
  readonly value: number;
  readonly projectedGradientNorm: number;
  readonly evaluations: number;
  readonly elapsedMs: number;
}

export type StopReason = 'gradient' | 'relative-decrease' | 'max-iterations' | 'max-evaluations' | 'callback' | 'line-search';

export interface SolverResult {
  /** The final (best) weights, all >= lower. */
  readonly x: Float64Array;
  readonly value: number;
  readonly iterations: number;
  /** Calls of f, the first included. */
  readonly evaluations: number;
  readonly stopReason: StopReason;
  /** Max-norm of the projected gradient at x. */
  readonly projectedGradientNorm: number;
  readonly elapsedMs: number;
  /** Value at every iterate, the start first (length iterations + 1). */
  readonly history: readonly number[];
}

/** f(x, grad) returns the value and writes the gradient into grad (length n). */
export type ValueAndGradient = (x: Float64Array, grad: Float64Array) => number;

const EPS = 2.220446049250313e-16;

type SearchOutcome = 'accepted' | 'accepted-best' | 'failed' | 'budget';
/** Sufficient-decrease (Armijo) and curvature constants of the strong Wolfe conditions. */
const C1 = 1e-3;
const C2 = 0.9;
/** Most evaluations in one line search. */
const MAX_LINE_SEARCH_TRIALS = 20;
/** A step whose predicted decrease -g^T d is at most ROUNDING |f| cannot make progress. */
const ROUNDING = 10 * EPS;

interface Settings {
  readonly lower: number;
  readonly maxIterations: number;
  readonly memory: number;
  readonly gradientTolerance: number;
  readonly relativeTolerance: number;
  readonly maxEvaluations: number;
}

function checkOptions(options: SolverOptions): Settings {
  const lower = options.lower ?? 0;
  if (!Number.isFinite(lower)) throw new InputError(`solver: lower bound must be finite, got ${fmt(lower)}`);
  const int = (name: string, value: number, min: number, max: number): number => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InputError(`solver: ${name} must be an integer in ${min}..${max}, got ${fmt(value)}`);
    }
    return value;
  };
  const tol = (name: string, value: number): number => {
    if (!Number.isFinite(value) || value < 0) throw new InputError(`solver: ${name} must be finite and >= 0, got ${fmt(value)}`);
    return value;
  };
  const maxIterations = int('maxIterations', options.maxIterations ?? 200, 0, Number.MAX_SAFE_INTEGER);
  const settings: Settings = {
    lower,
    maxIterations,
    memory: int('memory', options.memory ?? 10, 1, 100),
    gradientTolerance: tol('gradientTolerance', options.gradientTolerance ?? 1e-6),
    relativeTolerance: tol('relativeTolerance', options.relativeTolerance ?? 1e-7),
    maxEvaluations: int(
      'maxEvaluations',
      options.maxEvaluations ?? Math.min(2 * maxIterations + 20, Number.MAX_SAFE_INTEGER),
      1,
      Number.MAX_SAFE_INTEGER,
    ),
  };
  if (options.onIteration !== undefined && typeof options.onIteration !== 'function') {
    throw new InputError('solver: onIteration must be a function');
  }
  return settings;
}

/** Max-norm of the projected gradient x - P(x - g) for the bound x >= lower. */
function projectedGradientNorm(x: Float64Array, g: Float64Array, lower: number): number {
  let norm = 0;
  for (let i = 0; i < x.length; i++) {
    const gi = g[i]!;
    const pg = gi < 0 ? -gi : Math.min(x[i]! - lower, gi);
    if (pg > norm) norm = pg;
  }
  return norm;
}

/**
 * The limited-memory pairs (s, y) in a ring of preallocated slots, with the small matrices S^T S and
 * S^T Y (oldest pair first) and the compact-form middle matrices.
 */
class Memory {
  readonly n: number;
  readonly m: number;
  /** Slot j of S or Y is [j n, (j + 1) n). */
  readonly s: Float64Array;
  readonly y: Float64Array;
  /** order[i] = slot of the i-th oldest pair. */
  readonly order: Int32Array;
  /** ss[i m + j] = s_i^T s_j, sy[i m + j] = s_i^T y_j (logical order). */
  readonly ss: Float64Array;
  readonly sy: Float64Array;
  /** Pairs stored. */
  k = 0;
  theta = 1;
  /** K = M^-1 (2k x 2k, row-major with stride 2m) and M. */
  readonly kMat: Float64Array;
  readonly mMat: Float64Array;
  /** Cholesky factor of J = theta S^T S + L D^-1 L^T (k x k, stride m) and solve scratch. */
  private readonly chol: Float64Array;
  private readonly rhs: Float64Array;
  private readonly tmp: Float64Array;

  constructor(n: number, m: number) {
    this.n = n;
    this.m = m;
    this.s = new Float64Array(m * n);
    this.y = new Float64Array(m * n);
    this.order = new Int32Array(m);
    this.ss = new Float64Array(m * m);
    this.sy = new Float64Array(m * m);
    this.kMat = new Float64Array(4 * m * m);
    this.mMat = new Float64Array(4 * m * m);
    this.chol = new Float64Array(m * m);
    this.rhs = new Float64Array(2 * m);
    this.tmp = new Float64Array(2 * m);
    this.reset();
  }

  reset(): void {
    this.k = 0;
    this.theta = 1;
    for (let j = 0; j < this.m; j++) this.order[j] = j;
  }

  /**
   * Stores s = xNew - x and y = gNew - g unless s^T y <= eps y^T y; then refreshes theta and M.
   * Returns false when the pair was skipped. When M cannot be formed the memory is cleared.
   */
  add(x: Float64Array, xNew: Float64Array, g: Float64Array, gNew: Float64Array): boolean {
    const { n, m, ss, sy } = this;
    let sty = 0;
    let yty = 0;
    for (let i = 0; i < n; i++) {
      const si = xNew[i]! - x[i]!;
      const yi = gNew[i]! - g[i]!;
      sty += si * yi;
      yty += yi * yi;
    }
    if (!(sty > EPS * yty) || !Number.isFinite(yty)) return false;
    if (this.k === m) {
      // Drop the oldest pair: its slot takes the new one, the small matrices shift up-left.
      const slot0 = this.order[0]!;
      for (let j = 1; j < m; j++) this.order[j - 1] = this.order[j]!;
      this.order[m - 1] = slot0;
      for (let i = 1; i < m; i++) {
        for (let j = 1; j < m; j++) {
          ss[(i - 1) * m + j - 1] = ss[i * m + j]!;
          sy[(i - 1) * m + j - 1] = sy[i * m + j]!;
        }
      }
      this.k = m - 1;
    }
    const k = this.k;
    const slot = this.order[k]!;
    const off = slot * n;
    const s = this.s;
    const y = this.y;
    let sts = 0;
    for (let i = 0; i < n; i++) {
      const si = xNew[i]! - x[i]!;
      s[off + i] = si;
      y[off + i] = gNew[i]! - g[i]!;
      sts += si * si;
    }
    for (let j = 0; j < k; j++) {
      const o = this.order[j]! * n;
      let a = 0; // s_j^T s_new
      let b = 0; // s_j^T y_new
      let c = 0; // s_new^T y_j
      for (let i = 0; i < n; i++) {
        a += s[o + i]! * s[off + i]!;
        b += s[o + i]! * y[off + i]!;
        c += s[off + i]! * y[o + i]!;
      }
      ss[j * m + k] = a;
      ss[k * m + j] = a;
      sy[j * m + k] = b;
      sy[k * m + j] = c;
    }
    ss[k * m + k] = sts;
    sy[k * m + k] = sty;
    this.k = k + 1;
    this.theta = yty / sty;
    if (!this.formMiddle()) this.reset();
    return true;
  }

  /** Forms K and M = K^-1 for the current pairs; false when J is not positive definite. */
  formMiddle(): boolean {
    const { k, m, ss, sy, theta, chol, kMat, mMat, rhs, tmp } = this;
    const k2 = 2 * k;
    const stride = 2 * m;
    // K = [[-D, L^T], [L, theta S^T S]] with D = diag(s_i^T y_i), L_ij = s_i^T y_j (i > j).
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        kMat[i * stride + j] = i === j ? -sy[i * m + i]! : 0;
        kMat[i * stride + k + j] = j > i ? sy[j * m + i]! : 0;
        kMat[(k + i) * stride + j] = i > j ? sy[i * m + j]! : 0;
        kMat[(k + i) * stride + k + j] = theta * ss[i * m + j]!;
      }
    }
    // J = theta S^T S + L D^-1 L^T, then its Cholesky factor (lower, in chol).
    for (let i = 0; i < k; i++) {
      for (let j = 0; j <= i; j++) {
        let v = theta * ss[i * m + j]!;
        for (let l = 0; l < j; l++) v += (sy[i * m + l]! * sy[j * m + l]!) / sy[l * m + l]!;
        chol[i * m + j] = v;
      }
    }
    for (let j = 0; j < k; j++) {
      let d = chol[j * m + j]!;
      for (let l = 0; l < j; l++) d -= chol[j * m + l]! ** 2;
      if (!(d > 0) || !Number.isFinite(d)) return false;
      const r = Math.sqrt(d);
      chol[j * m + j] = r;
      for (let i = j + 1; i < k; i++) {
        let v = chol[i * m + j]!;
        for (let l = 0; l < j; l++) v -= chol[i * m + l]! * chol[j * m + l]!;
        chol[i * m + j] = v / r;
      }
    }
    // Column c of M solves K [a; b] = e_c: J b = v2 + L D^-1 v1, a = D^-1 (L^T b - v1).
    for (let c = 0; c < k2; c++) {
      for (let i = 0; i < k; i++) {
        const v1i = c === i ? 1 : 0;
        let v = c === k + i ? 1 : 0;
        for (let l = 0; l < i; l++) v += (sy[i * m + l]! * (c === l ? 1 : 0)) / sy[l * m + l]!;
        rhs[i] = v;
        tmp[i] = v1i;
      }
      // Forward then backward substitution with the Cholesky factor.
      for (let i = 0; i < k; i++) {
        let v = rhs[i]!;
        for (let l = 0; l < i; l++) v -= chol[i * m + l]! * rhs[l]!;
        rhs[i] = v / chol[i * m + i]!;
      }
      for (let i = k - 1; i >= 0; i--) {
        let v = rhs[i]!;
        for (let l = i + 1; l < k; l++) v -= chol[l * m + i]! * rhs[l]!;
        rhs[i] = v / chol[i * m + i]!;
      }
      for (let i = 0; i < k; i++) {
        let v = -tmp[i]!;
        for (let l = i + 1; l < k; l++) v += sy[l * m + i]! * rhs[l]!;
        mMat[i * stride + c] = v / sy[i * m + i]!;
        mMat[(k + i) * stride + c] = rhs[i]!;
      }
    }
    for (let i = 0; i < k2; i++) for (let j = 0; j < k2; j++) if (!Number.isFinite(mMat[i * stride + j]!)) return false;
    return true;
  }

  /** Row i of W = [Y, theta S] into out[0 .. 2k - 1]. */
  row(i: number, out: Float64Array): void {
    const { k, n, order, s, y, theta } = this;
    for (let j = 0; j < k; j++) {
      const o = order[j]! * n + i;
      out[j] = y[o]!;
      out[k + j] = theta * s[o]!;
    }
  }

  /** out = W^T v over all n entries. */
  wtv(v: Float64Array, out: Float64Array): void {
    const { k, n, order, s, y, theta } = this;
    for (let j = 0; j < k; j++) {
      const o = order[j]! * n;
      let a = 0;
      let b = 0;
      for (let i = 0; i < n; i++) {
        const vi = v[i]!;
        a += y[o + i]! * vi;
        b += s[o + i]! * vi;
      }
      out[j] = a;
      out[k + j] = theta * b;
    }
  }

  /** out = M v (length 2k). */
  mv(v: Float64Array, out: Float64Array): void {
    const k2 = 2 * this.k;
    const stride = 2 * this.m;
    for (let i = 0; i < k2; i++) {
      let a = 0;
      for (let j = 0; j < k2; j++) a += this.mMat[i * stride + j]! * v[j]!;
      out[i] = a;
    }
  }
}

/** Solves a (size x size, row-major with `stride`, overwritten) u = b (overwritten by u); false if singular. */
function luSolve(a: Float64Array, stride: number, size: number, b: Float64Array): boolean {
  let scale = 0;
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) scale = Math.max(scale, Math.abs(a[i * stride + j]!));
  if (!(scale > 0) || !Number.isFinite(scale)) return false;
  for (let col = 0; col < size; col++) {
    let pivot = col;
    for (let r = col + 1; r < size; r++) if (Math.abs(a[r * stride + col]!) > Math.abs(a[pivot * stride + col]!)) pivot = r;
    const pv = a[pivot * stride + col]!;
    if (Math.abs(pv) <= 1e3 * EPS * scale) return false;
    if (pivot !== col) {
      for (let j = 0; j < size; j++) {
        const t = a[col * stride + j]!;
        a[col * stride + j] = a[pivot * stride + j]!;
        a[pivot * stride + j] = t;
      }
      const t = b[col]!;
      b[col] = b[pivot]!;
      b[pivot] = t;
    }
    for (let r = col + 1; r < size; r++) {
      const f = a[r * stride + col]! / pv;
      if (f === 0) continue;
      for (let j = col; j < size; j++) a[r * stride + j] = a[r * stride + j]! - f * a[col * stride + j]!;
      b[r] = b[r]! - f * b[col]!;
    }
  }
  for (let r = size - 1; r >= 0; r--) {
    let v = b[r]!;
    for (let j = r + 1; j < size; j++) v -= a[r * stride + j]! * b[j]!;
    b[r] = v / a[r * stride + r]!;
  }
  for (let r = 0; r < size; r++) if (!Number.isFinite(b[r]!)) return false;
  return true;
}

/** A binary min-heap of variable indices keyed by their breakpoint times (preallocated). */
class BreakpointHeap {
  readonly idx: Int32Array;
  size = 0;
  constructor(
    n: number,
    private readonly key: Float64Array,
  ) {
    this.idx = new Int32Array(n);
  }

  /** Orders idx[0 .. size - 1] into a heap (Floyd's construction, O(size)). */
  build(): void {
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  pop(): number {
    const top = this.idx[0]!;
    this.size--;
    if (this.size > 0) {
      this.idx[0] = this.idx[this.size]!;
      this.siftDown(0);
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const ka = this.key[a]!;
    const kb = this.key[b]!;
    return ka < kb || (ka === kb && a < b);
  }

  private siftDown(start: number): void {
    const { idx } = this;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) return;
      let c = l;
      if (l + 1 < this.size && this.less(idx[l + 1]!, idx[l]!)) c = l + 1;
      if (!this.less(idx[c]!, idx[i]!)) return;
      const t = idx[i]!;
      idx[i] = idx[c]!;
      idx[c] = t;
      i = c;
    }
  }
}

/**
 * Minimises f(x) subject to x_i >= lower (L-BFGS-B; see the file header for the algorithm and the
 * stopping rules). Deterministic: the same inputs give bit-identical results.
 */
export function minimiseBounded(fg: ValueAndGradient, x0: Float64Array, options: SolverOptions = {}): SolverResult {
  const settings = checkOptions(options);
  const { lower, memory: m } = settings;
  const n = x0.length;
  if (n === 0) throw new InputError('solver: the starting weights are empty (no variables)');
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x0[i]!)) throw new InputError(`solver: starting weight ${i} is not finite (${fmt(x0[i]!)})`);
  }
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;

  // Every vector of length n, allocated once.
  let x = new Float64Array(n);
  let g = new Float64Array(n);
  let xTrial = new Float64Array(n);
  let gTrial = new Float64Array(n);
  let xBest = new Float64Array(n); // best sufficient-decrease point of the current line search
  let gBest = new Float64Array(n);
  const xCauchy = new Float64Array(n);
  const xBar = new Float64Array(n); // end of the search segment (subspace minimiser, projected)
  const dir = new Float64Array(n); // Cauchy direction, then the search direction
  const tBreak = new Float64Array(n);
  const free = new Uint8Array(n);
  const heap = new BreakpointHeap(n, tBreak);
  const carried = options.curvature;
  if (carried !== undefined && (!(carried instanceof Memory) || carried.n !== n || carried.m !== m)) {
    throw new InputError(`solver: the curvature memory is for ${carried.n} variables and ${carried.m} pairs, this run has ${n} and ${m}`);
  }
  const mem = carried instanceof Memory ? carried : new Memory(n, m);
  // Small scratch of length 2m and (2m)^2.
  const p = new Float64Array(2 * m);
  const c = new Float64Array(2 * m);
  const wb = new Float64Array(2 * m);
  const mw = new Float64Array(2 * m);
  const v = new Float64Array(2 * m);
  const u = new Float64Array(2 * m);
  const nMat = new Float64Array(4 * m * m);

  for (let i = 0; i < n; i++) x[i] = Math.max(lower, x0[i]!);
  let evaluations = 0;
  const evaluate = (at: Float64Array, grad: Float64Array): number => {
    evaluations++;
    return fg(at, grad);
  };
  let f = evaluate(x, g);
  if (!Number.isFinite(f)) throw new InputError(`solver: objective is not finite at the starting weights (${fmt(f)})`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(g[i]!)) throw new InputError(`solver: gradient is not finite at the starting weights (entry ${i}: ${fmt(g[i]!)})`);
  }

  const history: number[] = [f];
  let iterations = 0;
  let pgNorm = projectedGradientNorm(x, g, lower);

  const finish = (stopReason: StopReason): SolverResult => ({
    x: Float64Array.from(x),
    value: f,
    iterations,
    evaluations,
    stopReason,
    projectedGradientNorm: pgNorm,
    elapsedMs: elapsed(),
    history,
  });

  /**
   * Stop reason at the current iterate, or undefined to go on (fPrev undefined at the start, and
   * after a probe: a step taken without curvature information, whose length is arbitrary, so that its
   * small decrease says nothing about convergence).
   */
  const stopAt = (fPrev: number | undefined): StopReason | undefined => {
    const info: IterationInfo = { iteration: iterations, value: f, projectedGradientNorm: pgNorm, evaluations, elapsedMs: elapsed() };
    const said = options.onIteration?.(info);
    if (pgNorm <= settings.gradientTolerance * Math.max(1, Math.abs(f))) return 'gradient';
    if (fPrev !== undefined && (fPrev - f) / Math.max(Math.abs(fPrev), Math.abs(f), 1e-300) <= settings.relativeTolerance) {
      return 'relative-decrease';
    }
    if (said === true) return 'callback';
    if (iterations >= settings.maxIterations) return 'max-iterations';
    if (evaluations >= settings.maxEvaluations) return 'max-evaluations';
    return undefined;
  };

  /**
   * Generalized Cauchy point from x along P(x - t g) for the model with the current memory:
   * writes xCauchy and c = W^T (xCauchy - x). Returns false when the model's curvature along the path
   * is not positive (the memory must be cleared).
   */
  const cauchyPoint = (): boolean => {
    const k = mem.k;
    const k2 = 2 * k;
    const theta = mem.theta;
    heap.size = 0;
    let f1 = 0;
    let moving = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      const xi = x[i]!;
      xCauchy[i] = xi;
      if (gi > 0) {
        const t = (xi - lower) / gi;
        if (t > 0) {
          tBreak[i] = t;
          heap.idx[heap.size++] = i;
          dir[i] = -gi;
        } else {
          dir[i] = 0;
        }
      } else {
        tBreak[i] = Infinity;
        dir[i] = -gi;
      }
      if (dir[i] !== 0) moving++;
      f1 += gi * dir[i]!; // slope of the model at t = 0: g^T d
    }
    if (moving === 0) {
      c.fill(0, 0, k2);
      return true;
    }
    heap.build();
    mem.wtv(dir, p);
    c.fill(0, 0, k2);
    mem.mv(p, mw);
    let pmp = 0;
    for (let j = 0; j < k2; j++) pmp += p[j]! * mw[j]!;
    let f2 = -theta * f1 - pmp;
    const f2Start = f2;
    if (!(f2 > 0) || !Number.isFinite(f2)) return false;
    let dtMin = -f1 / f2;
    let tOld = 0;
    while (heap.size > 0) {
      const b = heap.idx[0]!;
      const tb = tBreak[b]!;
      const dt = tb - tOld;
      if (dtMin < dt) break;
      heap.pop();
      // Variable b reaches the bound: fix it, update the slope f1 and curvature f2 of the next segment.
      const gb = g[b]!;
      const zb = lower - x[b]!;
      xCauchy[b] = lower;
      for (let j = 0; j < k2; j++) c[j] = c[j]! + dt * p[j]!;
      mem.row(b, wb);
      mem.mv(wb, mw);
      let wMc = 0;
      let wMp = 0;
      let wMw = 0;
      for (let j = 0; j < k2; j++) {
        wMc += mw[j]! * c[j]!;
        wMp += mw[j]! * p[j]!;
        wMw += mw[j]! * wb[j]!;
      }
      f1 += dt * f2 + gb * gb + theta * gb * zb - gb * wMc;
      f2 -= theta * gb * gb + 2 * gb * wMp + gb * gb * wMw;
      for (let j = 0; j < k2; j++) p[j] = p[j]! + gb * wb[j]!;
      dir[b] = 0;
      moving--;
      f2 = Math.max(EPS * f2Start, f2);
      tOld = tb;
      if (moving === 0) {
        dtMin = 0;
        break;
      }
      dtMin = -f1 / f2;
    }
    dtMin = Math.max(0, dtMin);
    const t = tOld + dtMin;
    for (let i = 0; i < n; i++) {
      const di = dir[i]!;
      if (di !== 0) xCauchy[i] = Math.max(lower, x[i]! + t * di);
    }
    for (let j = 0; j < k2; j++) c[j] = c[j]! + dtMin * p[j]!;
    return true;
  };

  /**
   * xBar = minimiser of the model over the variables free at the Cauchy point, projected (or cut back
   * to the bound when the projection is not a descent direction). Returns false when the reduced
   * system is singular.
   */
  const subspaceStep = (): boolean => {
    const k = mem.k;
    const k2 = 2 * k;
    const theta = mem.theta;
    let nFree = 0;
    for (let i = 0; i < n; i++) {
      const isFree = xCauchy[i]! > lower ? 1 : 0;
      free[i] = isFree;
      nFree += isFree;
      xBar[i] = xCauchy[i]!;
    }
    if (k === 0 || nFree === 0) return true;
    // Reduced gradient r = Z^T (g + theta (xc - x) - W M c), kept in dir for the free variables;
    // v = A^T r and A^T A with A = Z^T W.
    mem.mv(c, mw);
    const stride = 2 * m;
    for (let a = 0; a < k2; a++) {
      v[a] = 0;
      for (let b = 0; b < k2; b++) nMat[a * stride + b] = 0;
    }
    for (let i = 0; i < n; i++) {
      if (free[i] === 0) continue;
      mem.row(i, wb);
      let wmc = 0;
      for (let j = 0; j < k2; j++) wmc += wb[j]! * mw[j]!;
      const ri = g[i]! + theta * (xCauchy[i]! - x[i]!) - wmc;
      dir[i] = ri;
      for (let a = 0; a < k2; a++) {
        const wa = wb[a]!;
        v[a] = v[a]! + wa * ri;
        for (let b = 0; b <= a; b++) nMat[a * stride + b] = nMat[a * stride + b]! + wa * wb[b]!;
      }
    }
    // (K - A^T A / theta) u = A^T r; then d = -r / theta - A u / theta^2 (Sherman-Morrison-Woodbury).
    // Only the lower triangle of A^T A was summed; K is symmetric, so the system is too.
    for (let a = 0; a < k2; a++) {
      for (let b = 0; b <= a; b++) {
        const val = mem.kMat[a * stride + b]! - nMat[a * stride + b]! / theta;
        nMat[a * stride + b] = val;
        nMat[b * stride + a] = val;
      }
    }
    for (let a = 0; a < k2; a++) u[a] = v[a]!;
    if (!luSolve(nMat, stride, k2, u)) return false;
    let descent = 0;
    for (let i = 0; i < n; i++) {
      if (free[i] === 0) continue;
      mem.row(i, wb);
      let au = 0;
      for (let j = 0; j < k2; j++) au += wb[j]! * u[j]!;
      const di = -dir[i]! / theta - au / (theta * theta);
      dir[i] = di;
      xBar[i] = Math.max(lower, xCauchy[i]! + di);
    }
    for (let i = 0; i < n; i++) descent += g[i]! * (xBar[i]! - x[i]!);
    if (descent < 0) return true;
    // Not a descent direction after projection: the longest feasible part of the step instead.
    let alpha = 1;
    for (let i = 0; i < n; i++) {
      if (free[i] === 0) continue;
      const di = dir[i]!;
      if (di < 0) alpha = Math.min(alpha, (lower - xCauchy[i]!) / di);
    }
    alpha = Math.max(0, alpha);
    for (let i = 0; i < n; i++) {
      if (free[i] !== 0) xBar[i] = Math.max(lower, xCauchy[i]! + alpha * dir[i]!);
    }
    return true;
  };

  /** Trial point x + alpha dir, clamped onto the bound against rounding; xBar itself at alpha 1. */
  const trialAt = (alpha: number): void => {
    if (alpha === 1) {
      xTrial.set(xBar);
      return;
    }
    for (let i = 0; i < n; i++) xTrial[i] = Math.max(lower, x[i]! + alpha * dir[i]!);
  };

  /**
   * Strong Wolfe line search along dir from x (N&W algorithms 3.5 and 3.6). On 'accepted' the point
   * is in xTrial/gTrial, on 'accepted-best' in xBest/gBest (the best sufficient-decrease point when
   * the search could not finish); fNew holds its value.
   */
  let fNew = f;
  const lineSearch = (slope0: number, alphaInit: number, alphaMax: number): SearchOutcome => {
    const f0 = f;
    let trials = 0;
    let haveBest = false;
    let fBestLs = Infinity;
    const phi = (alpha: number): { value: number; slope: number } => {
      trialAt(alpha);
      trials++;
      let value = evaluate(xTrial, gTrial);
      let slope = 0;
      for (let i = 0; i < n; i++) slope += gTrial[i]! * dir[i]!;
      if (!Number.isFinite(value) || !Number.isFinite(slope)) {
        value = Infinity;
        slope = NaN;
      }
      if (value <= f0 + C1 * alpha * slope0 && value < fBestLs) {
        haveBest = true;
        fBestLs = value;
        xBest.set(xTrial);
        gBest.set(gTrial);
      }
      return { value, slope };
    };
    const giveUp = (): SearchOutcome => {
      if (haveBest) {
        fNew = fBestLs;
        return 'accepted-best';
      }
      return evaluations >= settings.maxEvaluations ? 'budget' : 'failed';
    };
    const armijo = (alpha: number, value: number): boolean => value <= f0 + C1 * alpha * slope0;
    const strongCurvature = (slope: number): boolean => Math.abs(slope) <= -C2 * slope0;

    let aPrev = 0;
    let fPrev = f0;
    let sPrev = slope0;
    let alpha = Math.min(alphaInit, alphaMax);
    // Bracketing phase.
    let lo = 0;
    let fLo = f0;
    let sLo = slope0;
    let hi = 0;
    let fHi = 0;
    let sHi = 0;
    for (;;) {
      if (trials >= MAX_LINE_SEARCH_TRIALS || evaluations >= settings.maxEvaluations) return giveUp();
      const { value, slope } = phi(alpha);
      if (!armijo(alpha, value) || (trials > 1 && value >= fPrev)) {
        lo = aPrev;
        fLo = fPrev;
        sLo = sPrev;
        hi = alpha;
        fHi = value;
        sHi = slope;
        break;
      }
      if (strongCurvature(slope)) {
        fNew = value;
        return 'accepted';
      }
      if (slope >= 0) {
        lo = alpha;
        fLo = value;
        sLo = slope;
        hi = aPrev;
        fHi = fPrev;
        sHi = sPrev;
        break;
      }
      if (alpha >= alphaMax) {
        // Sufficient decrease and still descending, but the bound allows no longer step.
        fNew = value;
        return 'accepted';
      }
      const width = alpha - aPrev;
      let next = cubicMinimiser(aPrev, fPrev, sPrev, alpha, value, slope);
      const nearest = alpha + 1.1 * width;
      const farthest = alpha + 4 * width;
      // No minimiser ahead (NaN or behind): the slope is not flattening, so go the farthest.
      if (!(next > alpha)) next = farthest;
      next = Math.min(farthest, Math.max(nearest, next));
      aPrev = alpha;
      fPrev = value;
      sPrev = slope;
      alpha = Math.min(next, alphaMax);
    }
    // Zoom: lo has sufficient decrease and the lowest value so far; the minimiser lies between lo and hi.
    for (;;) {
      if (trials >= MAX_LINE_SEARCH_TRIALS || evaluations >= settings.maxEvaluations) return giveUp();
      const a = Math.min(lo, hi);
      const b = Math.max(lo, hi);
      if (b - a <= 1e-10 * b) return giveUp();
      let trial = Number.isFinite(fHi) ? cubicMinimiser(lo, fLo, sLo, hi, fHi, sHi) : NaN;
      const margin = 0.1 * (b - a);
      if (!(trial >= a + margin && trial <= b - margin)) {
        // Outside the safeguarded part of the interval: the nearer edge of it, or the midpoint.
        trial = Number.isNaN(trial) ? 0.5 * (a + b) : Math.min(b - margin, Math.max(a + margin, trial));
      }
      const { value, slope } = phi(trial);
      if (!armijo(trial, value) || value >= fLo) {
        hi = trial;
        fHi = value;
        sHi = slope;
      } else {
        if (strongCurvature(slope)) {
          fNew = value;
          return 'accepted';
        }
        if (slope * (hi - lo) >= 0) {
          hi = lo;
          fHi = fLo;
          sHi = sLo;
        }
        lo = trial;
        fLo = value;
        sLo = slope;
      }
    }
  };

  // Steps 1-3 fill xBar, then dir = xBar - x, its slope and the longest feasible step along it.
  let slope0 = 0;
  let dirNorm2 = 0;
  let alphaMax = Infinity;
  const prepareStep = (): boolean => {
    if (!cauchyPoint() || !subspaceStep()) return false;
    slope0 = 0;
    dirNorm2 = 0;
    alphaMax = Infinity;
    for (let i = 0; i < n; i++) {
      const di = xBar[i]! - x[i]!;
      dir[i] = di;
      slope0 += g[i]! * di;
      dirNorm2 += di * di;
      if (di < 0) alphaMax = Math.min(alphaMax, (lower - x[i]!) / di);
    }
    alphaMax = Math.max(1, alphaMax);
    return slope0 < 0;
  };
  /**
   * One step from x: 'no-direction' when even steepest descent gives none, 'rounding' when the step
   * promises a decrease below the rounding of f, else the line search's outcome. Trouble with a
   * non-empty memory clears it and retries from steepest descent.
   */
  const step = (): SearchOutcome | 'no-direction' | 'rounding' => {
    for (;;) {
      const ok = prepareStep();
      if (!ok && mem.k > 0) {
        mem.reset();
        continue;
      }
      if (!ok) return 'no-direction';
      // With curvature information the step is scaled, so -g^T d estimates the decrease it can give.
      if (mem.k > 0 && -slope0 <= ROUNDING * Math.abs(f)) return 'rounding';
      // The first step (no curvature information yet) starts with a unit-length move, within the
      // Cauchy segment.
      const first = mem.k === 0;
      probe = first;
      const outcome = lineSearch(slope0, first ? Math.min(1, 1 / Math.sqrt(dirNorm2)) : 1, first ? 1 : alphaMax);
      if (outcome === 'failed' && mem.k > 0) {
        mem.reset();
        continue;
      }
      return outcome;
    }
  };

  let probe = false;
  let stop = stopAt(undefined);
  while (stop === undefined) {
    const outcome = step();
    if (outcome === 'no-direction' || outcome === 'failed') {
      stop = pgNorm === 0 ? 'gradient' : 'line-search';
      break;
    }
    if (outcome === 'rounding') {
      stop = 'relative-decrease';
      break;
    }
    if (outcome === 'budget') {
      stop = 'max-evaluations';
      break;
    }
    // Accept: update the memory with (s, y), then move.
    const newX = outcome === 'accepted' ? xTrial : xBest;
    const newG = outcome === 'accepted' ? gTrial : gBest;
    mem.add(x, newX, g, newG);
    if (outcome === 'accepted') {
      xTrial = x;
      gTrial = g;
    } else {
      xBest = x;
      gBest = g;
    }
    x = newX;
    g = newG;
    const fPrev = f;
    f = fNew;
    iterations++;
    history.push(f);
    pgNorm = projectedGradientNorm(x, g, lower);
    stop = stopAt(probe ? undefined : fPrev);
    if (stop === undefined && evaluations >= settings.maxEvaluations) stop = 'max-evaluations';
  }
  return finish(stop);
}

/**
 * Minimiser of the cubic that interpolates values and slopes at a and b (N&W eq. 3.59); NaN when the
 * cubic has no real local minimiser.
 */
function cubicMinimiser(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const d1 = da + db - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - da * db;
  if (!(disc >= 0)) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  const denom = db - da + 2 * d2;
  if (denom === 0) return NaN;
  return b - ((b - a) * (db + d2 - d1)) / denom;
}
