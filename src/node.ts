/**
 * lossforge for Node: everything in the main entry, plus the `file://` model handler (node:fs).
 * Importing this entry registers `file://` with tf.io, so `saveModel(model, 'file://./dir')` and
 * `loadModel('file://./dir')` work (unless tfjs-node already registered its own).
 */
import { registerFileSystemScheme } from './training/fileSystem.js';

export * from './index.js';
export { fileSystem, registerFileSystemScheme } from './training/fileSystem.js';

registerFileSystemScheme();
