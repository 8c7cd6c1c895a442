/**
 * SSM parameters read through GetParameters, cached on the Clock: a mutable parameter (one AWS
 * moves, such as the recommended EKS image) for a short while, an immutable one (a pinned
 * release) for long. A parameter that does not exist is remembered as absent for as long; a
 * failed call is not cached.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { GetParametersCommand } from '@aws-sdk/client-ssm';
import type { Clock } from '../../utils/clock.js';
import type { Retrier } from './retry.js';

/** How long a mutable parameter is reused: AWS publishes new recommended images every few weeks. */
export const DEFAULT_MUTABLE_PARAMETER_TTL_MS = 30 * 60_000;
/** How long an immutable parameter is reused. */
export const DEFAULT_IMMUTABLE_PARAMETER_TTL_MS = 24 * 60 * 60_000;
/** GetParameters takes at most ten names a call. */
const BATCH = 10;

export interface SsmParametersOptions {
  readonly ssm: SSMClient;
  readonly retry: Retrier;
  readonly clock: Clock;
  readonly mutableTtlMs?: number;
  readonly immutableTtlMs?: number;
}

/** Something that reads SSM parameters by name (SsmParameters, or a fake in unit tests). */
export interface ParameterSource {
  /**
   * The value of each name, undefined for a name SSM does not have.
   * @param mutable whether the values may change (cached for the shorter TTL).
   * @throws CloudProviderError when SSM fails (after retries for throttling and 5xx).
   */
  get(names: readonly string[], mutable: boolean): Promise<Map<string, string | undefined>>;
}

export class SsmParameters implements ParameterSource {
  readonly #o: SsmParametersOptions;
  readonly #cache = new Map<string, { at: number; ttl: number; value: string | undefined }>();
  /** SSM calls made (tests check the cache with it). */
  calls = 0;

  constructor(options: SsmParametersOptions) {
    this.#o = options;
  }

  async get(names: readonly string[], mutable: boolean): Promise<Map<string, string | undefined>> {
    const now = this.#o.clock.now();
    const ttl = mutable ? (this.#o.mutableTtlMs ?? DEFAULT_MUTABLE_PARAMETER_TTL_MS) : (this.#o.immutableTtlMs ?? DEFAULT_IMMUTABLE_PARAMETER_TTL_MS);
    const out = new Map<string, string | undefined>();
    const missing: string[] = [];
    for (const name of new Set(names)) {
      const hit = this.#cache.get(name);
      if (hit !== undefined && now - hit.at < hit.ttl) out.set(name, hit.value);
      else missing.push(name);
    }
    for (let i = 0; i < missing.length; i += BATCH) {
      const batch = missing.slice(i, i + BATCH);
      this.calls++;
      const reply = await this.#o.retry.run(`reading SSM parameters ${batch.join(', ')}`, () => this.#o.ssm.send(new GetParametersCommand({ Names: batch })));
      const found = new Map((reply.Parameters ?? []).flatMap((p) => (p.Name === undefined || p.Value === undefined ? [] : [[p.Name, p.Value] as const])));
      for (const name of batch) {
        const value = found.get(name);
        this.#cache.set(name, { at: now, ttl, value });
        out.set(name, value);
      }
    }
    return out;
  }

  /** Forgets every cached value. */
  invalidate(): void {
    this.#cache.clear();
  }
}
