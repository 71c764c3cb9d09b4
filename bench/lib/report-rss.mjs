/**
 * Preloaded into a child process (`node --import ./report-rss.mjs …`) by suites that need the
 * child's peak resident set size: prints `MAX_RSS_KB=<n>` on stderr when the process exits
 * (also through process.exit).
 */
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\nMAX_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
