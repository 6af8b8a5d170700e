/** Shared pieces: the safe Markdown renderer, the file table's sizes and download links, the version list, the pager. */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { FileTable, formatBytes } from './FileTable';
import { Markdown } from './markdown';
import { Pager, useCursorPages } from './Pager';
import { VersionList } from './VersionList';

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

describe('VersionList', () => {
  it("says when there is no version and mounts a version's details only once opened", () => {
    const { rerender } = render(<VersionList titleId="v" total={0} versions={[]} summary={() => ''} details={() => ''} />);
    expect(screen.getByText('No version yet.')).toBeTruthy();
    rerender(
      <VersionList
        titleId="v"
        total={1}
        versions={[{ id: 'a', version: 1 }]}
        summary={(v) => `Version ${v.version}`}
        details={() => <p>the files</p>}
      />,
    );
    expect(screen.getByRole('heading', { name: 'Versions (1)' })).toBeTruthy();
    expect(screen.queryByText('the files')).toBeNull();
    const details = screen.getByRole('list', { name: 'Versions (1)' }).querySelector('details') as HTMLDetailsElement;
    act(() => {
      details.open = true;
      fireEvent(details, new Event('toggle'));
    });
    expect(screen.getByText('the files')).toBeTruthy();
  });
});

function Paged({ total, hasNext }: { total: number; hasNext: boolean }) {
  const pages = useCursorPages(50);
  return (
    <>
      <p>
        {pages.range(pages.page === 1 ? 50 : 10, total)} after {pages.after ?? 'start'}
      </p>
      <Pager
        pages={pages}
        pageInfo={{ hasNextPage: hasNext, endCursor: `c${pages.page}` }}
        previousLabel="Newer"
        nextLabel="Older"
      />
    </>
  );
}

describe('Pager', () => {
  it('walks the pages forward by their end cursors and back, with the shown range', () => {
    render(<Paged total={60} hasNext />);
    expect(screen.getByText('1–50 of 60 after start')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Newer' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Older' }));
    expect(screen.getByText('51–60 of 60 after c1')).toBeTruthy();
    expect(screen.getByText('Page 2')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Newer' }));
    expect(screen.getByText('1–50 of 60 after start')).toBeTruthy();
  });
});
