/** Prices and instance types are cached and refreshed on the injected clock (stub EC2 and Pricing clients). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeInstanceTypeOfferingsCommand, DescribeInstanceTypesCommand, DescribeSpotPriceHistoryCommand } from '@aws-sdk/client-ec2';
import type { PricingClient } from '@aws-sdk/client-pricing';
import { VirtualClock } from '../../utils/clock.js';
import { imageRequirements } from './amis.js';
import { InstanceTypeProvider } from './instance-types.js';
import type { ResolvedNodeClass } from './node-class.js';
import { DEFAULT_PRICE_REFRESH_MS, PRICING_API_RETRY_MS, PricingProvider } from './pricing.js';
import { retrier } from './retry.js';

const HOUR = 3600_000;

/** A client whose `send` answers by command class; counts calls per command name. */
function stub<T>(answers: Map<new (...a: never[]) => unknown, (input: unknown) => unknown>): { client: T; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const client = {
    send: (command: { input: unknown; constructor: { name: string } }) => {
      calls.set(command.constructor.name, (calls.get(command.constructor.name) ?? 0) + 1);
      for (const [type, answer] of answers) {
        if (command instanceof type) return Promise.resolve(answer(command.input));
      }
      return Promise.reject(new Error(`unexpected ${command.constructor.name}`));
    },
  } as unknown as T;
  return { client, calls };
}

let spotPrice = '0.031';
const ec2 = stub<EC2Client>(new Map<new (...a: never[]) => unknown, (input: unknown) => unknown>([
  [DescribeSpotPriceHistoryCommand, () => ({ SpotPriceHistory: [
    { InstanceType: 'm5.large', AvailabilityZone: 'us-east-1a', SpotPrice: '0.050', Timestamp: new Date('2024-01-01T00:00:00Z') },
    { InstanceType: 'm5.large', AvailabilityZone: 'us-east-1a', SpotPrice: spotPrice, Timestamp: new Date('2024-01-01T06:00:00Z') },
  ] })],
  [DescribeInstanceTypesCommand, () => ({ InstanceTypes: [{
    InstanceType: 'm5.large', SupportedUsageClasses: ['on-demand', 'spot'], ProcessorInfo: { SupportedArchitectures: ['x86_64'] },
    VCpuInfo: { DefaultVCpus: 2 }, MemoryInfo: { SizeInMiB: 8192 }, NetworkInfo: { MaximumNetworkInterfaces: 3, Ipv4AddressesPerInterface: 10 },
  }] })],
  [DescribeInstanceTypeOfferingsCommand, () => ({ InstanceTypeOfferings: ['us-east-1a', 'us-east-1b'].map((Location) => ({ InstanceType: 'm5.large', Location })) })],
]));

describe('prices on the clock', () => {
  it('on-demand from the Pricing API where it answers, else the bundled table; spot the latest per zone; refreshed after 12 h', async () => {
    const clock = new VirtualClock();
    spotPrice = '0.031';
    let pricingUp = false;
    const failingOrAnswering = {
      send: () => {
        if (!pricingUp) return Promise.reject(Object.assign(new Error('no such service'), { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }));
        return Promise.resolve({ PriceList: [JSON.stringify({ product: { attributes: { instanceType: 'm5.large' } }, terms: { OnDemand: { t: { priceDimensions: { d: { pricePerUnit: { USD: '0.1' } } } } } } })] });
      },
    } as unknown as PricingClient;
    const retry = retrier(clock, { attempts: 1, baseMs: 1, maxMs: 1 });
    const prices = new PricingProvider({ ec2: ec2.client, pricing: failingOrAnswering, region: 'us-east-1', clock, retry, pricingRetry: retry });
    await prices.refresh();
    assert.equal(prices.onDemandSource, 'static');
    assert.match(prices.lastPricingError!.message, /Pricing API: InternalFailure/);
    assert.equal(prices.onDemandPrice('m5.large'), 0.096, 'the bundled price');
    assert.equal(prices.spotPrice('m5.large', 'us-east-1a'), 0.031, 'the latest of two');
    assert.equal(prices.spotPrice('m5.large', 'us-east-1b'), undefined);

    pricingUp = true;
    spotPrice = '0.029';
    await clock.step(PRICING_API_RETRY_MS - 1);
    await prices.refresh();
    assert.equal(prices.onDemandSource, 'static', 'not asked again before its retry time');
    await clock.step(1);
    await prices.refresh();
    assert.equal(prices.onDemandSource, 'pricing-api');
    assert.equal(prices.onDemandPrice('m5.large'), 0.1);
    assert.equal(prices.onDemandPrice('c5.large'), 0.085, 'types the API left out keep the bundled price');
    assert.equal(prices.spotPrice('m5.large', 'us-east-1a'), 0.031, 'spot not due yet');
    await clock.step(DEFAULT_PRICE_REFRESH_MS);
    await prices.refresh();
    assert.equal(prices.spotPrice('m5.large', 'us-east-1a'), 0.029);
  });
});

describe('instance types on the clock', () => {
  it('EC2 is asked again only when the cache expires; the offerings come from the class zones and prices', async () => {
    const clock = new VirtualClock();
    spotPrice = '0.029';
    const retry = retrier(clock, { attempts: 1, baseMs: 1, maxMs: 1 });
    const prices = new PricingProvider({ ec2: ec2.client, region: 'us-east-1', clock, retry, pricingRetry: retry });
    const provider = new InstanceTypeProvider({ ec2: ec2.client, retry, clock, region: 'us-east-1', pricing: prices, typesTtlMs: HOUR, offeringsTtlMs: 5 * 60_000 });
    const resolved = {
      nodeClass: { metadata: { name: 'default' }, spec: { subnetSelectorTerms: [], securityGroupSelectorTerms: [], amiSelectorTerms: [] } },
      subnets: [{ id: 's-a', zone: 'us-east-1a' }, { id: 's-c', zone: 'us-east-1c' }], securityGroups: [], instanceProfile: 'p', conditions: [], problems: [],
      amis: [{ id: 'ami-1', requirements: imageRequirements('x86_64', 'standard') }],
    } as ResolvedNodeClass;
    const before = ec2.calls.get('DescribeInstanceTypesCommand') ?? 0;
    const [m5] = await provider.list(resolved);
    assert.deepEqual(m5!.offerings, [
      { zone: 'us-east-1a', capacityType: 'on-demand', price: 0.096, available: true },
      { zone: 'us-east-1a', capacityType: 'spot', price: 0.029, available: true },
    ], 'only us-east-1a: the class has no subnet in b, EC2 does not sell it in c');
    assert.equal(m5!.capacity.pods, 29);
    await provider.list(resolved);
    await clock.step(HOUR - 1);
    await provider.list(resolved);
    assert.equal((ec2.calls.get('DescribeInstanceTypesCommand') ?? 0) - before, 1);
    await clock.step(1);
    await provider.list(resolved);
    assert.equal((ec2.calls.get('DescribeInstanceTypesCommand') ?? 0) - before, 2, 'refreshed after an hour');
    assert.equal(provider.known('m5.large')?.vcpus, 2);
  });
});
