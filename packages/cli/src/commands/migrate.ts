import { BatchWriter } from '../batch-writer';
import type { ChecksumProfile } from '../checksum';
import { CliError, EXIT_CODES, UsageError, type ExitCode } from '../errors';
import { createProgress } from '../progress';
import { open, withEndpoints, type CommandContext } from './context';
import { planMigration, sampleKeys, type ConflictPolicy } from './migrate-plan';
import { count, verifyTransfer } from './verify';

/** Options of `governance migrate`. */
export interface MigrateOptions {
  from: string;
  to: string;
  dryRun?: boolean;
  onConflict: ConflictPolicy;
  verify: boolean;
  batchSize: number;
  /** Token for manager URLs on either side (`--token`, default $GOVERNANCE_TOKEN). */
  token?: string | undefined;
  /** Token for a `--from` manager; default `token`. */
  fromToken?: string | undefined;
  /** Token for a `--to` manager; default `token`. */
  toToken?: string | undefined;
}

/**
 * Copies every pod (with its subscriptions) from one store or manager to another: reads both
 * sides, plans (absent → write, same content → already there, different → `--on-conflict`),
 * writes in batches, then verifies counts and checksums of both sides.
 */
export async function migrate(o: MigrateOptions, ctx: CommandContext): Promise<ExitCode> {
  if (o.from === o.to) throw new UsageError('[cli] --from and --to name the same place; give two different stores or managers');
  const { out, signal } = ctx;
  return withEndpoints([open(ctx, o.from, '--from', o.fromToken ?? o.token), open(ctx, o.to, '--to', o.toToken ?? o.token)] as const, async (source, target) => {
    const profile: ChecksumProfile = source.kind === 'manager' || target.kind === 'manager' ? 'registration' : 'full';
    out.note(`migrate: reading ${source.label} and ${target.label}`);
    const [sourcePods, targetPods] = await Promise.all([source.readAll(signal), target.readAll(signal)]);
    const plan = planMigration(sourcePods, targetPods, profile, o.onConflict);

    out.line(`source ${source.label}: ${count(sourcePods.length)} pods`);
    out.line(`target ${target.label}: ${count(targetPods.length)} pods`);
    out.line(
      `plan: ${count(plan.toWrite.length)} to write, ${count(plan.identical)} already there, ` +
        `${count(plan.conflicts.length)} conflicts (--on-conflict ${o.onConflict}), ${count(plan.targetOnly)} only in the target`,
    );
    if (plan.conflicts.length > 0) out.line(`conflicts (same pod, different content): ${sampleKeys(plan.conflicts)}`);
    if (target.kind === 'manager') {
      out.line('note: writing through a manager registers the pods; the manager sets their status and times itself');
    }
    if (plan.invalid.length > 0) {
      for (const { key, problems } of plan.invalid.slice(0, 20)) out.note(`invalid pod ${key}: ${problems}`);
      throw new CliError(
        `[cli] migrate: ${count(plan.invalid.length)} pods in ${source.label} break the registration rules (${sampleKeys(plan.invalid.map((i) => i.key))}); nothing was written. Fix them at the source first`,
      );
    }
    const blocked = plan.conflicts.length > 0 && o.onConflict === 'fail';
    if (o.dryRun === true) {
      out.line(`dry run: nothing was written${blocked ? '; the real run would fail on the conflicts (choose --on-conflict skip or overwrite)' : ''}`);
      return blocked ? EXIT_CODES.failure : EXIT_CODES.ok;
    }
    if (blocked) {
      throw new CliError(
        `[cli] migrate: ${count(plan.conflicts.length)} pods already exist in ${target.label} with different content (${sampleKeys(plan.conflicts)}); nothing was written. ` +
          'Re-run with --on-conflict overwrite (source wins) or --on-conflict skip (target wins)',
      );
    }

    const progress = createProgress(ctx.out.io.stderr, 'migrate', ctx.progress);
    const writer = new BatchWriter(target, o.batchSize, progress, signal, 'migrate');
    progress.start(plan.toWrite.length);
    try {
      await writer.addAll(plan.toWrite);
    } finally {
      writer.finish(writer.written === plan.toWrite.length);
    }
    out.line(`migrate: wrote ${count(writer.written)} pods to ${target.label}`);
    if (!o.verify) return EXIT_CODES.ok;
    const skipped = new Set(o.onConflict === 'skip' ? plan.conflicts : []);
    const same = await verifyTransfer(source, target, profile, skipped, out, signal);
    if (!same) throw new CliError('[cli] migrate: verify found differences (listed above); re-run migrate to copy what is missing');
    return EXIT_CODES.ok;
  });
}
