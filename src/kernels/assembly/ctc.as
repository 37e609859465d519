// AssemblyScript: the CTC forward–backward kernel, part of the module built from losses.as
// (see the header there for the build and memory conventions).

// ───────────────────────────── CTC forward–backward ─────────────────────────────
// The same recursion as ctcForwardBackward in src/losses/sequence.ts, operation for operation, in
// float64 (NativeMath exp/log1p, as accurate as the JavaScript engine's): α and β in log space over the
// extended target l′ = (blank, l₁, blank, …, l_L, blank), visiting only the cells that can lie on a
// complete path, and the gradient −γ_t(c) (posterior frame occupancy), optionally through a
// log-softmax. A batch is one call.

export const CTC_FROM_LOGITS: i32 = 1;
export const CTC_ZERO_INFINITY: i32 = 2;

/** e^d for d ≤ 0, taken as 0 below −40 (negligible next to the 1 it is added to). */
@inline function expRatio(d: f64): f64 {
  return d > -40 ? Math.exp(d) : 0;
}

/** log(eᵃ + eᵇ), exact for −∞ inputs. */
@inline function logAdd(a: f64, b: f64): f64 {
  const hi = a >= b ? a : b;
  if (hi == -Infinity) return hi;
  const tail = expRatio(a >= b ? b - a : a - b);
  return tail == 0 ? hi : hi + Math.log1p(tail);
}

/** log(eᵃ + eᵇ + eᶜ). */
@inline function logAdd3(a: f64, b: f64, c: f64): f64 {
  let hi: f64;
  let tail: f64;
  if (a >= b && a >= c) {
    hi = a;
    tail = expRatio(b - a) + expRatio(c - a);
  } else if (b >= c) {
    hi = b;
    tail = expRatio(a - b) + expRatio(c - b);
  } else {
    hi = c;
    tail = expRatio(a - c) + expRatio(b - c);
  }
  if (hi == -Infinity || tail == 0) return hi;
  return hi + Math.log1p(tail);
}

@inline function ld(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

@inline function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

@inline function ldi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

@inline function fillF64(p: usize, n: i32, v: f64): void {
  for (let i = 0; i < n; i++) st(p, i, v);
}

@inline function alignUp(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

/**
 * One sample: log-probabilities lpp (f64, [T, C], rows < tin used), target at labp (L entries),
 * gradient −γ written to gp (f32 [T, C], zero beyond tin, NaN rows when no alignment exists).
 * Returns the NLL (+∞ without a possible alignment). `ws` is scratch space (see ctcWorkspaceBytes).
 */
function ctcSample(lpp: usize, T: i32, C: i32, labp: usize, L: i32, tin: i32, blank: i32, gp: usize, ws: usize): f64 {
  memory.fill(gp, 0, (<usize>T * <usize>C) << 2);
  const S = 2 * L + 1;
  if (tin == 0) return L == 0 ? 0 : Infinity;
  const ext = ws;
  const skip = alignUp(ext + (<usize>S << 2));
  const alpha = alignUp(skip + (<usize>S << 2));
  const beta = alignUp(alpha + ((<usize>tin * <usize>S) << 3));
  const emitted = alignUp(beta + (<usize>S << 3));
  const gamma = alignUp(emitted + (<usize>(S + 2) << 3));
  for (let s = 0; s < S; s++) {
    store<i32>(ext + (<usize>s << 2), (s & 1) != 0 ? ldi(labp, s >> 1) : blank);
    store<i32>(skip + (<usize>s << 2), 0);
  }
  for (let s = 3; s < S; s += 2) {
    const e = ldi(ext, s);
    store<i32>(skip + (<usize>s << 2), e != blank && e != ldi(ext, s - 2) ? 1 : 0);
  }

  fillF64(alpha, tin * S, -Infinity);
  const first0 = max(0, S - 2 * tin);
  if (first0 == 0) st(alpha, 0, ld(lpp, blank));
  if (S > 1 && first0 <= 1) st(alpha, 1, ld(lpp, ldi(ext, 1)));
  for (let t = 1; t < tin; t++) {
    const row = t * S;
    const prev = row - S;
    const lp = t * C;
    const lo = max(0, S - 2 * (tin - t));
    const hi = min(S - 1, 2 * t + 1);
    for (let s = lo; s <= hi; s++) {
      const a = ld(alpha, prev + s);
      let sum: f64;
      if (s == 0) sum = a;
      else if (ldi(skip, s) != 0) sum = logAdd3(a, ld(alpha, prev + s - 1), ld(alpha, prev + s - 2));
      else sum = logAdd(a, ld(alpha, prev + s - 1));
      st(alpha, row + s, sum + ld(lpp, lp + ldi(ext, s)));
    }
  }
  const end = (tin - 1) * S;
  const nll: f64 = -(S > 1 ? logAdd(ld(alpha, end + S - 1), ld(alpha, end + S - 2)) : ld(alpha, end));
  if (!isFinite(nll)) {
    const n = tin * C;
    for (let i = 0; i < n; i++) store<f32>(gp + (<usize>i << 2), NaN);
    return isNaN(nll) ? NaN : Infinity;
  }

  fillF64(beta, S, -Infinity);
  fillF64(emitted, S + 2, -Infinity);
  st(beta, S - 1, 0);
  if (S > 1) st(beta, S - 2, 0);
  for (let t = tin - 1; t >= 0; t--) {
    const lo = max(0, S - 2 * (tin - t));
    const hi = min(S - 1, 2 * t + 1);
    if (t < tin - 1) {
      const lp = (t + 1) * C;
      const top = min(S - 1, hi + 2);
      for (let s = lo; s <= top; s++) st(emitted, s, ld(beta, s) + ld(lpp, lp + ldi(ext, s)));
      fillF64(beta, S, -Infinity);
      for (let s = lo; s <= hi; s++) {
        const b = s + 2 < S && ldi(skip, s + 2) != 0
          ? logAdd3(ld(emitted, s), ld(emitted, s + 1), ld(emitted, s + 2))
          : logAdd(ld(emitted, s), ld(emitted, s + 1));
        st(beta, s, b);
      }
    }
    fillF64(gamma, C, 0);
    const row = t * S;
    for (let s = lo; s <= hi; s++) {
      const logOcc = ld(alpha, row + s) + ld(beta, s) + nll;
      if (logOcc > -100) {
        const c = ldi(ext, s);
        st(gamma, c, ld(gamma, c) + Math.exp(logOcc));
      }
    }
    const out = gp + ((<usize>t * <usize>C) << 2);
    for (let c = 0; c < C; c++) store<f32>(out + (<usize>c << 2), <f32>-ld(gamma, c));
  }
  return nll;
}

/** Row-wise log-softmax of the first `rows` rows of an f32 [T, C] block into f64 (max shift, then log Σ). */
function ctcLogSoftmax(xp: usize, out: usize, C: i32, rows: i32): void {
  for (let t = 0; t < rows; t++) {
    const o = t * C;
    let m: f64 = -Infinity;
    for (let c = 0; c < C; c++) m = max(m, <f64>load<f32>(xp + (<usize>(o + c) << 2)));
    let sum: f64 = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(<f64>load<f32>(xp + (<usize>(o + c) << 2)) - m);
    const shift = m + Math.log(sum);
    for (let c = 0; c < C; c++) st(out, o + c, <f64>load<f32>(xp + (<usize>(o + c) << 2)) - shift);
  }
}

/** g ← g − softmax · Σ_c g on the first `rows` rows (the chain rule through the log-softmax). */
function ctcThroughLogSoftmax(gp: usize, lpp: usize, C: i32, rows: i32): void {
  for (let t = 0; t < rows; t++) {
    const o = t * C;
    let total: f64 = 0;
    for (let c = 0; c < C; c++) total += <f64>load<f32>(gp + (<usize>(o + c) << 2));
    for (let c = 0; c < C; c++) {
      const p = gp + (<usize>(o + c) << 2);
      store<f32>(p, <f32>(<f64>load<f32>(p) - Math.exp(ld(lpp, o + c)) * total));
    }
  }
}

/** Bytes of scratch space ctcBatch needs for T frames, C classes and targets of at most maxL labels. */
export function ctcWorkspaceBytes(T: i32, C: i32, maxL: i32): usize {
  const S = <usize>(2 * maxL + 1);
  // log-probabilities, ext + skip (i32), β, α, emitted, γ, plus alignment slack.
  return ((<usize>T * <usize>C) << 3) + 16 + (S << 3) + (S << 3) + 64 + ((<usize>T * S) << 3) + ((S + 2) << 3) + (<usize>C << 3) + 128;
}

/**
 * CTC for a batch: logits (or log-probabilities) xp f32 [B, T, C]; targets concatenated at labp
 * (i32), their lengths at lenp (i32 [B]), input lengths at inlp (i32 [B]); writes the NLL to lp
 * (f32 [B]) and the gradient to gp (f32 [B, T, C]): softmax − γ with respect to logits (flag
 * CTC_FROM_LOGITS), −γ with respect to log-probabilities otherwise. With CTC_ZERO_INFINITY an
 * impossible sample gets NLL 0 and a zero gradient. `ws`: ctcWorkspaceBytes(T, C, max length).
 */
export function ctcBatch(xp: usize, labp: usize, lenp: usize, inlp: usize, gp: usize, lp: usize, ws: usize, B: i32, T: i32, C: i32, blank: i32, flags: i32): void {
  const block = <usize>T * <usize>C;
  const lpp = alignUp(ws);
  let labels = labp;
  for (let b = 0; b < B; b++) {
    const L = ldi(lenp, b);
    const tin = ldi(inlp, b);
    const x = xp + ((<usize>b * block) << 2);
    const g = gp + ((<usize>b * block) << 2);
    if ((flags & CTC_FROM_LOGITS) != 0) ctcLogSoftmax(x, lpp, C, tin);
    else for (let i = 0; i < tin * C; i++) st(lpp, i, <f64>load<f32>(x + (<usize>i << 2)));
    const scratch = alignUp(lpp + (block << 3));
    let nll = ctcSample(lpp, T, C, labels, L, tin, blank, g, scratch);
    if (nll == Infinity && (flags & CTC_ZERO_INFINITY) != 0) {
      memory.fill(g, 0, block << 2);
      nll = 0;
    } else if ((flags & CTC_FROM_LOGITS) != 0) {
      ctcThroughLogSoftmax(g, lpp, C, tin);
    }
    store<f32>(lp + (<usize>b << 2), <f32>nll);
    labels += <usize>L << 2;
  }
}
