/**
 * Loads the WebAssembly SIMD loss kernels (embedded as base64, so Node and browsers load them the
 * same way) and lays out buffers in their linear memory.
 *
 * Two modules are built from the same sources (scripts/build-kernels.mjs): one owns its memory (inputs
 * are copied in and results out), the other imports a memory, so that on the tfjs wasm backend the
 * kernels run in place inside that backend's heap (`kernelsInMemory`).
 *
 * The modules load lazily: nothing is decoded or compiled on import, and a bundler puts the 150 kB
 * of base64 in a chunk of its own (a dynamic `import()`). The first call that could use a kernel
 * (or `fusedKernelsReady()`) starts loading; until the modules are ready, losses take the composite
 * path. Await `fusedKernelsReady()` once at startup to have the very first call fused.
 */
/** The kernel exports (see src/kernels/assembly/losses.as). Pointers are byte offsets. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  setScratch(p: number): void;
  setParams(p0: number, p1: number, p2: number, p3: number, p4: number, flags: number): void;
  elementwise(kind: number, yp: number, xp: number, wp: number, gp: number, lp: number, row0: number, row1: number, k: number): void;
  scaleRows(gp: number, dyp: number, op: number, row0: number, row1: number, k: number): void;
  sparseSoftmaxCE(xp: number, labp: number, wp: number, gp: number, lp: number, row0: number, row1: number, c: number): void;
  /** Reduction mode (0 per sample, 1 reduce), per-row sample weight and mask pointers (0: none) and CHECK flags of the next call. */
  setReduction(reduce: number, swp: number, mkp: number, checks: number): void;
  /** After a call: Σ f·ℓ, Σ valid, Σ f as float64 at p; returns the bad-entry bits. */
  reduced(p: number): number;
  denseSoftmaxCE(yp: number, xp: number, wp: number, gp: number, lp: number, row0: number, row1: number, c: number): void;
  categoricalFocal(yp: number, xp: number, gp: number, lp: number, sp: number, row0: number, row1: number, c: number): void;
  /** Only in the module that owns its memory (see module.as). */
  ctcWorkspaceBytes(T: number, C: number, maxL: number): number;
  /** vexp64 of ctc.as in place on n (even) float64 at p; for tests. */
  exp64Of(p: number, n: number): void;
  ctcBatch(xp: number, labp: number, lenp: number, inlp: number, gp: number, lp: number, ws: number, B: number, T: number, C: number, blank: number, flags: number): void;
  expOf(p: number, n: number): void;
  logOf(p: number, n: number): void;
  expNonPosOf(p: number, n: number): void;
  log1pUnitOf(p: number, n: number): void;
}

/** The value-check flags of setReduction, as numbered in the AssemblyScript source. */
export const CHECK = { trueFinite: 1, trueUnit: 2, predFinite: 4, predUnit: 8 } as const;

/** Elementwise loss kinds, as numbered in the AssemblyScript source. */
export const KIND = {
  bceLogits: 0,
  bceProbs: 1,
  mse: 2,
  mae: 3,
  logCosh: 4,
  huber: 5,
  smoothL1: 6,
  focalLogits: 7,
  focalProbs: 8,
} as const;
export type ElementwiseKind = keyof typeof KIND;

let kernels: KernelExports | undefined;
let importedMemoryModule: WebAssembly.Module | undefined;
const inMemory = new WeakMap<WebAssembly.Memory, KernelExports | null>();

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const abort = (): never => {
  throw new Error('lossforge kernel aborted');
};

/** Bytes kept for the kernels' scratch (setScratch) at the start of a memory region. */
export const SCRATCH_BYTES = 64;

function useOwnMemory(instance: WebAssembly.Instance): void {
  kernels = instance.exports as unknown as KernelExports;
  kernels.setScratch(align(kernels.heapBase()));
}

/** Compiles (synchronously where allowed) the module at `base64`. */
function compile(base64: string): Promise<WebAssembly.Module> {
  const bytes = decodeBase64(base64) as BufferSource;
  try {
    return Promise.resolve(new WebAssembly.Module(bytes));
  } catch {
    return WebAssembly.compile(bytes); // browsers' main thread (a CompileError – no SIMD – fails here too)
  }
}

/** Imports, compiles and instantiates both modules; resolves to whether the kernels can run. */
async function load(): Promise<boolean> {
  if (typeof WebAssembly === 'undefined') return false;
  const modules = await import('./generated/losses.wasm.js');
  const own = compile(modules.wasmBase64).then((module) => {
    // Synchronously where the runtime allows it, else asynchronously.
    try {
      useOwnMemory(new WebAssembly.Instance(module, { env: { abort } }));
    } catch {
      return WebAssembly.instantiate(module, { env: { abort } }).then(useOwnMemory);
    }
  });
  const imported = compile(modules.importedMemoryWasmBase64).then(
    (module) => { importedMemoryModule = module; },
    () => undefined, // the copying path still works
  );
  return Promise.all([own, imported]).then(() => true, () => false);
}

let loading: Promise<boolean> | undefined;

/**
 * Starts loading the kernels (once) and resolves to true when they can run, false when this runtime
 * cannot run them (no WebAssembly, or no SIMD).
 */
export function fusedKernelsReady(): Promise<boolean> {
  loading ??= load().catch(() => false);
  return loading;
}

/** The kernel instance that owns its memory; undefined while loading (the first call starts it) or when it could not load. */
export function getKernels(): KernelExports | undefined {
  if (kernels === undefined) void fusedKernelsReady();
  return kernels;
}

/**
 * The kernels instantiated on `memory` (one instance per memory, kept), using the SCRATCH_BYTES at
 * `allocateScratch()` (called once) as their scratch; undefined when that cannot be done here.
 */
export function kernelsInMemory(memory: WebAssembly.Memory, allocateScratch: () => number): KernelExports | undefined {
  const known = inMemory.get(memory);
  if (known !== undefined) return known ?? undefined;
  if (!importedMemoryModule) return undefined; // not compiled (yet): ask again on the next call
  let instance: KernelExports | null;
  try {
    instance = new WebAssembly.Instance(importedMemoryModule, { env: { abort, memory } }).exports as unknown as KernelExports;
    instance.setScratch(allocateScratch());
  } catch {
    instance = null; // remembered: this memory takes the copying path
  }
  inMemory.set(memory, instance);
  return instance ?? undefined;
}

/** The most a 32-bit WebAssembly memory can hold (65536 pages of 64 KiB). */
const MAX_MEMORY_BYTES = 65536 * 65536;

/**
 * Largest yPred (elements) a fused kernel takes: its three float32 buffers (targets, predictions,
 * gradient) must fit in the kernel's 4 GiB memory. Larger inputs take the composite path.
 */
export const MAX_FUSED_ELEMENTS = 2 ** 28;

/**
 * Buffers for one kernel call. Sizes are in 4-byte elements; each buffer is 16-byte aligned and
 * padded by one vector so vector loads past the end stay inside the buffer.
 */
export class Layout {
  private top: number;

  constructor(private readonly k: KernelExports) {
    this.top = align(k.heapBase()) + SCRATCH_BYTES;
  }

  /** Reserves `elements` 4-byte slots; returns the byte pointer. */
  reserve(elements: number): number {
    const ptr = this.top;
    this.top = align(ptr + 4 * elements + 16);
    return ptr;
  }

  /** Grows the memory to hold everything reserved; call before making views. */
  commit(): void {
    const memory = this.k.memory;
    if (this.top > MAX_MEMORY_BYTES) {
      throw new RangeError(`lossforge: a fused kernel call needs ${this.top} bytes, more than WebAssembly's 4 GiB; see MAX_FUSED_ELEMENTS`);
    }
    const needed = this.top - memory.buffer.byteLength;
    if (needed > 0) memory.grow(Math.ceil(needed / 65536));
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, ptr, length);
  }

  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.k.memory.buffer, ptr, length);
  }
}

/** Rounds up to a multiple of 16 (arithmetic, not bitwise: offsets may exceed 2³¹). */
const align = (n: number): number => Math.ceil(n / 16) * 16;
