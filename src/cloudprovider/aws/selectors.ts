/**
 * EC2NodeClass selector terms as EC2 Describe* filters. Terms are alternatives (one call each, the
 * results joined); the fields of one term must all match (filters of one call).
 */
import type { Filter } from '@aws-sdk/client-ec2';
import type { AMISelectorTerm, SecurityGroupSelectorTerm, SubnetSelectorTerm, TagSelector } from '../../apis/ec2nodeclass/types.js';

/** "*" matches any value of the key (tag-key filter); other values match exactly. */
export function tagFilters(tags: TagSelector | undefined): Filter[] {
  return Object.entries(tags ?? {}).map(([key, value]) =>
    value === '*' ? { Name: 'tag-key', Values: [key] } : { Name: `tag:${key}`, Values: [value] });
}

export function subnetFilters(term: SubnetSelectorTerm): Filter[] {
  return [...(term.id === undefined ? [] : [{ Name: 'subnet-id', Values: [term.id] }]), ...tagFilters(term.tags)];
}

export function securityGroupFilters(term: SecurityGroupSelectorTerm): Filter[] {
  return [
    ...(term.id === undefined ? [] : [{ Name: 'group-id', Values: [term.id] }]),
    ...(term.name === undefined ? [] : [{ Name: 'group-name', Values: [term.name] }]),
    ...tagFilters(term.tags),
  ];
}

/** Owners searched when a name or tag term names none (Karpenter's default). */
export const DEFAULT_AMI_OWNERS: readonly string[] = ['self', 'amazon'];

/** DescribeImages input for a non-alias term: filters, and owners unless the term is an id. */
export function amiQuery(term: AMISelectorTerm): { filters: Filter[]; owners: string[] | undefined } {
  const filters: Filter[] = [
    ...(term.id === undefined ? [] : [{ Name: 'image-id', Values: [term.id] }]),
    ...(term.name === undefined ? [] : [{ Name: 'name', Values: [term.name] }]),
    ...tagFilters(term.tags),
    { Name: 'state', Values: ['available'] },
  ];
  const owners = term.owner !== undefined ? [term.owner] : term.id !== undefined ? undefined : [...DEFAULT_AMI_OWNERS];
  return { filters, owners };
}
