import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_BATCH_SIZE } from './batch-writer';
import type { CommandContext } from './commands/context';
import { exportRegistry, type ExportOptions } from './commands/export';
import { importRegistry, type ImportOptions } from './commands/import';
import { migrate, type MigrateOptions } from './commands/migrate';
import { CONFLICT_POLICIES } from './commands/migrate-plan';
import { listServices, type ServicesOptions } from './commands/services';
import { watchServices, type WatchOptions } from './commands/watch';
import type { ExitCode } from './errors';
import type { ProgressMode } from './progress';

const URLS = `URLs:
  postgres://user:password@host:5432/db[?schema=s&table_prefix=p&sslmode=require]
  mysql://user:password@host:3306/db[?table_prefix=p&ssl=true]      (MySQL or MariaDB)
  mongodb://user:password@host:27017/db[?collection_prefix=p]       (needs the mongodb package)
  http(s)://host:port/prefix      a running manager: read with GET <prefix>/services,
                                  written with POST <prefix>/register (token: --token or GOVERNANCE_TOKEN);
                                  a manager sets status and times itself, so writing to one keeps neither
Passwords are never printed: every line and error shows them as ***.`;

const EXIT = `Exit codes: 0 ok, 1 failure (including a verify difference or skipped bad lines),
2 usage error, 130 interrupted by Ctrl-C (what was written is durable; run the command again to finish).`;

/**
 * Commander hands each action its options under the camelCase names of the flags, which are the
 * field names of the command's options type (`--batch-size` → `batchSize`, `--no-verify` →
 * `verify: false`); `--progress` comes on top.
 */
interface Progressed {
  progress: ProgressMode;
}

function positiveInteger(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`must be a whole number 1..${max}`);
    return n;
  };
}

const progressOption = (): Option =>
  new Option('--progress <mode>', 'auto: a bar on a terminal, plain lines otherwise; plain; none')
    .choices(['auto', 'plain', 'none'])
    .default('auto');

const batchOption = (): Option =>
  new Option('--batch-size <pods>', 'pods per write (one transaction each on a store)')
    .argParser(positiveInteger(100_000))
    .default(DEFAULT_BATCH_SIZE);

const tokenOption = (env: Record<string, string | undefined>): Option =>
  new Option('--token <token>', 'bearer token for a manager URL (default: $GOVERNANCE_TOKEN)').default(env.GOVERNANCE_TOKEN, '$GOVERNANCE_TOKEN');

/**
 * The `governance` command line. Each action stores its exit code in `result.code`; commander's
 * own errors (unknown option, missing value) are thrown (`exitOverride`) as `CommanderError`.
 */
export function buildProgram(ctx: Omit<CommandContext, 'progress'>, result: { code: ExitCode }, version: string): Command {
  const env = ctx.out.io.env;
  const withProgress = (opts: Progressed): CommandContext => ({ ...ctx, progress: opts.progress });
  const { io, masker } = ctx.out;
  // Set before any subcommand is added: subcommands inherit both at creation.
  const program = new Command('governance')
    .exitOverride()
    .configureOutput({
      // Help and version hold no secret (token defaults are shown by name, never by value).
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(masker.mask(text)),
    })
    .description('Move a Governance registry between stores and managers, export and import it, list and watch pods.')
    .version(version)
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `\n${URLS}\n\n${EXIT}`);

  program
    .command('migrate')
    .description('copy every pod and its subscriptions from one store or manager to another, then verify both sides')
    .requiredOption('--from <url>', 'where the pods are')
    .requiredOption('--to <url>', 'where they go')
    .option('--dry-run', 'only count: what would be written, what is already there, conflicts', false)
    .addOption(
      new Option('--on-conflict <policy>', 'a pod already in the target with different content: fail (write nothing), skip (target wins), overwrite (source wins)')
        .choices(CONFLICT_POLICIES)
        .default('fail'),
    )
    .option('--no-verify', 'skip the final comparison of counts and checksums')
    .addOption(batchOption())
    .addOption(tokenOption(env))
    .option('--from-token <token>', 'token for a --from manager (default: --token)')
    .option('--to-token <token>', 'token for a --to manager (default: --token)')
    .addOption(progressOption())
    .addHelpText(
      'after',
      `
Re-running after an interruption finishes the job: pods already copied are recognised (same
content) and not written again; saves are idempotent, so nothing is ever duplicated.
Writing to a manager (http://…) registers the pods: the manager sets their status and times
itself, so those are not kept and verify then compares the registration fields only.

Examples:
  governance migrate --from http://localhost:8080/gov --to postgres://app:secret@db:5432/governance
  governance migrate --from postgres://app@pg/gov --to mysql://app@maria/gov --dry-run
  governance migrate --from mysql://root@127.0.0.1/gov --to postgres://postgres@127.0.0.1/gov --on-conflict overwrite`,
    )
    .action(async (opts: MigrateOptions & Progressed) => {
      result.code = await migrate(opts, withProgress(opts));
    });

  program
    .command('export')
    .description('write every pod as NDJSON: a header line, then one pod per line (snake_case wire format)')
    .requiredOption('--from <url>', 'store or manager to read')
    .option('--out <file>', 'file to write (default: stdout); written as <file>.partial and renamed when complete')
    .addOption(tokenOption(env))
    .addOption(progressOption())
    .addHelpText(
      'after',
      `
Examples:
  governance export --from http://localhost:8080/gov --out registry.ndjson
  governance export --from postgres://app@db/governance | gzip > registry.ndjson.gz`,
    )
    .action(async (opts: ExportOptions & Progressed) => {
      result.code = await exportRegistry(opts, withProgress(opts));
    });

  program
    .command('import')
    .description('write the pods of an NDJSON file (an export, or lines of /register bodies) to a store or manager')
    .requiredOption('--to <url>', 'store or manager to write')
    .option('--in <file>', 'file to read (default: stdin)')
    .option('--continue-on-error', 'skip bad lines and write the good ones (exit code 1 if any was skipped)', false)
    .addOption(batchOption())
    .addOption(tokenOption(env))
    .addOption(progressOption())
    .addHelpText(
      'after',
      `
Every line is checked with the rules of POST /register (and status and times when present).
Without --continue-on-error the whole input is checked first and nothing at all is written if
any line is bad; each bad line is reported with its number and field errors. A pod already in
the target is overwritten (the file wins); the last line for a pod wins. Importing into a
manager (http://…) registers the pods: their status and times become the manager's own.

Examples:
  governance import --to postgres://app@db/governance --in registry.ndjson
  gunzip -c registry.ndjson.gz | governance import --to mysql://app@maria/governance
  governance import --to http://localhost:8080/gov --in pods.ndjson --continue-on-error`,
    )
    .action(async (opts: ImportOptions & Progressed) => {
      result.code = await importRegistry(opts, withProgress(opts));
    });

  program
    .command('services')
    .description('a table of services and pods (status coloured on a terminal), or JSON')
    .requiredOption('--manager <url>', 'manager (or store) to read')
    .option('--service <name>', 'only the pods of this service')
    .option('--json', 'print { count, services } as JSON (snake_case), for scripts', false)
    .addOption(tokenOption(env))
    .addHelpText(
      'after',
      `
Examples:
  governance services --manager http://localhost:8080/gov
  governance services --manager http://localhost:8080/gov --service eir --json | jq '.services[].status'`,
    )
    .action(async (opts: ServicesOptions) => {
      result.code = await listServices(opts, withProgress({ progress: 'none' }));
    });

  program
    .command('watch')
    .description('follow a manager: print every pod registered, unregistered, changed or changing status, until Ctrl-C')
    .requiredOption('--manager <url>', 'manager (or store) to follow')
    .option('--service <name>', 'only the pods of this service')
    .option('--json', 'one JSON event per line (NDJSON)', false)
    .addOption(new Option('--interval <ms>', 'polling interval').argParser(positiveInteger(3_600_000)).default(2000))
    .addOption(tokenOption(env))
    .addHelpText(
      'after',
      `
Polls GET <prefix>/services every --interval ms and prints the differences.

Examples:
  governance watch --manager http://localhost:8080/gov
  governance watch --manager http://localhost:8080/gov --service eir --json`,
    )
    .action(async (opts: WatchOptions) => {
      result.code = await watchServices(opts, withProgress({ progress: 'none' }));
    });

  return program;
}
