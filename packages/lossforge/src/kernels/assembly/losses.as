// AssemblyScript source of lossforge's fused loss kernels (WebAssembly SIMD, 128-bit).
// Compiled by scripts/build-kernels.mjs (asc, -O3, --runtime stub) into
// src/kernels/generated/losses.wasm.ts. The file has a `.as` extension so that the project's
// TypeScript compiler does not try to type-check AssemblyScript builtins; the build script copies it
// to a temporary `.ts` file for asc.
//
// Memory: the JavaScript side (src/kernels/runtime.ts) lays out every buffer after __heap_base and
// grows the memory as needed; kernels only read and write the pointers they are given.
// Every kernel computes the loss AND its gradient with respect to the prediction in one pass.
//
// Numerics: vexp / vlog are Cephes-style single-precision approximations (range reduction plus a
// minimax polynomial, about 1 ulp); log1p uses the exact-compensation trick log(u)·t/(u − 1); the
// softplus tail log(1 + e^−|x|) uses vlog1pUnit, a polynomial. Row sums: see SUM_BLOCK.

// ───────────────────────────── vector math ─────────────────────────────

@inline function S(x: f32): v128 {
  return f32x4.splat(x);
}

/**
 * e^r on the reduced range |r| ≤ ln2/2: 1 + r + r²·P(r), P the Cephes expf polynomial of degree 5,
 * evaluated by Estrin's scheme (pairs of terms, then powers of r²): 7 dependent operations instead of
 * Horner's 13, so successive vectors overlap in the processor.
 */
@inline function expPoly(r: v128): v128 {
  const r2 = f32x4.mul(r, r);
  const r4 = f32x4.mul(r2, r2);
  const q0 = f32x4.add(f32x4.mul(r, S(1.6666665459e-1)), S(5.0000001201e-1));
  const q1 = f32x4.add(f32x4.mul(r, S(8.3334519073e-3)), S(4.1665795894e-2));
  const q2 = f32x4.add(f32x4.mul(r, S(1.9875691500e-4)), S(1.3981999507e-3));
  const p = f32x4.add(f32x4.add(q0, f32x4.mul(q1, r2)), f32x4.mul(q2, r4));
  return f32x4.add(f32x4.add(f32x4.mul(p, r2), r), S(1)); // r added before 1, as in Horner's form, keeps its low bits
}

/** eˣ for each lane; exactly 0 below −87.34 (float32 underflow), +∞ above 88.72. */
@inline function vexp(x: v128): v128 {
  const xc = f32x4.pmin(f32x4.pmax(x, S(-87.33654)), S(88.72283));
  // Round to nearest with the 1.5·2²³ trick: the integer n sits in the low mantissa bits of t.
  const t = f32x4.add(f32x4.mul(xc, S(1.44269504088896341)), S(12582912.0));
  const n = f32x4.sub(t, S(12582912.0));
  let r = f32x4.sub(xc, f32x4.mul(n, S(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, S(-2.12194440e-4)));
  const y = expPoly(r);
  // 2ⁿ split in two factors so that n = 128 (x near the overflow bound) stays finite until the product.
  const ni = i32x4.sub(t, i32x4.splat(0x4b400000));
  const half = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(half, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, half), i32x4.splat(127)), 23);
  let out = f32x4.mul(f32x4.mul(y, s1), s2);
  out = v128.bitselect(S(0), out, f32x4.lt(x, S(-87.33654)));
  out = v128.bitselect(S(Infinity), out, f32x4.gt(x, S(88.72283)));
  // NaN in, NaN out.
  return v128.bitselect(x, out, f32x4.ne(x, x));
}

/** Natural log for positive normal lanes (0 → −∞, negative or NaN → NaN, +∞ → +∞). */
@inline function vlog(x: v128): v128 {
  let e = i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(126));
  let m = v128.or(v128.and(x, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  const small = f32x4.lt(m, S(0.707106781186547524));
  e = i32x4.add(e, small); // small lanes are −1: e − 1
  m = f32x4.sub(f32x4.add(m, v128.and(m, small)), S(1));
  const fe = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  let y = S(7.0376836292e-2);
  y = f32x4.add(f32x4.mul(y, m), S(-1.1514610310e-1));
  y = f32x4.add(f32x4.mul(y, m), S(1.1676998740e-1));
  y = f32x4.add(f32x4.mul(y, m), S(-1.2420140846e-1));
  y = f32x4.add(f32x4.mul(y, m), S(1.4249322787e-1));
  y = f32x4.add(f32x4.mul(y, m), S(-1.6668057665e-1));
  y = f32x4.add(f32x4.mul(y, m), S(2.0000714765e-1));
  y = f32x4.add(f32x4.mul(y, m), S(-2.4999993993e-1));
  y = f32x4.add(f32x4.mul(y, m), S(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(fe, S(-2.12194440e-4)));
  y = f32x4.sub(y, f32x4.mul(z, S(0.5)));
  let r = f32x4.add(m, y);
  r = f32x4.add(r, f32x4.mul(fe, S(0.693359375)));
  r = v128.bitselect(S(-Infinity), r, f32x4.eq(x, S(0)));
  r = v128.bitselect(x, r, f32x4.eq(x, S(Infinity)));
  return v128.bitselect(r, S(NaN), f32x4.ge(x, S(0))); // negative or NaN: NaN
}

/** log(1 + t) for t > −1, accurate for tiny t: log(u)·t/(u − 1) with u = 1 + t (t where u rounds to 1). */
@inline function vlog1p(t: v128): v128 {
  const u = f32x4.add(S(1), t);
  const d = f32x4.sub(u, S(1));
  const r = f32x4.div(f32x4.mul(vlog(u), t), d);
  return v128.bitselect(t, r, f32x4.eq(d, S(0)));
}

/**
 * eˣ for x ≤ 0 (the softplus, sigmoid and softmax arguments): vexp without its overflow handling, with
 * one 2ⁿ factor (n ≥ −126 after the clamp); exactly 0 below −87.34; NaN stays NaN (through the
 * arithmetic). Same range reduction and polynomial as vexp, so the same values on x ≤ 0.
 */
@inline function vexpNonPos(x: v128): v128 {
  const xc = f32x4.pmax(x, S(-87.33654));
  const t = f32x4.add(f32x4.mul(xc, S(1.44269504088896341)), S(12582912.0));
  const n = f32x4.sub(t, S(12582912.0));
  let r = f32x4.sub(xc, f32x4.mul(n, S(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, S(-2.12194440e-4)));
  const y = expPoly(r);
  const scale = i32x4.shl(i32x4.add(i32x4.sub(t, i32x4.splat(0x4b400000)), i32x4.splat(127)), 23);
  return v128.bitselect(S(0), f32x4.mul(y, scale), f32x4.lt(x, S(-87.33654)));
}

/**
 * log(1 + e) for e in [0, 1] (the softplus tail log(1 + e^−|x|)): e·P(e), P the degree-9 Chebyshev
 * interpolant of log1p(e)/e on [0, 1] (fitted for lossforge with numpy in float64); largest relative
 * error 1.44e-7 when evaluated in float32 as below, exact as e → 0, no division.
 */
@inline function vlog1pUnit(e: v128): v128 {
  // As e + e²·Q(e), Q = (P − 1)/e of degree 8, so that the leading term e is exact; Q by Estrin's
  // scheme (see expPoly): pairs of coefficients, combined with e², e⁴.
  const e2 = f32x4.mul(e, e);
  const e4 = f32x4.mul(e2, e2);
  const a0 = f32x4.add(f32x4.mul(e, S(0.33329710364341736)), S(-0.49999892711639404));
  const a1 = f32x4.add(f32x4.mul(e, S(0.1966327428817749)), S(-0.24951615929603577));
  const a2 = f32x4.add(f32x4.mul(e, S(0.10543623566627502)), S(-0.1526966691017151));
  const a3 = f32x4.add(f32x4.mul(e, S(0.019542526453733444)), S(-0.056373611092567444));
  const b0 = f32x4.add(a0, f32x4.mul(e2, a1));
  const b1 = f32x4.add(a2, f32x4.mul(e2, a3));
  const q = f32x4.add(b0, f32x4.mul(e4, f32x4.add(b1, f32x4.mul(e4, S(-0.0031760570127516985)))));
  return f32x4.add(e, f32x4.mul(e2, q));
}

/**
 * Row sums add float32 vectors over blocks of SUM_BLOCK elements (16 per lane: relative error at most
 * about 1e-6) and the block sums in float64: no float64 dependency chain per vector.
 */
const SUM_BLOCK: i32 = 64;

/** Sum of the 4 lanes in float64. */
@inline function hsum64(v: v128): f64 {
  const lo = f64x2.promote_low_f32x4(v);
  const hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
  const s = f64x2.add(lo, hi);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

@inline function lane0(v: v128): f32 {
  return f32x4.extract_lane(v, 0);
}

/** x ≥ 0 ? a : b, per lane. */
@inline function ifNonNeg(x: v128, a: v128, b: v128): v128 {
  return v128.bitselect(a, b, f32x4.ge(x, S(0)));
}

/** Derivative of |d| as tfjs defines it (step(d, −1)): 1 where d > 0, else −1. */
@inline function absSlope(d: v128): v128 {
  return v128.bitselect(S(1), S(-1), f32x4.gt(d, S(0)));
}

// ───────────────────────────── elementwise losses ─────────────────────────────
// Each takes target y, prediction x, a per-element weight w (posWeight) and parameters; stores
// dℓ/dx · scale at `gp` and returns ℓ.

export const BCE_LOGITS: i32 = 0;
export const BCE_PROBS: i32 = 1;
export const MSE: i32 = 2;
export const MAE: i32 = 3;
export const LOG_COSH: i32 = 4;
export const HUBER: i32 = 5;
export const SMOOTH_L1: i32 = 6;
export const FOCAL_LOGITS: i32 = 7;
export const FOCAL_PROBS: i32 = 8;

const PROB_LO: f32 = 1e-7;
const PROB_HI: f32 = <f32>(1.0 - 1e-7);

// Parameters, set by setParams before a call (globals keep the kernel signatures short).
let P0: f32 = 0; // 1 − ε (label smoothing) | δ | β
let P1: f32 = 0; // ε/2
let P2: f32 = 0; // scalar posWeight | γ
let P3: f32 = 0; // α
let P4: f32 = 0; // 1 − α
let P5: i32 = 0; // flags: 1 = posWeight per column, 2 = class balancing
// 64 bytes of scratch memory (16-byte aligned) for values returned through memory; set once by the
// JavaScript side (setScratch), so the module has no data segment and can run in a memory it imports.
let SCRATCH: usize = 0;

export function setScratch(p: usize): void {
  SCRATCH = p;
}

export function setParams(p0: f32, p1: f32, p2: f32, p3: f32, p4: f32, p5: i32): void {
  P0 = p0;
  P1 = p1;
  P2 = p2;
  P3 = p3;
  P4 = p4;
  P5 = p5;
}

// ───────────────────────────── reduction and value checks ─────────────────────────────
// With REDUCE on (setReduction), a kernel does not store per-sample losses: it multiplies each row's
// loss and gradient by the row's factor f = sampleWeight · mask (· the target's class weight, for the
// softmax kernels) and adds Σ f·ℓ (0 where f = 0, whatever ℓ), Σ valid and Σ f into float64
// accumulators, which `reduced` returns: the JavaScript side divides by the reduction's denominator
// (count for `mean`, Σ f for `weightedMean`, 1 for `sum`) and applies 1/denominator in the backward
// pass, where the gradient is multiplied by the upstream scalar anyway.
// CHECKS: the value checks of the wrapper (docs/inputs.md) counted in the same pass: CHECK_* flags
// say which rules apply; any bad entry sets a bit of BAD (the JavaScript side then runs the wrapper's
// own checks, which report the first bad index).

export const CHECK_TRUE_FINITE: i32 = 1;
export const CHECK_TRUE_UNIT: i32 = 2; // yTrue in [0, 1]
export const CHECK_PRED_FINITE: i32 = 4;
export const CHECK_PRED_UNIT: i32 = 8; // yPred in [0, 1]

let REDUCE: bool = false;
let SWP: usize = 0; // per-row sample weights (float32), or 0: all 1
let MKP: usize = 0; // per-row mask (float32 0/1), or 0: all 1
let CHECKS: i32 = 0;
let BAD: i32 = 0;
// The checked ranges of yTrue and yPred: [−max, max] (finite), [0, 1], or [−∞, ∞] (not checked).
let LO_T: f32 = -Infinity;
let HI_T: f32 = Infinity;
let LO_P: f32 = -Infinity;
let HI_P: f32 = Infinity;
let ACC_LOSS: f64 = 0;
let ACC_COUNT: f64 = 0;
let ACC_WEIGHT: f64 = 0;

/** Sets the reduction mode and the value checks of the next kernel call, and clears the accumulators. */
export function setReduction(reduce: i32, swp: usize, mkp: usize, checks: i32): void {
  REDUCE = reduce != 0;
  SWP = swp;
  MKP = mkp;
  CHECKS = checks;
  BAD = 0;
  LO_T = (checks & CHECK_TRUE_UNIT) != 0 ? 0 : (checks & CHECK_TRUE_FINITE) != 0 ? -F32.MAX_VALUE : -Infinity;
  HI_T = (checks & CHECK_TRUE_UNIT) != 0 ? 1 : (checks & CHECK_TRUE_FINITE) != 0 ? F32.MAX_VALUE : Infinity;
  LO_P = (checks & CHECK_PRED_UNIT) != 0 ? 0 : (checks & CHECK_PRED_FINITE) != 0 ? -F32.MAX_VALUE : -Infinity;
  HI_P = (checks & CHECK_PRED_UNIT) != 0 ? 1 : (checks & CHECK_PRED_FINITE) != 0 ? F32.MAX_VALUE : Infinity;
  ACC_LOSS = 0;
  ACC_COUNT = 0;
  ACC_WEIGHT = 0;
}

/** After a call: stores Σ f·ℓ, Σ valid, Σ f (float64) at p and returns the bad-entry bits (CHECK_* flags). */
export function reduced(p: usize): i32 {
  store<f64>(p, ACC_LOSS);
  store<f64>(p, ACC_COUNT, 8);
  store<f64>(p, ACC_WEIGHT, 16);
  return BAD;
}

/** 0 where a lane breaks the rule of `finiteFlag`/`unitFlag` (finite; in [0, 1]), all ones otherwise. */
@inline function laneOk(v: v128, finiteFlag: i32, unitFlag: i32): v128 {
  if ((CHECKS & unitFlag) != 0) return v128.and(f32x4.ge(v, S(0)), f32x4.le(v, S(1)));
  if ((CHECKS & finiteFlag) != 0) return f32x4.le(f32x4.abs(v), S(F32.MAX_VALUE));
  return i32x4.splat(-1);
}

/** All ones where y is in yTrue's checked range and x in yPred's (NaN never is): two compares each. */
@inline function inRange(y: v128, x: v128): v128 {
  const okT = v128.and(f32x4.ge(y, S(LO_T)), f32x4.le(y, S(HI_T)));
  return v128.and(okT, v128.and(f32x4.ge(x, S(LO_P)), f32x4.le(x, S(HI_P))));
}

/**
 * After a block whose lanes were accumulated into `ok` with inRange: records a bad entry (rather
 * than which argument: the JavaScript side runs the full checks to report it).
 */
@inline function recordBlock(ok: v128): void {
  if (!i32x4.all_true(ok)) BAD |= CHECKS;
}

/** Records the bad lanes of targets y and predictions x (lanes where `keep` is 0 are not inputs). */
@inline function checkLanes(y: v128, x: v128, keep: v128): void {
  if (CHECKS == 0) return;
  if (!i32x4.all_true(v128.or(laneOk(y, CHECK_TRUE_FINITE, CHECK_TRUE_UNIT), v128.not(keep)))) BAD |= CHECK_TRUE_FINITE;
  if (!i32x4.all_true(v128.or(laneOk(x, CHECK_PRED_FINITE, CHECK_PRED_UNIT), v128.not(keep)))) BAD |= CHECK_PRED_FINITE;
}

@inline function rowMaskAt(r: i32): f32 {
  return MKP == 0 ? 1 : load<f32>(MKP + (<usize>r << 2));
}

/** sampleWeight · mask of row r. */
@inline function rowFactorAt(r: i32): f32 {
  const w: f32 = SWP == 0 ? 1 : load<f32>(SWP + (<usize>r << 2));
  return w * rowMaskAt(r);
}

/**
 * The end of row r: its loss ℓ goes to lp[r] (per-sample mode) or, times its factor f, into the
 * accumulators (REDUCE), with `valid` (mask, 0 for an ignored label) counted for `mean`.
 */
@inline function emitRow(lp: usize, r: i32, loss: f32, f: f32, valid: f32): void {
  if (!REDUCE) {
    store<f32>(lp + (<usize>r << 2), loss);
    return;
  }
  if (f != 0) ACC_LOSS += <f64>(loss * f);
  ACC_COUNT += <f64>valid;
  ACC_WEIGHT += <f64>f;
}

/** y′ = y(1 − ε) + ε/2 in the composite's order of float32 operations. */
@inline function smooth(y: v128): v128 {
  return P1 == 0 ? y : f32x4.add(f32x4.mul(y, S(P0)), S(P1));
}

@inline function bceLogits(y0: v128, x: v128, w: v128, gp: usize, scale: v128): v128 {
  const y = smooth(y0);
  const e = vexpNonPos(f32x4.neg(f32x4.abs(x)));
  const l = vlog1pUnit(e);
  const spPos = f32x4.add(f32x4.pmax(x, S(0)), l); // softplus(x) = −log(1 − σ(x))
  const spNeg = f32x4.add(f32x4.pmax(f32x4.neg(x), S(0)), l); // softplus(−x) = −log σ(x)
  const inv = f32x4.div(S(1), f32x4.add(S(1), e));
  const ei = f32x4.mul(e, inv);
  const sigPos = ifNonNeg(x, inv, ei);
  const sigNeg = ifNonNeg(x, ei, inv);
  const wy = f32x4.mul(w, y);
  const ny = f32x4.sub(S(1), y);
  const grad = f32x4.sub(f32x4.mul(ny, sigPos), f32x4.mul(wy, sigNeg));
  v128.store(gp, f32x4.mul(grad, scale));
  return f32x4.add(f32x4.mul(wy, spNeg), f32x4.mul(ny, spPos));
}

/** BCE on clipped probabilities; also used by focal (w = 1). Stores dℓ/dp (0 outside the clip range). */
@inline function bceProbs(y: v128, x: v128, w: v128, gp: usize, scale: v128): v128 {
  const pc = f32x4.min(f32x4.max(x, S(PROB_LO)), S(PROB_HI));
  const inside = v128.and(f32x4.ge(x, S(PROB_LO)), f32x4.le(x, S(PROB_HI)));
  const logP = vlog(pc);
  const log1mP = vlog1p(f32x4.neg(pc));
  const wy = f32x4.mul(w, y);
  const ny = f32x4.sub(S(1), y);
  const grad = f32x4.sub(f32x4.div(ny, f32x4.sub(S(1), pc)), f32x4.div(wy, pc));
  v128.store(gp, f32x4.mul(v128.and(grad, inside), scale));
  return f32x4.neg(f32x4.add(f32x4.mul(wy, logP), f32x4.mul(ny, log1mP)));
}

@inline function mse(y: v128, x: v128, gp: usize, scale: v128): v128 {
  const d = f32x4.sub(y, x);
  v128.store(gp, f32x4.mul(f32x4.mul(d, S(-2)), scale));
  return f32x4.mul(d, d);
}

@inline function mae(y: v128, x: v128, gp: usize, scale: v128): v128 {
  const d = f32x4.sub(y, x);
  v128.store(gp, f32x4.mul(f32x4.neg(absSlope(d)), scale));
  return f32x4.abs(d);
}

@inline function huber(y: v128, x: v128, gp: usize, scale: v128): v128 {
  const d = f32x4.sub(y, x);
  const a = f32x4.abs(d);
  const delta = S(P0);
  const q = f32x4.min(a, delta);
  v128.store(gp, f32x4.mul(f32x4.mul(f32x4.neg(absSlope(d)), q), scale));
  return f32x4.add(f32x4.mul(S(0.5), f32x4.mul(q, q)), f32x4.mul(delta, f32x4.sub(a, q)));
}

@inline function smoothL1(y: v128, x: v128, gp: usize, scale: v128): v128 {
  const d = f32x4.sub(y, x);
  const a = f32x4.abs(d);
  const beta = S(P0);
  const q = f32x4.min(a, beta);
  const slope = v128.bitselect(f32x4.div(a, beta), S(1), f32x4.le(a, beta));
  v128.store(gp, f32x4.mul(f32x4.mul(f32x4.neg(absSlope(d)), slope), scale));
  return f32x4.add(f32x4.div(f32x4.mul(S(0.5), f32x4.mul(q, q)), beta), f32x4.sub(a, q));
}

@inline function logCosh(y: v128, x: v128, gp: usize, scale: v128): v128 {
  const d = f32x4.sub(x, y);
  const z = f32x4.mul(d, S(-2));
  const e = vexpNonPos(f32x4.neg(f32x4.abs(z)));
  const sp = f32x4.add(f32x4.pmax(z, S(0)), vlog1pUnit(e));
  const inv = f32x4.div(S(1), f32x4.add(S(1), e));
  const sig = ifNonNeg(z, inv, f32x4.mul(e, inv)); // σ(z)
  v128.store(gp, f32x4.mul(f32x4.sub(S(1), f32x4.mul(sig, S(2))), scale));
  return f32x4.sub(f32x4.add(d, sp), S(<f32>0.6931471805599453));
}

/**
 * (1 − p_t)^γ (safePow: exp(γ·log(max(m, 1e-30))), 1 for γ = 0, m for γ = 1) and its derivative in m.
 * Returns the power; stores the derivative at `dp`.
 */
@inline function focalPow(m: v128, dp: usize): v128 {
  const gamma = P2;
  if (gamma == 0) {
    v128.store(dp, S(0));
    return S(1);
  }
  if (gamma == 1) {
    v128.store(dp, S(1));
    return m;
  }
  if (gamma == 2) {
    // m² and 2m: what exp(2·log m) gives, without the transcendental functions.
    v128.store(dp, f32x4.add(m, m));
    return f32x4.mul(m, m);
  }
  const mc = f32x4.max(m, S(1e-30));
  const f = vexp(f32x4.mul(S(gamma), vlog(mc)));
  const df = f32x4.div(f32x4.mul(f, S(gamma)), mc);
  v128.store(dp, v128.and(df, f32x4.ge(m, S(1e-30))));
  return f;
}

/** Class balancing weight y′α + (1 − y′)(1 − α), or 1. */
@inline function balance(y: v128): v128 {
  if ((P5 & 2) == 0) return S(1);
  return f32x4.add(f32x4.mul(y, S(P3)), f32x4.mul(f32x4.sub(S(1), y), S(P4)));
}


@inline function focalLogits(y0: v128, x: v128, gp: usize, scale: v128): v128 {
  const y = smooth(y0);
  const e = vexpNonPos(f32x4.neg(f32x4.abs(x)));
  const l = vlog1pUnit(e);
  const spPos = f32x4.add(f32x4.pmax(x, S(0)), l);
  const spNeg = f32x4.add(f32x4.pmax(f32x4.neg(x), S(0)), l);
  const inv = f32x4.div(S(1), f32x4.add(S(1), e));
  const ei = f32x4.mul(e, inv);
  const p = ifNonNeg(x, inv, ei);
  const q = ifNonNeg(x, ei, inv);
  const ny = f32x4.sub(S(1), y);
  const bce = f32x4.add(f32x4.mul(y, spNeg), f32x4.mul(ny, spPos));
  const dbce = f32x4.sub(f32x4.mul(ny, p), f32x4.mul(y, q));
  const m = f32x4.add(f32x4.mul(y, q), f32x4.mul(ny, p));
  // dm/dx = −y′·q(1 − q) + (1 − y′)·p(1 − p), with tfjs' sigmoid derivative s(1 − s).
  const dm = f32x4.sub(f32x4.mul(ny, f32x4.mul(p, f32x4.sub(S(1), p))), f32x4.mul(y, f32x4.mul(q, f32x4.sub(S(1), q))));
  const f = focalPow(m, SCRATCH);
  const df = v128.load(SCRATCH);
  const bal = balance(y);
  const grad = f32x4.mul(bal, f32x4.add(f32x4.mul(f32x4.mul(df, dm), bce), f32x4.mul(f, dbce)));
  v128.store(gp, f32x4.mul(grad, scale));
  return f32x4.mul(bal, f32x4.mul(f, bce));
}

@inline function focalProbs(y0: v128, x: v128, gp: usize, scale: v128): v128 {
  const y = smooth(y0);
  const bce = bceProbs(y, x, S(1), SCRATCH + 16, S(1));
  const dbce = v128.load(SCRATCH + 16);
  const ny = f32x4.sub(S(1), y);
  const m = f32x4.add(f32x4.mul(y, f32x4.sub(S(1), x)), f32x4.mul(ny, x));
  const dm = f32x4.sub(ny, y);
  const f = focalPow(m, SCRATCH);
  const df = v128.load(SCRATCH);
  const bal = balance(y);
  const grad = f32x4.mul(bal, f32x4.add(f32x4.mul(f32x4.mul(df, dm), bce), f32x4.mul(f, dbce)));
  v128.store(gp, f32x4.mul(grad, scale));
  return f32x4.mul(bal, f32x4.mul(f, bce));
}

@inline function element(kind: i32, y: v128, x: v128, w: v128, gp: usize, scale: v128): v128 {
  switch (kind) {
    case BCE_LOGITS: return bceLogits(y, x, w, gp, scale);
    case BCE_PROBS: return bceProbs(smooth(y), x, w, gp, scale);
    case MSE: return mse(y, x, gp, scale);
    case MAE: return mae(y, x, gp, scale);
    case LOG_COSH: return logCosh(y, x, gp, scale);
    case HUBER: return huber(y, x, gp, scale);
    case SMOOTH_L1: return smoothL1(y, x, gp, scale);
    case FOCAL_LOGITS: return focalLogits(y, x, gp, scale);
    default: return focalProbs(y, x, gp, scale);
  }
}

/** posWeight lanes for columns j..j+3: per column (flag 1) or the scalar P2. */
@inline function weightAt(wp: usize, j: i32): v128 {
  return (P5 & 1) != 0 ? v128.load(wp + (<usize>j << 2)) : S(P2);
}

/**
 * One elementwise loss over `rows` × `k` values (row-major). Per-sample output: the mean over each
 * row (lp[r]); the gradient of that mean (dℓ/dx / k) goes to gp. With k == 1 this is per element.
 * With REDUCE, each row's loss and gradient are multiplied by its factor and summed instead (see
 * setReduction); with CHECKS, every target and prediction is checked on the way.
 */
@inline function rowsKernel(kind: i32, yp: usize, xp: usize, wp: usize, gp: usize, lp: usize, row0: i32, row1: i32, k: i32): void {
  const invK: f32 = <f32>(1.0 / <f64>k);
  const all = i32x4.splat(-1);
  if (k == 1) {
    // One value per sample: a straight vector loop, 4 samples at a time (float32 sums per block of
    // SUM_BLOCK samples, float64 across blocks).
    const weighted = SWP != 0 || MKP != 0;
    let i = row0;
    const vecEnd = row0 + ((row1 - row0) & ~3);
    while (i < vecEnd) {
      const blockStart = i;
      const blockEnd = min(vecEnd, i + SUM_BLOCK);
      let accL = S(0);
      let accM = S(0);
      let accF = S(0);
      let ok = all;
      for (; i < blockEnd; i += 4) {
        const o = <usize>i << 2;
        const y = v128.load(yp + o);
        const x = v128.load(xp + o);
        if (CHECKS != 0) ok = v128.and(ok, inRange(y, x));
        if (!REDUCE) {
          v128.store(lp + o, element(kind, y, x, weightAt(wp, 0), gp + o, S(1)));
          continue;
        }
        if (!weighted) {
          accL = f32x4.add(accL, element(kind, y, x, weightAt(wp, 0), gp + o, S(1)));
          continue;
        }
        const m = MKP == 0 ? S(1) : v128.load(MKP + o);
        const f = SWP == 0 ? m : f32x4.mul(v128.load(SWP + o), m);
        const l = element(kind, y, x, weightAt(wp, 0), gp + o, f);
        accL = f32x4.add(accL, v128.and(f32x4.mul(l, f), f32x4.ne(f, S(0)))); // where(f = 0, 0, ℓ·f)
        accM = f32x4.add(accM, m);
        accF = f32x4.add(accF, f);
      }
      if (CHECKS != 0) recordBlock(ok);
      if (REDUCE) {
        ACC_LOSS += hsum64(accL);
        ACC_COUNT += weighted ? hsum64(accM) : <f64>(blockEnd - blockStart);
        ACC_WEIGHT += weighted ? hsum64(accF) : <f64>(blockEnd - blockStart);
      }
    }
    for (; i < row1; i++) {
      const o = <usize>i << 2;
      const y = S(load<f32>(yp + o));
      const x = S(load<f32>(xp + o));
      checkLanes(y, x, all); // a splat: every lane is the entry
      const f = REDUCE ? rowFactorAt(i) : <f32>1;
      const l = element(kind, y, x, S(lane0(weightAt(wp, 0))), SCRATCH + 32, S(f));
      store<f32>(gp + o, lane0(v128.load(SCRATCH + 32)));
      emitRow(lp, i, lane0(l), f, rowMaskAt(i));
    }
    return;
  }
  const vecEnd = k & ~3;
  for (let r = row0; r < row1; r++) {
    const base = (<usize>r * <usize>k) << 2;
    const f = REDUCE ? rowFactorAt(r) : <f32>1;
    const scale = S(invK * f);
    let total: f64 = 0;
    let j = 0;
    while (j < vecEnd) {
      const blockEnd = min(vecEnd, j + SUM_BLOCK);
      let acc = S(0);
      let ok = all;
      for (; j < blockEnd; j += 4) {
        const o = base + (<usize>j << 2);
        const y = v128.load(yp + o);
        const x = v128.load(xp + o);
        if (CHECKS != 0) ok = v128.and(ok, inRange(y, x));
        acc = f32x4.add(acc, element(kind, y, x, weightAt(wp, j), gp + o, scale));
      }
      if (CHECKS != 0) recordBlock(ok);
      total += hsum64(acc);
    }
    for (; j < k; j++) {
      const o = base + (<usize>j << 2);
      const w = (P5 & 1) != 0 ? S(load<f32>(wp + (<usize>j << 2))) : S(P2);
      const y = S(load<f32>(yp + o));
      const x = S(load<f32>(xp + o));
      checkLanes(y, x, all); // a splat: every lane is the entry
      const l = element(kind, y, x, w, SCRATCH + 32, scale);
      store<f32>(gp + o, lane0(v128.load(SCRATCH + 32)));
      total += <f64>lane0(l);
    }
    emitRow(lp, r, <f32>(total / <f64>k), f, rowMaskAt(r));
  }
}

/** Entry point for every elementwise loss; `kind` selects the loss (constants above). */
export function elementwise(kind: i32, yp: usize, xp: usize, wp: usize, gp: usize, lp: usize, row0: i32, row1: i32, k: i32): void {
  // Each case inlines the row loop with a constant kind, so the loss body has no branch per vector.
  switch (kind) {
    case BCE_LOGITS: rowsKernel(BCE_LOGITS, yp, xp, wp, gp, lp, row0, row1, k); break;
    case BCE_PROBS: rowsKernel(BCE_PROBS, yp, xp, wp, gp, lp, row0, row1, k); break;
    case MSE: rowsKernel(MSE, yp, xp, wp, gp, lp, row0, row1, k); break;
    case MAE: rowsKernel(MAE, yp, xp, wp, gp, lp, row0, row1, k); break;
    case LOG_COSH: rowsKernel(LOG_COSH, yp, xp, wp, gp, lp, row0, row1, k); break;
    case HUBER: rowsKernel(HUBER, yp, xp, wp, gp, lp, row0, row1, k); break;
    case SMOOTH_L1: rowsKernel(SMOOTH_L1, yp, xp, wp, gp, lp, row0, row1, k); break;
    case FOCAL_LOGITS: rowsKernel(FOCAL_LOGITS, yp, xp, wp, gp, lp, row0, row1, k); break;
    default: rowsKernel(FOCAL_PROBS, yp, xp, wp, gp, lp, row0, row1, k); break;
  }
}

/** out[i] = g[i] · dy[i / k]: the backward pass (chain rule with the upstream per-sample gradient). */
export function scaleRows(gp: usize, dyp: usize, op: usize, row0: i32, row1: i32, k: i32): void {
  const vecEnd = k & ~3;
  for (let r = row0; r < row1; r++) {
    const base = (<usize>r * <usize>k) << 2;
    const d = load<f32>(dyp + (<usize>r << 2));
    const dv = S(d);
    let j = 0;
    for (; j < vecEnd; j += 4) {
      const o = base + (<usize>j << 2);
      v128.store(op + o, f32x4.mul(v128.load(gp + o), dv));
    }
    for (; j < k; j++) {
      const o = base + (<usize>j << 2);
      store<f32>(op + o, load<f32>(gp + o) * d);
    }
  }
}

// ───────────────────────────── softmax rows ─────────────────────────────

/** max over x[0..c). */
@inline function rowMax(xp: usize, c: i32): f32 {
  const vecEnd = c & ~3;
  let mv = S(-Infinity);
  let j = 0;
  // pmax is one instruction (max is several, for NaN): a NaN logit is lost here but makes its exp and the sum NaN.
  // With CHECKS, the logits are checked here (every softmax kernel reads each row here first).
  let ok = i32x4.splat(-1);
  const check = (CHECKS & CHECK_PRED_FINITE) != 0;
  if (check) {
    for (; j < vecEnd; j += 4) {
      const x = v128.load(xp + (<usize>j << 2));
      mv = f32x4.pmax(mv, x);
      ok = v128.and(ok, f32x4.le(f32x4.abs(x), S(F32.MAX_VALUE)));
    }
  } else {
    for (; j < vecEnd; j += 4) mv = f32x4.pmax(mv, v128.load(xp + (<usize>j << 2)));
  }
  let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (; j < c; j++) {
    const x = load<f32>(xp + (<usize>j << 2));
    m = max(m, x);
    if (check && !(abs(x) <= F32.MAX_VALUE)) ok = i32x4.splat(0);
  }
  if (!i32x4.all_true(ok)) BAD |= CHECK_PRED_FINITE;
  return m;
}

/** e_j = exp(x_j − m) stored at ep; returns Σ e_j (float64). */
@inline function rowExpSum(xp: usize, ep: usize, c: i32, m: f32): f64 {
  const vecEnd = c & ~3;
  const mv = S(m);
  let total: f64 = 0;
  let j = 0;
  while (j < vecEnd) {
    const blockEnd = min(vecEnd, j + SUM_BLOCK);
    let acc = S(0);
    for (; j < blockEnd; j += 4) {
      const o = <usize>j << 2;
      const e = vexpNonPos(f32x4.sub(v128.load(xp + o), mv));
      v128.store(ep + o, e);
      acc = f32x4.add(acc, e);
    }
    total += hsum64(acc);
  }
  for (; j < c; j++) {
    const o = <usize>j << 2;
    const e = lane0(vexpNonPos(S(load<f32>(xp + o) - m)));
    store<f32>(ep + o, e);
    total += <f64>e;
  }
  return total;
}

@inline function scalarLog(x: f32): f32 {
  return lane0(vlog(S(x)));
}

/** Zeroes c floats at p. */
@inline function zeroRow(p: usize, c: i32): void {
  memory.fill(p, 0, <usize>c << 2);
}

/**
 * Sparse softmax cross-entropy from logits, rows [row0, row1) of a [rows, c] block: ℓ = logΣeˣ − x_label,
 * dℓ/dx = softmax(x) − onehot(label). Labels outside [0, c) and, with flag 2, labels equal to P2 (an
 * ignoreIndex inside [0, c)) are ignored: ℓ = 0, a zero row, not counted for `mean`. With REDUCE and
 * flag 1, the row's factor includes the class weight wp[label].
 */
export function sparseSoftmaxCE(xp: usize, labp: usize, wp: usize, gp: usize, lp: usize, row0: i32, row1: i32, c: i32): void {
  for (let r = row0; r < row1; r++) {
    const base = (<usize>r * <usize>c) << 2;
    const label = load<i32>(labp + (<usize>r << 2));
    if (label < 0 || label >= c || ((P5 & 2) != 0 && label == <i32>P2)) {
      if (CHECKS != 0) rowMax(xp + base, c);
      zeroRow(gp + base, c);
      emitRow(lp, r, 0, 0, 0);
      continue;
    }
    const f: f32 = REDUCE ? rowFactorAt(r) * ((P5 & 1) != 0 ? load<f32>(wp + (<usize>label << 2)) : 1) : 1;
    const m = rowMax(xp + base, c);
    const total = rowExpSum(xp + base, gp + base, c, m);
    const inv = S(<f32>(1.0 / total) * f);
    const vecEnd = c & ~3;
    let j = 0;
    for (; j < vecEnd; j += 4) {
      const o = gp + base + (<usize>j << 2);
      v128.store(o, f32x4.mul(v128.load(o), inv));
    }
    for (; j < c; j++) {
      const o = gp + base + (<usize>j << 2);
      store<f32>(o, load<f32>(o) * lane0(inv));
    }
    const lo = gp + base + (<usize>label << 2);
    store<f32>(lo, load<f32>(lo) - f);
    const xl = load<f32>(xp + base + (<usize>label << 2));
    emitRow(lp, r, (m - xl) + scalarLog(<f32>total), f, rowMaskAt(r));
  }
}

/**
 * Dense (soft-target) softmax cross-entropy from logits with label smoothing (P0 = 1 − ε, P1 = ε/C)
 * and optional class weights (wp, flag 1):
 *   ℓ = −Σ_c w_c y′_c log p_c / W,  W = Σ_c w_c y_c (1 where 0; W = 1 without class weights),
 *   dℓ/dx_k = (p_k Σ_c w_c y′_c − w_k y′_k) / W.
 */
export function denseSoftmaxCE(yp: usize, xp: usize, wp: usize, gp: usize, lp: usize, row0: i32, row1: i32, c: i32): void {
  const weighted = (P5 & 1) != 0;
  const vecEnd = c & ~3;
  for (let r = row0; r < row1; r++) {
    const base = (<usize>r * <usize>c) << 2;
    const m = rowMax(xp + base, c);
    const total = rowExpSum(xp + base, gp + base, c, m);
    const mv = S(m);
    const ls = S(scalarLog(<f32>total)); // log p = (x − m) − log Σ: exact for the largest logit
    const inv = S(<f32>(1.0 / total));
    // Σ w y′ and Σ w y (the weight denominator).
    let swy = f64x2.splat(0);
    let swyRaw = f64x2.splat(0);
    let j = 0;
    for (; j < vecEnd; j += 4) {
      const o = <usize>j << 2;
      const y0 = v128.load(yp + base + o);
      checkLanes(y0, S(0), i32x4.splat(-1));
      const w = weighted ? v128.load(wp + o) : S(1);
      const wy = f32x4.mul(w, smooth(y0));
      const wyr = f32x4.mul(w, y0);
      swy = f64x2.add(swy, f64x2.add(f64x2.promote_low_f32x4(wy), f64x2.promote_low_f32x4(i32x4.shuffle(wy, wy, 2, 3, 0, 1))));
      swyRaw = f64x2.add(swyRaw, f64x2.add(f64x2.promote_low_f32x4(wyr), f64x2.promote_low_f32x4(i32x4.shuffle(wyr, wyr, 2, 3, 0, 1))));
    }
    let sumWy = f64x2.extract_lane(swy, 0) + f64x2.extract_lane(swy, 1);
    let sumW = f64x2.extract_lane(swyRaw, 0) + f64x2.extract_lane(swyRaw, 1);
    for (; j < c; j++) {
      const o = <usize>j << 2;
      const y0 = S(load<f32>(yp + base + o));
      checkLanes(y0, S(0), i32x4.splat(-1));
      const w = weighted ? S(load<f32>(wp + o)) : S(1);
      sumWy += <f64>lane0(f32x4.mul(w, smooth(y0)));
      sumW += <f64>lane0(f32x4.mul(w, y0));
    }
    const W: f64 = weighted ? (sumW == 0 ? 1.0 : sumW) : 1.0;
    // The row's factor: sampleWeight · mask · its class weight Σ w_c y_c (the composite's targetWeight).
    const f: f32 = REDUCE ? rowFactorAt(r) * (weighted ? <f32>sumW : 1) : 1;
    const invW = S(<f32>(1.0 / W) * f);
    const a = S(<f32>sumWy);
    // Gradient and loss: log p = x − (m + log Σ) per element (no cancellation for large logits).
    let acc = f64x2.splat(0);
    j = 0;
    for (; j < vecEnd; j += 4) {
      const o = <usize>j << 2;
      const w = weighted ? v128.load(wp + o) : S(1);
      const wy = f32x4.mul(w, smooth(v128.load(yp + base + o)));
      const logp = f32x4.sub(f32x4.sub(v128.load(xp + base + o), mv), ls);
      const t = f32x4.mul(wy, logp);
      acc = f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(t), f64x2.promote_low_f32x4(i32x4.shuffle(t, t, 2, 3, 0, 1))));
      const p = f32x4.mul(v128.load(gp + base + o), inv);
      v128.store(gp + base + o, f32x4.mul(f32x4.sub(f32x4.mul(p, a), wy), invW));
    }
    let loss = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
    for (; j < c; j++) {
      const o = <usize>j << 2;
      const w = weighted ? S(load<f32>(wp + o)) : S(1);
      const wy = f32x4.mul(w, smooth(S(load<f32>(yp + base + o))));
      const logp = f32x4.sub(f32x4.sub(S(load<f32>(xp + base + o)), mv), ls);
      loss += <f64>lane0(f32x4.mul(wy, logp));
      const p = f32x4.mul(S(load<f32>(gp + base + o)), inv);
      store<f32>(gp + base + o, lane0(f32x4.mul(f32x4.sub(f32x4.mul(p, a), wy), invW)));
    }
    emitRow(lp, r, <f32>(-loss / W), f, rowMaskAt(r));
  }
}

/**
 * Categorical focal cross-entropy from logits (Keras 3), P0 = 1 − ε, P1 = ε/C, P2 = γ, P3 = α:
 *   p = clip(softmax(x), 1e-7, 1 − 1e-7), ℓ = −α Σ_c (1 − p_c)^γ y′_c log softmax(x)_c.
 * With s = softmax(x), u_c = ∂ℓ/∂s_c, v_c = ∂ℓ/∂log s_c:  ∂ℓ/∂x_k = s_k(u_k − Σ_c u_c s_c) + v_k − s_k Σ_c v_c.
 * `sp` is scratch space for 2·c floats.
 */
export function categoricalFocal(yp: usize, xp: usize, gp: usize, lp: usize, sp: usize, row0: i32, row1: i32, c: i32): void {
  const alpha = S(P3);
  const up = sp;
  const vp = sp + ((<usize>((c + 3) & ~3) + 4) << 2); // u and v rows, each padded to whole vectors
  for (let r = row0; r < row1; r++) {
    const base = (<usize>r * <usize>c) << 2;
    const m = rowMax(xp + base, c);
    const total = rowExpSum(xp + base, gp + base, c, m);
    const mv = S(m);
    const ls = S(scalarLog(<f32>total)); // log p = (x − m) − log Σ: exact for the largest logit
    const inv = S(<f32>(1.0 / total));
    let U: f64 = 0;
    let V: f64 = 0;
    let loss: f64 = 0;
    // One lane at a time through the vector code keeps the tail identical to the body; c is
    // processed in vectors where possible.
    let j = 0;
    for (; j < c; j += 4) {
      const full = j + 4 <= c;
      const o = <usize>j << 2;
      const yRaw = full ? v128.load(yp + base + o) : loadTail(yp + base + o, c - j);
      checkLanes(yRaw, S(0), full ? i32x4.splat(-1) : tailMask(c - j));
      const y = smooth(yRaw);
      const s = f32x4.mul(full ? v128.load(gp + base + o) : loadTail(gp + base + o, c - j), inv);
      const logp = f32x4.sub(f32x4.sub(full ? v128.load(xp + base + o) : loadTail(xp + base + o, c - j), mv), ls);
      const pc = f32x4.min(f32x4.max(s, S(PROB_LO)), S(PROB_HI));
      const inside = v128.and(f32x4.ge(s, S(PROB_LO)), f32x4.le(s, S(PROB_HI)));
      const b = f32x4.sub(S(1), pc);
      const f = focalPow(b, SCRATCH);
      const df = v128.load(SCRATCH); // ∂f/∂b; ∂b/∂s = −1 inside the clip range
      const ay = f32x4.mul(alpha, y);
      const v = f32x4.neg(f32x4.mul(ay, f)); // ∂ℓ/∂log s
      const u = v128.and(f32x4.mul(f32x4.mul(ay, logp), df), inside); // ∂ℓ/∂s
      const t = f32x4.mul(f32x4.mul(ay, f), logp);
      v128.store(up + o, u);
      v128.store(vp + o, v);
      const us = f32x4.mul(u, s);
      const keep = full ? i32x4.splat(-1) : tailMask(c - j);
      U += hsum64(v128.and(us, keep));
      V += hsum64(v128.and(v, keep));
      loss += hsum64(v128.and(t, keep));
      // Keep s for the second pass.
      if (full) v128.store(gp + base + o, s);
      else storeTail(gp + base + o, s, c - j);
    }
    const Uv = S(<f32>U);
    const Vv = S(<f32>V);
    const f: f32 = REDUCE ? rowFactorAt(r) : 1;
    const fv = S(f);
    for (j = 0; j < c; j += 4) {
      const full = j + 4 <= c;
      const o = <usize>j << 2;
      const s = full ? v128.load(gp + base + o) : loadTail(gp + base + o, c - j);
      const u = v128.load(up + o);
      const v = v128.load(vp + o);
      const g = f32x4.mul(f32x4.add(f32x4.mul(s, f32x4.sub(u, Uv)), f32x4.sub(v, f32x4.mul(s, Vv))), fv);
      if (full) v128.store(gp + base + o, g);
      else storeTail(gp + base + o, g, c - j);
    }
    emitRow(lp, r, <f32>(-loss), f, rowMaskAt(r));
  }
}

/** The first n (1..3) floats at p, zeros after. */
@inline function loadTail(p: usize, n: i32): v128 {
  let v = S(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

@inline function storeTail(p: usize, v: v128, n: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

@inline function tailMask(n: i32): v128 {
  let m = i32x4.splat(0);
  m = i32x4.replace_lane(m, 0, -1);
  if (n > 1) m = i32x4.replace_lane(m, 1, -1);
  if (n > 2) m = i32x4.replace_lane(m, 2, -1);
  return m;
}

/** Where the JavaScript side may start laying out buffers. */
export function heapBase(): usize {
  return __heap_base;
}

// Exposed for tests of the approximations.
export function expOf(p: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) v128.store(p + (<usize>i << 2), vexp(v128.load(p + (<usize>i << 2))));
}

export function logOf(p: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) v128.store(p + (<usize>i << 2), vlog(v128.load(p + (<usize>i << 2))));
}

export function expNonPosOf(p: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) v128.store(p + (<usize>i << 2), vexpNonPos(v128.load(p + (<usize>i << 2))));
}

export function log1pUnitOf(p: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) v128.store(p + (<usize>i << 2), vlog1pUnit(v128.load(p + (<usize>i << 2))));
}
