// AssemblyScript: the CTC forward–backward kernel, part of the module that owns its memory (module.as;
// see the header of losses.as for the build and memory conventions).

// ───────────────────────────── CTC forward–backward ─────────────────────────────
// The loss and gradient of ctcForwardBackward in src/losses/sequence.ts, computed in float64 over the
// extended target l′ = (blank, l₁, blank, …, l_L, blank) of length S = 2L + 1, on the cells (t, s) that
// lie on some complete path (reachable from a start cell by frame t, and able to reach an end cell by
// the last used frame T′ − 1).
//
// Fast path: probabilities with per-frame rescaling (Graves et al. 2006, "Connectionist Temporal
// Classification", section 4.1). With y_t(k) the probability of class k at frame t (one exponential per
// (t, k), shared with the gradient), α_t(s) the probability of the prefixes ending in s at t, and β_t(s)
// that of the suffixes after t from s (frame t's emission excluded, so that Σ_s α_t(s)β_t(s) = p(l | x)
// for every t):
//   v_0(s) = α_0(s),   v_t(s) = y_t(l′_s) · (v_{t−1}(s) + v_{t−1}(s−1) + skip_s · v_{t−1}(s−2)) / c_{t−1},
//   c_t = Σ_s v_t(s),  so that v_t = α_t / Π_{τ<t} c_τ and −log p(l | x) = −Σ_t log c_t;
//   u_{T′−1}(s) = 1 on the end cells,   u_t(s) = (w(s) + w(s+1) + skip_{s+2} · w(s+2)) / d_{t+1}
//   with w(s) = y_{t+1}(l′_s) u_{t+1}(s),   d_t = Σ_s u_t(s) (d_{T′−1} = 1),   so that u_t = β_t / Π_{τ>t} d_τ;
//   γ_t(k) = Σ_{s : l′_s = k} v_t(s) u_t(s) / Z_t,   Z_t = Σ_s v_t(s) u_t(s)   (= p(l | x) / scale products),
// where skip_s allows s − 2 → s (a label differing from the previous label). Each cell costs a few
// multiplications and additions; one log per frame. The gradient is −γ_t(k) with respect to the
// log-probabilities, y_t(k) Σ_k γ_t(k) − γ_t(k) = softmax − γ with respect to logits.
//
// Where probabilities underflow (log-space differences beyond float64's range, e.g. from extreme
// logits) the scaled values can lose mass that log space keeps. The sample is then recomputed by the
// log-space recursion below (ctcLogSpace: α, β in log space, logAdd per cell), which is exact there.
// The scaled result is kept only when every c_t, d_t and Z_t is at least SCALE_MIN and finite. Why Z_t:
// if the forward values of frame t are right except at a cell s that underflowed (v_t(s) below
// ε ≈ 2.2e−308, the smallest normal float64), and the paths through (t, s) carry a fraction f of
// p(l | x), then Z_t ≤ v_t(s) u_t(s) / f < 3ε / f (u_t(s) ≤ 3 max y ≤ 3, since u_{t+1} / d_{t+1} sums
// to 1), which is below SCALE_MIN for any f > 1e−27; the same holds with the directions exchanged.
// Cells far off the likely paths underflow harmlessly and keep the scaled path. Not covered by this
// argument: a path lost in both directions (over 708 nats below the best prefix at one frame and
// below the best suffix at a later one); randomized comparisons with the log-space recursion, with
// logits up to ±4000, found no such case. Impossible alignments (a target needing more frames than T′)
// are recognized from the lattice's shape; other impossible ones (probability-0 classes) take the
// log-space path, which gives +∞.

export const CTC_FROM_LOGITS: i32 = 1;
export const CTC_ZERO_INFINITY: i32 = 2;

/** Scale factors and frame totals below this send the sample to the log-space path (see above). */
const SCALE_MIN: f64 = 1e-280;

// ───────────────────────────── memory helpers ─────────────────────────────

@inline function ld(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

@inline function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

@inline function ldi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

@inline function sti(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}

@inline function fillF64(p: usize, n: i32, v: f64): void {
  for (let i = 0; i < n; i++) st(p, i, v);
}

@inline function alignUp(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

/** p + n float64 slots, aligned. */
@inline function afterF64(p: usize, n: i32): usize {
  return alignUp(p + (<usize>n << 3));
}

/** p + n int32 slots, aligned. */
@inline function afterI32(p: usize, n: i32): usize {
  return alignUp(p + (<usize>n << 2));
}

// ───────────────────────────── probabilities ─────────────────────────────

const LOG2E: f64 = 1.4426950408889634;
// ln 2 split so that n · LN2_HI is exact for |n| < 2¹¹ (Cody–Waite reduction).
const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;
/** 1.5 · 2⁵²: adding it rounds to an integer, which then sits in the low mantissa bits. */
const ROUNDER: f64 = 6755399441055744.0;
const ROUNDER_BITS: i64 = 0x4338000000000000;

@inline function F(x: f64): v128 {
  return f64x2.splat(x);
}

/** a + b·x in both lanes. */
@inline function madd(a: v128, b: v128, x: v128): v128 {
  return f64x2.add(a, f64x2.mul(b, x));
}

/**
 * Σ_{k ≤ 12} r^k / k! in both lanes, by Estrin's scheme (pairs, then pairs of pairs with r², r⁴, r⁸):
 * a dependency chain of about 6 operations instead of Horner's 24.
 */
@inline function taylorExp(r: v128): v128 {
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  const r8 = f64x2.mul(r4, r4);
  const q0 = madd(F(1), F(1), r);
  const q1 = madd(F(1.0 / 2), F(1.0 / 6), r);
  const q2 = madd(F(1.0 / 24), F(1.0 / 120), r);
  const q3 = madd(F(1.0 / 720), F(1.0 / 5040), r);
  const q4 = madd(F(1.0 / 40320), F(1.0 / 362880), r);
  const q5 = madd(F(1.0 / 3628800), F(1.0 / 39916800), r);
  const h0 = madd(madd(q0, q1, r2), madd(q2, q3, r2), r4);
  const h1 = madd(madd(q4, q5, r2), F(1.0 / 479001600), r4);
  return madd(h0, h1, r8);
}

/**
 * eˣ in both float64 lanes: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor polynomial to r¹²
 * (truncation below 2e−16 relative), times 2ⁿ assembled in the exponent bits (as two factors so that
 * subnormal results come out right). 0 below −745.2 (and for −∞), +∞ above 709.79, NaN for NaN.
 */
@inline function vexp64(x: v128): v128 {
  const xc = f64x2.pmin(f64x2.pmax(x, F(-745.2)), F(709.79)); // NaN passes through
  const t = f64x2.add(f64x2.mul(xc, F(LOG2E)), F(ROUNDER));
  const n = f64x2.sub(t, F(ROUNDER));
  let r = f64x2.sub(xc, f64x2.mul(n, F(LN2_HI)));
  r = f64x2.sub(r, f64x2.mul(n, F(LN2_LO)));
  const p = taylorExp(r);
  // n + 2048 ≥ 0, so the halving can use the logical shift (SSE/AVX2 have no 64-bit arithmetic one):
  // 2ⁿ = 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋), each factor a normal float64 built from its biased exponent.
  const biased = i64x2.sub(t, i64x2.splat(ROUNDER_BITS - 2048));
  const half = i64x2.shr_u(biased, 1); // ⌊n/2⌋ + 1024
  const s1 = i64x2.shl(i64x2.sub(half, i64x2.splat(1)), 52);
  const s2 = i64x2.shl(i64x2.sub(i64x2.sub(biased, half), i64x2.splat(1)), 52);
  let out = f64x2.mul(f64x2.mul(p, s1), s2);
  out = v128.bitselect(F(0), out, f64x2.lt(x, F(-745.2)));
  return v128.bitselect(F(Infinity), out, f64x2.gt(x, F(709.79)));
}

/** Two float32 at p as float64 lanes. */
@inline function loadPair(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** One float32 at p in lane 0 (lane 1: −∞, so that its exponential is 0). */
@inline function loadOne(p: usize): v128 {
  return f64x2.replace_lane(F(-Infinity), 0, <f64>load<f32>(p));
}

/** out[i] = e^(x[i] − shift) for n float32 x, float64 out; returns Σ out[i]. */
function expRow(xp: usize, out: usize, n: i32, shift: f64): f64 {
  let acc = F(0);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const e = vexp64(f64x2.sub(loadPair(xp + (<usize>i << 2)), F(shift)));
    v128.store(out + (<usize>i << 3), e);
    acc = f64x2.add(acc, e);
  }
  if (i < n) {
    const e = vexp64(f64x2.sub(loadOne(xp + (<usize>i << 2)), F(shift)));
    st(out, i, f64x2.extract_lane(e, 0));
    acc = f64x2.add(acc, e);
  }
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
}

/**
 * Largest of n float32 at p (pmax: NaN entries may be skipped; the row's exponentials are then NaN
 * anyway, which sends the sample to the log-space path).
 */
function rowMax(p: usize, n: i32): f64 {
  let m = f32x4.splat(-Infinity);
  let i = 0;
  for (; i + 3 < n; i += 4) m = f32x4.pmax(m, v128.load(p + (<usize>i << 2)));
  let out = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; i < n; i++) out = max(out, load<f32>(p + (<usize>i << 2)));
  return <f64>out;
}

/** p[i] *= k for n float64. */
function scaleRow(p: usize, n: i32, k: f64): void {
  let i = 0;
  for (; i + 1 < n; i += 2) v128.store(p + (<usize>i << 3), f64x2.mul(v128.load(p + (<usize>i << 3)), F(k)));
  if (i < n) st(p, i, ld(p, i) * k);
}

/**
 * Probabilities y (float64 [rows, C]) of the first `rows` rows of the float32 block at xp: the softmax
 * of logits (max shift, exponentials, one division per row), or the exponentials of log-probabilities.
 */
function probabilities(xp: usize, y: usize, C: i32, rows: i32, fromLogits: bool): void {
  for (let t = 0; t < rows; t++) {
    const x = xp + ((<usize>t * <usize>C) << 2);
    const out = y + ((<usize>t * <usize>C) << 3);
    if (!fromLogits) {
      expRow(x, out, C, 0);
      continue;
    }
    scaleRow(out, C, 1 / expRow(x, out, C, rowMax(x, C)));
  }
}

// ───────────────────────────── the lattice of one sample ─────────────────────────────
// Set by buildLattice for the sample being computed. A row of the S cells is stored with padding (cell
// s at slot s + 2, `stride` = S + 5 slots), so that cells s − 2 … s + 3 can be read anywhere in a row.
// The recursions run on pairs of cells (s, s + 1) in the two float64 lanes; a window of odd length
// ends with a pair whose second lane is masked to 0 (the only lane that reads cell s + 3).

let stride: i32 = 0;
let frames: i32 = 0;
let classes: i32 = 0;
/** l′ (i32 [S + 2], padded with the blank so that pairs may read one cell past the end). */
let ext: usize = 0;
/** skip_s as 1.0 or 0.0 (one padded f64 row). */
let skipk: usize = 0;
/** First and last cell of frame t's window (i32 [frames] each). */
let lo: usize = 0;
let hi: usize = 0;

/** Both lanes kept / only lane 0 kept (v128.and masks). */
const BOTH: v128 = i64x2(-1, -1);
const FIRST: v128 = i64x2(-1, 0);

/** Cell s of the padded row at p. */
@inline function cell(p: usize, s: i32): f64 {
  return ld(p, s + 2);
}

@inline function setCell(p: usize, s: i32, v: f64): void {
  st(p, s + 2, v);
}

/** Cells s and s + 1 of the padded row at p. */
@inline function pair(p: usize, s: i32): v128 {
  return v128.load(p + (<usize>(s + 2) << 3));
}

@inline function setPair(p: usize, s: i32, v: v128): void {
  v128.store(p + (<usize>(s + 2) << 3), v);
}

/** y(l′_s), y(l′_{s+1}) from the probability row yt. */
@inline function emissions(yt: usize, s: i32): v128 {
  return f64x2.replace_lane(f64x2.splat(ld(yt, ldi(ext, s))), 1, ld(yt, ldi(ext, s + 1)));
}

/** The mask of the pair starting at s in a window ending at b. */
@inline function keep(s: i32, b: i32): v128 {
  return s < b ? BOTH : FIRST;
}

@inline function lanes(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Zeroes the two cells on each side of [a, b] in a padded row (the next recursion step reads them). */
@inline function zeroAround(p: usize, a: i32, b: i32): void {
  setPair(p, a - 2, F(0));
  setPair(p, b + 1, F(0));
}

/** Row t of a block of padded rows. */
@inline function rowAt(p: usize, t: i32): usize {
  return p + ((<usize>t * <usize>stride) << 3);
}

/** Row t of a [frames, classes] float64 block. */
@inline function frameAt(p: usize, t: i32): usize {
  return p + ((<usize>t * <usize>classes) << 3);
}

/**
 * Lays out l′, skip_s and the windows at ws and returns the first free byte, or returns 0 when the
 * target needs more than T′ frames. Window of frame t: the cells s with earliest(s) ≤ t (reachable;
 * earliest(s) = earliest(s − 2 when skip_s, else s − 1) + 1) and finish(s) ≤ T′ − 1 − t (finish(s) =
 * frames still needed to reach cell S − 2 or S − 1). Both are monotone in s, so a window is an interval,
 * and every cell in it lies on a complete path (a narrower set than s ∈ [S − 2(T′ − t), 2t + 1] when
 * labels repeat).
 */
function buildLattice(labp: usize, L: i32, tin: i32, C: i32, blank: i32, ws: usize): usize {
  const S = 2 * L + 1;
  stride = S + 5;
  frames = tin;
  classes = C;
  ext = ws;
  skipk = afterI32(ext, S + 2);
  const earliest = afterF64(skipk, stride);
  const finish = afterI32(earliest, S);
  lo = afterI32(finish, S);
  hi = afterI32(lo, tin);
  for (let s = 0; s < S + 2; s++) sti(ext, s, (s & 1) != 0 && s < S ? ldi(labp, s >> 1) : blank);
  fillF64(skipk, stride, 0);
  for (let s = 3; s < S; s += 2) {
    const e = ldi(ext, s);
    if (e != blank && e != ldi(ext, s - 2)) setCell(skipk, s, 1);
  }
  for (let s = 0; s < S; s++) {
    sti(earliest, s, s < 2 ? 0 : ldi(earliest, cell(skipk, s) != 0 ? s - 2 : s - 1) + 1);
  }
  for (let s = S - 1; s >= 0; s--) {
    sti(finish, s, s >= S - 2 ? 0 : ldi(finish, cell(skipk, s + 2) != 0 ? s + 2 : s + 1) + 1);
  }
  if (ldi(earliest, max(0, S - 2)) > tin - 1) return 0;
  let a = 0;
  let b = 0;
  for (let t = 0; t < tin; t++) {
    while (ldi(finish, a) > tin - 1 - t) a++;
    while (b + 1 < S && ldi(earliest, b + 1) <= t) b++;
    sti(lo, t, a);
    sti(hi, t, b);
  }
  return afterI32(hi, tin);
}

/** (v(s) + v(s − 1) + skip_s v(s − 2)) · inv for the padded row v and the cells s, s + 1: what reaches them. */
@inline function arrivingPair(v: usize, s: i32, inv: v128): v128 {
  const sum = f64x2.add(f64x2.add(pair(v, s), pair(v, s - 1)), f64x2.mul(pair(skipk, s), pair(v, s - 2)));
  return f64x2.mul(sum, inv);
}

/** A padded row holding the start: 1 at cell 0, so that arrivingPair(start, 0, 1) = (1, 1). */
function startRow(p: usize): void {
  fillF64(p, stride, 0);
  setCell(p, 0, 1);
}

// ───────────────────────────── scaled forward–backward ─────────────────────────────

/** A scale factor or frame total the scaled path can trust. */
@inline function usable(x: f64): bool {
  return x >= SCALE_MIN && x < Infinity;
}

/**
 * The forward recursion into alpha (frames + 1 padded rows: the start row, then v_0 … v_{T′−1}).
 * Returns −Σ log c_t, or NaN when some c_t is not usable.
 */
function forward(y: usize, alpha: usize): f64 {
  startRow(alpha);
  let logP: f64 = 0;
  let inv = F(1);
  for (let t = 0; t < frames; t++) {
    const prev = rowAt(alpha, t);
    const row = rowAt(alpha, t + 1);
    const yt = frameAt(y, t);
    const a = ldi(lo, t);
    const b = ldi(hi, t);
    let sum = F(0);
    for (let s = a; s <= b; s += 2) {
      const v = v128.and(f64x2.mul(emissions(yt, s), arrivingPair(prev, s, inv)), keep(s, b));
      setPair(row, s, v);
      sum = f64x2.add(sum, v);
    }
    zeroAround(row, a, b);
    const c = lanes(sum);
    if (!usable(c)) return NaN;
    inv = F(1 / c);
    logP += Math.log(c);
  }
  return -logP;
}

/**
 * u_t from u_{t+1} (divided by dNext), in place; w is a scratch row. Returns d_t = Σ_s u_t(s). Cells
 * of u_{t+1} beyond frame t's window are zeroed.
 */
function backwardStep(t: i32, y: usize, u: usize, w: usize, dNext: f64): f64 {
  const yt = frameAt(y, t + 1);
  const a = ldi(lo, t);
  const b = ldi(hi, t);
  const bNext = ldi(hi, t + 1);
  // w(s) = y_{t+1}(l′_s) u_{t+1}(s) on [a, bNext] (u_{t+1} is 0 outside its window, which starts at or
  // after a; a last pair reaching bNext + 1 reads a 0 there), and 0 beyond.
  for (let s = a; s <= bNext; s += 2) setPair(w, s, f64x2.mul(emissions(yt, s), pair(u, s)));
  setPair(w, bNext + 1, F(0));
  const inv = F(1 / dNext);
  let sum = F(0);
  for (let s = a; s <= b; s += 2) {
    const next = f64x2.add(f64x2.add(pair(w, s), pair(w, s + 1)), f64x2.mul(pair(skipk, s + 2), pair(w, s + 2)));
    const v = v128.and(f64x2.mul(next, inv), keep(s, b));
    setPair(u, s, v);
    sum = f64x2.add(sum, v);
  }
  for (let s = b + 1; s <= bNext; s++) setCell(u, s, 0);
  return lanes(sum);
}

/**
 * Frame t's gradient row from v_t (row) and u_t: −γ_t, or y_t · Σγ_t − γ_t with respect to logits
 * (the chain rule through the log-softmax: softmax − γ). Returns Z_t = Σ_s v_t(s) u_t(s).
 * The products v·u go to the scratch row occ in pairs starting at an even cell, so that lane 0 sums
 * the blanks (even cells; v is 0 just outside the window) and lane 1 the labels; the labels' products
 * are then added to gamma by class, and everything is divided by Z_t on output.
 */
function occupancyRow(t: i32, row: usize, u: usize, y: usize, gamma: usize, occ: usize, gp: usize, fromLogits: bool): f64 {
  const a = ldi(lo, t);
  const b = ldi(hi, t);
  let byParity = F(0);
  for (let s = a & ~1; s <= b; s += 2) {
    const o = v128.and(f64x2.mul(pair(row, s), pair(u, s)), keep(s, b));
    setPair(occ, s, o);
    byParity = f64x2.add(byParity, o);
  }
  const z = lanes(byParity);
  fillF64(gamma, classes, 0);
  st(gamma, ldi(ext, 0), f64x2.extract_lane(byParity, 0));
  for (let s = a | 1; s <= b; s += 2) {
    const k = ldi(ext, s);
    st(gamma, k, ld(gamma, k) + cell(occ, s));
  }
  gradientRow(gp + ((<usize>t * <usize>classes) << 2), frameAt(y, t), gamma, z, fromLogits);
  return z;
}

/** Two float64 lanes stored as two float32 at p. */
@inline function storeF32Pair(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}

/**
 * A gradient row as float32 at out, with γ = gamma / z: y · Σγ − γ with respect to logits (Σγ = 1 up
 * to rounding, as in the log-softmax chain rule g − y · Σg), −γ with respect to log-probabilities.
 */
function gradientRow(out: usize, yt: usize, gamma: usize, z: f64, fromLogits: bool): void {
  const invZ = 1 / z;
  const scale = F(invZ);
  let k = 0;
  if (fromLogits) {
    const total = z * invZ;
    for (; k + 1 < classes; k += 2) {
      const g = f64x2.mul(v128.load(gamma + (<usize>k << 3)), scale);
      storeF32Pair(out + (<usize>k << 2), f64x2.sub(f64x2.mul(v128.load(yt + (<usize>k << 3)), F(total)), g));
    }
    if (k < classes) store<f32>(out + (<usize>k << 2), <f32>(ld(yt, k) * total - ld(gamma, k) * invZ));
  } else {
    for (; k + 1 < classes; k += 2) {
      storeF32Pair(out + (<usize>k << 2), f64x2.neg(f64x2.mul(v128.load(gamma + (<usize>k << 3)), scale)));
    }
    if (k < classes) store<f32>(out + (<usize>k << 2), <f32>-(ld(gamma, k) * invZ));
  }
}

/**
 * The scaled forward–backward on the lattice set up by buildLattice (probabilities y): writes the
 * gradient rows t < T′ to gp and returns the NLL, or NaN when a c_t, d_t or Z_t is not usable (the
 * caller then recomputes the sample in log space).
 */
function scaledSample(y: usize, gp: usize, ws: usize, fromLogits: bool): f64 {
  const u = ws;
  const w = afterF64(u, stride);
  const occ = afterF64(w, stride);
  const gamma = afterF64(occ, stride);
  const alpha = afterF64(gamma, classes);
  const nll = forward(y, alpha);
  if (isNaN(nll)) return NaN;
  fillF64(u, stride, 0);
  for (let s = ldi(lo, frames - 1); s <= ldi(hi, frames - 1); s++) setCell(u, s, 1);
  let d: f64 = 1; // u_{T′−1} is used as it is
  for (let t = frames - 1; t >= 0; t--) {
    if (t < frames - 1) {
      d = backwardStep(t, y, u, w, d);
      if (!usable(d)) return NaN;
    }
    if (!usable(occupancyRow(t, rowAt(alpha, t + 1), u, y, gamma, occ, gp, fromLogits))) return NaN;
  }
  return nll;
}

// ───────────────────────────── log-space path (fallback) ─────────────────────────────

/** e^d for d ≤ 0, taken as 0 below −40 (negligible next to the 1 it is added to). */
@inline function expRatio(d: f64): f64 {
  return d > -40 ? Math.exp(d) : 0;
}

/** log(eᵃ + eᵇ), exact for −∞ inputs. */
@inline function logAdd(a: f64, b: f64): f64 {
  const top = a >= b ? a : b;
  if (top == -Infinity) return top;
  const tail = expRatio(a >= b ? b - a : a - b);
  return tail == 0 ? top : top + Math.log1p(tail);
}

/** log(eᵃ + eᵇ + eᶜ). */
@inline function logAdd3(a: f64, b: f64, c: f64): f64 {
  let top: f64;
  let tail: f64;
  if (a >= b && a >= c) {
    top = a;
    tail = expRatio(b - a) + expRatio(c - a);
  } else if (b >= c) {
    top = b;
    tail = expRatio(a - b) + expRatio(c - b);
  } else {
    top = c;
    tail = expRatio(a - c) + expRatio(b - c);
  }
  if (top == -Infinity || tail == 0) return top;
  return top + Math.log1p(tail);
}

/**
 * ctcForwardBackward of src/losses/sequence.ts operation for operation: log-probabilities lpp (f64,
 * [tin, C]), target at labp (L entries), tin ≥ 1; gradient −γ written to the rows t < tin of gp (f32,
 * zeroed by the caller; NaN rows when no alignment exists). Returns the NLL (+∞ without a possible
 * alignment). `ws` is scratch space (see ctcWorkspaceBytes).
 */
function ctcLogSpace(lpp: usize, C: i32, labp: usize, L: i32, tin: i32, blank: i32, gp: usize, ws: usize): f64 {
  const S = 2 * L + 1;
  const ext = ws;
  const skip = afterI32(ext, S);
  const alpha = afterI32(skip, S);
  const beta = afterF64(alpha, tin * S);
  const emitted = afterF64(beta, S);
  const gamma = afterF64(emitted, S + 2);
  for (let s = 0; s < S; s++) {
    sti(ext, s, (s & 1) != 0 ? ldi(labp, s >> 1) : blank);
    sti(skip, s, 0);
  }
  for (let s = 3; s < S; s += 2) {
    const e = ldi(ext, s);
    sti(skip, s, e != blank && e != ldi(ext, s - 2) ? 1 : 0);
  }

  fillF64(alpha, tin * S, -Infinity);
  const first0 = max(0, S - 2 * tin);
  if (first0 == 0) st(alpha, 0, ld(lpp, blank));
  if (S > 1 && first0 <= 1) st(alpha, 1, ld(lpp, ldi(ext, 1)));
  for (let t = 1; t < tin; t++) {
    const row = t * S;
    const prev = row - S;
    const lp = t * C;
    const first = max(0, S - 2 * (tin - t));
    const last = min(S - 1, 2 * t + 1);
    for (let s = first; s <= last; s++) {
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
    const first = max(0, S - 2 * (tin - t));
    const last = min(S - 1, 2 * t + 1);
    if (t < tin - 1) {
      const lp = (t + 1) * C;
      const top = min(S - 1, last + 2);
      for (let s = first; s <= top; s++) st(emitted, s, ld(beta, s) + ld(lpp, lp + ldi(ext, s)));
      fillF64(beta, S, -Infinity);
      for (let s = first; s <= last; s++) {
        const b = s + 2 < S && ldi(skip, s + 2) != 0
          ? logAdd3(ld(emitted, s), ld(emitted, s + 1), ld(emitted, s + 2))
          : logAdd(ld(emitted, s), ld(emitted, s + 1));
        st(beta, s, b);
      }
    }
    fillF64(gamma, C, 0);
    const row = t * S;
    for (let s = first; s <= last; s++) {
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

/** g ← g − y · Σ_c g on the first `rows` rows (the chain rule through the log-softmax; y = softmax). */
function ctcThroughLogSoftmax(gp: usize, y: usize, C: i32, rows: i32): void {
  for (let t = 0; t < rows; t++) {
    const o = t * C;
    let total: f64 = 0;
    for (let c = 0; c < C; c++) total += <f64>load<f32>(gp + (<usize>(o + c) << 2));
    for (let c = 0; c < C; c++) {
      const p = gp + (<usize>(o + c) << 2);
      store<f32>(p, <f32>(<f64>load<f32>(p) - ld(y, o + c) * total));
    }
  }
}

// ───────────────────────────── batch entry ─────────────────────────────

/**
 * One sample from its float32 block x: probabilities into y, then the scaled forward–backward, or
 * the log-space recursion (log-probabilities into lpp) when the scaled one cannot be trusted.
 * Writes the gradient to g (with respect to x) and returns the NLL.
 */
function ctcSample(x: usize, g: usize, y: usize, lpp: usize, labp: usize, L: i32, tin: i32, T: i32, C: i32, blank: i32, flags: i32, ws: usize): f64 {
  const fromLogits = (flags & CTC_FROM_LOGITS) != 0;
  memory.fill(g, 0, (<usize>T * <usize>C) << 2);
  if (tin == 0) return L == 0 ? 0 : Infinity;
  const free = buildLattice(labp, L, tin, C, blank, ws);
  if (free == 0) {
    for (let i = 0; i < tin * C; i++) store<f32>(g + (<usize>i << 2), NaN);
    return Infinity;
  }
  probabilities(x, y, C, tin, fromLogits);
  const nll = scaledSample(y, g, free, fromLogits);
  if (!isNaN(nll)) return nll;
  if (fromLogits) ctcLogSoftmax(x, lpp, C, tin);
  else for (let i = 0; i < tin * C; i++) st(lpp, i, <f64>load<f32>(x + (<usize>i << 2)));
  const exact = ctcLogSpace(lpp, C, labp, L, tin, blank, g, ws);
  if (fromLogits) ctcThroughLogSoftmax(g, y, C, tin);
  return exact;
}

/** Bytes of scratch space ctcBatch needs for T frames, C classes and targets of at most maxL labels. */
export function ctcWorkspaceBytes(T: i32, C: i32, maxL: i32): usize {
  const S = <usize>(2 * maxL + 1);
  const rows = <usize>T;
  const row = (S + 5) << 3; // a padded row
  const block = (rows * <usize>C) << 3; // y, and the log-probabilities of the log-space path
  // Scaled path: ext, skip, earliest, finish, lo, hi; u, w, occ, γ, α (T + 1 rows).
  const lattice = ((S + 2) << 2) + row + (S << 3) + (rows << 3);
  const scaled = row * 3 + (<usize>C << 3) + (rows + 1) * row;
  // Log-space path: ext, skip, α (T rows of S), β, emitted, γ.
  const logSpace = (S << 3) + ((rows * S) << 3) + (S << 3) + ((S + 2) << 3) + (<usize>C << 3);
  return block * 2 + max(lattice + scaled, logSpace) + 16 * 16;
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
  const y = alignUp(ws);
  const lpp = alignUp(y + (block << 3));
  const scratch = alignUp(lpp + (block << 3));
  let labels = labp;
  for (let b = 0; b < B; b++) {
    const L = ldi(lenp, b);
    const x = xp + ((<usize>b * block) << 2);
    const g = gp + ((<usize>b * block) << 2);
    let nll = ctcSample(x, g, y, lpp, labels, L, ldi(inlp, b), T, C, blank, flags, scratch);
    if (nll == Infinity && (flags & CTC_ZERO_INFINITY) != 0) {
      memory.fill(g, 0, block << 2);
      nll = 0;
    }
    store<f32>(lp + (<usize>b << 2), <f32>nll);
    labels += <usize>L << 2;
  }
}

// Exposed for tests of the approximation: vexp64 in place on n float64 (n even).
export function exp64Of(p: usize, n: i32): void {
  for (let i = 0; i < n; i += 2) v128.store(p + (<usize>i << 3), vexp64(v128.load(p + (<usize>i << 3))));
}
