import { awsHandlerDeps } from '../shared/aws.ts';
import { makeHandler } from './handler.ts';

export const handler = makeHandler(awsHandlerDeps());
