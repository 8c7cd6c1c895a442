import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  QuantityError,
  compareQuantities,
  formatResourceAmount,
  isByteResource,
  parseQuantity,
  quantityToMilli,
  quantityToString,
  quantityToUnits,
  resourceAmount,
  type ExactQuantity,
} from './quantity.js';

const q = (numerator: bigint, scale = 0): ExactQuantity => ({ numerator, scale });
const MAX_INT64 = (1n << 63n) - 1n;

function throwsQuantity(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof QuantityError, `expected QuantityError, got ${String(err)}`);
    for (const f of fragments) assert.ok(err.message.includes(f), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(f)}`);
    return true;
  });
}

describe('parseQuantity', () => {
  const valid: [string | number, ExactQuantity][] = [
    ['0', q(0n)],
    ['1', q(1n)],
    ['00012', q(12n)],
    ['0.000', q(0n)],
    ['-0', q(0n)],
    ['+5', q(5n)],
    ['-1', q(-1n)],
    ['100m', q(1n, 1)],
    ['1500m', q(15n, 1)],
    ['0.1', q(1n, 1)],
    ['.5', q(5n, 1)],
    ['5.', q(5n)],
    ['1.5Gi', q(1610612736n)],
    ['1Ki', q(1024n)],
    ['1k', q(1000n)],
    ['5Mi', q(5n * 2n ** 20n)],
    ['1Ti', q(2n ** 40n)],
    ['1Pi', q(2n ** 50n)],
    ['1Ei', q(2n ** 60n)],
    ['1.1Ki', q(11264n, 1)],
    ['0.5Ki', q(512n)],
    ['1M', q(10n ** 6n)],
    ['1G', q(10n ** 9n)],
    ['1T', q(10n ** 12n)],
    ['1P', q(10n ** 15n)],
    ['1E', q(10n ** 18n)], // a lone E is the exa suffix, not an exponent
    ['1n', q(1n, 9)],
    ['1u', q(1n, 6)],
    ['2e3', q(2000n)],
    ['1E3', q(1000n)],
    ['1e+3', q(1000n)],
    ['1e-3', q(1n, 3)],
    ['1E-3', q(1n, 3)],
    ['1.5e1', q(15n)],
    ['1e18', q(10n ** 18n)],
    ['-1.5e-2', q(-15n, 3)],
    ['123456789012345678901234567890', q(123456789012345678901234567890n)],
    ['9.99e99', q(999n * 10n ** 97n)],
    // Finer than a nano rounds up, away from zero, as Kubernetes does.
    ['0.0000000001', q(1n, 9)],
    ['0.0000000011', q(2n, 9)],
    ['-0.0000000001', q(-1n, 9)],
    ['1e-1000000000', q(1n, 9)],
    ['0e999999999', q(0n)],
    // Positive binary-suffixed values are capped at 2^63-1, as Kubernetes does.
    ['8Ei', q(MAX_INT64)],
    ['12Ei', q(MAX_INT64)],
    ['7.5Ei', q(15n * 2n ** 59n)],
    ['-12Ei', q(-12n * 2n ** 60n)],
    [0, q(0n)],
    [-0, q(0n)],
    [3, q(3n)],
    [0.1, q(1n, 1)],
    [1.5, q(15n, 1)],
    [-0.5, q(-5n, 1)],
    [1e21, q(10n ** 21n)],
    [5e-7, q(5n, 7)],
  ];
  for (const [input, want] of valid) {
    it(`parses ${JSON.stringify(input)}`, () => assert.deepEqual(parseQuantity(input), want));
  }

  const invalid = [
    '', 'Mi', 'Ki', 'e3', '.', '+', '-', '+.', '1.2.3', '1..2', '1 Gi', ' 1', '1 ', '1i', '1KB', '1K', '1ki', '1mi',
    '1Mi2', '1e', '1E+', '1e+', '1e-', '1e1.5', '1k2', '1eE3', '1e3k', '1.5e', '--1', '+-1', 'abc', '0x10',
    '1_000', '1,5', 'NaN', 'Infinity', '1Gi ', '1gi', '1g', '1b', '1e100', '1e400', '1e99999999999999999999',
  ];
  for (const input of invalid) {
    it(`rejects ${JSON.stringify(input)} naming it`, () => throwsQuantity(() => parseQuantity(input), `"${input}"`));
  }
  for (const input of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    it(`rejects the number ${input}`, () => throwsQuantity(() => parseQuantity(input), String(input)));
  }
});

describe('compareQuantities', () => {
  it('compares values whatever the spelling', () => {
    assert.equal(compareQuantities(parseQuantity('100m'), parseQuantity('0.1')), 0);
    assert.equal(compareQuantities(parseQuantity('1Ki'), parseQuantity('1k')), 1);
    assert.equal(compareQuantities(parseQuantity('1k'), parseQuantity('1Ki')), -1);
    assert.equal(compareQuantities(parseQuantity('1e3'), parseQuantity('1k')), 0);
    assert.equal(compareQuantities(parseQuantity('-1'), parseQuantity('1n')), -1);
    assert.equal(compareQuantities(q(10n, 1), q(1n)), 0); // scales need not be minimal
    assert.equal(compareQuantities(parseQuantity('12Ei'), parseQuantity('8Ei')), 0); // both capped
  });
});

describe('quantityToMilli and quantityToUnits', () => {
  it('round up', () => {
    assert.equal(quantityToMilli(parseQuantity('0.0001')), 1);
    assert.equal(quantityToMilli(parseQuantity('1n')), 1);
    assert.equal(quantityToMilli(parseQuantity('1.5')), 1500);
    assert.equal(quantityToUnits(parseQuantity('100m')), 1);
    assert.equal(quantityToUnits(parseQuantity('1.1Ki')), 1127);
    assert.equal(quantityToUnits(parseQuantity('0')), 0);
  });
  it('round negatives toward +infinity', () => {
    assert.equal(quantityToUnits(parseQuantity('-1.5')), -1);
    assert.equal(quantityToMilli(parseQuantity('-0.0015')), -1);
    assert.equal(quantityToUnits(parseQuantity('-100m')), 0);
    assert.ok(Object.is(quantityToUnits(parseQuantity('-100m')), 0), 'no negative zero');
  });
  it('throw past Number.MAX_SAFE_INTEGER', () => {
    assert.equal(quantityToUnits(parseQuantity('9007199254740991')), Number.MAX_SAFE_INTEGER);
    throwsQuantity(() => quantityToUnits(parseQuantity('9007199254740992')), 'too large');
    throwsQuantity(() => quantityToUnits(parseQuantity('1e18')), 'too large');
    throwsQuantity(() => quantityToUnits(parseQuantity('12Ei')), 'too large');
    throwsQuantity(() => quantityToUnits(parseQuantity('-9007199254740992')), 'too large');
    assert.equal(quantityToMilli(parseQuantity('9007199254740.991')), Number.MAX_SAFE_INTEGER);
    throwsQuantity(() => quantityToMilli(parseQuantity('9007199254740.992')), 'too large');
  });
});

describe('quantityToString', () => {
  it('writes plain decimals', () => {
    assert.equal(quantityToString(parseQuantity('100m')), '0.1');
    assert.equal(quantityToString(parseQuantity('-1.5e-2')), '-0.015');
    assert.equal(quantityToString(parseQuantity('1n')), '0.000000001');
    assert.equal(quantityToString(parseQuantity('1Ki')), '1024');
    assert.equal(quantityToString(q(1500n, 3)), '1.5');
  });
});

describe('resourceAmount', () => {
  const cases: [string, string | number, number][] = [
    ['cpu', '100m', 100],
    ['cpu', '1', 1000],
    ['cpu', 2, 2000],
    ['cpu', 0.5, 500],
    ['cpu', 0.07, 70], // 0.07 * 1000 is 70.00000000000001 in floating point
    ['cpu', '0.07', 70],
    ['cpu', '1.5', 1500],
    ['cpu', '0.0001', 1],
    ['cpu', '1u', 1],
    ['cpu', '1n', 1],
    ['cpu', '2e3', 2_000_000],
    ['cpu', '1e-3', 1],
    ['cpu', '1e-20', 1],
    ['cpu', '0e-20', 0],
    ['cpu', '+250m', 250],
    ['cpu', '-1', -1000],
    ['cpu', '9007199254740.991', Number.MAX_SAFE_INTEGER],
    ['cpu', '9007199254740991m', Number.MAX_SAFE_INTEGER],
    ['memory', '1.5Gi', 1610612736],
    ['memory', '512Mi', 536870912],
    ['memory', '1Ki', 1024],
    ['memory', '1k', 1000],
    ['memory', '100m', 1],
    ['memory', '1.1Ki', 1127],
    ['memory', '1e9', 1e9],
    ['memory', '0.5', 1],
    ['memory', 1.5, 2],
    ['memory', '4Pi', 2 ** 52],
    ['memory', '7Pi', 7 * 2 ** 50],
    ['memory', '00000000000000000000001Gi', 2 ** 30],
    ['ephemeral-storage', '10G', 10e9],
    ['pods', '110', 110],
    ['pods', 110, 110],
    ['nvidia.com/gpu', '2', 2],
  ];
  for (const [resource, input, want] of cases) {
    it(`${resource} ${JSON.stringify(input)} -> ${want}`, () => assert.equal(resourceAmount(resource, input), want));
  }
  it('gives 0, never -0', () => {
    assert.ok(Object.is(resourceAmount('cpu', -0), 0));
    assert.ok(Object.is(resourceAmount('cpu', '-0'), 0));
    assert.ok(Object.is(resourceAmount('memory', '-0.1'), 0));
  });
  it('throws naming the resource and the input', () => {
    throwsQuantity(() => resourceAmount('memory', '1GB'), 'memory: ', '"1GB"');
    throwsQuantity(() => resourceAmount('cpu', ''), 'cpu: ');
    throwsQuantity(() => resourceAmount('memory', '12Ei'), 'memory: ', 'too large');
    throwsQuantity(() => resourceAmount('memory', '8Pi'), 'memory: ', 'too large');
    throwsQuantity(() => resourceAmount('cpu', '9007199254741'), 'cpu: ', 'too large');
    throwsQuantity(() => resourceAmount('cpu', 9007199254741), 'cpu: ', 'too large');
    throwsQuantity(() => resourceAmount('cpu', Number.NaN), 'cpu: ', 'NaN');
  });
});

describe('formatResourceAmount', () => {
  const cases: [string, number, string][] = [
    ['cpu', 1500, '1500m'],
    ['cpu', 2000, '2'],
    ['cpu', 1, '1m'],
    ['cpu', 0, '0'],
    ['cpu', -500, '-500m'],
    ['memory', 536870912, '512Mi'],
    ['memory', 1073741824, '1Gi'],
    ['memory', 1536, '1536'],
    ['memory', 3072, '3Ki'],
    ['memory', 1000, '1000'],
    ['memory', 2 ** 60, '1Ei'],
    ['memory', -1024, '-1Ki'],
    ['ephemeral-storage', 20 * 2 ** 30, '20Gi'],
    ['hugepages-2Mi', 2 ** 21, '2Mi'],
    ['pods', 110, '110'],
    ['nvidia.com/gpu', 1024, '1024'],
  ];
  for (const [resource, amount, want] of cases) {
    it(`${resource} ${amount} -> ${want}`, () => assert.equal(formatResourceAmount(resource, amount), want));
  }
  it('knows which resources are bytes', () => {
    assert.deepEqual(['memory', 'ephemeral-storage', 'storage', 'hugepages-1Gi', 'cpu', 'pods', 'example.com/mem'].map(isByteResource),
      [true, true, true, true, false, false, false]);
  });
});

// Strings drawn from the grammar, with numbers of every size and every kind of suffix.
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const suffix = fc.oneof(
  fc.constantFrom('', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'),
  fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 2)).map((p) => p.join('')),
);
const number = fc.oneof(
  digits(1, 22),
  fc.tuple(digits(0, 12), digits(1, 12)).map(([i, f]) => `${i}.${f}`),
  digits(1, 6).map((i) => `${i}.`),
);
const quantityString = fc.tuple(fc.constantFrom('', '', '+', '-'), number, suffix).map((p) => p.join(''));

function outcome(fn: () => number): number | string {
  try {
    return fn();
  } catch (err) {
    assert.ok(err instanceof QuantityError, String(err));
    return 'QuantityError';
  }
}

describe('properties', () => {
  it('formatResourceAmount parses back to the same amount for every safe integer', () => {
    fc.assert(fc.property(
      fc.constantFrom('cpu', 'memory', 'pods', 'ephemeral-storage', 'nvidia.com/gpu'),
      fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.integer({ min: 0, max: 64 }).map((k) => 2 ** 40 * k)),
      (resource, amount) => resourceAmount(resource, formatResourceAmount(resource, amount)) === amount,
    ), { numRuns: 2000 });
  });

  it('resourceAmount agrees with the exact bigint path on every string of the grammar', () => {
    fc.assert(fc.property(quantityString, fc.constantFrom('cpu', 'memory'), (s, resource) => {
      const exact = outcome(() => {
        const parsed = parseQuantity(s);
        return resource === 'cpu' ? quantityToMilli(parsed) : quantityToUnits(parsed);
      });
      assert.equal(outcome(() => resourceAmount(resource, s)), exact, s);
    }), { numRuns: 5000 });
  });

  it('the decimal string of a parsed quantity parses back to it', () => {
    fc.assert(fc.property(quantityString, (s) => {
      let parsed: ExactQuantity;
      try {
        parsed = parseQuantity(s);
      } catch {
        return; // out of range
      }
      assert.deepEqual(parseQuantity(quantityToString(parsed)), parsed, s);
    }), { numRuns: 2000 });
  });

  // Oracle: m × 10^k with k in -9..9 compares as the integer m × 10^(k+9).
  const scaled = fc.tuple(fc.maxSafeInteger(), fc.integer({ min: -9, max: 9 }));
  const asNano = ([m, k]: [number, number]) => BigInt(m) * 10n ** BigInt(k + 9);
  const sign = (x: bigint) => (x < 0n ? -1 : x > 0n ? 1 : 0);

  it('compareQuantities orders as the numeric values do', () => {
    fc.assert(fc.property(scaled, scaled, (a, b) => {
      const qa = parseQuantity(`${a[0]}e${a[1]}`);
      const qb = parseQuantity(`${b[0]}e${b[1]}`);
      assert.equal(compareQuantities(qa, qb), sign(asNano(a) - asNano(b)));
      // 0 - x, not -x: strict equality tells -0 from 0.
      assert.equal(compareQuantities(qb, qa), 0 - compareQuantities(qa, qb));
      assert.equal(compareQuantities(qa, qa), 0);
    }), { numRuns: 2000 });
  });

  it('compareQuantities is a total order (sorting is consistent and transitive)', () => {
    fc.assert(fc.property(fc.array(quantityString, { minLength: 3, maxLength: 8 }), (strings) => {
      const values: ExactQuantity[] = [];
      for (const s of strings) {
        try {
          values.push(parseQuantity(s));
        } catch {
          // out of range: skip
        }
      }
      values.sort(compareQuantities);
      for (let i = 0; i + 1 < values.length; i++) {
        assert.ok(compareQuantities(values[i]!, values[i + 1]!) <= 0);
        for (let j = i + 1; j < values.length; j++) assert.ok(compareQuantities(values[i]!, values[j]!) <= 0);
      }
    }), { numRuns: 500 });
  });

  it('quantityToMilli is the least integer >= value × 1000', () => {
    fc.assert(fc.property(quantityString, (s) => {
      let parsed: ExactQuantity;
      let milli: number;
      try {
        parsed = parseQuantity(s);
        milli = quantityToMilli(parsed);
      } catch {
        return;
      }
      const scale = 10n ** BigInt(parsed.scale);
      const thousandTimes = parsed.numerator * 1000n;
      assert.ok(BigInt(milli) * scale >= thousandTimes, s);
      assert.ok((BigInt(milli) - 1n) * scale < thousandTimes, s);
    }), { numRuns: 2000 });
  });
});
