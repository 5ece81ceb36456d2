/**
 * `@tidings/react/toast`: events as `sonner` toasts. The only entry point that imports `sonner`.
 * @packageDocumentation
 */
export {
  type CheckedToastMap,
  DEFAULT_TOAST_DURATIONS,
  type EventToast,
  EventToaster,
  type EventToasterProps,
  type ToastMap,
  type ToastRule,
  type ToastVariant,
} from './event-toaster.js';
export { severityVariant } from './severity-variant.js';
