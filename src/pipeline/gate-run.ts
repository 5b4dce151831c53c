/**
 * Gate a run: the stage behind "the last shard landed".
 * Steps:
 *  1. claim the run with a conditional write, so two finishers cannot both gate it;
 *  2. check every shard is there;
 *  3. stream the shards through the privacy checks (PII replay, exact copies, DCR vs holdout)
 *     and the fidelity scores, with their ceiling (the holdout sample scored the same way);
 *  4. write report.json and report.html, then the data, then manifest.json (with checksums) last,
 *     to curated when every check passed, to quarantine otherwise;
 *  5. record the verdict on the run.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ModelArtifact, Profile, type RunRecord } from '../contracts.ts';
import { NotReadyError } from '../errors.ts';
import { parseCsv } from '../formats/csv.ts';
import { createPrivacyGate } from '../privacy/gate.ts';
import { PiiIndex, type PiiIndexJson } from '../privacy/pii-index.ts';
import { createFidelity } from '../quality/fidelity.ts';
import { buildReport, renderReportHtml } from '../report/report.ts';
import type { PipelineDeps } from './deps.ts';
import { outputPrefix, runKeys } from './layout.ts';
import { readJson, readRun, readTable, readText, saveRun, writeJson } from './run-store.ts';

export type GateDeps = Pick<PipelineDeps, 'store' | 'buckets' | 'now' | 'progress'>;

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
  const privacy = createPrivacyGate({
    profile,
    train,
    holdout,
    piiIndex,
    policy: run.policy,
    seed: run.seed,
    ...(canaries === undefined ? {} : { canaries }),
    quasiIdentifiers: run.spec.quasiIdentifiers,
  });
  // Plots name only categories common enough for the model to emit.
  const fidelity = createFidelity({
    profile,
    real: train,
    seed: run.seed,
    rareCategoryMin: run.policy.rareCategoryMin,
  });
  // The ceiling: the same scorer on real rows the model never saw, against the same train sample.
  const ceiling = createFidelity({
    profile,
    real: train,
    seed: run.seed,
    rareCategoryMin: run.policy.rareCategoryMin,
  });
  ceiling.add(holdout);
  const shardRows: number[] = [];
  for (let shard = 0; shard < shards; shard++) {
    const table = parseCsv(await readText(store, buckets.work, keys.shard(shard)), keys.shard(shard));
    privacy.add(table);
    fidelity.add(table);
    shardRows.push(table.rows.length);
  }
  const rows = shardRows.reduce((a, b) => a + b, 0);
  const privacyResult = privacy.finish();
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
    },
    privacy: privacyResult,
    fidelity: fidelity.finish(),
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
    const body = await store.get(buckets.work, keys.shard(shard));
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

  const failed = privacyResult.checks.filter((c) => c.verdict === 'fail').map((c) => c.id);
  run = await saveRun(
    store,
    buckets.work,
    {
      ...run,
      status: verdict,
      output: { bucket, prefix },
      ...(failed.length > 0 ? { reason: `failed checks: ${failed.join(', ')}` } : {}),
    },
    deps.now,
  );
  progress({ stage: 'gate', runId, message: `${verdict}: s3://${bucket}/${prefix}` });
  return { status: 'done', run };
};
