/** Small shared pieces of every page: loading and error states, a run status badge, formatting. */
import type { CombinedError } from 'urql';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="muted" aria-live="polite">
      {label}
    </p>
  );
}

/** The message of a GraphQL error as the API wrote it, without urql's "[GraphQL]" prefix. */
export function errorMessage(error: CombinedError): string {
  const first = error.graphQLErrors[0];
  if (first) return first.message;
  return error.networkError ? `Cannot reach the platform: ${error.networkError.message}` : error.message;
}

export function ErrorBox({ error }: { error: CombinedError }) {
  return (
    <p role="alert" className="error">
      {errorMessage(error)}
    </p>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`status status-${status.toLowerCase()}`}>{status}</span>;
}

/** "1h 02m", "3m 04s", "12.3s"; an em dash when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null) return '—';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  return `${m}m ${String(s % 60).padStart(2, '0')}s`;
}

/** A metric value in at most 6 significant digits. */
export function formatNumber(value: number | null | undefined): string {
  if (value == null) return '—';
  if (Number.isInteger(value) && Math.abs(value) < 1e9) return String(value);
  return Number(value.toPrecision(6)).toString();
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString();
}
