/** A <details> whose content mounts only once opened (its queries run on demand); keyboard-operable as native details. */
import { type ReactNode, useState } from 'react';

export function Disclosure({ summary, children }: { summary: ReactNode; children: ReactNode }) {
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{summary}</summary>
      {open && children}
    </details>
  );
}
