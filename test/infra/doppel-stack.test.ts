import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HouseFunction,
  PARQUET_WORKER_FILE,
  PROFILER_WORKER_FILE,
} from '../../infra/constructs/house-function.ts';
import { DoppelStack } from '../../infra/doppel-stack.ts';
import { ContractError } from '../../src/errors.ts';

// The same feature flags and defaults as `cdk synth`, so the template under test is the deployed one.
const CDK_CONTEXT = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'))
  .context as Record<string, unknown>;

const FUNCTIONS = [
  'OnSeedUploaded',
  'GenerateShard',
  'GateRun',
  'AugmentDataset',
  'DatasetRequests',
] as const;
type FunctionId = (typeof FUNCTIONS)[number];

interface Synth {
  stack: DoppelStack;
  template: Template;
}

/** Synthesizes the stack without bundling (fast); `context` overrides cdk.json. */
const synth = (context: Record<string, unknown> = {}, tweak?: (stack: DoppelStack) => void): Synth => {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new DoppelStack(app, 'Doppel');
  tweak?.(stack);
  return { stack, template: Template.fromStack(stack) };
};

const idOf = (stack: Stack, construct: IConstruct): string =>
  stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
const childId = (stack: Stack, ...path: string[]): string =>
  idOf(
    stack,
    path.reduce<IConstruct>((c, id) => c.node.findChild(id), stack),
  );
const fn = (stack: Stack, id: FunctionId): HouseFunction => stack.node.findChild(id) as HouseFunction;

type Json = Record<string, unknown>;
const props = (resource: unknown): Json => (resource as { Properties: Json }).Properties;
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const mentions = (value: unknown, logicalId: string): boolean =>
  JSON.stringify(value).includes(`"${logicalId}"`);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement that applies to a function's role: attached AWS::IAM::Policy documents and inline policies. */
const statementsOf = (synth: Synth, id: FunctionId): Statement[] => {
  const roleId = idOf(synth.stack, fn(synth.stack, id).role!);
  const attached = Object.values(synth.template.findResources('AWS::IAM::Policy')).filter((p) =>
    (props(p).Roles as Json[]).some((r) => r.Ref === roleId),
  );
  const role = synth.template.findResources('AWS::IAM::Role')[roleId];
  const inline = (props(role).Policies as Json[] | undefined) ?? [];
  return [...attached.map((p) => props(p).PolicyDocument), ...inline.map((p) => p.PolicyDocument)].flatMap(
    (doc) => (doc as { Statement: Statement[] }).Statement,
  );
};

/** Least-privilege findings over the function roles: wildcard services, "*" resources, managed policies. */
const privilegeViolations = (synth: Synth): string[] =>
  FUNCTIONS.flatMap((id) => {
    const found: string[] = [];
    const role = synth.template.findResources('AWS::IAM::Role')[idOf(synth.stack, fn(synth.stack, id).role!)];
    if (props(role).ManagedPolicyArns) found.push(`${id}: managed policies attached`);
    for (const s of statementsOf(synth, id)) {
      for (const action of asArray(s.Action)) {
        if (action === '*' || /^(s3|sagemaker):\*$/.test(action)) found.push(`${id}: action ${action}`);
      }
      if (asArray(s.Resource).includes('*'))
        found.push(`${id}: resource "*" for ${asArray(s.Action).join(',')}`);
    }
    return found;
  });

const allows = (s: Statement, action: string): boolean =>
  s.Effect === 'Allow' && asArray(s.Action).includes(action);

describe('DoppelStack', () => {
  let base: Synth;
  beforeAll(() => {
    base = synth();
  });

  describe('job queue', () => {
    it('parks a job in the DLQ after 5 receives and keeps it there 14 days', () => {
      // Prepare
      const dlqId = childId(base.stack, 'JobQueue', 'DeadLetterQueue');
      // Act
      const queue = props(
        base.template.findResources('AWS::SQS::Queue')[childId(base.stack, 'JobQueue', 'Queue')],
      );
      // Assess
      expect(queue.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
        maxReceiveCount: 5,
      });
      base.template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600 });
      expect(queue.SqsManagedSseEnabled).toBe(true);
    });

    it('hides a job for at least 6 times the consumer timeout so a slow shard is not redelivered', () => {
      const queue = props(
        base.template.findResources('AWS::SQS::Queue')[childId(base.stack, 'JobQueue', 'Queue')],
      );
      const consumer = props(
        base.template.findResources('AWS::Lambda::Function')[
          idOf(base.stack, fn(base.stack, 'GenerateShard'))
        ],
      );
      expect(queue.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * (consumer.Timeout as number));
    });

    it('alarms as soon as one message is visible in the DLQ', () => {
      base.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [childId(base.stack, 'JobQueue', 'DeadLetterQueue'), 'QueueName'] },
          },
        ],
      });
    });

    it('denies non-TLS access to both queues', () => {
      const policies = base.template.findResources('AWS::SQS::QueuePolicy', {
        Properties: {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        },
      });
      expect(Object.keys(policies)).toHaveLength(2);
    });

    it('feeds generate-shard in batches of 5 with partial batch failures', () => {
      base.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
      base.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: idOf(base.stack, fn(base.stack, 'GenerateShard')) },
        EventSourceArn: { 'Fn::GetAtt': [childId(base.stack, 'JobQueue', 'Queue'), 'Arn'] },
        BatchSize: 5,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });
  });

  describe('S3 notifications', () => {
    it.each([
      ['SeedBucket', 'datasets/', 'OnSeedUploaded'],
      ['WorkBucket', 'ready/', 'GateRun'],
    ] as const)('%s sends object-created under %s to %s', (bucket, prefix, target) => {
      base.template.hasResourceProperties('Custom::S3BucketNotifications', {
        BucketName: { Ref: childId(base.stack, bucket) },
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [
            {
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: prefix }] } },
              LambdaFunctionArn: { 'Fn::GetAtt': [idOf(base.stack, fn(base.stack, target)), 'Arn'] },
            },
          ],
        },
      });
    });

    it('notifies nothing from the curated and quarantine buckets', () => {
      base.template.resourceCountIs('Custom::S3BucketNotifications', 2);
    });
  });

  describe('buckets', () => {
    const BUCKETS = ['SeedBucket', 'WorkBucket', 'CuratedBucket', 'QuarantineBucket'];

    it('encrypts every bucket, blocks public access and lets the name be generated', () => {
      const buckets = base.template.findResources('AWS::S3::Bucket');
      expect(Object.keys(buckets).sort()).toEqual(BUCKETS.map((b) => childId(base.stack, b)).sort());
      for (const bucket of Object.values(buckets)) {
        expect(props(bucket)).toMatchObject({
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
        });
        expect(props(bucket).BucketName).toBeUndefined();
      }
    });

    it.each(BUCKETS)('%s refuses requests without TLS', (bucket) => {
      base.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: childId(base.stack, bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it('versions and retains the seed bucket, retains curated', () => {
      const buckets = base.template.findResources('AWS::S3::Bucket');
      const seed = buckets[childId(base.stack, 'SeedBucket')];
      expect(props(seed).VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(seed?.DeletionPolicy).toBe('Retain');
      expect(buckets[childId(base.stack, 'CuratedBucket')]?.DeletionPolicy).toBe('Retain');
    });
  });

  describe('functions', () => {
    it('runs every function of ours on Node 22 or later, on arm64, with source maps', () => {
      const functions = base.template.findResources('AWS::Lambda::Function');
      const ours = FUNCTIONS.map((id) => idOf(base.stack, fn(base.stack, id)));
      // Anything else must be the CDK's own bucket-notification handler, not a function that skipped the house defaults.
      const others = Object.keys(functions).filter((id) => !ours.includes(id));
      expect(others.every((id) => id.startsWith('BucketNotificationsHandler'))).toBe(true);
      for (const id of ours) {
        const p = props(functions[id]);
        expect(Number(/^nodejs(\d+)\.x$/.exec(String(p.Runtime))?.[1])).toBeGreaterThanOrEqual(22);
        expect(p.Architectures).toEqual(['arm64']);
        expect((p.Environment as { Variables: Json }).Variables.NODE_OPTIONS).toBe('--enable-source-maps');
        expect(p.LoggingConfig).toBeDefined();
      }
      base.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });

    it.each([
      ['OnSeedUploaded', ['SEED_BUCKET_NAME', 'WORK_BUCKET_NAME', 'QUARANTINE_BUCKET_NAME', 'JOB_QUEUE_URL']],
      ['GenerateShard', ['WORK_BUCKET_NAME', 'GENERATOR_ENDPOINT_NAME']],
      ['GateRun', ['WORK_BUCKET_NAME', 'CURATED_BUCKET_NAME', 'QUARANTINE_BUCKET_NAME']],
      ['AugmentDataset', ['WORK_BUCKET_NAME', 'JOB_QUEUE_URL', 'SEED_BUCKET_NAME']],
      ['DatasetRequests', ['WORK_BUCKET_NAME', 'JOB_QUEUE_URL', 'CURATED_BUCKET_NAME']],
    ] as const)('gives %s exactly the settings its handler reads', (id, names) => {
      const p = props(
        base.template.findResources('AWS::Lambda::Function')[idOf(base.stack, fn(base.stack, id))],
      );
      const variables = (p.Environment as { Variables: Json }).Variables;
      expect(Object.keys(variables).sort()).toEqual(['NODE_OPTIONS', ...names].sort());
    });

    it('gives the profiling function 6 vCPUs (10 GB) and its 15 minutes, for seeds profiled on worker threads', () => {
      const p = props(
        base.template.findResources('AWS::Lambda::Function')[
          idOf(base.stack, fn(base.stack, 'OnSeedUploaded'))
        ],
      );
      expect(p.MemorySize).toBe(10_240);
      expect(p.Timeout).toBe(900);
    });

    it('points generate-shard at the generator endpoint', () => {
      const p = props(
        base.template.findResources('AWS::Lambda::Function')[
          idOf(base.stack, fn(base.stack, 'GenerateShard'))
        ],
      );
      expect((p.Environment as { Variables: Json }).Variables.GENERATOR_ENDPOINT_NAME).toEqual({
        'Fn::GetAtt': [childId(base.stack, 'GeneratorEndpoint'), 'EndpointName'],
      });
    });
  });

  describe('least privilege', () => {
    it('grants no service wildcard, no "*" resource and no managed policy to any function', () => {
      expect(privilegeViolations(base)).toEqual([]);
    });

    it('catches a wildcard grant if one is added', () => {
      // Prepare: the same stack with one careless grant, to prove the walk above can fail.
      const careless = synth({}, (stack) =>
        fn(stack, 'AugmentDataset').addToRolePolicy(
          new PolicyStatement({ actions: ['s3:*'], resources: ['*'] }),
        ),
      );
      // Act
      const found = privilegeViolations(careless);
      // Assess
      expect(found).toEqual(['AugmentDataset: action s3:*', 'AugmentDataset: resource "*" for s3:*']);
    });

    it('lets only generate-shard invoke the endpoint, and only that endpoint', () => {
      const endpointId = childId(base.stack, 'GeneratorEndpoint');
      for (const id of FUNCTIONS) {
        const invokes = statementsOf(base, id).filter((s) => allows(s, 'sagemaker:InvokeEndpoint'));
        if (id === 'GenerateShard') expect(invokes.map((s) => s.Resource)).toEqual([{ Ref: endpointId }]);
        else expect(invokes).toEqual([]);
      }
    });

    it('lets only the gate write to the curated bucket, and nobody write or delete seeds', () => {
      const curatedId = childId(base.stack, 'CuratedBucket');
      const seedId = childId(base.stack, 'SeedBucket');
      const writers = (bucketId: string) =>
        FUNCTIONS.filter((id) =>
          statementsOf(base, id).some(
            (s) =>
              mentions(s.Resource, bucketId) &&
              ['s3:PutObject', 's3:DeleteObject*', 's3:DeleteObject'].some((a) => allows(s, a)),
          ),
        );
      expect(writers(curatedId)).toEqual(['GateRun']);
      expect(writers(seedId)).toEqual([]);
    });

    it('lets the seed handler read seeds and the API read curated results', () => {
      const reads = (id: FunctionId, bucket: string) =>
        statementsOf(base, id).some(
          (s) => allows(s, 's3:GetObject*') && mentions(s.Resource, childId(base.stack, bucket)),
        );
      expect(reads('OnSeedUploaded', 'SeedBucket')).toBe(true);
      expect(reads('DatasetRequests', 'CuratedBucket')).toBe(true);
      expect(reads('GenerateShard', 'SeedBucket')).toBe(false);
    });

    it('names no physical resources', () => {
      const named = Object.values(
        base.template.toJSON().Resources as Record<string, { Properties?: Json }>,
      ).filter((r) =>
        ['BucketName', 'QueueName', 'FunctionName', 'RoleName', 'EndpointName'].some(
          (k) => typeof r.Properties?.[k] === 'string',
        ),
      );
      expect(named).toEqual([]);
    });
  });

  describe('generator endpoint', () => {
    it('hosts one variant of one instance on ml.g5.xlarge by default', () => {
      base.template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        ProductionVariants: [
          Match.objectLike({
            InstanceType: 'ml.g5.xlarge',
            InitialInstanceCount: 1,
            ModelName: { 'Fn::GetAtt': [childId(base.stack, 'GeneratorModel'), 'ModelName'] },
          }),
        ],
      });
    });

    it('takes the instance type from context', () => {
      const { template } = synth({ generatorInstanceType: 'ml.g6.2xlarge' });
      template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        ProductionVariants: [Match.objectLike({ InstanceType: 'ml.g6.2xlarge' })],
      });
    });

    it('refuses an instance type that is not a SageMaker one', () => {
      expect(() => synth({ generatorInstanceType: 'g5.xlarge' })).toThrow(ContractError);
    });

    it('asks for the image at deploy time unless context gives a default', () => {
      const uri = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/doppel-generator:1.0.0';
      expect(base.template.toJSON().Parameters.GeneratorImageUri.Default).toBeUndefined();
      expect(synth({ generatorImageUri: uri }).template.toJSON().Parameters.GeneratorImageUri.Default).toBe(
        uri,
      );
      base.template.hasResourceProperties('AWS::SageMaker::Model', {
        PrimaryContainer: { Image: { Ref: 'GeneratorImageUri' } },
      });
    });

    it('lets the generator role pull images and write endpoint logs, nothing else but reading work', () => {
      const role = props(base.template.findResources('AWS::IAM::Role')[childId(base.stack, 'GeneratorRole')]);
      const actions = (role.Policies as { PolicyDocument: { Statement: Statement[] } }[])
        .flatMap((p) => p.PolicyDocument.Statement)
        .flatMap((s) => asArray(s.Action))
        .sort();
      expect(actions).toEqual([
        'ecr:BatchCheckLayerAvailability',
        'ecr:BatchGetImage',
        'ecr:GetAuthorizationToken',
        'ecr:GetDownloadUrlForLayer',
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:DescribeLogStreams',
        'logs:PutLogEvents',
      ]);
    });
  });

  describe('augment schedule', () => {
    it('is off by default and asks for the configured rows of the configured dataset', () => {
      base.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 day)',
        State: 'DISABLED',
        Target: Match.objectLike({
          Arn: { 'Fn::GetAtt': [idOf(base.stack, fn(base.stack, 'AugmentDataset')), 'Arn'] },
          Input: JSON.stringify({
            dataset: 'customers',
            rows: 1000,
            scheduledTime: '<aws.scheduler.scheduled-time>',
          }),
        }),
      });
    });

    it('takes dataset, rows, expression and state from context (also as JSON text from -c)', () => {
      const schedule = { dataset: 'orders', rows: 50, expression: 'cron(0 3 * * ? *)', enabled: true };
      const { template } = synth({ augmentSchedule: JSON.stringify(schedule) });
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 3 * * ? *)',
        State: 'ENABLED',
        Target: Match.objectLike({
          Input: JSON.stringify({
            dataset: 'orders',
            rows: 50,
            scheduledTime: '<aws.scheduler.scheduled-time>',
          }),
        }),
      });
    });

    it('refuses a schedule the augment handler would reject', () => {
      expect(() => synth({ augmentSchedule: { dataset: 'customers', rows: 0 } })).toThrow(/augmentSchedule/);
    });
  });

  describe('compliance API', () => {
    it('serves exactly POST /requests and GET /requests/{requestId}, both behind IAM auth', () => {
      const routes = Object.values(base.template.findResources('AWS::ApiGatewayV2::Route')).map((r) =>
        props(r),
      );
      expect(routes.map((r) => r.RouteKey).sort()).toEqual(['GET /requests/{requestId}', 'POST /requests']);
      for (const route of routes) expect(route.AuthorizationType).toBe('AWS_IAM');
    });
  });

  it('outputs what an operator needs to use the stack', () => {
    expect(Object.keys(base.template.toJSON().Outputs).sort()).toEqual([
      'ApiUrl',
      'CuratedBucketName',
      'DeadLetterQueueUrl',
      'GeneratorEndpointName',
      'JobQueueUrl',
      'QuarantineBucketName',
      'SeedBucketName',
      'WorkBucketName',
    ]);
  });
});

describe('HouseFunction bundle', () => {
  let outdir: string;
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('is an ESM bundle with the SDK inside, a require shim and a source map', () => {
    // Prepare: bundle a real handler that imports the SDK, with the local esbuild.
    outdir = mkdtempSync(join(tmpdir(), 'doppel-cdk-'));
    const app = new App({ outdir, context: CDK_CONTEXT });
    const stack = new Stack(app, 'Bundle');
    new HouseFunction(stack, 'Fixture', { entry: 'test/infra/fixtures/sdk-handler.ts' });
    // Act
    app.synth();
    // Assess
    const asset = readdirSync(outdir).find(
      (d) => d.startsWith('asset.') && existsSync(join(outdir, d, 'index.mjs')),
    );
    expect(asset).toBeDefined();
    const code = readFileSync(join(outdir, asset!, 'index.mjs'), 'utf8');
    expect(code).toContain('createRequire');
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    expect(code).toContain('GetQueueUrl');
    expect(existsSync(join(outdir, asset!, 'index.mjs.map'))).toBe(true);
  });

  it('ships the profiler worker script beside the handler when asked, a CommonJS bundle of the scanner', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'doppel-cdk-worker-'));
    const app = new App({ outdir: dir, context: CDK_CONTEXT });
    const stack = new Stack(app, 'Bundle');
    new HouseFunction(stack, 'Profiler', {
      entry: 'test/infra/fixtures/sdk-handler.ts',
      profilerWorker: true,
    });
    new HouseFunction(stack, 'Plain', { entry: 'test/infra/fixtures/sdk-handler.ts' });
    try {
      // Act
      app.synth();
      // Assess: one asset with the script, one without
      const assets = readdirSync(dir).filter(
        (d) => d.startsWith('asset.') && existsSync(join(dir, d, 'index.mjs')),
      );
      const withWorker = assets.filter((d) => existsSync(join(dir, d, PROFILER_WORKER_FILE)));
      expect(assets).toHaveLength(2);
      expect(withWorker).toHaveLength(1);
      const script = readFileSync(join(dir, withWorker[0]!, PROFILER_WORKER_FILE), 'utf8');
      expect(script).toContain('require("node:worker_threads")');
      expect(script).toContain('a header inside a chunk');
      expect(script).not.toMatch(/^import /m);
      // Parquet's worker beside it; the Parquet reader (hyparquet) only in that one.
      const parquet = readFileSync(join(dir, withWorker[0]!, PARQUET_WORKER_FILE), 'utf8');
      expect(parquet).toContain('require("node:worker_threads")');
      expect(parquet).toContain('scanParquetChunk: not a Parquet chunk');
      expect(script).not.toContain('PAR1');
      expect(parquet).toContain('PAR1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
