import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { objectSchema } from './crd.js';
import { allKinds, generateCrds } from './index.js';
import { validateAgainstSchema } from './schema-validate.js';
import type { JSONSchemaProps } from './schema.js';

const GENERATED = fileURLToPath(new URL('./generated/', import.meta.url));

describe('generated CRD files', () => {
  it('are exactly what the generator produces (run `npx tsx scripts/gen-crds.ts` after changing a schema)', () => {
    const files = generateCrds();
    assert.deepEqual(readdirSync(GENERATED).filter((f) => f.endsWith('.yaml')).sort(), files.map((f) => f.fileName).sort());
    for (const { fileName, yaml } of files) {
      assert.equal(readFileSync(GENERATED + fileName, 'utf8'), yaml, `${fileName} is stale`);
    }
  });

  it('parse back to the CRD objects, and generation is deterministic', () => {
    for (const { yaml, crd } of generateCrds()) assert.deepEqual(parse(yaml), crd);
    assert.deepEqual(generateCrds(), generateCrds());
  });
});

/** Every schema node with its path, depth first. */
function* nodes(schema: JSONSchemaProps, path = ''): Generator<[string, JSONSchemaProps]> {
  yield [path, schema];
  for (const [name, child] of Object.entries(schema.properties ?? {})) yield* nodes(child, `${path}.${name}`);
  if (schema.items) yield* nodes(schema.items, `${path}[]`);
  if (schema.additionalProperties) yield* nodes(schema.additionalProperties, `${path}{}`);
}

describe('schemas are structural and self-consistent', () => {
  for (const def of allKinds()) {
    const schema = objectSchema(def);
    it(`${def.kind}: every node has a type, every default passes its own schema, every rule is well formed`, () => {
      for (const [path, node] of nodes(schema)) {
        assert.ok(node.type !== undefined || node['x-kubernetes-int-or-string'], `${path} has no type`);
        for (const name of node.required ?? []) assert.ok(node.properties?.[name], `${path} requires unknown ${name}`);
        if (node.default !== undefined) assert.deepEqual(validateAgainstSchema(node, node.default), [], `default at ${path}`);
        for (const r of node['x-kubernetes-validations'] ?? []) {
          assert.ok(r.rule.length > 0 && r.message.length > 0, path);
          assert.equal(r.transition, /\boldSelf\b/.test(r.rule), `${path}: "${r.rule}" and its predicate disagree on oldSelf`);
          if (r.fieldPath !== undefined) assert.ok(node.properties?.[r.fieldPath.slice(1)], `${path}: fieldPath ${r.fieldPath}`);
        }
        if (node.pattern !== undefined) new RegExp(node.pattern, 'u'); // compiles
      }
    });
  }

  it('NodePool and NodeClaim carry the printer columns kubectl users expect', () => {
    const columns = Object.fromEntries(
      generateCrds().map(({ crd }) => {
        const version = (crd.spec.versions as { additionalPrinterColumns: { name: string; priority?: number }[] }[])[0]!;
        return [crd.metadata.name, version.additionalPrinterColumns.filter((c) => !c.priority).map((c) => c.name)];
      }),
    );
    assert.deepEqual(columns['nodepools.karpenter.sh'], ['NodeClass', 'Nodes', 'Ready', 'Age']);
    assert.deepEqual(columns['nodeclaims.karpenter.sh'], ['Type', 'Capacity', 'Zone', 'Node', 'Ready', 'Age']);
    assert.deepEqual(columns['ec2nodeclasses.karpenter.k8s.aws'], ['Ready', 'Age']);
  });

  it('every CRD has the status subresource, the karpenter category and short names', () => {
    for (const { crd } of generateCrds()) {
      const spec = crd.spec as { names: { categories: string[]; shortNames: string[] }; versions: { subresources: unknown }[] };
      assert.deepEqual(spec.versions[0]!.subresources, { status: {} });
      assert.deepEqual(spec.names.categories, ['karpenter']);
      assert.ok(spec.names.shortNames.length > 0);
    }
  });
});
