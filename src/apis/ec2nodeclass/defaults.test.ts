import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { resourceValidator } from '../crds/validate-resource.js';
import { applySchemaDefaults } from '../crds/schema-validate.js';
import { validEC2NodeClass } from './cases.js';
import { DEFAULT_METADATA_OPTIONS, aliasFamily, resolveAMIFamily, withEC2NodeClassDefaults } from './defaults.js';
import { ec2NodeClassKind } from './schema.js';

const SCHEMA = resourceValidator(ec2NodeClassKind()).schema;

describe('EC2NodeClass defaults', () => {
  it('default to IMDSv2 required, hop limit 1, IPv6 endpoint off', () => {
    const nc = validEC2NodeClass();
    assert.deepEqual(withEC2NodeClassDefaults(nc).spec.metadataOptions, {
      httpEndpoint: 'enabled',
      httpProtocolIPv6: 'disabled',
      httpPutResponseHopLimit: 1,
      httpTokens: 'required',
    });
    assert.equal(nc.spec.metadataOptions, undefined, 'input untouched');
  });

  it('the CRD schema applies the same defaults, field by field, for any partial metadataOptions', () => {
    const partial = fc.record(
      {
        httpEndpoint: fc.constantFrom('enabled', 'disabled'),
        httpProtocolIPv6: fc.constantFrom('enabled', 'disabled'),
        httpPutResponseHopLimit: fc.integer({ min: 1, max: 64 }),
        httpTokens: fc.constantFrom('required', 'optional'),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.option(partial, { nil: undefined }), (options) => {
        const nc = validEC2NodeClass();
        if (options !== undefined) nc.spec.metadataOptions = options;
        assert.deepEqual(applySchemaDefaults(SCHEMA, nc), withEC2NodeClassDefaults(nc));
      }),
      { numRuns: 100 },
    );
    assert.deepEqual(applySchemaDefaults(SCHEMA, validEC2NodeClass()).spec.metadataOptions, { ...DEFAULT_METADATA_OPTIONS });
  });

  it('resolves the AMI family from amiFamily, else from the alias', () => {
    assert.equal(aliasFamily('al2023@latest'), 'AL2023');
    assert.equal(aliasFamily('bottlerocket@v1.20.0'), 'Bottlerocket');
    assert.equal(aliasFamily('custom@latest'), undefined);
    assert.equal(resolveAMIFamily({ amiSelectorTerms: [{ alias: 'windows2022@latest' }] }), 'Windows2022');
    assert.equal(resolveAMIFamily({ amiFamily: 'Custom', amiSelectorTerms: [{ alias: 'al2@latest' }] }), 'Custom');
    assert.equal(resolveAMIFamily({ amiSelectorTerms: [{ id: 'ami-1' }] }), undefined);
  });
});
