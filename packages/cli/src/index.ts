export { runCli, type RunCliOptions } from './run';
export { EXIT_CODES, type ExitCode } from './errors';
export type { CliIo } from './output';
