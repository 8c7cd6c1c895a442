import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml } from './escape.js';
import { formatClock, formatDollars, formatNumber, formatPercent, formatSeconds, signed } from './format.js';

describe('escapeHtml', () => {
  it('escapes the five characters that can break out of text or an attribute', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
    assert.equal(escapeHtml('m5.large → 3 nodes'), 'm5.large → 3 nodes');
  });
});

describe('number formatting', () => {
  it('groups thousands and uses a real minus sign', () => {
    assert.equal(formatNumber(1234567.891, 2), '1,234,567.89');
    assert.equal(formatNumber(999), '999');
    assert.equal(formatNumber(-1500), '\u22121,500');
    assert.equal(formatNumber(-0.001, 1), '0.0');
  });

  it('prints dollars with cents, hourly prices below a dollar with four decimals', () => {
    assert.equal(formatDollars(3.0186), '$3.02');
    assert.equal(formatDollars(12045.1), '$12,045.10');
    assert.equal(formatDollars(0.1372), '$0.1372');
    assert.equal(formatDollars(0), '$0.00');
    assert.equal(formatDollars(-5.83), '\u2212$5.83');
    assert.equal(formatDollars(0.2744, 2), '$0.27');
  });

  it('prints seconds, then hours and minutes', () => {
    assert.equal(formatSeconds(4.25), '4.3 s');
    assert.equal(formatSeconds(99.94), '99.9 s');
    assert.equal(formatSeconds(234.8), '235 s');
    assert.equal(formatSeconds(7200), '2 h 00 m');
    assert.equal(formatSeconds(86400 + 65 * 60), '25 h 05 m');
    assert.equal(formatSeconds(-88.6), '\u221288.6 s');
  });

  it('prints fractions as percentages and times as clocks', () => {
    assert.equal(formatPercent(0.8197), '82.0%');
    assert.equal(formatPercent(3.79, 0), '379%');
    assert.equal(formatClock(0), '0:00');
    assert.equal(formatClock(3900), '1:05');
    assert.equal(formatClock(3930), '1:05:30');
    assert.equal(formatClock(660, true), '0:11:00');
  });

  it('signs differences, leaving zero unsigned', () => {
    assert.equal(signed(-5.83, formatDollars), '\u2212$5.83');
    assert.equal(signed(17, String), '+17');
    assert.equal(signed(0, formatDollars), '$0.00');
    assert.equal(signed(-0.0001, formatDollars), '\u2212$0.0001');
  });
});
