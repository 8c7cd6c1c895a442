/**
 * Test helpers for provisioning and binding on the embedded cluster: pods marked Unschedulable the
 * way kube-scheduler would, and a stand-in for the NodeClaim lifecycle that launches a claim and
 * registers its Node (the real lifecycle controller is tested on its own).
 */
import type { Node, Pod, Taint } from '../../apis/core.js';
import { HOSTNAME_LABEL, INITIALIZED_LABEL, INSTANCE_TYPE_LABEL, REGISTERED_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import type { TestEnv } from '../../test/env.js';
import type { PodOptions } from '../../test/builders.js';
import { pod } from '../../test/builders.js';
import { formatKubeTime } from '../../utils/clock.js';
import { resourcesToQuantities, subtractResources } from '../../utils/resources.js';

/** Creates the pod and marks it PodScheduled=False/Unschedulable (unless `unschedulable: false`). */
export async function pendingPod(env: TestEnv, o: PodOptions & { unschedulable?: boolean } = {}): Promise<Pod> {
  const created = await env.kube.create('Pod', pod(o));
  if (o.unschedulable === false) return created;
  return env.kube.patchStatus('Pod', created.metadata.name!, {
    status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/0 nodes are available' }] },
  }, created.metadata.namespace);
}

export async function nodeClaims(env: TestEnv): Promise<NodeClaim[]> {
  return (await env.kube.list('NodeClaim')).items.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

export interface RegisterOptions {
  /** Node Ready condition (default true). */
  ready?: boolean;
  /** Claim Initialized and the initialized label (default true). */
  initialized?: boolean;
  /** Taints on the Node beside the claim's own taints. */
  extraTaints?: Taint[];
  /** The instance type to launch (default: the first the claim allows). */
  instanceType?: string;
}

/**
 * Launches the claim as the lifecycle controller would (status, labels) and registers its Node
 * (named like the claim, joined by providerID) with the claim's taints and startup taints.
 * @throws Error when the claim allows no instance type of the catalogue.
 */
export async function launchAndRegister(env: TestEnv, claimName: string, catalogue: readonly InstanceType[], o: RegisterOptions = {}): Promise<Node> {
  const claim = await env.kube.get('NodeClaim', claimName);
  const allowed = claim.spec.requirements.find((r) => r.key === INSTANCE_TYPE_LABEL && r.operator === 'In')?.values ?? [];
  const typeName = o.instanceType ?? allowed[0];
  const type = catalogue.find((t) => t.name === typeName);
  if (!type) throw new Error(`launching ${claimName}: no instance type ${typeName ?? '(none allowed)'} in the catalogue`);
  const allocatable = resourcesToQuantities(subtractResources(type.capacity, type.overhead));
  const capacity = resourcesToQuantities(type.capacity);
  const providerID = `test:///${claimName}`;
  const initialized = o.initialized ?? true;
  const now = formatKubeTime(env.clock.now());
  const cond = (type: string, status: boolean): { type: string; status: 'True' | 'False'; lastTransitionTime: string } =>
    ({ type, status: status ? 'True' : 'False', lastTransitionTime: now });
  const labels = {
    ...(claim.metadata.labels ?? {}), [INSTANCE_TYPE_LABEL]: type.name, [ZONE_LABEL]: type.offerings[0]?.zone ?? 'zone-a',
    [HOSTNAME_LABEL]: claimName, [REGISTERED_LABEL]: 'true', ...(initialized ? { [INITIALIZED_LABEL]: 'true' } : {}),
  };
  await env.kube.patch('NodeClaim', claimName, { metadata: { labels } });
  await env.kube.patchStatus('NodeClaim', claimName, {
    status: {
      providerID, capacity, allocatable, nodeName: claimName,
      conditions: [cond('Launched', true), cond('Registered', true), cond('Initialized', initialized)],
    },
  });
  return env.kube.create('Node', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: claimName, labels },
    spec: { providerID, taints: [...(claim.spec.taints ?? []), ...(claim.spec.startupTaints ?? []), ...(o.extraTaints ?? [])] },
    status: { capacity, allocatable, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  });
}
