#!/usr/bin/env node
/**
 * The `governance` executable. SIGINT / SIGTERM abort the running command after the batch in
 * flight (everything written so far is durable; running the command again resumes); a second
 * signal exits at once.
 */
import { EXIT_CODES } from './errors';
import { runCli } from './run';

const controller = new AbortController();
let signals = 0;
function onSignal(name: NodeJS.Signals): void {
  signals++;
  if (signals > 1) process.exit(EXIT_CODES.interrupted);
  process.stderr.write(`\n[cli] ${name}: stopping after the batch in flight (again to quit at once)\n`);
  controller.abort();
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// A closed pipe (`governance export | head`) ends the output, not with a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT_CODES.ok);
  throw error;
});

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), { signal: controller.signal });
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  // Exit now rather than wait for idle keep-alive sockets of fetch to time out.
  process.exit(code);
}

void main();
