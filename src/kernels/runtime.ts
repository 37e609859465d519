/**
 * Loads the WebAssembly SIMD loss kernels (embedded as base64, so Node and browsers load them the
 * same way) and lays out buffers in their linear memory.
 *
 * Node compiles the module synchronously at import. Browsers refuse synchronous compilation of large
 * modules on the main thread, so there the module compiles asynchronously and the fused path stays
 * off (composite losses are used) until `fusedKernelsReady()` resolves.
 */
import { wasmBase64 } from './generated/losses.wasm.js';

/** The kernel exports (see src/kernels/assembly/losses.as). Pointers are byte offsets. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  setParams(p0: number, p1: number, p2: number, p3: number, p4: number, flags: number): void;
  elementwise(kind: number, yp: number, xp: number, wp: number, gp: number, lp: number, row0: number, row1: number, k: number): void;
  scaleRows(gp: number, dyp: number, op: number, row0: number, row1: number, k: number): void;
  sparseSoftmaxCE(xp: number, labp: number, gp: number, lp: number, row0: number, row1: number, c: number): void;
  denseSoftmaxCE(yp: number, xp: number, wp: number, gp: number, lp: number, row0: number, row1: number, c: number): void;
  categoricalFocal(yp: number, xp: number, gp: number, lp: number, sp: number, row0: number, row1: number, c: number): void;
  ctcWorkspaceBytes(T: number, C: number, maxL: number): number;
  ctcBatch(xp: number, labp: number, lenp: number, inlp: number, gp: number, lp: number, ws: number, B: number, T: number, C: number, blank: number, flags: number): void;
  expOf(p: number, n: number): void;
  logOf(p: number, n: number): void;
}

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

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const imports = {
  env: {
    abort(): never {
      throw new Error('lossforge kernel aborted');
    },
  },
};

/** Instantiates the module (synchronously where allowed); resolves to whether the kernels can run. */
function startLoading(): Promise<boolean> {
  if (typeof WebAssembly === 'undefined') return Promise.resolve(false);
  const bytes = decodeBase64(wasmBase64);
  try {
    const module = new WebAssembly.Module(bytes as BufferSource);
    kernels = new WebAssembly.Instance(module, imports).exports as unknown as KernelExports;
    return Promise.resolve(true);
  } catch {
    // Browsers' main thread: compile asynchronously. (A CompileError – no SIMD – fails here too.)
    return WebAssembly.instantiate(bytes as BufferSource, imports).then(
      (result) => {
        kernels = result.instance.exports as unknown as KernelExports;
        return true;
      },
      () => false,
    );
  }
}

const loading = startLoading();

/** Resolves to true once the kernels can run (false when this runtime cannot run them). */
export function fusedKernelsReady(): Promise<boolean> {
  return loading;
}

/** The kernel instance, or undefined while loading or when it could not load. */
export function getKernels(): KernelExports | undefined {
  return kernels;
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
  readonly pointers: number[] = [];
  private top: number;

  constructor(private readonly k: KernelExports) {
    this.top = align(k.heapBase() + 64);
  }

  /** Reserves `elements` 4-byte slots; returns the byte pointer. */
  reserve(elements: number): number {
    const ptr = this.top;
    this.top = align(ptr + 4 * elements + 16);
    this.pointers.push(ptr);
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
