/**
 * Insufficient capacity for the moto fault proxy: a CreateFleet request's overrides that a rule
 * matches are taken out before moto sees the request and come back in the reply's errorSet as
 * InsufficientInstanceCapacity, as EC2 reports the pools of an instant fleet it could not fill.
 */

/** Offerings without capacity: these instance types (in these zones and capacity types, if given). */
export interface CapacityRule {
  readonly instanceTypes: readonly string[];
  readonly zones?: readonly string[];
  readonly capacityTypes?: readonly ('spot' | 'on-demand')[];
}

export interface CapacityFault {
  /** Every override matched a rule: answer without forwarding. */
  readonly allFailed: boolean;
  readonly someFailed: boolean;
  /** The request body without the failed overrides (configs left empty dropped, indices renumbered). */
  readonly forwardBody: string;
  /** moto's reply (undefined when nothing was forwarded) with the failures in its errorSet. */
  rewriteResponse(motoReply: string | undefined): string;
}

interface Override { readonly fields: Map<string, string> }
interface Config { readonly spec: Map<string, string>; readonly overrides: Override[] }

const CONFIG_KEY = /^LaunchTemplateConfigs\.(\d+)\.(.+)$/;
const OVERRIDE_KEY = /^Overrides\.(\d+)\.(.+)$/;

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Parses the launch template configs of a CreateFleet query body, in index order. */
function parseConfigs(params: URLSearchParams): Map<number, Config> {
  const configs = new Map<number, Config>();
  const overrideMaps = new Map<number, Map<number, Override>>();
  for (const [key, value] of params) {
    const c = CONFIG_KEY.exec(key);
    if (!c) continue;
    const ci = Number(c[1]);
    let config = configs.get(ci);
    if (!config) configs.set(ci, (config = { spec: new Map(), overrides: [] }));
    const o = OVERRIDE_KEY.exec(c[2]!);
    if (!o) {
      config.spec.set(c[2]!, value);
      continue;
    }
    let byIndex = overrideMaps.get(ci);
    if (!byIndex) overrideMaps.set(ci, (byIndex = new Map<number, Override>()));
    const oi = Number(o[1]);
    let override = byIndex.get(oi);
    if (!override) byIndex.set(oi, (override = { fields: new Map() }));
    override.fields.set(o[2]!, value);
  }
  for (const [ci, byIndex] of overrideMaps) {
    configs.get(ci)!.overrides.push(...[...byIndex.entries()].sort(([a], [b]) => a - b).map(([, o]) => o));
  }
  return new Map([...configs.entries()].sort(([a], [b]) => a - b));
}

function matches(rule: CapacityRule, override: Override, lifecycle: string): boolean {
  const type = override.fields.get('InstanceType') ?? '';
  const zone = override.fields.get('AvailabilityZone');
  if (!rule.instanceTypes.includes(type)) return false;
  if (rule.zones !== undefined && (zone === undefined || !rule.zones.includes(zone))) return false;
  return rule.capacityTypes === undefined || (rule.capacityTypes as readonly string[]).includes(lifecycle);
}

function errorItem(config: Config, override: Override, lifecycle: string): string {
  const spec = [...config.spec].filter(([k]) => k.startsWith('LaunchTemplateSpecification.'))
    .map(([k, v]) => {
      const name = k.slice('LaunchTemplateSpecification.'.length);
      const tag = name.charAt(0).toLowerCase() + name.slice(1);
      return `<${tag}>${escapeXml(v)}</${tag}>`;
    }).join('');
  const fields = [...override.fields].map(([k, v]) => {
    const tag = k.charAt(0).toLowerCase() + k.slice(1);
    return `<${tag}>${escapeXml(v)}</${tag}>`;
  }).join('');
  const type = escapeXml(override.fields.get('InstanceType') ?? '');
  return `<item><launchTemplateAndOverrides><launchTemplateSpecification>${spec}</launchTemplateSpecification>` +
    `<overrides>${fields}</overrides></launchTemplateAndOverrides><lifecycle>${escapeXml(lifecycle)}</lifecycle>` +
    '<errorCode>InsufficientInstanceCapacity</errorCode>' +
    `<errorMessage>We currently do not have sufficient ${type} capacity in the Availability Zone you requested.</errorMessage></item>`;
}

let fleets = 0;

/**
 * What the proxy does with a CreateFleet body under these rules; undefined when no override
 * matches (forward it untouched).
 */
export function createFleetCapacityFault(body: string, rules: readonly CapacityRule[]): CapacityFault | undefined {
  if (rules.length === 0) return undefined;
  const params = new URLSearchParams(body);
  const lifecycle = params.get('TargetCapacitySpecification.DefaultTargetCapacityType') ?? 'on-demand';
  const configs = parseConfigs(params);
  const failed: string[] = [];
  const kept: Config[] = [];
  for (const config of configs.values()) {
    const left = config.overrides.filter((o) => {
      if (!rules.some((r) => matches(r, o, lifecycle))) return true;
      failed.push(errorItem(config, o, lifecycle));
      return false;
    });
    if (left.length > 0) kept.push({ spec: config.spec, overrides: left });
  }
  if (failed.length === 0) return undefined;
  const out = new URLSearchParams();
  for (const [key, value] of params) if (!CONFIG_KEY.test(key)) out.append(key, value);
  kept.forEach((config, i) => {
    for (const [k, v] of config.spec) out.append(`LaunchTemplateConfigs.${i + 1}.${k}`, v);
    config.overrides.forEach((o, j) => {
      for (const [k, v] of o.fields) out.append(`LaunchTemplateConfigs.${i + 1}.Overrides.${j + 1}.${k}`, v);
    });
  });
  const errorSet = `<errorSet>${failed.join('')}</errorSet>`;
  return {
    allFailed: kept.length === 0,
    someFailed: true,
    forwardBody: out.toString(),
    rewriteResponse: (reply) => {
      if (reply === undefined) {
        return '<?xml version="1.0" encoding="utf-8"?>\n<CreateFleetResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15">' +
          `<fleetId>fleet-nocapacity-${++fleets}</fleetId>${errorSet}<fleetInstanceSet/><requestId>fault-capacity-${fleets}</requestId></CreateFleetResponse>`;
      }
      return reply.replace(/<fleetInstanceSet|<requestId>/, (m) => `${errorSet}${m}`);
    },
  };
}
