/**
 * karpenter.kwok.sh/v1alpha1 KWOKNodeClass: the node class of the kwok provider, whose nodes are
 * Node objects with no machine behind them. Minimal on purpose: how long a launched node takes to
 * register is the only setting.
 */
import type { Condition, KubeObject } from '../core.js';
import { KWOK_GROUP } from '../labels.js';

export const GROUP = KWOK_GROUP;
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'KWOKNodeClass';

export interface KWOKNodeClassSpec {
  /** How long after launch the fake Node object appears ("30s", "1m"); the provider's default when absent. */
  nodeRegistrationDelay?: string;
}

export interface KWOKNodeClassStatus {
  conditions?: Condition[];
}

export interface KWOKNodeClass extends KubeObject {
  apiVersion?: typeof API_VERSION;
  kind?: typeof KIND;
  spec?: KWOKNodeClassSpec;
  status?: KWOKNodeClassStatus;
}
