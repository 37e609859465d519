/**
 * The tfjs of the workbench's processes and worker threads: the full `@tensorflow/tfjs` (the cpu
 * backend and every gradient), with PROD set so that it does not print its "install tfjs-node" banner
 * and deprecation notices into the command's output.
 */
import * as tf from '@tensorflow/tfjs';

tf.env().set('PROD', true);
