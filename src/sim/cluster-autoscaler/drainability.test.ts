import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodDisruptionBudget } from '../../apis/core.js';
import { pod } from '../../test/builders.js';
import { PdbTracker, podsToMove, SAFE_TO_EVICT_ANNOTATION, SAFE_TO_EVICT_LOCAL_VOLUMES_ANNOTATION } from './drainability.js';

const RULES = { skipNodesWithSystemPods: true, skipNodesWithLocalStorage: true };
const rs = (o: Parameters<typeof pod>[0] = {}): Pod => pod({ cpu: '1', ownerKind: 'ReplicaSet', ...o });
const budget = (app: string, allowed: number, namespace = 'default'): PodDisruptionBudget => ({
  metadata: { name: app, namespace }, spec: { selector: { matchLabels: { app } } }, status: { disruptionsAllowed: allowed },
});
const reason = (pods: Pod[], pdbs: PodDisruptionBudget[] = [], rules = RULES): string | undefined => {
  const r = podsToMove(pods, rules, new PdbTracker(pdbs));
  return 'blocker' in r ? r.blocker.reason : undefined;
};

describe('drainability', () => {
  it('moves controlled pods and leaves DaemonSet, mirror and finished pods behind', () => {
    const done = { ...rs({ name: 'done' }), status: { phase: 'Succeeded' as const } };
    const r = podsToMove([rs({ name: 'a' }), pod({ name: 'ds', ownerKind: 'DaemonSet' }), pod({ name: 'mirror', ownerKind: 'Node' }), done], RULES, new PdbTracker([]));
    assert.ok('pods' in r);
    assert.deepEqual(r.pods.map((p) => p.metadata.name), ['a']);
  });

  it('blocks on safe-to-evict "false", no controller, kube-system pods without a budget and local storage', () => {
    assert.equal(reason([rs({ annotations: { [SAFE_TO_EVICT_ANNOTATION]: 'false' } })]), 'not-safe-to-evict');
    assert.equal(reason([pod({ cpu: '1' })]), 'not-replicated');
    assert.equal(reason([rs({ namespace: 'kube-system', labels: { app: 'dns' } })]), 'unmovable-kube-system-pod');
    assert.equal(reason([rs({ namespace: 'kube-system', labels: { app: 'dns' } })], [budget('dns', 1, 'kube-system')]), undefined);
    assert.equal(reason([rs({ namespace: 'kube-system' })], [], { ...RULES, skipNodesWithSystemPods: false }), undefined);
    const scratch = { ...rs(), spec: { ...rs().spec, volumes: [{ name: 'scratch', emptyDir: {} }] } };
    assert.equal(reason([scratch]), 'local-storage');
    assert.equal(reason([scratch], [], { ...RULES, skipNodesWithLocalStorage: false }), undefined);
    const allowed = { ...scratch, metadata: { ...scratch.metadata, annotations: { [SAFE_TO_EVICT_LOCAL_VOLUMES_ANNOTATION]: 'scratch' } } };
    assert.equal(reason([allowed]), undefined);
    const host = { ...rs(), spec: { ...rs().spec, volumes: [{ name: 'logs', hostPath: { path: '/var/log' } }] } };
    const r = podsToMove([host], RULES, new PdbTracker([]));
    assert.ok('blocker' in r && /logs \(hostPath\)/.test(r.blocker.message));
  });

  it('safe-to-evict "true" makes any pod movable', () => {
    assert.equal(reason([pod({ namespace: 'kube-system', annotations: { [SAFE_TO_EVICT_ANNOTATION]: 'true' } })]), undefined);
  });

  it('counts PodDisruptionBudgets down across the nodes of a pass', () => {
    const tracker = new PdbTracker([budget('db', 2)]);
    const node1 = [rs({ labels: { app: 'db' } })];
    const node2 = [rs({ labels: { app: 'db' } }), rs({ labels: { app: 'db' } })];
    const first = podsToMove(node1, RULES, tracker);
    assert.ok('pods' in first);
    tracker.remove(first.pods);
    const second = podsToMove(node2, RULES, tracker);
    assert.ok('blocker' in second && second.blocker.reason === 'not-enough-pdb');
    assert.match(second.blocker.message, /PodDisruptionBudget default\/db allows no more disruptions/);
    assert.equal(reason([rs({ labels: { app: 'db' } })], [budget('db', 0)]), 'not-enough-pdb');
    assert.equal(reason([rs({ labels: { app: 'db' }, namespace: 'other' })], [budget('db', 0)]), undefined, 'budgets apply within their namespace');
  });
});
