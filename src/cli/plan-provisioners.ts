/**
 * v1alpha5 Provisioners in `plan` input: validated, converted to NodePools, and their conversion
 * warnings located at the Provisioner they came from.
 */
import type { Manifest, ManifestProblem } from '../apis/manifests.js';
import { problemAt } from '../apis/manifests.js';
import { convertProvisioner } from '../apis/v1alpha5/convert.js';
import type { Provisioner } from '../apis/v1alpha5/types.js';
import { validateProvisioner } from '../apis/v1alpha5/validation.js';
import type { NodePool } from '../apis/v1/types.js';
import { validateNodePool } from '../apis/v1/validation.js';

/**
 * The NodePool of each valid Provisioner. Problems: every validation problem of a Provisioner
 * (errors), every conversion warning (warnings), and any problem of the converted NodePool (errors,
 * reported at the Provisioner, with the NodePool's field path). Never throws for bad input.
 */
export function convertProvisioners(provisioners: readonly Manifest<Provisioner>[]): {
  nodePools: { manifest: Manifest<NodePool>; nodePool: NodePool }[];
  problems: ManifestProblem[];
} {
  const nodePools: { manifest: Manifest<NodePool>; nodePool: NodePool }[] = [];
  const problems: ManifestProblem[] = [];
  for (const manifest of provisioners) {
    const found = validateProvisioner(manifest.object);
    for (const p of found) problems.push(problemAt(manifest, p.path, p.message));
    if (found.length > 0) continue;
    const { nodePool, warnings } = convertProvisioner(manifest.object);
    for (const w of warnings) problems.push(problemAt(manifest, '', `converted to NodePool ${nodePool.metadata.name ?? ''}: ${w}`, 'warning'));
    const invalid = validateNodePool(nodePool);
    for (const p of invalid) problems.push(problemAt(manifest, '', `the NodePool converted from it is invalid at ${p.path}: ${p.message}`));
    // Problems are located at the Provisioner; the NodePool keeps its source for duplicate-name reports.
    if (invalid.length === 0) nodePools.push({ manifest: { object: nodePool, source: manifest.source }, nodePool });
  }
  return { nodePools, problems };
}
