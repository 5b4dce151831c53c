import {
  ArnFormat,
  CfnOutput,
  CfnParameter,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { CfnEndpoint, CfnEndpointConfig, CfnModel } from 'aws-cdk-lib/aws-sagemaker';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct, Node } from 'constructs';
import { AugmentRequest, parse } from '../src/contracts.ts';
import { ContractError } from '../src/errors.ts';
import { HouseFunction } from './constructs/house-function.ts';
import { SecureBucket } from './constructs/secure-bucket.ts';
import { WorkQueue } from './constructs/work-queue.ts';

/** The scheduled augmentation: `rows` more rows of `dataset` on `expression` (EventBridge Scheduler syntax). */
export interface AugmentSchedule {
  readonly dataset: string;
  readonly rows: number;
  readonly expression: string;
  readonly enabled: boolean;
}

export interface DoppelSettings {
  /** SageMaker hosting instance for the generator; a GPU type. */
  readonly generatorInstanceType: string;
  /** Default for the GeneratorImageUri parameter; when absent, deploy must supply it. */
  readonly generatorImageUri?: string;
  readonly augmentSchedule: AugmentSchedule;
}

export interface DoppelStackProps extends StackProps, Partial<DoppelSettings> {}

export const DEFAULT_SETTINGS: DoppelSettings = {
  generatorInstanceType: 'ml.g5.xlarge',
  augmentSchedule: { dataset: 'customers', rows: 1000, expression: 'rate(1 day)', enabled: false },
};

// `cdk -c key=value` hands objects over as JSON text.
const contextValue = (node: Node, key: string): unknown => {
  const value: unknown = node.tryGetContext(key);
  if (typeof value !== 'string' || !value.trim().startsWith('{')) return value;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new ContractError(`context ${key} is not valid JSON: ${(error as Error).message}`);
  }
};

/** Settings from explicit props, else CDK context (cdk.json or `-c`), else the defaults; validated. */
export const resolveSettings = (node: Node, props: Partial<DoppelSettings> = {}): DoppelSettings => {
  const instanceType = props.generatorInstanceType ?? contextValue(node, 'generatorInstanceType');
  const imageUri = props.generatorImageUri ?? contextValue(node, 'generatorImageUri');
  const schedule = {
    ...DEFAULT_SETTINGS.augmentSchedule,
    ...((props.augmentSchedule ?? contextValue(node, 'augmentSchedule') ?? {}) as object),
  } as AugmentSchedule;
  if (
    instanceType !== undefined &&
    (typeof instanceType !== 'string' || !/^ml\.[a-z0-9]+\.[a-z0-9]+$/.test(instanceType))
  ) {
    throw new ContractError(
      `context generatorInstanceType must look like ml.g5.xlarge, got ${String(instanceType)}`,
    );
  }
  if (imageUri !== undefined && typeof imageUri !== 'string') {
    throw new ContractError('context generatorImageUri must be a string');
  }
  parse(AugmentRequest, { dataset: schedule.dataset, rows: schedule.rows }, 'context augmentSchedule');
  if (typeof schedule.expression !== 'string' || !/^(rate|cron|at)\(.+\)$/.test(schedule.expression)) {
    throw new ContractError(`context augmentSchedule.expression must be rate(...), cron(...) or at(...)`);
  }
  if (typeof schedule.enabled !== 'boolean') {
    throw new ContractError('context augmentSchedule.enabled must be true or false');
  }
  return {
    generatorInstanceType: (instanceType as string | undefined) ?? DEFAULT_SETTINGS.generatorInstanceType,
    ...(imageUri ? { generatorImageUri: imageUri as string } : {}),
    augmentSchedule: schedule,
  };
};

/**
 * doppel on AWS: seed, work, curated and quarantine buckets; the shard job queue with its DLQ; the
 * five handlers wired to S3 notifications, SQS, a schedule and an IAM-authenticated HTTP API; the
 * SageMaker generator endpoint. Each function gets only the actions its stage needs, on its own
 * buckets, and only the gate can write to curated.
 */
export class DoppelStack extends Stack {
  constructor(scope: Construct, id: string, props: DoppelStackProps = {}) {
    super(scope, id, props);
    const settings = resolveSettings(this.node, props);

    // Buckets. Seeds and published data outlive the stack; seeds are versioned so a run can name
    // the exact object version it read.
    const seed = new SecureBucket(this, 'SeedBucket', {
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const work = new SecureBucket(this, 'WorkBucket', { removalPolicy: RemovalPolicy.DESTROY });
    const curated = new SecureBucket(this, 'CuratedBucket', { removalPolicy: RemovalPolicy.RETAIN });
    const quarantine = new SecureBucket(this, 'QuarantineBucket', { removalPolicy: RemovalPolicy.DESTROY });

    // Generator on SageMaker. The image is a parameter: the container ships separately.
    const imageUri = new CfnParameter(this, 'GeneratorImageUri', {
      type: 'String',
      description:
        'Private ECR image URI of the doppel generator container (account.dkr.ecr.region.amazonaws.com/repo:tag)',
      allowedPattern: '^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+([:@].+)?$',
      constraintDescription: 'must be a private ECR image URI',
      ...(settings.generatorImageUri ? { default: settings.generatorImageUri } : {}),
    }).valueAsString;
    const endpoint = this.generatorEndpoint(imageUri, settings.generatorInstanceType, work);

    // Functions.
    const generateTimeout = Duration.minutes(5);
    const jobs = new WorkQueue(this, 'JobQueue', { consumerTimeout: generateTimeout });

    const onSeedUploaded = new HouseFunction(this, 'OnSeedUploaded', {
      entry: 'functions/on-seed-uploaded/index.ts',
      description: 'Profiles a new seed, fits the model and plans the shard jobs',
      // Lambda gives CPUs by memory: 10 GB is 6 vCPUs, so a large seed's byte ranges are profiled
      // on 4 worker threads (about 45 GB of CSV in the 15 minutes on one thread, several times that here).
      memorySize: 10_240,
      timeout: Duration.minutes(15),
      profilerWorker: true,
      environment: {
        SEED_BUCKET_NAME: seed.bucketName,
        WORK_BUCKET_NAME: work.bucketName,
        QUARANTINE_BUCKET_NAME: quarantine.bucketName,
        JOB_QUEUE_URL: jobs.queue.queueUrl,
      },
    });
    seed.grantRead(onSeedUploaded);
    work.grantReadWrite(onSeedUploaded);
    quarantine.grantPut(onSeedUploaded);
    jobs.queue.grantSendMessages(onSeedUploaded);
    seed.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(onSeedUploaded), {
      prefix: 'datasets/',
    });

    const generateShard = new HouseFunction(this, 'GenerateShard', {
      entry: 'functions/generate-shard/index.ts',
      description: 'Generates one shard per job on the SageMaker endpoint',
      memorySize: 1024,
      timeout: generateTimeout,
      environment: {
        WORK_BUCKET_NAME: work.bucketName,
        GENERATOR_ENDPOINT_NAME: endpoint.attrEndpointName,
      },
    });
    work.grantReadWrite(generateShard);
    generateShard.addToRolePolicy(
      // Ref of an endpoint is its ARN, as SageMaker spells it: the grant names this endpoint only.
      new PolicyStatement({ actions: ['sagemaker:InvokeEndpoint'], resources: [endpoint.ref] }),
    );
    generateShard.addEventSource(
      new SqsEventSource(jobs.queue, { batchSize: 5, reportBatchItemFailures: true }),
    );

    const gateRun = new HouseFunction(this, 'GateRun', {
      entry: 'functions/gate-run/index.ts',
      description: 'Runs the privacy gate on a finished run and publishes it or quarantines it',
      memorySize: 2048,
      timeout: Duration.minutes(15),
      environment: {
        WORK_BUCKET_NAME: work.bucketName,
        CURATED_BUCKET_NAME: curated.bucketName,
        QUARANTINE_BUCKET_NAME: quarantine.bucketName,
      },
    });
    work.grantReadWrite(gateRun);
    curated.grantPut(gateRun);
    quarantine.grantPut(gateRun);
    work.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(gateRun), { prefix: 'ready/' });

    const augmentDataset = new HouseFunction(this, 'AugmentDataset', {
      entry: 'functions/augment-dataset/index.ts',
      description: 'Plans more rows of a dataset already profiled',
      timeout: Duration.minutes(1),
      environment: {
        SEED_BUCKET_NAME: seed.bucketName,
        WORK_BUCKET_NAME: work.bucketName,
        JOB_QUEUE_URL: jobs.queue.queueUrl,
      },
    });
    work.grantReadWrite(augmentDataset);
    jobs.queue.grantSendMessages(augmentDataset);
    const { dataset, rows, expression, enabled } = settings.augmentSchedule;
    new Schedule(this, 'AugmentSchedule', {
      description: `doppel: ${rows} more rows of ${dataset}`,
      schedule: ScheduleExpression.expression(expression),
      enabled,
      target: new LambdaInvoke(augmentDataset, {
        // The occurrence's time seeds the run: a retried invocation is the same run, the next one a new one.
        input: ScheduleTargetInput.fromObject({
          dataset,
          rows,
          scheduledTime: ContextAttribute.scheduledTime,
        }),
        retryAttempts: 2,
      }),
    });

    const datasetRequests = new HouseFunction(this, 'DatasetRequests', {
      entry: 'functions/dataset-requests/index.ts',
      description: 'Compliance API: request a dataset under a policy and follow the run',
      timeout: Duration.seconds(15),
      environment: {
        WORK_BUCKET_NAME: work.bucketName,
        CURATED_BUCKET_NAME: curated.bucketName,
        JOB_QUEUE_URL: jobs.queue.queueUrl,
      },
    });
    work.grantReadWrite(datasetRequests);
    curated.grantRead(datasetRequests);
    jobs.queue.grantSendMessages(datasetRequests);
    const api = new HttpApi(this, 'RequestsApi', {
      description: 'doppel compliance API (SigV4 / IAM auth)',
      defaultAuthorizer: new HttpIamAuthorizer(),
    });
    const integration = new HttpLambdaIntegration('DatasetRequestsIntegration', datasetRequests);
    api.addRoutes({ path: '/requests', methods: [HttpMethod.POST], integration });
    api.addRoutes({ path: '/requests/{requestId}', methods: [HttpMethod.GET], integration });

    new CfnOutput(this, 'SeedBucketName', { value: seed.bucketName });
    new CfnOutput(this, 'WorkBucketName', { value: work.bucketName });
    new CfnOutput(this, 'CuratedBucketName', { value: curated.bucketName });
    new CfnOutput(this, 'QuarantineBucketName', { value: quarantine.bucketName });
    new CfnOutput(this, 'JobQueueUrl', { value: jobs.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: jobs.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'ApiUrl', { value: api.apiEndpoint });
    new CfnOutput(this, 'GeneratorEndpointName', { value: endpoint.attrEndpointName });
  }

  /** Model, endpoint config (one GPU variant) and endpoint for the generator container. */
  private generatorEndpoint(imageUri: string, instanceType: string, work: SecureBucket): CfnEndpoint {
    // The repository ARN from the URI (account.dkr.ecr.region.amazonaws.com/repo[/more][:tag|@digest]),
    // resolved at deploy time because the URI is a parameter. The trailing * covers namespaced names.
    const host = Fn.split('.', Fn.select(0, Fn.split('/', imageUri)));
    const firstPathSegment = Fn.select(
      0,
      Fn.split(':', Fn.select(0, Fn.split('@', Fn.select(1, Fn.split('/', imageUri))))),
    );
    const repositoryArn = Fn.join('', [
      `arn:${this.partition}:ecr:`,
      Fn.select(3, host),
      ':',
      Fn.select(0, host),
      ':repository/',
      firstPathSegment,
      '*',
    ]);
    const role = new Role(this, 'GeneratorRole', {
      assumedBy: new ServicePrincipal('sagemaker.amazonaws.com'),
      description: 'SageMaker execution role for the doppel generator: pull its image, write its logs',
      inlinePolicies: {
        generator: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
              resources: [repositoryArn],
            }),
            // GetAuthorizationToken has no resource-level permissions: AWS requires "*".
            new PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
            new PolicyStatement({
              actions: [
                'logs:CreateLogGroup',
                'logs:CreateLogStream',
                'logs:PutLogEvents',
                'logs:DescribeLogStreams',
              ],
              resources: [
                this.formatArn({
                  service: 'logs',
                  resource: 'log-group',
                  resourceName: '/aws/sagemaker/Endpoints/*',
                  arnFormat: ArnFormat.COLON_RESOURCE_NAME,
                }),
              ],
            }),
          ],
        }),
      },
    });
    // Requests may name the model by URI (`modelUri`) instead of inlining it: let the container read it.
    work.grantRead(role);

    const model = new CfnModel(this, 'GeneratorModel', {
      executionRoleArn: role.roleArn,
      primaryContainer: { image: imageUri, mode: 'SingleModel' },
    });
    // CreateModel checks the image pull with the role: its policies must exist first.
    model.node.addDependency(role);
    const config = new CfnEndpointConfig(this, 'GeneratorEndpointConfig', {
      productionVariants: [
        {
          variantName: 'AllTraffic',
          modelName: model.attrModelName,
          instanceType,
          initialInstanceCount: 1,
          initialVariantWeight: 1,
        },
      ],
    });
    return new CfnEndpoint(this, 'GeneratorEndpoint', { endpointConfigName: config.attrEndpointConfigName });
  }
}
