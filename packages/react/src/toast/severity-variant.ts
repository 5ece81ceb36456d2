import type { ToastVariant } from './event-toaster.js';

/**
 * Maps a severity word from an alert payload to a toast variant: `critical`, `fatal`, `error`,
 * `high` → `error`; `warning`, `warn`, `medium` → `warning`; `success`, `ok`, `resolved` →
 * `success`; anything else → `info`.
 */
export function severityVariant(severity: unknown): ToastVariant {
  const s = String(severity ?? '').toLowerCase();
  if (['critical', 'fatal', 'error', 'high', 'emergency', 'alert'].includes(s)) return 'error';
  if (['warning', 'warn', 'medium'].includes(s)) return 'warning';
  if (['success', 'ok', 'resolved', 'cleared'].includes(s)) return 'success';
  return 'info';
}
