/** Small text helpers for decision records and logs. */
import type { Candidate, Replacement } from './types.js';

/** "$0.192/h". */
export function usd(perHour: number): string {
  return `$${perHour.toFixed(perHour < 1 ? 4 : 2)}/h`;
}

/** "a, b and 3 more". */
export function nameList(names: readonly string[], max = 5): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** "node-a (m5.large, on-demand, $0.0960/h)". */
export function describeCandidate(c: Candidate): string {
  const price = c.price === undefined ? 'price unknown' : usd(c.price);
  return `${c.nodeName} (${c.instanceType ?? '?'}, ${c.capacityType ?? '?'}, ${price})`;
}

/** "1 NodeClaim of c-2x-amd64-linux|… from $0.0500/h". */
export function describeReplacements(rs: readonly Replacement[]): string {
  return rs.map((r) => {
    const types = r.instanceTypeOptions.map((o) => o.instanceType.name);
    return `a ${r.nodePool} NodeClaim (${nameList(types, 3)}) from ${usd(r.pricePerHour)}`;
  }).join('; ');
}

/** "3 pods". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
