/** The shared CloudProvider contract suite, run against the AWS provider on moto. */
import { after } from 'node:test';
import { cloudProviderContract } from '../contract.js';
import type { AwsWorld } from './fixtures.js';
import { awsClaim, awsNodePool, awsProvider, ec2NodeClass, NodeClasses, startAwsWorld } from './fixtures.js';

const world: Promise<AwsWorld> = startAwsWorld();
world.catch(() => undefined);
after(async () => {
  await (await world.catch(() => undefined))?.moto.stop();
});

cloudProviderContract('aws (moto)', async () => {
  const w = await world;
  const pool = awsNodePool();
  return {
    provider: awsProvider(w, new NodeClasses(ec2NodeClass())),
    nodePool: pool,
    makeClaim: (o = {}) => awsClaim(pool, o),
    unknownProviderID: 'aws:///us-east-1a/i-0123456789abcdef0',
    cleanup: () => Promise.resolve(),
  };
});
