/**
 * Fault injection for chaos tests of the controllers on the embedded cluster: make chosen writes
 * fail, drop watch connections, or forget watch history so that re-watching gets 410 Gone.
 */
import { KubeError } from '../errors.js';
import type { Kind } from '../kinds.js';

export type WriteVerb = 'create' | 'update' | 'patch' | 'patchStatus' | 'delete' | 'bind' | 'evict' | 'recordEvent';

export interface WriteFault {
  /** Fail the nth matching write from now (1 = the next one). Default 1. */
  nth?: number;
  /** Only writes with this verb (default: any). */
  verb?: WriteVerb;
  /** Only writes to this kind (default: any). */
  kind?: Kind;
  /** The error to throw (default: a Conflict, as a racing writer would cause). */
  error?: (verb: WriteVerb, kind: Kind, name: string) => KubeError;
}

interface Rule {
  remaining: number;
  fault: WriteFault;
}

export class WriteFaults {
  #rules: Rule[] = [];

  /** Arms a one-shot fault. */
  add(fault: WriteFault = {}): void {
    const nth = fault.nth ?? 1;
    if (!Number.isInteger(nth) || nth < 1) throw new RangeError(`injecting a write fault: nth must be an integer >= 1, got ${nth}`);
    this.#rules.push({ remaining: nth, fault });
  }

  /** Faults armed and not yet fired. */
  get armed(): number {
    return this.#rules.length;
  }

  clear(): void {
    this.#rules = [];
  }

  /** Called before each write; throws the injected error when a rule fires. */
  check(verb: WriteVerb, kind: Kind, name: string): void {
    let fired: Rule | undefined;
    for (const rule of this.#rules) {
      const f = rule.fault;
      if ((f.verb && f.verb !== verb) || (f.kind && f.kind !== kind)) continue;
      rule.remaining--;
      if (rule.remaining > 0) continue;
      if (!fired) fired = rule;
      else rule.remaining = 1; // one fault per write: the other fires on the next match
    }
    this.#rules = this.#rules.filter((r) => r.remaining > 0);
    if (!fired) return;
    throw fired.fault.error?.(verb, kind, name)
      ?? new KubeError('Conflict', `Operation cannot be fulfilled on ${kind} "${name}": injected fault (${verb})`, { kind, name });
  }
}
