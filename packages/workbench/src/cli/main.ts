/** Entry point of the `lossforge` command (bin/lossforge.js imports the built copy of this file). */
import '../runtime.js';
import { runCli } from './program.js';

// `lossforge compare | head`: a closed pipe is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
