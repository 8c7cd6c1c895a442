/**
 * A CloudProvider decorator that times every call and counts failures by error type
 * (karpenter_cloudprovider_duration_seconds / _errors_total), passing results and errors through
 * unchanged.
 */
import type { NodeClaim, NodePool } from '../apis/v1/types.js';
import type { CloudProvider } from '../cloudprovider/cloud-provider.js';
import type { InstanceType } from '../cloudprovider/types.js';
import type { Metrics } from '../controllers/metrics.js';
import type { Clock } from '../utils/clock.js';

export class MeteredCloudProvider implements CloudProvider {
  readonly #inner: CloudProvider;
  readonly #metrics: Metrics;
  readonly #clock: Clock;

  constructor(inner: CloudProvider, metrics: Metrics, clock: Clock) {
    this.#inner = inner;
    this.#metrics = metrics;
    this.#clock = clock;
  }

  get name(): string {
    return this.#inner.name;
  }

  create(nodeClaim: NodeClaim): Promise<NodeClaim> {
    return this.#timed('Create', () => this.#inner.create(nodeClaim));
  }

  delete(nodeClaim: NodeClaim): Promise<void> {
    return this.#timed('Delete', () => this.#inner.delete(nodeClaim));
  }

  get(providerID: string): Promise<NodeClaim> {
    return this.#timed('Get', () => this.#inner.get(providerID));
  }

  list(): Promise<NodeClaim[]> {
    return this.#timed('List', () => this.#inner.list());
  }

  getInstanceTypes(nodePool: NodePool): Promise<InstanceType[]> {
    return this.#timed('GetInstanceTypes', () => this.#inner.getInstanceTypes(nodePool));
  }

  isDrifted(nodeClaim: NodeClaim): Promise<string | undefined> {
    return this.#timed('IsDrifted', () => this.#inner.isDrifted(nodeClaim));
  }

  async #timed<T>(method: string, call: () => Promise<T>): Promise<T> {
    const start = this.#clock.now();
    try {
      const result = await call();
      this.#metrics.cloudProviderCall(method, this.#inner.name, (this.#clock.now() - start) / 1000);
      return result;
    } catch (e) {
      const type = e instanceof Error ? e.name : typeof e;
      this.#metrics.cloudProviderCall(method, this.#inner.name, (this.#clock.now() - start) / 1000, type);
      throw e;
    }
  }
}
