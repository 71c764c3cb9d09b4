import { type ServiceInfo, type ServiceStatus, type StoreMutation, type StoreMutationResult } from '@governance/core';
import { CompiledQuery, sql } from 'kysely';
import { planStages } from './batch-stages';
import type { ChangeSet } from './change-set';
import type { TableNames } from './registry-database';
import { serviceToRow, uniqueGroups, validDate } from './row-mapping';
import type { RegistryDb, SqlDialectAdapter, TransactionDb } from './sql-dialect';

/** Rows per multi-row statement, far below every server's parameter limit. */
export const CHUNK = 500;

type Pair = { subscriber_key: string; service_group: string };
type Health = { status: ServiceStatus; at: Date };

/**
 * Every write of pod records, as statements inside a transaction the caller opened. Each method
 * records the pods it really changed in a `ChangeSet`; `log()` then appends them to the change
 * log as the transaction's last work, so the log and the records commit (or roll back) together.
 */
export class RegistryWrites {
  readonly #dialect: SqlDialectAdapter;
  readonly #t: TableNames;
  /** `update … set last_health_check where key and status`: a health result that changes nothing but the time. */
  readonly #touch: { sql: string; order(key: string, status: ServiceStatus, at: Date): unknown[] };

  constructor(db: RegistryDb, dialect: SqlDialectAdapter, tables: TableNames) {
    this.#dialect = dialect;
    this.#t = tables;
    const compiled = db
      .updateTable(tables.services)
      .set({ last_health_check: new Date(0) })
      .where('service_key', '=', '?key')
      .where('status', '=', '?status')
      .compile();
    const slots = compiled.parameters.map((p) => (p === '?key' ? 0 : p === '?status' ? 1 : 2));
    this.#touch = {
      sql: compiled.sql,
      order: (key, status, at) => {
        const values = [key, status, validDate(at, 'at', this.#dialect.dateYears)];
        return slots.map((slot) => values[slot]);
      },
    };
  }

  /**
   * One statement outside any transaction: sets the time of a pod whose status already equals
   * `status`. Resolves false when the pod is missing or its status differs (a transition, which
   * must go through a logged transaction).
   */
  async touchIfUnchanged(db: RegistryDb, key: string, status: ServiceStatus, at: Date): Promise<boolean> {
    const result = await db.executeQuery(CompiledQuery.raw(this.#touch.sql, this.#touch.order(key, status, at)));
    return (result.numAffectedRows ?? 0n) > 0n;
  }

  /** Applies a batch in order (as stages of one kind, see `planStages`); results in position. */
  async applyBatch(trx: TransactionDb, mutations: readonly StoreMutation[], changes: ChangeSet): Promise<StoreMutationResult[]> {
    const results = new Array<StoreMutationResult>(mutations.length);
    for (const stage of planStages(mutations)) {
      if (stage.type === 'save') {
        const latest = new Map<string, ServiceInfo>();
        for (const item of stage.items) {
          latest.set(item.key, (item.mutation as { service: ServiceInfo }).service);
          results[item.index] = true;
        }
        await this.save(trx, [...latest], changes);
      } else if (stage.type === 'delete') {
        const found = await this.delete(trx, stage.items.map((item) => item.key), changes);
        for (const item of stage.items) results[item.index] = found.has(item.key);
      } else {
        const latest = new Map<string, Health>();
        for (const item of stage.items) {
          const m = item.mutation as Health;
          latest.set(item.key, { status: m.status, at: m.at });
        }
        const found = await this.health(trx, latest, changes);
        for (const item of stage.items) results[item.index] = found.has(item.key);
      }
    }
    return results;
  }

  /** Upserts pods and makes each pod's subscription rows equal to its `subscriptions`. */
  async save(db: RegistryDb, entries: Array<[string, ServiceInfo]>, changes: ChangeSet): Promise<void> {
    for (let at = 0; at < entries.length; at += CHUNK) {
      const chunk = entries.slice(at, at + CHUNK);
      await this.#dialect.upsertServices(db, this.#t, chunk.map(([key, service]) => serviceToRow(key, service, this.#dialect.dateYears)));
      const keys = chunk.map(([key]) => key);
      await db.deleteFrom(this.#t.subscriptions).where('subscriber_key', 'in', keys).execute();
      const pairs: Pair[] = [];
      for (const [key, service] of chunk) {
        for (const group of uniqueGroups(service.subscriptions)) pairs.push({ subscriber_key: key, service_group: group });
        changes.add(key, service.serviceName, 'save');
      }
      for (let p = 0; p < pairs.length; p += CHUNK) {
        await this.#dialect.insertSubscriptions(db, this.#t, pairs.slice(p, p + CHUNK));
      }
    }
  }

  /** Deletes pods and their subscription rows; returns the keys that existed. */
  async delete(db: RegistryDb, keys: string[], changes: ChangeSet): Promise<Set<string>> {
    const returning = this.#dialect.supportsReturning;
    const found = new Set<string>();
    const existing = returning ? undefined : await this.#lockExisting(db, keys);
    for (let at = 0; at < keys.length; at += CHUNK) {
      const chunk = keys.slice(at, at + CHUNK);
      await db.deleteFrom(this.#t.subscriptions).where('subscriber_key', 'in', chunk).execute();
      const query = db.deleteFrom(this.#t.services).where('service_key', 'in', chunk);
      const deleted = returning
        ? await query.returning(['service_key', 'service_name']).execute()
        : chunk.flatMap((key) => (existing!.has(key) ? [{ service_key: key, service_name: existing!.get(key)!.service_name }] : []));
      if (!returning && deleted.length > 0) await query.execute();
      for (const row of deleted) {
        found.add(row.service_key);
        changes.add(row.service_key, row.service_name, 'delete');
      }
    }
    return found;
  }

  /**
   * Sets status and time of existing pods (one UPDATE per chunk, each row's values chosen by
   * CASE on its key) and records a change for each pod whose status differs from the stored one.
   * Returns the keys that existed.
   */
  async health(db: RegistryDb, latest: Map<string, Health>, changes: ChangeSet): Promise<Set<string>> {
    const existing = await this.#lockExisting(db, [...latest.keys()]);
    const keys = [...existing.keys()];
    const stamp = sql.raw(this.#dialect.timestampType);
    for (let at = 0; at < keys.length; at += CHUNK) {
      const chunk = keys.slice(at, at + CHUNK);
      const statuses = sql.join(chunk.map((k) => sql`when ${k} then ${latest.get(k)!.status}`), sql` `);
      const times = sql.join(
        chunk.map((k) => sql`when ${k} then cast(${validDate(latest.get(k)!.at, 'at', this.#dialect.dateYears)} as ${stamp})`),
        sql` `,
      );
      await db
        .updateTable(this.#t.services)
        .set({
          status: sql<string>`case ${sql.ref('service_key')} ${statuses} end`,
          last_health_check: sql<Date>`case ${sql.ref('service_key')} ${times} end`,
        })
        .where('service_key', 'in', chunk)
        .execute();
    }
    for (const [key, row] of existing) {
      if (row.status !== latest.get(key)!.status) changes.add(key, row.service_name, 'health');
    }
    return new Set(keys);
  }

  /** Deletes every pod and subscription, recording a `delete` for each pod. */
  async clear(db: RegistryDb, changes: ChangeSet): Promise<void> {
    await db.deleteFrom(this.#t.subscriptions).execute();
    const rows = this.#dialect.supportsReturning
      ? await db.deleteFrom(this.#t.services).returning(['service_key', 'service_name']).execute()
      : await this.#deleteAllLocked(db);
    for (const row of rows) changes.add(row.service_key, row.service_name, 'delete');
  }

  /** Appends the transaction's changes to the log (nothing when it changed nothing). */
  async log(trx: TransactionDb, changes: ChangeSet): Promise<number | undefined> {
    if (changes.size === 0) return undefined;
    const entries = changes.entries();
    return this.#dialect.appendLog(trx, this.#t, entries);
  }

  async #deleteAllLocked(db: RegistryDb): Promise<Array<{ service_key: string; service_name: string }>> {
    const rows = await db.selectFrom(this.#t.services).select(['service_key', 'service_name']).forUpdate().execute();
    if (rows.length > 0) await db.deleteFrom(this.#t.services).execute();
    return rows;
  }

  /** The rows among `keys` that exist (group and status), locked for the rest of the transaction. */
  async #lockExisting(db: RegistryDb, keys: string[]): Promise<Map<string, { service_name: string; status: string }>> {
    const found = new Map<string, { service_name: string; status: string }>();
    for (let at = 0; at < keys.length; at += CHUNK) {
      const rows = await db
        .selectFrom(this.#t.services)
        .select(['service_key', 'service_name', 'status'])
        .where('service_key', 'in', keys.slice(at, at + CHUNK))
        .forUpdate()
        .execute();
      for (const row of rows) found.set(row.service_key, { service_name: row.service_name, status: row.status });
    }
    return found;
  }
}
