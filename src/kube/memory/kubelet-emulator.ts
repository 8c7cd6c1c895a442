/**
 * Finishes graceful pod deletions the way a kubelet would: once a terminating pod's grace period
 * (or a shorter configured shutdown time) has passed, its deletion completes. Without this, pods
 * deleted or evicted from nodes of the embedded cluster would stay Terminating forever.
 */
import type { Clock } from '../../utils/clock.js';
import { isNotFound } from '../errors.js';
import type { Change, ObjectStore } from './object-store.js';
import { keyOfStored } from './object-store.js';
import type { ObjectWriter } from './writer.js';

interface Pending {
  uid: string;
  at: number;
  cancel: () => void;
}

export class KubeletEmulator {
  readonly #pending = new Map<string, Pending>();

  /** @param shutdownMs upper bound on how long a pod takes to stop (Infinity: its full grace period). */
  constructor(readonly store: ObjectStore, readonly clock: Clock, readonly writer: ObjectWriter, readonly shutdownMs: number) {
    store.subscribe((c) => this.#onChange(c));
  }

  /** Pods waiting for their deletion to complete. */
  get terminating(): number {
    return this.#pending.size;
  }

  #onChange(c: Change): void {
    if (c.kind !== 'Pod') return;
    const key = keyOfStored('Pod', c.object);
    const meta = c.object.metadata;
    const existing = this.#pending.get(key);
    const terminating = c.type !== 'DELETED' && !!meta.deletionTimestamp && (meta.deletionGracePeriodSeconds ?? 0) > 0;
    if (existing && (!terminating || existing.uid !== meta.uid)) {
      existing.cancel();
      this.#pending.delete(key);
    }
    if (!terminating) return;
    const now = this.clock.now();
    const at = now + Math.min((meta.deletionGracePeriodSeconds ?? 0) * 1000, this.shutdownMs);
    const current = this.#pending.get(key);
    if (current && current.at <= at) return;
    current?.cancel();
    const uid = meta.uid ?? '';
    const cancel = this.clock.setTimer(at - now, () => this.#finish(key, uid));
    this.#pending.set(key, { uid, at, cancel });
  }

  #finish(key: string, uid: string): void {
    this.#pending.delete(key);
    const pod = this.store.get('Pod', key);
    if (!pod || pod.metadata.uid !== uid) return;
    try {
      this.writer.delete('Pod', pod.metadata.name ?? '', pod.metadata.namespace, { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Cancels every pending completion (the client is being closed). */
  stop(): void {
    for (const p of this.#pending.values()) p.cancel();
    this.#pending.clear();
  }
}
