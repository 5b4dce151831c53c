import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Repo root (infra/constructs/ is two levels down): entries, lock file and esbuild resolve from here. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

// ESM bundles have no `require`; some CommonJS dependencies still call it at runtime.
const ESM_REQUIRE_SHIM =
  "import { createRequire as topLevelCreateRequire } from 'node:module';" +
  'const require = topLevelCreateRequire(import.meta.url);';

export interface HouseFunctionProps {
  /** Handler entry, relative to the repo root (e.g. `functions/gate-run/index.ts`); it must export `handler`. */
  readonly entry: string;
  readonly description?: string;
  /** MiB; default 512. */
  readonly memorySize?: number;
  /** Default 30 seconds. */
  readonly timeout?: Duration;
  readonly environment?: Record<string, string>;
  /** Default 1 month. */
  readonly logRetention?: RetentionDays;
  /**
   * Ships the profiler's worker-thread scripts (`profile-chunk-worker.cjs`, `parquet-chunk-worker.cjs`)
   * beside the handler, so a large seed is profiled in chunks on several threads
   * (src/profile/profile-chunks.ts).
   */
  readonly profilerWorker?: boolean;
}

/**
 * The worker scripts' names beside the handler bundle (delimited text's, and Parquet's);
 * src/profile/profile-chunks.ts looks for them.
 */
export const PROFILER_WORKER_FILE = 'profile-chunk-worker.cjs';
export const PARQUET_WORKER_FILE = 'parquet-chunk-worker.cjs';
const WORKER_ENTRIES = [PROFILER_WORKER_FILE, PARQUET_WORKER_FILE].map((file) =>
  file.replace(/\.cjs$/, '.ts'),
);

/**
 * A Lambda function with the house defaults: Node 22 on ARM64, an ESM bundle built by the local
 * esbuild (never Docker), minified, source maps on, the AWS SDK bundled (pinned by our lock file
 * rather than whatever the runtime ships), its own log group with bounded retention and a role that
 * may write to that log group only; callers grant the rest.
 */
export class HouseFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: HouseFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Our own role instead of AWSLambdaBasicExecutionRole, whose logs actions apply to "*":
    // this one may write to its own log group only.
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      entry: join(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      description: props.description,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_SHIM,
        // esbuild itself is only the local profiler's worker bundler, never loaded in a Lambda.
        externalModules: ['esbuild'],
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        ...(props.profilerWorker === true
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                // The same local esbuild, one more entry: a CommonJS script a worker thread evaluates.
                afterBundling: (inputDir: string, outputDir: string) => [
                  `"${join(inputDir, 'node_modules', '.bin', 'esbuild')}" ` +
                    WORKER_ENTRIES.map((entry) => `"${join(inputDir, 'src', 'profile', entry)}" `).join('') +
                    // esbuild stays out (the worker never bundles); import.meta is unused in a worker.
                    '--bundle --platform=node --format=cjs --target=node22 --minify --external:esbuild --log-level=error ' +
                    `--outdir="${outputDir}" --out-extension:.js=.cjs`,
                ],
              },
            }
          : {}),
      },
    });
  }
}
