import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable } from './table.js';

describe('renderTable', () => {
  it('aligns text left and all-number columns right', () => {
    const out = renderTable(['NAME', 'PODS', 'NOTE'], [['a', 10, 'x'], ['longer', 2, '']]);
    assert.equal(out, 'NAME    PODS  NOTE\na         10  x\nlonger     2\n');
  });

  it('honours explicit right alignment and renders an empty table as its header', () => {
    assert.equal(renderTable(['A', 'B'], [['1.50', 'x']], { alignRight: [0] }), '   A  B\n1.50  x\n');
    assert.equal(renderTable(['A', 'B'], []), 'A  B\n');
  });
});
