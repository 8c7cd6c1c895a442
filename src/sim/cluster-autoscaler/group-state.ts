/**
 * Each node group as one pass of the Cluster Autoscaler sees it: its target size (from the group
 * cache), the registered nodes it knows belong to it, how many of them are ready, how many nodes
 * are still upcoming (target − registered), and its template node.
 */
import type { InstanceType } from '../../cloudprovider/types.js';
import type { NodeGroupSpec } from '../scenario/types.js';
import type { ClusterView } from './cluster-view.js';
import type { ViewNode } from './view-node.js';
import type { GroupCache } from './group-cache.js';
import type { GroupTemplate } from './templates.js';
import { cloudTemplate, nodeTemplate, TemplateError } from './templates.js';

export interface GroupState {
  readonly spec: NodeGroupSpec;
  readonly target: number;
  /** Registered nodes of the group (by the cache's instance list), by name. */
  readonly nodes: readonly ViewNode[];
  readonly ready: number;
  /** Nodes asked for that have not registered yet. */
  readonly upcoming: number;
  /** Undefined when it cannot be built (then `templateError` says why). */
  readonly template: GroupTemplate | undefined;
  readonly templateError?: string;
}

export interface PassGroups {
  readonly groups: readonly GroupState[];
  readonly byName: ReadonlyMap<string, GroupState>;
  /** The group of each registered node the autoscaler knows. */
  readonly groupOfNode: ReadonlyMap<string, string>;
}

/** Builds templates, reusing one while its source node and the DaemonSets are unchanged. */
export class TemplateCache {
  readonly #types: readonly InstanceType[];
  readonly #cache = new Map<string, { key: string; template: GroupTemplate }>();

  constructor(instanceTypes: readonly InstanceType[]) {
    this.#types = instanceTypes;
  }

  /** @throws TemplateError when the group's launch configuration names an offering the catalogue lacks. */
  template(spec: NodeGroupSpec, example: ViewNode | undefined, view: ClusterView): GroupTemplate {
    const key = `${view.daemonSetGeneration}|${example ? `${example.name}@${example.node.metadata.resourceVersion ?? ''}` : 'cloud'}`;
    const hit = this.#cache.get(spec.name);
    if (hit?.key === key) return hit.template;
    const daemonSets = view.daemonSets();
    const template = example ? nodeTemplate(spec, example, this.#types, daemonSets) : cloudTemplate(spec, this.#types, daemonSets);
    this.#cache.set(spec.name, { key, template });
    return template;
  }
}

interface Membership {
  readonly members: ReadonlyMap<string, readonly ViewNode[]>;
  readonly groupOfNode: ReadonlyMap<string, string>;
}

/** Per node list (shared by the view until a node changes): the membership, for one cache version. */
const memberships = new WeakMap<readonly ViewNode[], { cache: GroupCache; version: number; membership: Membership }>();

/** The registered nodes of each group, and each node's group. */
function membership(nodes: readonly ViewNode[], cache: GroupCache): Membership {
  const hit = memberships.get(nodes);
  if (hit?.cache === cache && hit.version === cache.membershipVersion) return hit.membership;
  const members = new Map<string, ViewNode[]>();
  const groupOfNode = new Map<string, string>();
  for (const v of nodes) {
    const group = cache.groupForProviderID(v.node.spec?.providerID);
    if (group === undefined) continue;
    groupOfNode.set(v.name, group);
    const list = members.get(group);
    if (list) list.push(v);
    else members.set(group, [v]);
  }
  const m = { members, groupOfNode };
  memberships.set(nodes, { cache, version: cache.membershipVersion, membership: m });
  return m;
}

/** The groups at the start of a pass. */
export function groupStates(specs: readonly NodeGroupSpec[], cache: GroupCache, view: ClusterView, templates: TemplateCache): PassGroups {
  const { members, groupOfNode } = membership(view.nodes(), cache);
  const groups = specs.map((spec): GroupState => {
    const nodes = members.get(spec.name) ?? [];
    const target = cache.targetSize(spec.name);
    const example = nodes.find((n) => n.ready && !n.deleting);
    let template: GroupTemplate | undefined;
    let templateError: string | undefined;
    try {
      template = templates.template(spec, example, view);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      templateError = e.message;
    }
    return {
      spec, target, nodes, ready: nodes.filter((n) => n.ready).length, upcoming: Math.max(0, target - nodes.length), template,
      ...(templateError !== undefined ? { templateError } : {}),
    };
  });
  return { groups, byName: new Map(groups.map((g) => [g.spec.name, g])), groupOfNode };
}
