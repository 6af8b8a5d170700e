import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FilterBox } from './FilterBox';

afterEach(cleanup);

describe('the filter box', () => {
  it('applies the filter on Enter', () => {
    const onApply = vi.fn();
    render(<FilterBox value="" error={null} onApply={onApply} />);
    const input = screen.getByLabelText('Filter runs');
    fireEvent.change(input, { target: { value: "status = 'FAILED'" } });
    fireEvent.submit(input);
    expect(onApply).toHaveBeenCalledWith("status = 'FAILED'");
  });

  it('shows the API error with a caret under its column', () => {
    const filter = "params.lr = and status = 'X'";
    render(
      <FilterBox
        value={filter}
        error={{ message: "Invalid filter at column 13: expected a value after '=', found 'and'", position: 13 }}
        onApply={() => {}}
      />,
    );
    expect(screen.getByRole('alert').textContent).toContain('column 13');
    const caretLine = document.querySelector('.caret-line')?.textContent?.split('\n') ?? [];
    expect(caretLine[0]).toBe(filter);
    expect(caretLine[1]?.indexOf('^')).toBe(12);
    expect(screen.getByLabelText('Filter runs').getAttribute('aria-invalid')).toBe('true');
  });
});
