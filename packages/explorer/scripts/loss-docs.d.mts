import type { LossDoc } from '../src/app/catalog.js';
export function docsOfSource(source: string, family: string): LossDoc[];
export function extractLossDocs(lossesDir: string): LossDoc[];
