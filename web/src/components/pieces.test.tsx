/** Shared pieces: the safe Markdown renderer and the file table's sizes and download links. */
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { FileTable, formatBytes } from './FileTable';
import { Markdown } from './markdown';

afterEach(cleanup);

describe('Markdown', () => {
  it('renders headings, lists, code, emphasis and http links as elements', () => {
    const { container } = render(
      <Markdown
        source={'# Result\nBest **val_loss** so far, see [report](https://example.org/r).\n\n- one\n- `two`\n\n```\nx = <b>\n```'}
      />,
    );
    expect(container.querySelector('h3')?.textContent).toBe('Result');
    expect(container.querySelector('strong')?.textContent).toBe('val_loss');
    const link = screen.getByRole('link', { name: 'report' });
    expect(link.getAttribute('href')).toBe('https://example.org/r');
    expect(link.getAttribute('rel')).toContain('noopener');
    expect([...container.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['one', 'two']);
    expect(container.querySelector('pre code')?.textContent).toBe('x = <b>');
    expect(container.querySelector('b')).toBeNull();
  });

  it('never makes markup or script links from the text', () => {
    const { container } = render(<Markdown source={'<img src=x onerror=alert(1)> [x](javascript:alert(1))'} />);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('a')).toBeNull();
    expect(container.textContent).toContain('<img src=x onerror=alert(1)>');
    expect(container.textContent).toContain('[x](javascript:alert(1))');
  });
});

describe('FileTable', () => {
  it('formats sizes in powers of 1024', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5 GB');
  });

  it('links each file to its presigned URL as a download under its base name', () => {
    render(
      <FileTable
        caption="Files"
        files={[
          {
            id: '1',
            name: 'ckpt/model.bin',
            sizeBytes: 2048,
            lastModified: '2026-01-01T00:00:00Z',
            downloadUrl: 'http://s3.local/x?sig=1',
          },
        ]}
      />,
    );
    const link = screen.getByRole('link', { name: 'Download ckpt/model.bin' });
    expect(link.getAttribute('href')).toBe('http://s3.local/x?sig=1');
    expect(link.getAttribute('download')).toBe('model.bin');
    expect(screen.getByText('2 KB')).toBeTruthy();
    expect(screen.getByRole('table').querySelector('caption')?.textContent).toBe('Files: 1 (2 KB)');
  });
});
