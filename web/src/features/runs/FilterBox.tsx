/**
 * The run filter language in a search box: applied on Enter; a filter the
 * API refuses shows its message and a caret under the failing column, and
 * the caret's column is selected in the box.
 */
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import type { FilterError } from './useRunPages';

export interface FilterBoxProps {
  value: string;
  error: FilterError | null;
  onApply(filter: string): void;
}

export function FilterBox({ value, error, onApply }: FilterBoxProps) {
  const [text, setText] = useState(value);
  const input = useRef<HTMLInputElement>(null);
  const errorId = useId();
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (error?.position && input.current && document.activeElement === input.current) {
      const at = Math.min(error.position - 1, input.current.value.length);
      input.current.setSelectionRange(at, at + 1);
    }
  }, [error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    onApply(text);
  }

  return (
    <search>
      <form className="filter-box" onSubmit={submit}>
        <label htmlFor="run-filter">Filter runs</label>
        <input
          ref={input}
          id="run-filter"
          type="search"
          className="mono"
          spellCheck={false}
          autoComplete="off"
          placeholder="params.lr > 0.01 AND metrics.val_loss < 0.5 AND tags.team = 'nlp'"
          value={text}
          onChange={(event) => setText(event.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
        />
        <button type="submit">Apply</button>
        {error && (
          <div id={errorId} role="alert" className="filter-error">
            <p className="error">{error.message}</p>
            {error.position != null && (
              <pre className="mono caret-line" aria-hidden="true">
                {value}
                {'\n'}
                {`${' '.repeat(Math.max(0, error.position - 1))}^`}
              </pre>
            )}
          </div>
        )}
      </form>
    </search>
  );
}
