/**
 * Questions the scenario reader asks of the catalogue: which types a glob names, which types and
 * offerings a NodePool can launch (by the same requirement rules the solver uses).
 */
import { CAPACITY_TYPE_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import type { NodePool } from '../../apis/v1/types.js';
import type { InstanceType, Offering } from '../../cloudprovider/types.js';
import { poolRequirements } from '../../scheduling/node-pool-template.js';
import { Requirement, Requirements } from '../../scheduling/requirements.js';

/**
 * Whether `name` matches the glob: `*` any run of characters, `?` one character, everything else
 * literal. A pattern without wildcards matches only itself. Linear-time (no regular expression, so
 * no backtracking blow-up on patterns like "*a*a*a*a*").
 */
export function globMatches(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === '?' || (pattern[p] !== '*' && pattern[p] === name[n]))) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      // Let the star match nothing for now; come back and let it take one more character on a mismatch.
      star = p++;
      resume = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** The names of `types` the glob matches, in catalogue order. */
export function typesMatching(pattern: string, types: readonly InstanceType[]): string[] {
  return types.filter((t) => globMatches(pattern, t.name)).map((t) => t.name);
}

/** An instance type a NodePool can launch, with the offerings its requirements allow, cheapest first. */
export interface PoolOption {
  readonly instanceType: InstanceType;
  readonly offerings: readonly Offering[];
}

/**
 * The types of `types` a (valid) NodePool can launch: their labels intersect the pool's
 * requirements and at least one available offering is in an allowed zone and capacity type.
 * @throws RequirementError only for requirements validateNodePool would have rejected.
 */
export function poolOptions(nodePool: NodePool, types: readonly InstanceType[]): PoolOption[] {
  const requirements = poolRequirements({ nodePool, instanceTypes: types });
  const zones = requirements.get(ZONE_LABEL);
  const capacityTypes = requirements.get(CAPACITY_TYPE_LABEL);
  const out: PoolOption[] = [];
  for (const instanceType of types) {
    const typeRequirements = new Requirements();
    for (const [key, values] of Object.entries(instanceType.requirements)) typeRequirements.add(Requirement.in(key, values));
    if (requirements.intersects(typeRequirements) !== undefined) continue;
    const offerings = instanceType.offerings
      .filter((o) => o.available && (zones?.has(o.zone) ?? true) && (capacityTypes?.has(o.capacityType) ?? true))
      .sort((a, b) => a.price - b.price);
    if (offerings.length > 0) out.push({ instanceType, offerings });
  }
  return out;
}
