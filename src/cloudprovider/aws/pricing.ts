/**
 * Instance prices: on-demand from the bundled table (data/aws-instance-types.json, us-east-1),
 * replaced by the Pricing API's figures for the region where that API answers; spot from
 * DescribeSpotPriceHistory (the latest price per type and zone). Refreshed lazily on the Clock
 * (every 12 h by default), so a VirtualClock can still go idle.
 */
import type { _InstanceType, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeSpotPriceHistoryCommand } from '@aws-sdk/client-ec2';
import type { PricingClient } from '@aws-sdk/client-pricing';
import { GetProductsCommand } from '@aws-sdk/client-pricing';
import type { Clock } from '../../utils/clock.js';
import { loadEc2Data } from '../catalog/ec2-data.js';
import type { CloudProviderError } from '../cloud-provider.js';
import { awsError } from './errors.js';
import type { Retrier } from './retry.js';
import { allPages } from './retry.js';

export const DEFAULT_PRICE_REFRESH_MS = 12 * 3600_000;
/** After the Pricing API failed, ask again this much later rather than after a full refresh period. */
export const PRICING_API_RETRY_MS = 10 * 60_000;

/** The static on-demand table (type → USD/h), from the bundled catalogue data. */
export function staticOnDemandPrices(): Map<string, number> {
  const prices = new Map<string, number>();
  for (const t of loadEc2Data().instanceTypes) if (t.onDemandPriceUSDPerHour !== null) prices.set(t.name, t.onDemandPriceUSDPerHour);
  return prices;
}

/**
 * On-demand USD/h per instance type from GetProducts price-list entries (JSON text or objects);
 * entries without an instance type or a positive USD price are skipped.
 */
export function parsePriceList(entries: readonly unknown[]): Map<string, number> {
  const prices = new Map<string, number>();
  for (const entry of entries) {
    let doc: unknown;
    try {
      doc = typeof entry === 'string' ? JSON.parse(entry) : entry;
    } catch {
      continue;
    }
    const d = doc as { product?: { attributes?: { instanceType?: string } }; terms?: { OnDemand?: Record<string, { priceDimensions?: Record<string, { pricePerUnit?: { USD?: string } }> }> } };
    const type = d.product?.attributes?.instanceType;
    if (type === undefined) continue;
    for (const term of Object.values(d.terms?.OnDemand ?? {})) {
      for (const dimension of Object.values(term.priceDimensions ?? {})) {
        const usd = Number(dimension.pricePerUnit?.USD);
        if (Number.isFinite(usd) && usd > 0) prices.set(type, usd);
      }
    }
  }
  return prices;
}

export interface PricingOptions {
  readonly ec2: EC2Client;
  /** Absent: on-demand prices stay those of the bundled table. */
  readonly pricing?: PricingClient;
  readonly region: string;
  readonly clock: Clock;
  readonly retry: Retrier;
  /** Retries for the Pricing API only: it is optional, so failing fast is better than waiting. */
  readonly pricingRetry: Retrier;
  readonly refreshMs?: number;
}

export class PricingProvider {
  readonly #o: PricingOptions;
  readonly #refreshMs: number;
  #onDemand: Map<string, number> = staticOnDemandPrices();
  #onDemandSource: 'static' | 'pricing-api' = 'static';
  #onDemandDueAt = 0;
  #spot = new Map<string, Map<string, number>>();
  #spotDueAt = 0;
  /** The types the spot prices were read for (undefined: all). */
  #spotTypes: ReadonlySet<string> | undefined;
  #inFlight: Promise<void> | undefined;
  #version = 0;
  #lastPricingError: CloudProviderError | undefined;

  constructor(options: PricingOptions) {
    this.#o = options;
    this.#refreshMs = options.refreshMs ?? DEFAULT_PRICE_REFRESH_MS;
  }

  /** Changes whenever prices may have changed (each refresh that read prices). */
  get version(): number {
    return this.#version;
  }

  /** Where the on-demand prices come from now. */
  get onDemandSource(): 'static' | 'pricing-api' {
    return this.#onDemandSource;
  }

  /** Why the last Pricing API refresh failed (undefined once it answers). */
  get lastPricingError(): CloudProviderError | undefined {
    return this.#lastPricingError;
  }

  onDemandPrice(instanceType: string): number | undefined {
    return this.#onDemand.get(instanceType);
  }

  spotPrice(instanceType: string, zone: string): number | undefined {
    return this.#spot.get(instanceType)?.get(zone);
  }

  /**
   * Refreshes what is due (concurrent callers share one refresh). A failing Pricing API leaves the
   * previous on-demand prices in place. `spotTypes` limits the spot prices read to these types
   * (default all); a later call naming a type not read before refreshes the spot prices at once.
   * @throws CloudProviderError when DescribeSpotPriceHistory fails (after retries).
   */
  refresh(spotTypes?: readonly string[]): Promise<void> {
    if (spotTypes !== undefined && this.#spotTypes !== undefined && spotTypes.some((t) => !this.#spotTypes!.has(t))) this.#spotDueAt = 0;
    this.#inFlight ??= this.#refresh(spotTypes).finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #refresh(spotTypes: readonly string[] | undefined): Promise<void> {
    const now = this.#o.clock.now();
    if (now >= this.#onDemandDueAt && this.#o.pricing !== undefined) await this.#refreshOnDemand(this.#o.pricing);
    if (now >= this.#spotDueAt) {
      this.#spot = await this.#describeSpot(spotTypes);
      this.#spotTypes = spotTypes === undefined ? undefined : new Set(spotTypes);
      this.#version++;
      this.#spotDueAt = this.#o.clock.now() + this.#refreshMs;
    }
  }

  async #refreshOnDemand(pricing: PricingClient): Promise<void> {
    try {
      const pages = await allPages(this.#o.pricingRetry, `reading on-demand prices for ${this.#o.region} from the Pricing API`, (token) => pricing.send(new GetProductsCommand({
        ServiceCode: 'AmazonEC2',
        FormatVersion: 'aws_v1',
        NextToken: token,
        Filters: [
          ['regionCode', this.#o.region], ['operatingSystem', 'Linux'], ['tenancy', 'Shared'],
          ['preInstalledSw', 'NA'], ['capacitystatus', 'Used'], ['marketoption', 'OnDemand'],
        ].map(([Field, Value]) => ({ Type: 'TERM_MATCH' as const, Field, Value })),
      })));
      const prices = parsePriceList(pages.flatMap((p): unknown[] => (Array.isArray(p.PriceList) ? (p.PriceList as unknown[]) : [])));
      if (prices.size === 0) throw new Error('the Pricing API returned no on-demand Linux prices');
      this.#onDemand = new Map([...staticOnDemandPrices(), ...prices]);
      this.#onDemandSource = 'pricing-api';
      this.#version++;
      this.#lastPricingError = undefined;
      this.#onDemandDueAt = this.#o.clock.now() + this.#refreshMs;
    } catch (e) {
      this.#lastPricingError = awsError(`reading on-demand prices for ${this.#o.region} from the Pricing API`, e);
      this.#onDemandDueAt = this.#o.clock.now() + PRICING_API_RETRY_MS;
    }
  }

  async #describeSpot(types: readonly string[] | undefined): Promise<Map<string, Map<string, number>>> {
    const start = new Date(this.#o.clock.now());
    const pages = await allPages(this.#o.retry, 'reading spot prices (DescribeSpotPriceHistory)', (token) => this.#o.ec2.send(
      new DescribeSpotPriceHistoryCommand({
        StartTime: start, ProductDescriptions: ['Linux/UNIX', 'Linux/UNIX (Amazon VPC)'], MaxResults: 1000, NextToken: token,
        ...(types === undefined ? {} : { InstanceTypes: types as _InstanceType[] }),
      }),
    ));
    const latest = new Map<string, Map<string, { at: number; price: number }>>();
    for (const entry of pages.flatMap((p) => p.SpotPriceHistory ?? [])) {
      const price = Number(entry.SpotPrice);
      if (entry.InstanceType === undefined || entry.AvailabilityZone === undefined || !(price > 0)) continue;
      const at = entry.Timestamp?.getTime() ?? 0;
      let zones = latest.get(entry.InstanceType);
      if (!zones) latest.set(entry.InstanceType, (zones = new Map<string, { at: number; price: number }>()));
      const seen = zones.get(entry.AvailabilityZone);
      if (seen === undefined || at > seen.at) zones.set(entry.AvailabilityZone, { at, price });
    }
    return new Map([...latest].map(([type, zones]) => [type, new Map([...zones].map(([z, p]) => [z, p.price]))]));
  }
}
