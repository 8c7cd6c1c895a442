import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_KINDS, KINDS } from '../kinds.js';
import { collectionPath, fieldSelectorString, labelSelectorString, objectPath } from './paths.js';

describe('API paths', () => {
  it('puts the core group under /api and the others under /apis/<group>', () => {
    assert.equal(collectionPath(KINDS.Pod, 'ns'), '/api/v1/namespaces/ns/pods');
    assert.equal(collectionPath(KINDS.Deployment, 'ns'), '/apis/apps/v1/namespaces/ns/deployments');
    assert.equal(collectionPath(KINDS.NodePool), '/apis/karpenter.sh/v1/nodepools');
  });

  it('lists namespaced kinds across namespaces without one, and ignores it for cluster-scoped kinds', () => {
    assert.equal(collectionPath(KINDS.Event), '/apis/events.k8s.io/v1/events');
    assert.equal(collectionPath(KINDS.StorageClass, 'ns'), '/apis/storage.k8s.io/v1/storageclasses');
  });

  it('addresses objects in "default" when no namespace is given, and their subresources', () => {
    assert.equal(objectPath(KINDS.Pod, 'web', undefined), '/api/v1/namespaces/default/pods/web');
    assert.equal(objectPath(KINDS.Pod, 'web', 'ns', 'eviction'), '/api/v1/namespaces/ns/pods/web/eviction');
    assert.equal(objectPath(KINDS.NodeClaim, 'c', 'ns', 'status'), '/apis/karpenter.sh/v1/nodeclaims/c/status');
    assert.equal(objectPath(KINDS.Node, 'a/b', undefined), '/api/v1/nodes/a%2Fb');
  });

  it('gives every kind a distinct collection', () => {
    const paths = ALL_KINDS.map((k) => collectionPath(KINDS[k]));
    assert.equal(new Set(paths).size, ALL_KINDS.length);
  });
});

describe('selectors as query strings', () => {
  it('writes labels and every operator the API knows', () => {
    assert.equal(labelSelectorString({
      matchLabels: { app: 'web', tier: 'front' },
      matchExpressions: [
        { key: 'zone', operator: 'In', values: ['a', 'b'] }, { key: 'arch', operator: 'NotIn', values: ['arm64'] },
        { key: 'gpu', operator: 'Exists' }, { key: 'legacy', operator: 'DoesNotExist' },
      ],
    }), 'app=web,tier=front,zone in (a,b),arch notin (arm64),gpu,!legacy');
  });

  it('leaves out a selector that selects everything', () => {
    assert.equal(labelSelectorString(undefined), undefined);
    assert.equal(labelSelectorString({}), undefined);
    assert.equal(labelSelectorString({ matchLabels: {}, matchExpressions: [] }), undefined);
    assert.equal(fieldSelectorString({}), undefined);
  });

  it('refuses an unknown operator', () => {
    assert.throws(() => labelSelectorString({ matchExpressions: [{ key: 'k', operator: 'Gt', values: ['1'] }] }), /unknown operator "Gt"/);
  });

  it('writes field selectors, an empty value for an unset field, escaping separators', () => {
    assert.equal(fieldSelectorString({ 'spec.nodeName': '', 'metadata.namespace': 'ns' }), 'spec.nodeName=,metadata.namespace=ns');
    assert.equal(fieldSelectorString({ 'metadata.name': 'a,b=c\\d' }), 'metadata.name=a\\,b\\=c\\\\d');
  });
});
