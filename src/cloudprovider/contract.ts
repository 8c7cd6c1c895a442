/**
 * The CloudProvider contract suite: node:test blocks that use only the CloudProvider interface, so
 * sim, fake, kwok and aws are held to the same behaviour. Each test gets a fresh provider from the
 * setup function and deletes what it launched, whatever the outcome.
 *
 * Usage, in an implementation's test file:
 *   cloudProviderContract('sim', async () => ({ provider, nodePool, makeClaim, cleanup, advance, unknownProviderID }));
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResourceQuantities } from '../apis/core.js';
import { CAPACITY_TYPE_LABEL, INSTANCE_TYPE_LABEL, ZONE_LABEL } from '../apis/labels.js';
import type { NodeClaim, NodePool, NodeSelectorRequirementWithMinValues } from '../apis/v1/types.js';
import { RealClock } from '../utils/clock.js';
import { CPU, MEMORY } from '../utils/resources.js';
import type { CloudProvider } from './cloud-provider.js';
import { InsufficientCapacityError, NodeClaimNotFoundError } from './cloud-provider.js';
import { launchCandidates } from './launch.js';
import type { InstanceType } from './types.js';
import { CAPACITY_TYPES } from './types.js';

/** What an implementation hands the suite for one test. */
export interface CloudProviderHarness {
  provider: CloudProvider;
  /** The pool passed to getInstanceTypes. */
  nodePool: NodePool;
  /**
   * A new claim of the pool, with a name unique to the run, the given requirements added to the
   * pool's and the given requests. The pool's own requirements must leave some type launchable.
   */
  makeClaim(options?: { requirements?: NodeSelectorRequirementWithMinValues[]; requests?: ResourceQuantities }): NodeClaim;
  /** A provider ID in the provider's format that names no machine. */
  unknownProviderID: string;
  /** Releases what setup made (connections, leftover machines). */
  cleanup(): Promise<void>;
  /** For providers on a virtual clock: move time forward. Absent: the suite waits in real time. */
  advance?(ms: number): Promise<void>;
}

export type MakeCloudProviderHarness = () => Promise<CloudProviderHarness>;

const realClock = new RealClock();
/** Virtual time a launch or termination may take before the suite gives up (also the real-time bound). */
const PATIENCE_MS = 30 * 60_000;
const REAL_PATIENCE_MS = 120_000;

interface Ctx {
  h: CloudProviderHarness;
  /** Awaits a provider call, moving virtual time while it is pending. */
  drive<T>(p: Promise<T>): Promise<T>;
  /** Polls until `check` holds, moving time between polls. */
  eventually(what: string, check: () => Promise<boolean>): Promise<void>;
  /** create, remembering the machine for clean-up. */
  launch(claim: NodeClaim): Promise<NodeClaim>;
}

async function withProvider(make: MakeCloudProviderHarness, body: (c: Ctx) => Promise<void>): Promise<void> {
  const h = await make();
  const launched: NodeClaim[] = [];
  const stepMs = 5_000;
  const drive = async <T>(p: Promise<T>): Promise<T> => {
    if (!h.advance) return p;
    let settled = false;
    const watched = p.finally(() => { settled = true; });
    watched.catch(() => undefined);
    for (let waited = 0; !settled && waited < PATIENCE_MS; waited += stepMs) await h.advance(stepMs);
    if (!settled) assert.fail(`a provider call was still pending after ${PATIENCE_MS} ms of virtual time`);
    return watched;
  };
  const c: Ctx = {
    h,
    drive,
    eventually: async (what, check) => {
      const limit = h.advance ? PATIENCE_MS : REAL_PATIENCE_MS;
      for (let waited = 0; ; waited += stepMs) {
        if (await drive(check())) return;
        if (waited >= limit) assert.fail(`waiting for ${what}: still not true after ${limit} ms`);
        await (h.advance ? h.advance(stepMs) : realClock.sleep(1000));
      }
    },
    launch: async (claim) => {
      const out = await drive(h.provider.create(claim));
      launched.push(out);
      return out;
    },
  };
  try {
    await body(c);
  } finally {
    for (const claim of launched) await drive(h.provider.delete(claim)).catch(() => undefined);
    await h.cleanup();
  }
}

async function rejectsWith(p: Promise<unknown>, type: new (...args: never[]) => Error): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    return e;
  }
  return assert.fail(`expected ${type.name}, but the call succeeded`);
}

/** The offering a launched claim's labels name, looked up in the catalogue. */
function offeringOf(types: readonly InstanceType[], launched: NodeClaim): { type: InstanceType; price: number } {
  const labels = launched.metadata.labels ?? {};
  const type = types.find((t) => t.name === labels[INSTANCE_TYPE_LABEL]);
  assert.ok(type, `launched instance type "${labels[INSTANCE_TYPE_LABEL]}" is one getInstanceTypes returns`);
  const offering = type.offerings.find((o) => o.zone === labels[ZONE_LABEL] && o.capacityType === labels[CAPACITY_TYPE_LABEL]);
  assert.ok(offering, `launched on an offering of ${type.name} (zone ${labels[ZONE_LABEL]}, ${labels[CAPACITY_TYPE_LABEL]})`);
  return { type, price: offering.price };
}

const isGone = (c: Ctx, providerID: string) => async (): Promise<boolean> => {
  try {
    await c.h.provider.get(providerID);
    return false;
  } catch (e) {
    if (e instanceof NodeClaimNotFoundError) return true;
    throw e;
  }
};

/** Registers the contract suite for one CloudProvider implementation under `name`. */
export function cloudProviderContract(name: string, make: MakeCloudProviderHarness): void {
  const test = (title: string, body: (c: Ctx) => Promise<void>): void => {
    void it(title, () => withProvider(make, body));
  };

  void describe(`CloudProvider contract: ${name}`, () => {
    test('getInstanceTypes returns instance types with priced offerings', async (c) => {
      const types = await c.drive(c.h.provider.getInstanceTypes(c.h.nodePool));
      assert.ok(types.length > 0, 'some instance types');
      assert.equal(new Set(types.map((t) => t.name)).size, types.length, 'names are unique');
      for (const t of types) {
        assert.ok(t.capacity[CPU]! > 0 && t.capacity[MEMORY]! > 0, `${t.name} has cpu and memory`);
        for (const o of t.offerings) {
          assert.ok(o.zone !== '', `${t.name} offering has a zone`);
          assert.ok(CAPACITY_TYPES.includes(o.capacityType), `${t.name} offering capacity type ${o.capacityType}`);
          assert.ok(Number.isFinite(o.price) && o.price > 0, `${t.name} offering price ${o.price}`);
        }
      }
      assert.ok(types.some((t) => t.offerings.some((o) => o.available)), 'some offering is available');
    });

    test('create launches the cheapest allowed on-demand offering; get and list find the machine', async (c) => {
      const claim = c.h.makeClaim({ requirements: [{ key: CAPACITY_TYPE_LABEL, operator: 'In', values: ['on-demand'] }] });
      const types = await c.drive(c.h.provider.getInstanceTypes(c.h.nodePool));
      const cheapest = launchCandidates(claim, types)[0]!.offering.price;
      const launched = await c.launch(claim);
      const providerID = launched.status?.providerID;
      assert.ok(providerID, 'status.providerID is set');
      assert.equal(launched.metadata.name, claim.metadata.name);
      assert.equal(launched.metadata.labels?.[CAPACITY_TYPE_LABEL], 'on-demand');
      assert.equal(offeringOf(types, launched).price, cheapest, 'the cheapest offering');
      assert.ok(launched.status?.capacity?.[CPU] !== undefined && launched.status.allocatable?.[CPU] !== undefined, 'capacity and allocatable');

      const got = await c.drive(c.h.provider.get(providerID));
      assert.equal(got.status?.providerID, providerID);
      assert.equal(got.metadata.name, claim.metadata.name, 'the claim name it was launched for');
      assert.equal(got.metadata.labels?.[INSTANCE_TYPE_LABEL], launched.metadata.labels?.[INSTANCE_TYPE_LABEL]);
      const listed = await c.drive(c.h.provider.list());
      assert.equal(listed.filter((m) => m.status?.providerID === providerID).length, 1, 'list has the machine once');
      assert.equal(await c.drive(c.h.provider.isDrifted(got)), undefined, 'a new machine has not drifted');
    });

    test('delete terminates: then get and delete throw NodeClaimNotFoundError and list leaves it out', async (c) => {
      const launched = await c.launch(c.h.makeClaim());
      const providerID = launched.status!.providerID!;
      await c.drive(c.h.provider.delete(launched));
      await c.eventually('get to say NodeClaimNotFoundError after delete', isGone(c, providerID));
      const listed = await c.drive(c.h.provider.list());
      assert.ok(!listed.some((m) => m.status?.providerID === providerID), 'list leaves the terminated machine out');
      await rejectsWith(c.drive(c.h.provider.delete(launched)), NodeClaimNotFoundError);
    });

    test('deleting twice in a row is fine', async (c) => {
      const launched = await c.launch(c.h.makeClaim());
      await c.drive(c.h.provider.delete(launched));
      await c.drive(c.h.provider.delete(launched)).catch((e: unknown) => {
        if (!(e instanceof NodeClaimNotFoundError)) throw e;
      });
      await c.eventually('the machine to be gone after two deletes', isGone(c, launched.status!.providerID!));
    });

    test('create is idempotent per claim name', async (c) => {
      const claim = c.h.makeClaim();
      const first = await c.launch(claim);
      const second = await c.launch(structuredClone(claim));
      assert.equal(second.status?.providerID, first.status?.providerID, 'the same machine');
      const listed = await c.drive(c.h.provider.list());
      assert.equal(listed.filter((m) => m.metadata.name === claim.metadata.name).length, 1, 'one machine for the claim');
    });

    test('requirements on instance type, zone and capacity type are honoured', async (c) => {
      const types = await c.drive(c.h.provider.getInstanceTypes(c.h.nodePool));
      const candidates = launchCandidates(c.h.makeClaim(), types);
      // The last type by name, on its dearest offering: unlikely to be what an unconstrained claim gets.
      const typeName = candidates.map((x) => x.instanceType.name).sort().at(-1)!;
      const target = candidates.filter((x) => x.instanceType.name === typeName).at(-1)!;
      const launched = await c.launch(c.h.makeClaim({
        requirements: [
          { key: INSTANCE_TYPE_LABEL, operator: 'In', values: [typeName] },
          { key: ZONE_LABEL, operator: 'In', values: [target.offering.zone] },
          { key: CAPACITY_TYPE_LABEL, operator: 'In', values: [target.offering.capacityType] },
        ],
      }));
      const labels = launched.metadata.labels ?? {};
      assert.equal(labels[INSTANCE_TYPE_LABEL], typeName);
      assert.equal(labels[ZONE_LABEL], target.offering.zone);
      assert.equal(labels[CAPACITY_TYPE_LABEL], target.offering.capacityType);
    });

    test('a claim too big for every allowed type fails with InsufficientCapacityError naming the claim', async (c) => {
      const types = await c.drive(c.h.provider.getInstanceTypes(c.h.nodePool));
      const maxCores = Math.max(...types.map((t) => t.capacity[CPU] ?? 0)) / 1000;
      const claim = c.h.makeClaim({ requests: { cpu: String(Math.ceil(maxCores) * 2), memory: '1Gi' } });
      const e = await rejectsWith(c.drive(c.h.provider.create(claim)), InsufficientCapacityError);
      assert.ok(e.message.includes(claim.metadata.name!), `the message names the claim: ${e.message}`);
      assert.equal((e as InsufficientCapacityError).retryable, false);
      const listed = await c.drive(c.h.provider.list());
      assert.ok(!listed.some((m) => m.metadata.name === claim.metadata.name), 'nothing launched');
    });

    test('get of an unknown machine and delete of a claim never launched throw NodeClaimNotFoundError', async (c) => {
      await rejectsWith(c.drive(c.h.provider.get(c.h.unknownProviderID)), NodeClaimNotFoundError);
      await rejectsWith(c.drive(c.h.provider.delete(c.h.makeClaim())), NodeClaimNotFoundError);
    });
  });
}
