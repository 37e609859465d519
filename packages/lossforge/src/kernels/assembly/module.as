// AssemblyScript entry of the kernel module that owns its memory: every kernel (losses.as) plus the CTC
// forward–backward (ctc.as). losses.as alone is the entry of the imported-memory variant, which must
// have no data segment (CTC's float64 Math functions bring lookup tables); see scripts/build-kernels.mjs.

export * from './losses';
export * from './ctc';
