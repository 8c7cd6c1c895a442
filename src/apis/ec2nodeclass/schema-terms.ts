/**
 * EC2NodeClass selector terms (subnets, security groups, AMIs) as schema with Karpenter's rules:
 * each term selects by something, ids stand alone, an alias is the only AMI term.
 */
import { array, celList, map, object, rule, string } from '../crds/schema.js';
import type { JSONSchemaProps, Property, ValidationRule } from '../crds/schema.js';
import { ALIAS_FAMILIES } from './types.js';
import type { AMISelectorTerm } from './types.js';

export const MAX_SELECTOR_TERMS = 30;
export const MAX_SELECTOR_TAGS = 20;

function tagSelector(what: string): JSONSchemaProps {
  return map(string(), {
    maxProperties: MAX_SELECTOR_TAGS,
    description: `Tags the ${what} must have; "*" as a value matches any value.`,
    rules: [
      rule<Record<string, string>>(
        "self.all(k, k != '' && self[k] != '')",
        "empty tag keys or values aren't supported",
        (self) => Object.entries(self).every(([k, v]) => k !== '' && v !== ''),
      ),
    ],
  });
}

type Term = Record<string, unknown>;
const has = (term: Term, field: string): boolean => term[field] !== undefined;

/** "expected at least one, got none, [...]": every term sets one of `fields`. */
function someField(fields: readonly string[]): ValidationRule {
  return rule<Term[]>(
    `self.all(x, ${fields.map((f) => `has(x.${f})`).join(' || ')})`,
    `expected at least one, got none, ${celList(fields)}`,
    (self) => self.every((t) => fields.some((f) => has(t, f))),
  );
}

/** `field` may not be combined with `others` in one term. */
function exclusive(field: string, others: readonly string[], where: string): ValidationRule {
  return rule<Term[]>(
    `!self.exists(x, has(x.${field}) && (${others.map((o) => `has(x.${o})`).join(' || ')}))`,
    `'${field}' is mutually exclusive, cannot be set with a combination of other fields in ${where}`,
    (self) => !self.some((t) => has(t, field) && others.some((o) => has(t, o))),
  );
}

function terms(item: Record<string, Property>, rules: ValidationRule[], description: string): JSONSchemaProps {
  return array(object(item), { minItems: 1, maxItems: MAX_SELECTOR_TERMS, rules, description });
}

export function subnetSelectorTerms(): JSONSchemaProps {
  return terms(
    { tags: tagSelector('subnets'), id: string({ pattern: /^subnet-[0-9a-z]+$/, description: 'A subnet id.' }) },
    [someField(['tags', 'id']), exclusive('id', ['tags'], 'a subnet selector term')],
    'Subnets to launch into; the terms are ORed, the fields of a term ANDed.',
  );
}

export function securityGroupSelectorTerms(): JSONSchemaProps {
  return terms(
    {
      tags: tagSelector('security groups'),
      id: string({ pattern: /^sg-[0-9a-z]+$/, description: 'A security group id.' }),
      name: string({ description: 'A security group name (not its Name tag).' }),
    },
    [
      someField(['tags', 'id', 'name']),
      exclusive('id', ['tags', 'name'], 'a security group selector term'),
      exclusive('name', ['tags', 'id'], 'a security group selector term'),
    ],
    'Security groups of the instances; the terms are ORed.',
  );
}

const WINDOWS_ALIASES = ['windows2019', 'windows2022'];

function alias(): JSONSchemaProps {
  return string({
    maxLength: 30,
    description: 'An EKS-optimised AMI as "family@version": al2023@latest, al2023@v20240625, bottlerocket@v1.20.0.',
    rules: [
      rule<string>("self.matches('^[a-zA-Z0-9]+@.+$')", "'alias' is improperly formatted, must match the format 'family@version'", (s) =>
        /^[a-zA-Z0-9]+@.+$/.test(s),
      ),
      rule<string>(
        `self.split('@')[0] in ${celList(ALIAS_FAMILIES)}`,
        `family is not supported, must be one of the following: ${ALIAS_FAMILIES.map((f) => `'${f}'`).join(', ')}`,
        (s) => (ALIAS_FAMILIES as readonly string[]).includes(s.split('@')[0]!),
      ),
      rule<string>(
        `self.split('@')[0] in ${celList(WINDOWS_ALIASES)} ? self.split('@')[1] == 'latest' : true`,
        "windows families may only specify version 'latest'",
        (s) => !WINDOWS_ALIASES.includes(s.split('@')[0]!) || s.split('@')[1] === 'latest',
      ),
    ],
  });
}

export function amiSelectorTerms(): JSONSchemaProps {
  const where = 'amiSelectorTerms';
  return terms(
    {
      alias: alias(),
      tags: tagSelector('AMIs'),
      id: string({ pattern: /^ami-[0-9a-z]+$/, description: 'An AMI id.' }),
      name: string({ description: 'An AMI name (not its Name tag).' }),
      owner: string({ description: 'Owner account ids, "self", "amazon" or "aws-marketplace".' }),
      ssmParameter: string({ description: 'An SSM parameter (name or ARN) holding the AMI id.' }),
    },
    [
      someField(['tags', 'id', 'name', 'alias', 'ssmParameter']),
      exclusive('id', ['alias', 'tags', 'name', 'owner'], where),
      exclusive('alias', ['id', 'tags', 'name', 'owner'], where),
      rule<AMISelectorTerm[]>(
        '!(self.exists(x, has(x.alias)) && self.size() != 1)',
        "'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms",
        (self) => !(self.some((t) => t.alias !== undefined) && self.length !== 1),
      ),
    ],
    'AMIs to launch; the terms are ORed. An alias selects the EKS-optimised AMI of a family.',
  );
}
