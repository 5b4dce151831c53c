import { it } from 'vitest';
import { makeHandler } from '../../functions/on-seed-uploaded/handler.ts';
import { makeHandler as gen } from '../../functions/generate-shard/handler.ts';
import { makeHandler as gate } from '../../functions/gate-run/handler.ts';
import { estimateRowBytes } from '../../src/pipeline/plan-run.ts';
import { fakeAws } from '../helpers/fake-aws.ts';
import { context, putCustomersSeed, sqsEvent, readyEvent } from './fixtures.ts';

it('scratch', async () => {
  const aws = fakeAws();
  const event = putCustomersSeed(aws);
  let t = Date.now();
  const result = await makeHandler(aws.handlerDeps())(event, context('x'));
  console.log(JSON.stringify(result), Date.now() - t);
  const runId = result.outcomes[0]!.runId!;
  console.log(aws.keys(aws.buckets.work), aws.sentJobs());
  const model = aws.json<never>(aws.buckets.work, `runs/${runId}/model.json`);
  console.log('rowBytes', estimateRowBytes(model));
  t = Date.now();
  const r2 = await gen(aws.handlerDeps())(sqsEvent(aws.sentJobs()), context('g'));
  console.log(JSON.stringify(r2), Date.now() - t);
  t = Date.now();
  const r3 = await gate(aws.handlerDeps())(readyEvent(runId), context('g'));
  console.log(JSON.stringify(r3), Date.now() - t);
  console.log(aws.keys(aws.buckets.curated), aws.keys(aws.buckets.quarantine));
  console.log(aws.text(aws.buckets.work, `runs/${runId}/run.json`));
});
