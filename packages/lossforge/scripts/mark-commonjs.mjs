// Marks a build directory as CommonJS (`{"type":"commonjs"}`), so that Node and TypeScript read the
// .js and .d.ts files of lossforge's require() build as CommonJS inside a "type": "module" package.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/mark-commonjs.mjs <dir>');
writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
