/**
 * The CDK app: `npx cdk synth` (see cdk.json). Settings come from context (cdk.json or `-c key=value`):
 * generatorInstanceType, generatorImageUri, augmentSchedule, and stackName (default "Doppel").
 */
import { App } from 'aws-cdk-lib';
import { DoppelStack, resolveSettings } from '../infra/doppel-stack.ts';

const app = new App();
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
const stackName: unknown = app.node.tryGetContext('stackName');

new DoppelStack(app, typeof stackName === 'string' && stackName !== '' ? stackName : 'Doppel', {
  ...(account || region ? { env: { account, region } } : {}),
  description: 'doppel: privacy-safe synthetic twins of seed tables',
  ...resolveSettings(app.node),
});
