/**
 * lossforge for Node: everything in the main entry, plus the `file://` model handler (node:fs).
 * Importing this entry registers `file://` with tf.io, so `saveModel(model, 'file://./dir')` and
 * `loadModel('file://./dir')` work (unless tfjs-node already registered its own).
 *
 * The handler lives here, not in src/training, so that nothing outside src/cli, src/workbench and this
 * entry touches Node built-ins. Since @tensorflow/tfjs has no `file://` handler in Node without
 * tfjs-node, this one writes tfjs-node's layout: a directory with `model.json` (topology, weights
 * manifest, training config, user metadata) and `weights.bin`.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, LossInputError } from './core/errors.js';

export * from './index.js';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';
const SCHEME = 'file://';

/**
 * An IOHandler reading and writing `path`: a directory (holding model.json and weights.bin) or the
 * path of a `.json` file (weights.bin is written beside it).
 * @example
 * // not run: writes ./models/cancer (docs/training.md runs it in a temporary directory)
 * await saveModel(model, fileSystem('./models/cancer'));   // or saveModel(model, 'file://./models/cancer')
 */
export function fileSystem(path: string): tf.io.IOHandler {
  if (typeof path !== 'string' || path === '') throw new LossInputError('fileSystem', 'path', 'a file or directory path', describeValue(path));
  return {
    save: async (artifacts) => {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new LossInputError('fileSystem', 'artifacts.modelTopology', 'a JSON model topology (a layers model)', 'binary topology');
      }
      const { jsonPath, weightsPath } = await savePaths(path);
      await mkdir(dirname(jsonPath), { recursive: true });
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []);
      const modelJSON: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
        ...(artifacts.signature ? { signature: artifacts.signature } : {}),
        ...(artifacts.modelInitializer ? { modelInitializer: artifacts.modelInitializer } : {}),
      };
      await writeFile(weightsPath, new Uint8Array(weightData));
      await writeFile(jsonPath, JSON.stringify(modelJSON));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    load: async () => {
      const jsonPath = (await isDirectory(path)) ? join(path, MODEL_JSON) : path;
      let modelJSON: tf.io.ModelJSON;
      try {
        modelJSON = JSON.parse(await readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (e) {
        throw new LossInputError('fileSystem', 'path', `a readable model.json (${jsonPath})`, (e as Error).message);
      }
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const file of group.paths) {
            const bytes = await readFile(join(dirname(jsonPath), file));
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function savePaths(path: string): Promise<{ jsonPath: string; weightsPath: string }> {
  const jsonPath = path.endsWith('.json') && !(await isDirectory(path)) ? path : join(path, MODEL_JSON);
  return { jsonPath, weightsPath: join(dirname(jsonPath), WEIGHTS_BIN) };
}

/** `file:///abs/path`, `file://relative/path` → a filesystem path. */
function filePath(url: string): string {
  return url.startsWith('file:///') ? fileURLToPath(url) : url.slice(SCHEME.length);
}

// tf.io's IORouter type says IOHandler, but the registry expects null for URLs a router does not handle.
const router = ((url: string | string[]) =>
  typeof url === 'string' && url.startsWith(SCHEME) ? fileSystem(filePath(url)) : null) as (url: string | string[]) => tf.io.IOHandler;

let registered = false;

/**
 * Registers the `file://` scheme with tf.io (for `saveModel`, `loadModel`, `model.save`,
 * `tf.loadLayersModel`). Done on import of `lossforge/node`; skipped when another file:// handler
 * (tfjs-node) is already registered.
 */
export function registerFileSystemScheme(): void {
  if (registered) return;
  registered = true;
  const probe = `${SCHEME}/lossforge-probe`;
  if (tf.io.getSaveHandlers(probe).length === 0) tf.io.registerSaveRouter(router);
  if (tf.io.getLoadHandlers(probe).length === 0) tf.io.registerLoadRouter(router);
}

registerFileSystemScheme();
