/**
 * Gate a run: the stage behind "the last shard landed".
 * Steps:
 *  1. claim the run with a conditional write, so two finishers cannot both gate it;
 *  2. check every shard is there;
 *  3. stream the shards through the privacy checks (PII replay, exact copies, DCR vs holdout)
 *     and the fidelity scores, with their ceiling (the holdout sample scored the same way);
 *  4. repair (when the policy asks for it and only row-level checks failed): drop the rows behind
 *     the failure, draw replacements from the generator, write the repaired shards beside the
 *     originals, and gate them again from scratch;
 *  5. write report.json and report.html, then the data, then manifest.json (with checksums) last,
 *     to curated when every check passed, to quarantine otherwise;
 *  6. record the verdict on the run.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ModelArtifact, type Policy, Profile, type RunRecord } from '../contracts.ts';
import { ContractError, NotReadyError } from '../errors.ts';
import { parseCsv } from '../formats/csv.ts';
import {
  createPrivacyGate,
  createRowScreen,
  type PrivacyResult,
  REPAIRABLE,
  type Repair,
} from '../privacy/gate.ts';
import { PiiIndex, type PiiIndexJson } from '../privacy/pii-index.ts';
import { createFidelity } from '../quality/fidelity.ts';
import { deriveSeed } from '../random.ts';
import { buildReport, renderReportHtml } from '../report/report.ts';
import { describeConstraint } from '../synth/constraints.ts';
import type { Table } from '../table.ts';
import { toCsv } from '../table.ts';
import type { PipelineDeps } from './deps.ts';
import { redrawSeedValues } from './generate-shard.ts';
import { outputPrefix, runKeys } from './layout.ts';
import { readJson, readRun, readTable, readText, saveRun, writeJson } from './run-store.ts';

export type GateDeps = Pick<PipelineDeps, 'store' | 'buckets' | 'now' | 'progress'> &
  /** The generator draws the replacement rows of a repair; without it there is no repair. */
  Partial<Pick<PipelineDeps, 'generator'>>;

/** Rounds of drawing replacements for one shard before repair gives up on it. */
export const REPAIR_ROUNDS = 5;

export type GateOutcome = { status: 'claimed-elsewhere'; runId: string } | { status: 'done'; run: RunRecord };

export interface ManifestFile {
  key: string;
  bytes: number;
  sha256: string;
  rows?: number;
}

export interface Manifest {
  version: 1;
  runId: string;
  dataset: string;
  verdict: 'published' | 'quarantined';
  rows: number;
  columns: string[];
  files: ManifestFile[];
}

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');
const byteLength = (data: string): number => Buffer.byteLength(data, 'utf8');

/** A claim older than this (the gate function's timeout and then some) belongs to a gate that died. */
export const GATE_LEASE_MS = 20 * 60_000;

interface Claim {
  owner: string;
  at: string;
}

/**
 * Claims the run for this gate. The conditional write decides between concurrent finishers; a claim
 * already held by this same invocation (a retry of it) or left by a gate that died mid-publish
 * (older than the lease) is taken over, which is safe because every output is deterministic.
 */
const claimRun = async (deps: GateDeps, runId: string, owner: string): Promise<boolean> => {
  const { store, buckets } = deps;
  const key = runKeys(runId).gateClaim;
  const claim: Claim = { owner, at: deps.now().toISOString() };
  if (await store.putIfAbsent(buckets.work, key, JSON.stringify(claim))) return true;
  let held: Partial<Claim>;
  try {
    held = JSON.parse(await readText(store, buckets.work, key)) as Partial<Claim>;
  } catch {
    held = {};
  }
  const age = deps.now().getTime() - Date.parse(held.at ?? '');
  if (held.owner !== owner && !(age > GATE_LEASE_MS)) return false;
  await store.put(buckets.work, key, JSON.stringify(claim));
  return true;
};

/**
 * Gates a run. `owner` names this invocation (Lambda keeps the request id across its retries of an
 * asynchronous event), so a retry after a failure mid-publish resumes instead of finding the run
 * claimed by itself.
 */
export const gateRun = async (
  deps: GateDeps,
  runId: string,
  owner: string = randomUUID(),
): Promise<GateOutcome> => {
  const { store, buckets, progress } = deps;
  const keys = runKeys(runId);
  let run = await readRun(store, buckets.work, runId);
  if (run.status !== 'generating' && run.status !== 'gating') return { status: 'done', run };
  const shards = run.shards ?? 0;
  const landed = await store.list(buckets.work, keys.shardsPrefix);
  if (landed.length < shards)
    throw new NotReadyError(`run ${runId}: ${landed.length} of ${shards} shards landed`);
  if (!(await claimRun(deps, runId, owner))) {
    return { status: 'claimed-elsewhere', runId };
  }
  run = await saveRun(store, buckets.work, { ...run, status: 'gating' }, deps.now);
  progress({ stage: 'gate', runId, message: `checking ${run.rows} synthetic rows against the seed samples` });

  const source = runKeys(run.sourceRunId);
  const [profile, model, train, holdout, indexJson, canaries] = await Promise.all([
    readJson(store, buckets.work, source.profile, Profile),
    readJson(store, buckets.work, run.modelKey ?? source.model, ModelArtifact),
    readTable(store, buckets.work, source.train),
    readTable(store, buckets.work, source.holdout),
    readText(store, buckets.work, source.piiIndex),
    // Runs profiled before canaries existed have none: the check then says so.
    (await store.head(buckets.work, source.canaries)) === undefined
      ? undefined
      : readTable(store, buckets.work, source.canaries),
  ]);
  const piiIndex = PiiIndex.fromJSON(JSON.parse(indexJson) as PiiIndexJson);
  const gateInput = {
    profile,
    train,
    holdout,
    piiIndex,
    policy: run.policy,
    seed: run.seed,
    ...(canaries === undefined ? {} : { canaries }),
    quasiIdentifiers: run.spec.quasiIdentifiers,
    ...(profile.nameRecurrence === undefined ? {} : { nameBaseline: profile.nameRecurrence }),
  };
  /** One pass of the gate and the fidelity scores over shards read one at a time. */
  const gateShards = async (keyOf: (shard: number) => string) => {
    const privacy = createPrivacyGate(gateInput);
    // Plots name only categories common enough for the model to emit.
    const fidelity = createFidelity({
      profile,
      real: train,
      seed: run.seed,
      rareCategoryMin: run.policy.rareCategoryMin,
    });
    const shardRows: number[] = [];
    for (let shard = 0; shard < shards; shard++) {
      const table = parseCsv(await readText(store, buckets.work, keyOf(shard)), keyOf(shard));
      privacy.add(table);
      fidelity.add(table);
      shardRows.push(table.rows.length);
    }
    return { privacyResult: privacy.finish(), fidelity: fidelity.finish(), shardRows };
  };
  // The ceiling: the same scorer on real rows the model never saw, against the same train sample.
  const ceiling = createFidelity({
    profile,
    real: train,
    seed: run.seed,
    rareCategoryMin: run.policy.rareCategoryMin,
  });
  ceiling.add(holdout);
  let shardKey = keys.shard;
  let gated = await gateShards(shardKey);
  const failed = gated.privacyResult.checks.filter((c) => c.verdict === 'fail').map((c) => c.id);
  if (gated.privacyResult.verdict === 'fail') {
    const skip = repairSkipped(run.policy, failed, deps.generator !== undefined);
    if (skip !== undefined) {
      gated.privacyResult = { ...gated.privacyResult, repair: skip };
    } else {
      progress({ stage: 'gate', runId, message: `repairing rows behind: ${failed.join(', ')}` });
      const repairedKey = keys.repairedShard;
      const screened = await repairShards({
        deps: { ...deps, generator: deps.generator! },
        screenFor: (shard) => createRowScreen(gateInput, shard, new Set(failed)),
        model,
        where: run.spec.conditions,
        piiIndex,
        seed: run.seed,
        shards,
        from: keys.shard,
        to: repairedKey,
      });
      const again = screened.complete ? await gateShards(repairedKey) : undefined;
      const passed = again?.privacyResult.verdict === 'pass';
      const repair: Repair = {
        outcome: passed ? 'repaired' : 'failed',
        dropped: screened.dropped,
        rowsDropped: screened.rowsDropped,
        rowsReplaced: screened.rowsReplaced,
        failedBefore: failed,
        detail: repairDetail(failed, screened, again?.privacyResult),
      };
      if (again !== undefined) {
        gated = again;
        shardKey = repairedKey;
      }
      gated.privacyResult = { ...gated.privacyResult, repair };
    }
  }
  const { privacyResult, shardRows } = gated;
  const rows = shardRows.reduce((a, b) => a + b, 0);
  const report = buildReport({
    runId,
    dataset: run.dataset,
    rows,
    shards,
    policy: run.policy,
    model: {
      columns: model.columns.length,
      trainRows: model.settings.trainRows,
      rareCategoryMin: model.settings.rareCategoryMin,
      relations: model.constraints.map(describeConstraint),
    },
    privacy: privacyResult,
    fidelity: gated.fidelity,
    ceiling: holdout.rows.length > 0 ? ceiling.finish() : null,
    warnings: profile.warnings,
  });
  const verdict = privacyResult.verdict === 'pass' ? 'published' : 'quarantined';
  const bucket = verdict === 'published' ? buckets.curated : buckets.quarantine;
  const prefix = outputPrefix(run.dataset, runId);

  const files: ManifestFile[] = [];
  const reportJson = `${JSON.stringify(report, null, 2)}\n`;
  const reportHtml = renderReportHtml(report);
  await store.put(bucket, `${prefix}report.json`, reportJson, { contentType: 'application/json' });
  await store.put(bucket, `${prefix}report.html`, reportHtml, { contentType: 'text/html; charset=utf-8' });
  files.push({ key: 'report.json', bytes: byteLength(reportJson), sha256: sha256(reportJson) });
  files.push({ key: 'report.html', bytes: byteLength(reportHtml), sha256: sha256(reportHtml) });
  // Shards are read a second time rather than held: memory stays one shard whatever the run's size.
  for (let shard = 0; shard < shards; shard++) {
    const body = await store.get(buckets.work, shardKey(shard));
    const name = `data/part-${String(shard).padStart(5, '0')}.csv`;
    await store.put(bucket, `${prefix}${name}`, body, { contentType: 'text/csv' });
    files.push({ key: name, bytes: body.byteLength, sha256: sha256(body), rows: shardRows[shard] ?? 0 });
    progress({
      stage: 'publish',
      runId,
      message: `${verdict === 'published' ? 'published' : 'quarantined'} ${name}`,
      done: shard + 1,
      total: shards,
    });
  }
  const manifest: Manifest = {
    version: 1,
    runId,
    dataset: run.dataset,
    verdict,
    rows,
    columns: model.columns.map((c) => c.name),
    files,
  };
  await writeJson(store, bucket, `${prefix}manifest.json`, manifest);

  const stillFailed = privacyResult.checks.filter((c) => c.verdict === 'fail').map((c) => c.id);
  run = await saveRun(
    store,
    buckets.work,
    {
      ...run,
      status: verdict,
      output: { bucket, prefix },
      ...(stillFailed.length > 0
        ? { reason: `failed checks: ${stillFailed.join(', ')}` }
        : privacyResult.repair?.outcome === 'failed'
          ? { reason: `repair could not replace the rows behind: ${failed.join(', ')}` }
          : {}),
    },
    deps.now,
  );
  progress({ stage: 'gate', runId, message: `${verdict}: s3://${bucket}/${prefix}` });
  return { status: 'done', run };
};

/** Why repair is not tried, as the report's repair entry; undefined when it is. */
const repairSkipped = (policy: Policy, failed: string[], canGenerate: boolean): Repair | undefined => {
  const skipped = (detail: string): Repair => ({
    outcome: 'skipped',
    dropped: {},
    rowsDropped: 0,
    rowsReplaced: 0,
    failedBefore: failed,
    detail,
  });
  if (policy.repair !== true)
    return skipped(
      `The ${policy.name} policy does not repair: a run with a failed check is quarantined as it is.`,
    );
  const whole = failed.filter((id) => !REPAIRABLE.has(id));
  if (whole.length > 0)
    return skipped(
      `Not repaired: ${whole.join(', ')} measure${whole.length === 1 ? 's' : ''} the model as a whole, not ` +
        'particular rows; dropping rows would hide the leak, not remove it.',
    );
  if (!canGenerate) return skipped('Not repaired: no generator was available to draw replacement rows.');
  return undefined;
};

interface Screened {
  complete: boolean;
  dropped: Record<string, number>;
  rowsDropped: number;
  rowsReplaced: number;
  /** Shard that ran out of rounds, when not complete. */
  stuck?: number;
}

/**
 * Writes every shard, its flagged rows replaced by fresh draws that pass the same screen, under `to`.
 * Deterministic: replacements come from seeds derived from (run seed, shard, round), so a retried
 * gate writes the same bytes.
 */
const repairShards = async (args: {
  deps: Pick<PipelineDeps, 'store' | 'buckets' | 'generator'>;
  screenFor: (shard: Table) => { reason(row: Table['rows'][number]): string | undefined };
  model: ModelArtifact;
  where: Record<string, string>;
  piiIndex: PiiIndex;
  seed: number;
  shards: number;
  from: (shard: number) => string;
  to: (shard: number) => string;
}): Promise<Screened> => {
  const { deps, model, piiIndex, seed, shards } = args;
  const out: Screened = { complete: true, dropped: {}, rowsDropped: 0, rowsReplaced: 0 };
  for (let shard = 0; shard < shards; shard++) {
    const table = parseCsv(await readText(deps.store, deps.buckets.work, args.from(shard)), args.from(shard));
    const screen = args.screenFor(table);
    const drop = (row: Table['rows'][number]): boolean => {
      const reason = screen.reason(row);
      if (reason === undefined) return false;
      out.dropped[reason] = (out.dropped[reason] ?? 0) + 1;
      out.rowsDropped++;
      return true;
    };
    const kept = table.rows.filter((row) => !drop(row));
    for (let round = 0; kept.length < table.rows.length; round++) {
      if (round === REPAIR_ROUNDS) {
        out.complete = false;
        out.stuck = shard;
        return out;
      }
      const wanted = table.rows.length - kept.length;
      const roundSeed = deriveSeed(seed, 'repair', shard, round);
      const answer = await deps.generator.generate({
        model,
        rows: wanted,
        seed: roundSeed,
        shard,
        ...(Object.keys(args.where).length > 0 ? { where: args.where } : {}),
      });
      const fresh = parseCsv(answer.body, `generator answer for the repair of shard ${shard}`);
      if (fresh.columns.join('\u0000') !== table.columns.join('\u0000'))
        throw new ContractError(
          `generator answered columns [${fresh.columns.join(', ')}] for a repair, the shard has [${table.columns.join(', ')}]`,
        );
      redrawSeedValues(fresh, model, piiIndex, roundSeed, shard);
      for (const row of fresh.rows) {
        if (kept.length === table.rows.length) break;
        if (drop(row)) continue;
        kept.push(row);
        out.rowsReplaced++;
      }
    }
    await deps.store.put(deps.buckets.work, args.to(shard), toCsv({ columns: table.columns, rows: kept }), {
      contentType: 'text/csv',
    });
  }
  return out;
};

const repairDetail = (failed: string[], screened: Screened, after: PrivacyResult | undefined): string => {
  const reasons = Object.entries(screened.dropped)
    .map(([id, n]) => `${n} for ${id}`)
    .join(', ');
  const done =
    `Row-level repair after ${failed.join(', ')} failed: ${screened.rowsDropped} synthetic rows were dropped ` +
    `(${reasons || 'none flagged'}) and ${screened.rowsReplaced} fresh rows drawn in their place.`;
  if (!screened.complete)
    return (
      `${done} Shard ${screened.stuck} still lacked clean rows after ${REPAIR_ROUNDS} rounds of fresh draws: ` +
      'the generator keeps emitting leaking rows, so the run is quarantined.'
    );
  if (after?.verdict === 'pass')
    return `${done} Every check was then run again on the repaired output, and passed.`;
  const still = after?.checks.filter((c) => c.verdict === 'fail').map((c) => c.id) ?? [];
  return `${done} Run again on the repaired output, ${still.join(', ')} still failed, so the run is quarantined.`;
};
