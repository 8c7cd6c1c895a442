/**
 * Reading data/aws-instance-types.json: located relative to this module, parsed once per process
 * and checked for the shape the catalogue relies on.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CatalogError } from './errors.js';

export interface Ec2RawInstanceType {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly allocatable: Readonly<Record<string, string>>;
  readonly onDemandPriceUSDPerHour: number | null;
}

export interface Ec2RawData {
  readonly source: string;
  readonly region: string;
  readonly instanceTypes: readonly Ec2RawInstanceType[];
}

/**
 * src/cloudprovider/catalog/ and dist/cloudprovider/catalog/ are both three levels below the
 * package root, where data/ lives.
 */
export const EC2_DATA_PATH = fileURLToPath(new URL('../../../data/aws-instance-types.json', import.meta.url));

let cached: Ec2RawData | undefined;

/**
 * The parsed data file (cached after the first successful call).
 * @throws CatalogError naming the file if it cannot be read, is not JSON, or an entry is malformed.
 */
export function loadEc2Data(): Ec2RawData {
  cached ??= parseEc2Data(readData(), EC2_DATA_PATH);
  return cached;
}

function readData(): string {
  try {
    return readFileSync(EC2_DATA_PATH, 'utf8');
  } catch (error) {
    throw new CatalogError(`loading the EC2 catalogue: cannot read ${EC2_DATA_PATH}`, { cause: error });
  }
}

/**
 * Parses and checks the text of an aws-instance-types.json file; `file` is only used in messages.
 * @throws CatalogError for invalid JSON or a malformed entry (saying which).
 */
export function parseEc2Data(text: string, file: string): Ec2RawData {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CatalogError(`loading the EC2 catalogue: ${file} is not valid JSON`, { cause: error });
  }
  const fail = (what: string): never => {
    throw new CatalogError(`loading the EC2 catalogue from ${file}: ${what}`);
  };
  if (!isRecord(json)) return fail('the top level must be an object');
  const { source, region, instanceTypes } = json;
  if (typeof source !== 'string' || source === '') fail('"source" must be a non-empty string');
  if (typeof region !== 'string' || region === '') fail('"region" must be a non-empty string');
  if (!Array.isArray(instanceTypes)) return fail('"instanceTypes" must be an array');
  const names = new Set<string>();
  instanceTypes.forEach((entry: unknown, i) => {
    const at = `instanceTypes[${i}]`;
    if (!isRecord(entry)) return fail(`${at} must be an object`);
    const { name, labels, allocatable, onDemandPriceUSDPerHour: price } = entry;
    if (typeof name !== 'string' || name === '') return fail(`${at}.name must be a non-empty string`);
    if (names.has(name)) fail(`${at}: duplicate instance type ${name}`);
    names.add(name);
    if (!isStringRecord(labels)) fail(`${at} (${name}).labels must map strings to strings`);
    if (!isStringRecord(allocatable)) fail(`${at} (${name}).allocatable must map strings to strings`);
    if (price !== null && (typeof price !== 'number' || !(price > 0) || !Number.isFinite(price))) {
      fail(`${at} (${name}).onDemandPriceUSDPerHour must be a positive number or null`);
    }
    return undefined;
  });
  return json as unknown as Ec2RawData;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringRecord(value: unknown): boolean {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}
