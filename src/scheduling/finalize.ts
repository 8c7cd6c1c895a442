/**
 * Turns the planned claims into the solver's output: the instance-type options of each claim
 * (cheapest first, truncated without breaking minValues), its price, and a last check of NodePool
 * limits against what the claims will actually launch.
 */
import { HOSTNAME_LABEL, INSTANCE_TYPE_LABEL } from '../apis/labels.js';
import type { NodePoolTemplate } from './node-pool-template.js';
import type { CompiledOption, OfferingIndex } from './offering-index.js';
import type { ResourceSpace } from './resource-space.js';
import type { ClaimSlot } from './slots.js';
import type { InstanceTypeOption, PlannedNodeClaim, UnschedulablePod } from './types.js';

type Option = CompiledOption;

/** Keeps the cheapest `max` options, and more if minValues needs them. */
function truncate(options: readonly Option[], claim: ClaimSlot, max: number): Option[] {
  if (options.length <= max) return options as Option[];
  const kept = options.slice(0, max);
  for (const r of claim.requirements.values()) {
    if (r.minValues === undefined) continue;
    const seen = new Set<string>();
    const note = (o: Option): void => {
      for (const v of o.type.requirements.get(r.key)?.values ?? []) if (r.has(v)) seen.add(v);
    };
    kept.forEach(note);
    for (let i = max; i < options.length && seen.size < r.minValues; i++) {
      const o = options[i]!;
      const before = seen.size;
      note(o);
      if (seen.size > before && !kept.includes(o)) kept.push(o);
    }
  }
  return kept;
}

export function finalizeClaims(
  space: ResourceSpace,
  claims: readonly ClaimSlot[],
  pools: readonly NodePoolTemplate[],
  maxInstanceTypes: number,
  index: OfferingIndex,
): { claims: PlannedNodeClaim[]; overLimit: UnschedulablePod[] } {
  const out: PlannedNodeClaim[] = [];
  const overLimit: UnschedulablePod[] = [];
  const left = new Map(pools.filter((p) => p.remaining).map((p) => [p, p.remaining!.slice()]));
  for (const claim of claims) {
    // Without minValues the cheapest maxInstanceTypes are all that is kept: collect no more.
    const minValues = [...claim.requirements.values()].some((r) => r.minValues !== undefined);
    const options = truncate(claim.options(index, minValues ? Infinity : maxInstanceTypes), claim, maxInstanceTypes);
    const cheapest = options[0];
    if (!cheapest) {
      for (const p of claim.pods) overLimit.push({ pod: p.pod, reason: `nodepool ${claim.pool.name}: no offering is available for the instance types that fit` });
      continue;
    }
    const budget = left.get(claim.pool);
    if (budget) {
      const cap = cheapest.type.capacity;
      let within = true;
      for (let i = 0; i < budget.length; i++) if (cap[i]! > budget[i]!) within = false;
      if (!within) {
        const over = space.exceeded(cap, budget).join(', ');
        for (const p of claim.pods) overLimit.push({ pod: p.pod, reason: `nodepool ${claim.pool.name} would exceed its limits (${over})` });
        continue;
      }
      for (let i = 0; i < budget.length; i++) budget[i]! -= cap[i]!;
    }
    const names = options.map((o) => o.instanceType.name);
    const typeReq = claim.requirements.get(INSTANCE_TYPE_LABEL);
    // Option order (cheapest first) is kept for the instance-type values: no need to sort hundreds of names.
    const requirements = claim.requirements.toSelectorRequirements().filter((r) => r.key !== HOSTNAME_LABEL && r.key !== INSTANCE_TYPE_LABEL);
    requirements.push({ key: INSTANCE_TYPE_LABEL, operator: 'In', values: typeReq ? names.filter((n) => typeReq.has(n)) : names });
    const instanceTypeOptions: InstanceTypeOption[] = options;
    out.push({
      hostname: claim.hostname,
      nodePool: claim.pool.name,
      requirements,
      instanceTypeOptions,
      pods: claim.pods.map((p) => p.pod),
      requests: space.list(claim.requests),
      daemonSetOverhead: space.list(claim.pool.daemonOverhead),
      pricePerHour: cheapest.price,
    });
  }
  return { claims: out, overLimit };
}
