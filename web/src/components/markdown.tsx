/**
 * A minimal, safe Markdown renderer for notes: headings, paragraphs, lists,
 * fenced code, inline code, bold, italics and http(s)/mailto links, built
 * as React elements (no HTML string is ever parsed, so user text cannot
 * inject markup). Anything else shows as the text it is.
 */
import type { ReactNode } from 'react';

/** `line` (where the block starts) keys it. */
type Block = { line: number } & (
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'list'; ordered: boolean; items: string[] }
  | { kind: 'paragraph'; text: string }
);

export function parseBlocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    const start = i;
    if (/^\s*$/.test(line)) {
      i++;
      continue;
    }
    const fence = /^```/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i] as string)) body.push(lines[i++] as string);
      i++;
      blocks.push({ line: start, kind: 'code', text: body.join('\n') });
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      blocks.push({ line: start, kind: 'heading', level: (heading[1] as string).length, text: heading[2] as string });
      i++;
      continue;
    }
    const bullet = /^\s*([-*+]|\d+[.)])\s+/;
    const first = bullet.exec(line);
    if (first) {
      const ordered = /\d/.test(first[1] as string);
      const items: string[] = [];
      while (i < lines.length && bullet.test(lines[i] as string)) items.push((lines[i++] as string).replace(bullet, ''));
      blocks.push({ line: start, kind: 'list', ordered, items });
      continue;
    }
    const text: string[] = [];
    while (i < lines.length && !/^\s*$/.test(lines[i] as string) && !/^(```|#{1,6}\s)/.test(lines[i] as string)) {
      text.push(lines[i++] as string);
    }
    blocks.push({ line: start, kind: 'paragraph', text: text.join('\n') });
  }
  return blocks;
}

const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*|_[^_\s][^_]*_)|\[([^\]]+)\]\(([^)\s]+)\)/g;

export function renderInline(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let n = 0;
  for (const match of text.matchAll(INLINE)) {
    const at = match.index ?? 0;
    if (at > last) out.push(text.slice(last, at));
    const [whole, code, bold, italic, linkText, href] = match;
    const key = n++;
    if (code) out.push(<code key={key}>{code.slice(1, -1)}</code>);
    else if (bold) out.push(<strong key={key}>{bold.slice(2, -2)}</strong>);
    else if (italic) out.push(<em key={key}>{italic.slice(1, -1)}</em>);
    else if (linkText && href && /^(https?:|mailto:)/i.test(href)) {
      out.push(
        <a key={key} href={href} rel="noopener noreferrer nofollow" target="_blank">
          {linkText}
        </a>,
      );
    } else out.push(whole);
    last = at + whole.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function Markdown({ source }: { source: string }) {
  return (
    <div className="markdown">
      {parseBlocks(source).map((block) => {
        const i = block.line;
        switch (block.kind) {
          case 'heading': {
            // Notes sit under the page's own headings: # is shown as h3.
            const Tag = `h${Math.min(6, block.level + 2)}` as 'h3';
            return <Tag key={i}>{renderInline(block.text)}</Tag>;
          }
          case 'code':
            return (
              <pre key={i}>
                <code>{block.text}</code>
              </pre>
            );
          case 'list': {
            const List = block.ordered ? 'ol' : 'ul';
            return (
              <List key={i}>
                {block.items.map((item, j) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: items have no identity beyond their place
                  <li key={`${i}.${j}`}>{renderInline(item)}</li>
                ))}
              </List>
            );
          }
          default:
            return <p key={i}>{renderInline(block.text)}</p>;
        }
      })}
    </div>
  );
}
