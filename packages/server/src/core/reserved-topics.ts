/** The first segment of the hub's own telemetry topics, as in `$sys/stats`. */
export const SYS_NAMESPACE = '$sys';

/**
 * Whether a topic or pattern lies in the hub's reserved namespace: its first segment starts with
 * `$` (as in MQTT). Nobody may publish there, and only subscriptions admitted by the `$sys`
 * authorizer may read it.
 */
export function isReservedTopic(topicOrPattern: string): boolean {
  return topicOrPattern.charCodeAt(0) === 36; // '$'
}
