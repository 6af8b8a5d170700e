/** The runs CSV's field quoting and config path reading. */
import { describe, expect, it } from 'vitest';
import { csvField, csvLine, valueAt } from './csv';

describe('csv', () => {
  it('quotes what RFC 4180 needs quoted and leaves the rest bare', () => {
    expect(csvLine(['a', 1.5e-4, true, null, undefined, 'x,y', 'say "hi"', 'two\nlines', ' pad'])).toBe(
      'a,0.00015,true,,,"x,y","say ""hi""","two\nlines"," pad"\r\n',
    );
    expect(csvField([1, 2])).toBe('"[1,2]"');
    expect(csvField({})).toBe('{}');
    expect(csvField(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
  });

  it("prefixes text cells a spreadsheet would run as a formula with ', never numbers", () => {
    expect(csvLine(['=HYPERLINK("http://x","y")', '+cmd', '-2+3', '@SUM(A1)', '\t=1', 'a=b', 'x-y'])).toBe(
      `"'=HYPERLINK(""http://x"",""y"")",'+cmd,'-2+3,'@SUM(A1),'\t=1,a=b,x-y\r\n`,
    );
    expect(csvLine([-0.5, '-0.5', '+1e-3', '-.5', -3, '-', '-inf'])).toBe("-0.5,-0.5,+1e-3,-.5,-3,'-,'-inf\r\n");
    expect(csvField({ '=a': 1 })).toBe('"{""=a"":1}"');
  });

  it('reads nested config values by key path, keys with dots included', () => {
    const config = { optimizer: { lr: 3e-4, 'beta.1': 0.9 }, layers: [1, 2] };
    expect(valueAt(config, ['optimizer', 'lr'])).toBe(3e-4);
    expect(valueAt(config, ['optimizer', 'beta.1'])).toBe(0.9);
    expect(valueAt(config, ['layers'])).toEqual([1, 2]);
    expect(valueAt(config, ['layers', '0'])).toBeUndefined();
    expect(valueAt(config, ['missing', 'x'])).toBeUndefined();
  });
});
