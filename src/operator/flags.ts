/**
 * A small typed flag parser: each setting is one FlagSpec (flag name, environment variable,
 * default, help text, value parser). Values come from the command line, else the environment,
 * else the default; the same table produces the --help text, so nothing can be left out of it.
 */
import { DurationError, formatDuration, parseDuration } from '../utils/duration.js';

/** A bad command line or environment: the message names the flag (or variable) and the value. */
export class OptionsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OptionsError';
  }
}

/** Thrown by a FlagSpec's parse: what is wrong with the value, without naming the flag. */
export class FlagValueError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FlagValueError';
  }
}

/** One setting. */
export interface FlagSpec<T> {
  /** The long flag without dashes ("batch-idle-duration"). */
  readonly flag: string;
  /** The environment variable that sets it when the flag is absent ("BATCH_IDLE_DURATION"). */
  readonly env: string;
  /** The help section it is listed under. */
  readonly section: string;
  /** What the value looks like in --help ("<duration>", "aws|kwok"); '' for a boolean switch. */
  readonly placeholder: string;
  readonly description: string;
  /** True for switches: "--x" means true, "--x=false" false; no separate value argument. */
  readonly boolean: boolean;
  /** The default as --help shows it ("1s", "(none)", "(required)"). */
  readonly defaultText: string;
  /** The value when neither flag nor variable is set. @throws OptionsError when the setting is required. */
  defaultValue(): T;
  /** @throws FlagValueError saying what is wrong with `text`. */
  parse(text: string): T;
}

/** What a table of specs parses to. */
export type FlagValues<S> = { -readonly [K in keyof S]: S[K] extends FlagSpec<infer V> ? V : never };

/** Where each value came from (for logs: "batch-idle-duration=2s (env)"). */
export type FlagSources<S> = { [K in keyof S]: 'flag' | 'env' | 'default' };

type Specs = Readonly<Record<string, FlagSpec<unknown>>>;

interface Base {
  section: string;
  description: string;
}

export function durationFlag(flag: string, env: string, def: string | undefined, o: Base & { min?: number }): FlagSpec<number> {
  const min = o.min ?? 0;
  const parse = (text: string): number => {
    let ms: number;
    try {
      ms = parseDuration(text.trim());
    } catch (e) {
      if (e instanceof DurationError) throw new FlagValueError(`invalid duration "${text}" (use e.g. "500ms", "10s", "1m30s")`, { cause: e });
      throw e;
    }
    if (ms < min) throw new FlagValueError(`duration "${text}" must be at least ${formatDuration(min)}`);
    return ms;
  };
  return {
    flag, env, section: o.section, description: o.description, placeholder: '<duration>', boolean: false,
    defaultText: def ?? '(required)',
    defaultValue: () => (def === undefined ? required(flag, env) : parse(def)),
    parse,
  };
}

export function intFlag(flag: string, env: string, def: number, o: Base & { min: number; max: number; placeholder?: string }): FlagSpec<number> {
  return {
    flag, env, section: o.section, description: o.description, placeholder: o.placeholder ?? '<int>', boolean: false,
    defaultText: String(def),
    defaultValue: () => def,
    parse: (text) => {
      const t = text.trim();
      const n = /^[0-9]+$/.test(t) ? Number(t) : NaN;
      if (!Number.isSafeInteger(n)) throw new FlagValueError(`invalid integer "${text}"`);
      if (n < o.min || n > o.max) throw new FlagValueError(`${n} is out of range ${o.min}..${o.max}`);
      return n;
    },
  };
}

export function portFlag(flag: string, env: string, def: number, o: Base): FlagSpec<number> {
  return intFlag(flag, env, def, { ...o, min: 0, max: 65_535, placeholder: '<port>' });
}

const TRUE = new Set(['1', 't', 'true', 'y', 'yes']);
const FALSE = new Set(['0', 'f', 'false', 'n', 'no']);

export function boolFlag(flag: string, env: string, def: boolean, o: Base): FlagSpec<boolean> {
  return {
    flag, env, section: o.section, description: o.description, placeholder: '', boolean: true,
    defaultText: String(def),
    defaultValue: () => def,
    parse: (text) => {
      const t = text.trim().toLowerCase();
      if (TRUE.has(t)) return true;
      if (FALSE.has(t)) return false;
      throw new FlagValueError(`invalid boolean "${text}" (use true or false)`);
    },
  };
}

export function enumFlag<V extends string>(flag: string, env: string, values: readonly V[], def: V | undefined, o: Base): FlagSpec<V> {
  const parse = (text: string): V => {
    const t = text.trim();
    const found = values.find((v) => v === t);
    if (found === undefined) throw new FlagValueError(`invalid value "${text}" (one of ${values.join(', ')})`);
    return found;
  };
  return {
    flag, env, section: o.section, description: o.description, placeholder: values.join('|'), boolean: false,
    defaultText: def ?? '(required)',
    defaultValue: () => (def === undefined ? required(flag, env) : def),
    parse,
  };
}

interface StringBase extends Base {
  placeholder?: string;
  /** What is wrong with a value, or undefined when it is fine. */
  check?: (v: string) => string | undefined;
}

function checked(check: StringBase['check']): (text: string) => string {
  return (text) => {
    const problem = check?.(text);
    if (problem !== undefined) throw new FlagValueError(problem);
    return text;
  };
}

/** A string setting with a default (a function: computed when needed, shown as `defaultText`). */
export function stringFlag(
  flag: string, env: string, def: string | (() => string), o: StringBase & { defaultText?: string },
): FlagSpec<string> {
  return {
    flag, env, section: o.section, description: o.description, placeholder: o.placeholder ?? '<string>', boolean: false,
    defaultText: o.defaultText ?? (typeof def === 'string' ? def : '(computed)'),
    defaultValue: typeof def === 'string' ? () => def : def,
    parse: checked(o.check),
  };
}

/** A string setting that may be left unset (undefined). */
export function optionalStringFlag(flag: string, env: string, o: StringBase & { defaultText: string }): FlagSpec<string | undefined> {
  return {
    flag, env, section: o.section, description: o.description, placeholder: o.placeholder ?? '<string>', boolean: false,
    defaultText: o.defaultText,
    defaultValue: () => undefined,
    parse: checked(o.check),
  };
}

function required(flag: string, env: string): never {
  throw new OptionsError(`--${flag}: required (or set ${env})`);
}

export interface ParsedFlags<S> {
  values: FlagValues<S>;
  sources: FlagSources<S>;
}

/**
 * Parses `--name value`, `--name=value` and, for switches, `--name` / `--name=false`. A flag given
 * twice keeps the last value; an empty environment variable counts as unset.
 * @throws OptionsError for an unknown flag, a missing value, a positional argument, a bad value
 *   (naming the flag, or the variable and its flag) or a required setting left unset.
 */
export function parseFlags<S extends Specs>(specs: S, argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedFlags<S> {
  const byFlag = new Map<string, string>();
  for (const [key, spec] of Object.entries(specs)) byFlag.set(spec.flag, key);
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') throw new OptionsError(`unexpected argument "${arg}" (flags start with --; see --help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const key = byFlag.get(name);
    if (key === undefined) throw new OptionsError(`unknown flag --${name} (see --help)`);
    const spec = specs[key]!;
    if (eq >= 0) given.set(key, arg.slice(eq + 1));
    else if (spec.boolean) given.set(key, 'true');
    else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new OptionsError(`--${name}: missing value (${spec.placeholder})`);
      given.set(key, value);
      i++;
    }
  }
  const values: Record<string, unknown> = {};
  const sources: Record<string, 'flag' | 'env' | 'default'> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const fromFlag = given.get(key);
    const fromEnv = env[spec.env];
    if (fromFlag !== undefined) {
      values[key] = parseValue(spec, fromFlag, `--${spec.flag}`);
      sources[key] = 'flag';
    } else if (fromEnv !== undefined && fromEnv !== '') {
      values[key] = parseValue(spec, fromEnv, `${spec.env} (--${spec.flag})`);
      sources[key] = 'env';
    } else {
      values[key] = spec.defaultValue();
      sources[key] = 'default';
    }
  }
  return { values: values as FlagValues<S>, sources: sources as FlagSources<S> };
}

function parseValue(spec: FlagSpec<unknown>, text: string, where: string): unknown {
  try {
    return spec.parse(text);
  } catch (e) {
    if (e instanceof FlagValueError) throw new OptionsError(`${where}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** The --help text: usage, the preamble, then every flag by section with its variable and default. */
export function formatHelp(usage: string, preamble: string, specs: Specs): string {
  const lines = [`Usage: ${usage}`, '', preamble, ''];
  const sections = new Map<string, FlagSpec<unknown>[]>();
  for (const spec of Object.values(specs)) {
    const list = sections.get(spec.section) ?? [];
    list.push(spec);
    sections.set(spec.section, list);
  }
  for (const [section, list] of sections) {
    lines.push(`${section}:`);
    for (const spec of list) {
      lines.push(`  --${spec.flag}${spec.placeholder ? ` ${spec.placeholder}` : ''}`);
      lines.push(`      env ${spec.env}, default ${spec.defaultText}`);
      lines.push(`      ${spec.description}`);
    }
    lines.push('');
  }
  lines.push('  --help', '      Print this text and exit.', '');
  return lines.join('\n');
}
