import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CATALOG_NAMES, CatalogError, catalogByName, isCatalogName } from './index.js';

describe('catalogByName', () => {
  it('builds each named catalogue', () => {
    assert.equal(catalogByName('aws').length, 1345);
    assert.equal(catalogByName('karpenter-bench').length, 400);
    assert.equal(catalogByName('kwok').length, 72);
    assert.deepEqual([...CATALOG_NAMES], ['aws', 'karpenter-bench', 'kwok']);
    assert.ok(isCatalogName('kwok'));
    assert.ok(!isCatalogName('gcp'));
  });

  it('rejects an unknown name, listing the valid ones', () => {
    assert.throws(
      () => catalogByName('gcp'),
      (e: unknown) => e instanceof CatalogError && e.message === 'unknown instance catalogue "gcp": expected one of aws, karpenter-bench, kwok',
    );
  });
});
