/**
 * The KubeClient contract suite: node:test blocks that use only the KubeClient interface, so the
 * memory client and the real client (against a live kube-apiserver) are held to the same
 * behaviour. Each test gets a fresh client from `makeClient`, its own namespace and unique names
 * for cluster-scoped objects, and cleans up after itself.
 *
 * Usage, in an implementation's test file:
 *   kubeClientContract('memory', async () => ({ client, cleanup, advance, expireHistory }));
 * (advance and expireHistory are optional: see ContractHarness.)
 */
import { describe } from 'node:test';
import { crudContract } from './contract-crud.js';
import { podsContract } from './contract-pods.js';
import type { MakeHarness } from './contract-support.js';
import { watchContract } from './contract-watch.js';

export type { ContractHarness, MakeHarness } from './contract-support.js';

/** Registers the contract suite for one KubeClient implementation under `name`. */
export function kubeClientContract(name: string, makeClient: MakeHarness): void {
  void describe(`KubeClient contract: ${name}`, () => {
    crudContract(makeClient);
    watchContract(makeClient);
    podsContract(makeClient);
  });
}
