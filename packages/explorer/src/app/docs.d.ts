/** The loss documentation generated at build time from lossforge's doc comments (scripts/loss-docs.mjs). */
declare module 'lossforge-explorer:docs' {
  import type { LossDoc } from './catalog.js';
  const docs: LossDoc[];
  export default docs;
}
