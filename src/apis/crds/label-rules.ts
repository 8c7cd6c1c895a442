/**
 * CEL rules for label keys, generated from labels.ts so the CRDs restrict exactly the domains and
 * keys nodewright's own validation does: qualified-name syntax, part lengths, restricted domains
 * (with their well-known keys, deprecated aliases and exception domains), and keys nodewright sets.
 */
import {
  DEPRECATED_LABEL_ALIASES,
  LABEL_DOMAIN_EXCEPTIONS,
  NODEPOOL_LABEL,
  RESTRICTED_LABELS,
  RESTRICTED_LABEL_DOMAINS,
  WELL_KNOWN_LABELS,
} from '../labels.js';
import { celList, celString, rule } from './schema.js';
import type { ValidationRule } from './schema.js';

/** Kubernetes' qualified name: an optional DNS-subdomain prefix and "/", then a name. */
export const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** A label value (may be empty; at most 63 characters is a separate bound). */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** The longest key the part limits allow: 253 (prefix) + "/" + 63 (name). */
export const MAX_KEY_LENGTH = 317;

/** One check on a key, as CEL over a key expression and as a predicate. */
interface KeyCheck {
  readonly cel: (key: string) => string;
  readonly test: (key: string) => boolean;
  readonly message: string;
}

// "prefix/" of a key, or "" when it has none (CEL's find returns "" when nothing matches).
const prefixWithSlash = (key: string): string => /^[^/]*\//.exec(key)?.[0] ?? '';
const celPrefix = (k: string): string => `${k}.find('^[^/]*/')`;

const SYNTAX: KeyCheck = {
  cel: (k) => `${k}.matches(${celString(QUALIFIED_NAME.source)})`,
  test: (key) => QUALIFIED_NAME.test(key),
  message: 'must be a qualified name: an optional DNS subdomain prefix and "/", then letters, digits, "-", "_" or "."',
};

const LENGTHS: KeyCheck = {
  cel: (k) => `${celPrefix(k)}.size() <= 254 && ${k}.find('[^/]*$').size() <= 63`,
  test: (key) => prefixWithSlash(key).length <= 254 && (/[^/]*$/.exec(key)?.[0] ?? '').length <= 63,
  message: 'the prefix may have at most 253 characters and the name at most 63',
};

/** Keys the restricted-domain rules let through: well-known labels and their deprecated aliases. */
const ALLOWED_KEYS: readonly string[] = [...WELL_KNOWN_LABELS, ...Object.keys(DEPRECATED_LABEL_ALIASES)];

function domainCheck(domain: string): KeyCheck {
  // Only keys and exceptions that can meet this domain are listed, to keep the rule (and its cost)
  // small; the others could not change its outcome.
  const allowed = ALLOWED_KEYS.filter((k) => prefixWithSlash(k).endsWith(`${domain}/`));
  const exceptions = LABEL_DOMAIN_EXCEPTIONS.filter((e) => e.endsWith(domain) || domain.endsWith(e));
  return {
    cel: (k) =>
      [
        ...(allowed.length > 0 ? [`${k} in ${celList(allowed)}`] : []),
        ...exceptions.map((e) => `${celPrefix(k)}.endsWith(${celString(`${e}/`)})`),
        `!${celPrefix(k)}.endsWith(${celString(`${domain}/`)})`,
      ].join(' || '),
    test: (key) => {
      const prefix = prefixWithSlash(key);
      return allowed.includes(key) || exceptions.some((e) => prefix.endsWith(`${e}/`)) || !prefix.endsWith(`${domain}/`);
    },
    message: `label domain "${domain}" is restricted`,
  };
}

function keyForbidden(key: string): KeyCheck {
  return { cel: (k) => `${k} != ${celString(key)}`, test: (k) => k !== key, message: `label "${key}" is restricted` };
}

function restrictions(opts: { forbidNodePool: boolean }): KeyCheck[] {
  return [
    ...RESTRICTED_LABEL_DOMAINS.map(domainCheck),
    ...[...RESTRICTED_LABELS].map(keyForbidden),
    ...(opts.forbidNodePool ? [keyForbidden(NODEPOOL_LABEL)] : []),
  ];
}

/**
 * Rules for a string that is a node label key (a requirement key). Syntax is left to the schema's
 * `pattern` (QUALIFIED_NAME), which gives the server's clearer message.
 */
export function labelKeyRules(opts: { forbidNodePool: boolean }): ValidationRule[] {
  return [LENGTHS, ...restrictions(opts)].map((c) => rule<string>(c.cel('self'), c.message, c.test));
}

/** Rules for a map whose keys become node labels (a template's labels). */
export function labelMapRules(opts: { forbidNodePool: boolean }): ValidationRule[] {
  return [SYNTAX, LENGTHS, ...restrictions(opts)].map((c) =>
    rule<Record<string, unknown>>(`self.all(x, ${c.cel('x')})`, `keys: ${c.message}`, (self) => Object.keys(self).every(c.test)),
  );
}
