/** The shell: the sign-in gate before any page, and the credential kept for the tab only. */
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from './App';
import { clearCredential, loadCredential, saveCredential } from './credential';

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});

describe('the app shell', () => {
  it('asks for an API key or JWT before showing anything', () => {
    render(<App />);
    expect(screen.getByRole('heading', { name: 'Lab Data Platform' })).toBeTruthy();
    const input = screen.getByLabelText('API key or JWT') as HTMLInputElement;
    expect(input.type).toBe('password');
    expect((screen.getByRole('button', { name: 'Sign in' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('keeps the credential in sessionStorage only, and forgets it on sign-out', () => {
    saveCredential('a-key');
    expect(loadCredential()).toBe('a-key');
    expect(localStorage.length).toBe(0);
    clearCredential();
    expect(loadCredential()).toBeNull();
  });
});
